"""``Idempotency-Key`` on a POST: a retry with the same key and body gets the
first response and changes nothing; the same key with another body is 422.
Concurrent retries wait for the first attempt instead of running twice.
"""

from __future__ import annotations

import hashlib
import json
import time

from flask import Flask, Response, current_app, g, request

from infra.directory import TenantDirectory
from interfaces.http.auth import SESSION_COOKIE
from interfaces.http.problems import PROBLEM, Problem, problem_response

HEADER = "Idempotency-Key"
WAIT_SECONDS = 10.0


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
            existing = _directory().claim(scope, key, digest)
            if existing is None:
                g.idempotency = (scope, key)
                return None
            if existing["request_hash"] != digest:
                return problem_response(
                    422, "Unprocessable Entity",
                    f"this {HEADER} was used with a different request body",
                )
            if existing["status"] is not None:
                status = int(existing["status"])
                mimetype = PROBLEM if status >= 400 else "application/json"
                return Response(existing["body"], status=status, mimetype=mimetype,
                                headers={"Idempotent-Replayed": "true"})
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
                _directory().abandon(*claim)
            else:
                _directory().complete(*claim, response.status_code, _without_secrets(response))
        return response

    @app.teardown_request
    def _abandon(_error: BaseException | None) -> None:
        claim = g.pop("idempotency", None)
        if claim is not None:
            _directory().abandon(*claim)
