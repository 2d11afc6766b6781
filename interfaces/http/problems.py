"""RFC 9457 problem details: every error the API gives is ``application/problem+json``."""

from __future__ import annotations

import json
import logging
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from flask import Flask, Response, request
from psycopg_pool import PoolTimeout
from werkzeug.exceptions import HTTPException

from domain.rulebook import RULES
from domain.rules import Conflict, DomainError, NotFound, RuleRefused
from infra.postgres import StorageUnavailable
from interfaces.http.logs import request_id

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
# When a client should try again after the storage failed: PostgreSQL restarting
# takes a few seconds, and the pool reconnects within a second of it.
RETRY_UNAVAILABLE_SECONDS = 2


class Problem(Exception):
    """An error answer raised from anywhere below a view."""

    def __init__(self, status: int, title: str, detail: str | None = None, **extra: Any):
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.extra = extra


def problem_response(status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {
        "type": f"/problems/{title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in extra.items() if v is not None})
    # What to quote when asking the operator about this answer: the logs carry it too.
    if request_id() is not None:
        body["request_id"] = request_id()
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)


def _rule(rule_id: str | None) -> dict[str, Any]:
    """The rule that refused the command, as the rule catalogue states it."""
    rule = RULES.get(rule_id or "")
    if rule is None:
        return {"rule": rule_id}
    return {"rule": rule.id, "rule_title": rule.title, "rule_title_zh": rule.title_zh,
            "clause": rule.clause}


def _from_domain(error: DomainError) -> Response:
    if isinstance(error, NotFound):
        return problem_response(404, "Not Found", error.message)
    if isinstance(error, Conflict):
        return problem_response(
            409, "Conflict", error.message, **_rule(error.rule),
            conflicts=[str(c) for c in error.conflicts] or None,
        )
    assert isinstance(error, RuleRefused)
    return problem_response(422, "Rule Refused", error.message, **_rule(error.rule))


def install(app: Flask) -> None:
    @app.before_request
    def _refuse_unreadable_json() -> None:
        """Bodies the JSON parser chokes on in ways webargs does not catch
        (nesting past the recursion limit, integers past Python's digit limit)."""
        if request.method in ("POST", "PATCH", "PUT") and request.is_json:
            try:
                json.loads(request.get_data(cache=True))
            except (ValueError, RecursionError, UnicodeDecodeError):
                raise Problem(400, "Bad Request", "the body is not JSON this API can read") from None

    @app.errorhandler(Problem)
    def _problem(error: Problem) -> Response:
        retry_after = error.extra.pop("retry_after", None)
        response = problem_response(error.status, error.title, error.detail, **error.extra)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Response:
        return _from_domain(error)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        extra: dict[str, Any] = {}
        data = getattr(error, "data", None)  # webargs/flask-smorest validation messages
        if isinstance(data, dict) and "messages" in data:
            extra["errors"] = _flatten(data["messages"])
        status = error.code or 500
        title = error.name
        detail = error.description if status != 422 else "Invalid fields"
        if status == 400 and "errors" in extra:
            detail = "Malformed request body"
        return problem_response(status, title, detail, **extra)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    @app.errorhandler(StorageUnavailable)
    def _unavailable(error: Exception) -> Response:
        log.warning("storage unavailable: %s", error)
        response = problem_response(503, "Service Unavailable", "storage unavailable; retry")
        response.headers["Retry-After"] = str(RETRY_UNAVAILABLE_SECONDS)
        return response

    @app.errorhandler(Exception)
    def _crash(error: Exception) -> Response:
        log.exception("unhandled error")
        return problem_response(500, "Internal Server Error", "an unexpected error was logged")


def _flatten(messages: Any) -> dict[str, list[str]]:
    """webargs nests messages by location (``json``, ``query``); clients want fields."""
    errors: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for location_or_field, value in messages.items():
            if location_or_field in ("json", "query", "path", "headers", "form") and isinstance(value, dict):
                errors.update(_flatten_fields(value))
            else:
                errors.update(_flatten_fields({location_or_field: value}))
    return errors


def _flatten_fields(fields: dict[str, Any], prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in fields.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            out.update(_flatten_fields(value, key + "."))
        elif isinstance(value, list):
            out[key] = [str(v) for v in value]
        else:
            out[key] = [str(value)]
    return out
