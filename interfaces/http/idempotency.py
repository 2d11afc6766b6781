"""``Idempotency-Key`` on a POST: a retry with the same key and body gets the
first response and changes nothing; the same key with another body is 422.
Concurrent retries wait for the first attempt instead of running twice; a retry
after the first attempt died takes its claim over and answers with the write the
dead attempt committed, or makes it (decision 10).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from flask import Flask, Response, current_app, g, request

from application import attempts
from domain.rules import NotFound
from infra.directory import TenantDirectory
from interfaces.http.auth import SESSION_COOKIE
from interfaces.http.context import county
from interfaces.http.problems import PROBLEM, Problem, problem_response

HEADER = "Idempotency-Key"
WAIT_SECONDS = 10.0
# A claim held longer than this is one whose request died: no write takes as
# long (a retry meanwhile waits WAIT_SECONDS, then hears 409 "still in progress").
LEASE = timedelta(seconds=30)


def _directory() -> TenantDirectory:
    return current_app.config["STORAGE"].directory


# Keys are shown once: a replayed answer carries null where the key was.
SECRETS = ("key", "admin_key")


def _without_secrets(response: Response) -> str:
    body = response.get_data(as_text=True)
    if response.is_json:
        data = json.loads(body)
        if isinstance(data, dict) and any(k in data for k in SECRETS):
            return json.dumps({k: (None if k in SECRETS else v) for k, v in data.items()},
                              ensure_ascii=False)
    return body


def install(app: Flask) -> None:
    @app.before_request
    def _claim() -> Response | None:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return None
        if not 1 <= len(key) <= 200:
            raise Problem(400, "Bad Request", f"{HEADER} must be 1–200 characters")
        # The credential is part of the scope: a key never replays another's answer.
        credential = hashlib.sha256((request.headers.get("Authorization")
                                     or request.cookies.get(SESSION_COOKIE, "")).encode()).hexdigest()
        scope = f"{request.path}|{credential}"
        digest = hashlib.sha256(request.get_data()).hexdigest()
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            existing = _directory().claim(scope, key, digest, LEASE)
            if existing.owner is not None:
                if existing.body is not None and _committed(existing.body):
                    _directory().complete(scope, key, existing.owner, 201, existing.body)
                    return _replayed(201, existing.body)
                g.idempotency = (scope, key, existing.owner)
                return None
            if existing.request_hash != digest:
                return problem_response(
                    422, "Unprocessable Entity",
                    f"this {HEADER} was used with a different request body",
                )
            if existing.status is not None:
                assert existing.body is not None  # a status is completed with its answer
                return _replayed(existing.status, existing.body)
            if time.monotonic() > deadline:
                return problem_response(
                    409, "Conflict", f"a request with this {HEADER} is still in progress"
                )
            time.sleep(0.05)

    @app.after_request
    def _complete(response: Response) -> Response:
        claim = g.pop("idempotency", None)
        if claim is not None:
            if response.status_code >= 500:
                _directory().release(*claim)
            else:
                scope, key, owner = claim
                _directory().complete(scope, key, owner, response.status_code,
                                      _without_secrets(response))
        return response

    @app.teardown_request
    def _release(_error: BaseException | None) -> None:
        claim = g.pop("idempotency", None)
        if claim is not None:
            _directory().release(*claim)


def _replayed(status: int, body: str) -> Response:
    mimetype = PROBLEM if status >= 400 else "application/json"
    return Response(body, status=status, mimetype=mimetype,
                    headers={"Idempotent-Replayed": "true"})


def _committed(held: str) -> bool:
    """Whether the change of a held answer (a write's receipt) was recorded."""
    assert request.view_args is not None  # an answer is held by a county's write only
    try:
        county(request.view_args["code"]).ledger.change(UUID(json.loads(held)["change_id"]))
    except NotFound:
        return False
    return True


@contextmanager
def attempt(answer: Callable[[Any], dict[str, Any]]) -> Iterator[None]:
    """Run a write as an attempt of the request's claimed key, if it has one: its
    change gets the id planned from the key, and ``answer(receipt)`` is held in the
    claim before the write commits."""
    claim = g.get("idempotency")
    if claim is None:
        yield
        return
    scope, key, owner = claim

    def hold(receipt: Any) -> None:
        _directory().hold(scope, key, owner, current_app.json.dumps(answer(receipt)))

    token = attempts.current.set(attempts.Attempt(uuid5(NAMESPACE_URL, f"{scope}|{key}"), hold))
    try:
        yield
    finally:
        attempts.current.reset(token)
