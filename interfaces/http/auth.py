"""Bearer keys and roles: ``admin`` ⊇ ``editor`` ⊇ ``viewer``; ``auditor`` = viewer +
audit; ``integrator`` = the event feed only; ``city`` = a city's aggregate reports.

401 for no or a bad key, 404 for another county's resources (a key never learns
whether another county exists), 403 for a role too weak.

The explorer's session cookie (``interfaces.http.session``) counts as the key it
was exchanged for; a write with it must also carry the session's CSRF token in
``X-CSRF-Token``, which a page of another site cannot read. A bearer key wins
over a cookie: programs are unaffected.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from flask import Flask, current_app, g, request

from infra.directory import KeyRecord, TenantDirectory
from infra.storage import COUNTY_CODE
from interfaces.http import limits
from interfaces.http.problems import Problem

CITY_ROLE = "city"  # a city's key: its aggregate reports, nothing else

# What each role may do, by the capability a view requires.
GRANTS = {
    "admin": {"admin", "edit", "read", "feed"},
    "editor": {"edit", "read", "feed"},
    "viewer": {"read", "feed"},
    "auditor": {"read", "audit", "feed"},
    "integrator": {"feed"},
    CITY_ROLE: {"city"},
}
COUNTY_ROLES = [role for role in GRANTS if role != CITY_ROLE]  # what a county's key can be


@dataclass(frozen=True)
class Principal:
    """Who is calling: the operator, or a key of one county (or one city)."""

    actor: str
    role: str
    tenant_code: str | None = None
    city_code: str | None = None

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


SESSION_COOKIE = "gl_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _from_session(token: str) -> Principal:
    session = current_app.config["STORAGE"].directory.session(token)
    if session is None or session.key.revoked:
        raise limits.unauthorized("the session has ended; sign in again")
    limits.admit_key(session.key.key_id)
    if request.method not in SAFE_METHODS and not hmac.compare_digest(
            request.headers.get(CSRF_HEADER, "").encode(), session.csrf_token.encode()):
        raise Problem(403, "Forbidden", f"a write with the session cookie needs {CSRF_HEADER}")
    g.principal = key_principal(session.key)
    return g.principal


def key_principal(record: KeyRecord) -> Principal:
    return Principal(actor=f"key:{record.key_id}", role=record.role,
                     tenant_code=record.tenant_code, city_code=record.city_code)


def principal() -> Principal:
    if "principal" in g:
        return g.principal
    limits.refuse_failing_address()
    limits.admit_address()
    token = _bearer()
    if token is None:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            return _from_session(cookie)
        raise limits.unauthorized("send Authorization: Bearer <key>")
    operator_key = current_app.config["SETTINGS"].operator_key
    if operator_key and hmac.compare_digest(token.encode(), operator_key.encode()):
        g.principal = Principal(actor="operator", role="operator")
        return g.principal
    g.principal = key_principal(key_record(token))
    return g.principal


def key_record(token: str) -> KeyRecord:
    """The live key ``token`` names: a 401 counted against the client's address
    otherwise, and a 429 for a key past its rate."""
    directory: TenantDirectory = current_app.config["STORAGE"].directory
    record = directory.key(token)
    if record is None or record.revoked:
        raise limits.unauthorized("unknown or revoked key")
    limits.admit_key(record.key_id)
    return record


def require_operator() -> Principal:
    who = principal()
    if not who.is_operator:
        raise Problem(403, "Forbidden", "this needs the platform operator's key")
    return who


def _require_county_scope(code: str) -> Principal:
    """The caller's key belongs to county ``code`` (or is the operator's), which exists."""
    who = principal()
    if g.get("county_in_scope") == code:
        return who
    if not COUNTY_CODE.fullmatch(code):
        raise Problem(404, "Not Found", f"no county {code!r}")
    directory = current_app.config["STORAGE"].directory
    if who.is_operator:
        if directory.resolve(code) is None:
            raise Problem(404, "Not Found", f"no county {code}")
    # A county answers under every code it has had (县改区): resolved only when the
    # code is not the key's own, so the common request costs no query.
    elif who.tenant_code != code and who.tenant_code != directory.resolve(code):
        raise Problem(404, "Not Found", f"no county {code}")
    g.county_in_scope = code
    return who


def require_county(code: str, capability: str) -> Principal:
    """The caller may use ``capability`` on county ``code``, which exists."""
    who = _require_county_scope(code)
    if not who.is_operator and capability not in GRANTS.get(who.role, set()):
        raise Problem(403, "Forbidden", f"the {who.role} role cannot do this")
    return who


def require_city(city_code: str) -> Principal:
    """The operator, or a key of city ``city_code``: its aggregate reports only."""
    who = principal()
    if who.is_operator:
        return who
    if who.role != CITY_ROLE:
        raise Problem(403, "Forbidden", f"the {who.role} role cannot read a city's reports")
    if who.city_code != city_code:
        raise Problem(404, "Not Found", f"no city {city_code!r}")
    return who


def install(app: Flask) -> None:
    """Authenticate every /v1 request before its body is even read: no key is 401
    and another county is 404, whatever the body."""

    @app.before_request
    def _authenticate() -> None:
        if not request.path.startswith("/v1/"):
            return
        principal()
        code = (request.view_args or {}).get("code")
        if code is not None:
            _require_county_scope(code)
