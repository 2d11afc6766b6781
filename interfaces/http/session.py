"""The explorer's sign-in: a county's (or a city's) key exchanged for a session
cookie, so that the page never holds the key.

The cookie is HttpOnly (no script reads it) and SameSite=Strict (no other site's
page sends it); writes with it also need the session's CSRF token in a header
(``auth``), which the page learns from these answers and keeps in memory only.
The operator's key and integrator keys cannot sign in: the page is for people
who keep a county's register, or read a city's figures.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from infra.directory import KeyRecord
from interfaces.http import limits
from interfaces.http.auth import GRANTS, SESSION_COOKIE, key_principal, key_record, principal
from interfaces.http.context import storage
from interfaces.http.problems import Problem

blp = Blueprint("session", __name__)

# A working day and then some; signing out ends it sooner.
LIFETIME = timedelta(hours=12)
# Every role but the integrator's, whose key reads the event feed and nothing else.
PAGE_ROLES = set(GRANTS) - {"integrator"}


def _signed_in(record: KeyRecord, csrf_token: str) -> dict[str, Any]:
    who = key_principal(record)
    tenant = storage().directory.tenant(who.tenant_code) if who.tenant_code else None
    return {"role": who.role, "tenant_code": who.tenant_code, "city_code": who.city_code,
            "tenant_name": tenant["name"] if tenant else None, "csrf_token": csrf_token}


@blp.post("/session")
def sign_in() -> Response:
    """``{"key"}`` → 201 who signed in, with the CSRF token; the cookie is set."""
    body = request.get_json(silent=True)
    key = body.get("key") if isinstance(body, dict) else None
    if not isinstance(key, str) or not key.strip():
        raise Problem(422, "Unprocessable Entity", "give the key to sign in with",
                      errors={"key": ["a key of your county or city"]})
    limits.refuse_failing_address()
    limits.admit_address()
    record = key_record(key.strip())
    if record.role not in PAGE_ROLES:
        raise Problem(403, "Forbidden", f"the {record.role} role cannot use the explorer")
    token, csrf_token = storage().directory.open_session(record.key_id, LIFETIME)
    response = jsonify(_signed_in(record, csrf_token))
    response.status_code = 201
    response.set_cookie(SESSION_COOKIE, token, max_age=int(LIFETIME.total_seconds()),
                        httponly=True, samesite="Strict", secure=request.is_secure, path="/")
    return response


@blp.get("/session")
def current() -> Response:
    """Who the cookie signs in, and the CSRF token (the page reloaded); 401 if no one."""
    token = request.cookies.get(SESSION_COOKIE, "")
    session = storage().directory.session(token) if token else None
    if session is None or session.key.revoked:
        raise Problem(401, "Unauthorized", "not signed in")
    return jsonify(_signed_in(session.key, session.csrf_token))


@blp.delete("/session")
def sign_out() -> Response:
    """End the session (a write: the CSRF header is needed); 204, the cookie cleared."""
    principal()
    storage().directory.close_session(request.cookies.get(SESSION_COOKIE, ""))
    response = Response(status=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Strict")
    return response


def install(app: Flask) -> None:
    app.register_blueprint(blp)
