"""Liveness, readiness and Prometheus metrics.

Under gunicorn the metrics are kept in prometheus_client's multiprocess mode
(``interfaces.serving``) and a scrape sums every worker's; without it (tests,
one process) the process's own registry answers.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, current_app, g, request
from marshmallow import Schema, fields
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from interfaces.http.blueprint import Blueprint
from interfaces.http.context import storage
from interfaces.http.problems import answers, problem_response

blp = Blueprint("operations", __name__, description="Health and metrics, for the platform: no key")

REQUESTS = Counter(
    "grassroots_http_requests", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "grassroots_http_request_seconds", "Server time per request", ["method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.015, 0.025, 0.04, 0.06, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
WRITES = Counter("grassroots_writes", "Changes recorded, by change type", ["type"])
# Summed over the live workers: a dead worker's connections are gone with it.
POOL = Gauge("grassroots_db_pool_connections",
             "PostgreSQL connections: size (open), available (idle), waiting (requests queued)",
             ["state"], multiprocess_mode="livesum")
# Measured at each scrape by the worker serving it, for the counties it holds: the
# most recent measurement of a county wins.
VIEW_LAG = Gauge("grassroots_view_lag_events",
                 "Events a county's read views are behind its last event", ["county"],
                 multiprocess_mode="livemostrecent")


class StatusOut(Schema):
    status = fields.String(required=True)


@blp.get("/healthz")
@blp.doc(security=[])
@blp.response(200, StatusOut)
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@blp.get("/readyz")
@blp.doc(security=[])
@answers(blp, 503)
@blp.response(200, StatusOut)
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
@blp.doc(security=[])
@blp.response(200, {"type": "string"}, content_type="text/plain",
              description="Prometheus' text exposition format, version 0.0.4")
def metrics() -> Response:
    """Prometheus text format, every worker's metrics summed."""
    for county in storage().cached_counties():
        VIEW_LAG.labels(county.code).set(county.lag()["lag"])
    registry = REGISTRY
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    # content_type, not mimetype: Flask would add a second charset.
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def install(app: Flask) -> None:
    @app.after_request
    def _observe(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.started  # set by logs.install, the first hook
        LATENCY.labels(request.method, route, response.status_code).observe(elapsed)
        REQUESTS.labels(request.method, route, response.status_code).inc()
        for state, connections in storage().pool_usage().items():
            POOL.labels(state).set(connections)
        response.headers["Server-Timing"] = f"app;dur={elapsed * 1000:.2f}"
        return response
