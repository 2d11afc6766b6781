# syntax=docker/dockerfile:1
# Build: a wheel of the project and its dependencies, compiled once.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY application ./application
COPY interfaces ./interfaces
COPY infra ./infra
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Run: only the wheels, a non-root user, gunicorn.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GRASSROOTS_HOST=0.0.0.0 \
    GRASSROOTS_PORT=8000
RUN useradd --create-home --uid 10001 grassroots
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /home/grassroots
COPY gunicorn.conf.py ./
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"]
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
