"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from interfaces.http.context import storage
from interfaces.http.problems import problem_response

blp = Blueprint("operations", __name__)

REQUESTS = Counter(
    "grassroots_http_requests_total", "HTTP requests answered", ["method", "endpoint", "status"]
)
LATENCY = Histogram(
    "grassroots_http_request_seconds", "Server time per request", ["method", "endpoint"],
    buckets=(0.002, 0.005, 0.01, 0.015, 0.025, 0.04, 0.06, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


@blp.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@blp.get("/readyz")
def readyz() -> Response | dict[str, str]:
    """The storage answers."""
    try:
        storage().ping()
    except Exception:  # noqa: BLE001 - any failure means not ready
        # Said to anyone, without a key: the driver's words (hosts, users) stay in the logs.
        current_app.logger.exception("not ready")
        return problem_response(503, "Service Unavailable", "storage unreachable")
    return {"status": "ready"}


@blp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format."""
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


def install(app: Flask) -> None:
    app.register_blueprint(blp)

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        LATENCY.labels(request.method, endpoint).observe(elapsed)
        REQUESTS.labels(request.method, endpoint, response.status_code).inc()
        response.headers["Server-Timing"] = f"app;dur={elapsed * 1000:.2f}"
        return response
