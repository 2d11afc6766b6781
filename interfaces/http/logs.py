"""Logs: JSON lines (python-json-logger), one access line per request, a request id on each.

The request id is the client's ``X-Request-ID`` when it is a plain token, or a new
one; it is echoed in the response header and in problem bodies, and every line
logged while the request runs carries it. An access line names the route (the
template, ``/v1/tenants/<code>/people/<uuid:person_id>``), never the path or the
query string, and no header: what a request names (people's names in ``q``, bearer
keys) stays out of the logs.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request

access_log = logging.getLogger("grassroots.access")

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id() -> str | None:
    """This request's id (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


class RequestContext(logging.Filter):
    """Adds the request id and the route to every line logged during a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and not hasattr(record, "request_id"):
            record.request_id = g.get("request_id")
            record.route = _route()
        return True


def _route() -> str:
    return request.url_rule.rule if request.url_rule else "unmatched"


def logging_config(access: bool) -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: everything, gunicorn's own lines included, as
    JSON lines on stderr. gunicorn makes no access lines (``serving.ApiLogger``): ours
    know routes and counties."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestContext}},
        "formatters": {"json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # RFC 3339, UTC
            "json_ensure_ascii": False,
        }},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                "formatter": "json", "filters": ["request"]}},
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "grassroots.access": {"level": "INFO" if access else "WARNING", "handlers": [],
                                  "propagate": True},
        },
    }


def install(app: Flask) -> None:
    """First of the request hooks, so that a request refused early (401) has its id too."""

    @app.before_request
    def _begin() -> None:
        g.started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def _access(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.request_id
        access_log.info("%s %s %s", request.method, _route(), response.status_code, extra={
            "request_id": g.request_id,
            "method": request.method,
            "route": _route(),
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - g.started) * 1000, 3),
            "county": (request.view_args or {}).get("code"),
        })
        return response
