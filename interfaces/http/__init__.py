"""The REST API of API.md: a Flask application built per process (after gunicorn forks)."""

from __future__ import annotations

import gc

from flask import Flask, Response
from flask_smorest import Api
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from infra.storage import Settings, Storage, open_storage
from interfaces import web
from interfaces.http import (
    audit,
    auth,
    bodies,
    changes,
    docs,
    events,
    idempotency,
    logs,
    norms,
    operations,
    people,
    posts,
    problems,
    releases,
    reports,
    session,
    tenants,
    units,
)

MAX_BODY_BYTES = 1024 * 1024


class ProblemApi(Api):
    """flask-smorest, its errors answered and documented as problem+json (see problems):
    each operation lists the statuses it can answer, so there is no catch-all default."""

    ERROR_SCHEMA = problems.ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException) -> Response:
        return problems.http_problem(error)


def create_app(
    settings: Settings | None = None,
    storage: Storage | None = None,
    *,
    create_tables: bool = True,
) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask("grassroots")
    app.config.update(
        SETTINGS=settings,
        STORAGE=storage or open_storage(settings),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        API_TITLE="Grassroots Ledger",
        API_VERSION="1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=docs.ASSETS,
        # Swagger UI would send the document to an online validator for its badge.
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if settings.proxies:
        # Behind nginx every peer is the proxy: the client's address (what failed
        # authentication and the rate limits are counted against) is the one it says.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxies,  # type: ignore[method-assign]
                                x_proto=settings.proxies)
    if create_tables:
        app.config["STORAGE"].create_tables()
    app.register_blueprint(docs.blp)
    api = ProblemApi(app)
    problems.document(api.spec)
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "a county's or the operator's key"}
    )
    api.spec.options["security"] = [{"bearer": []}]
    for blueprint in (tenants.blp, units.blp, changes.blp, bodies.blp, people.blp, posts.blp,
                      norms.blp, reports.blp, releases.blp, events.blp, audit.blp, operations.blp):
        api.register_blueprint(blueprint)
    # Order matters: a request id first, authenticate, then read the body, then claim
    # an idempotency key.
    logs.install(app)
    auth.install(app)
    problems.install(app)
    idempotency.install(app)
    operations.install(app)
    session.install(app)
    web.install(app)
    # Long-lived objects built at start-up need no more collection, and a tree
    # answer allocates thousands of short-lived dicts: fewer, later young-generation
    # collections keep the collector's pauses off the read path's tail latency.
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    return app
