"""Limits (issue 12): failed authentication is rate-limited per client address,
and what needs no key says no more than it must."""

from __future__ import annotations

import time
from typing import Any

from conftest import OPERATOR_KEY, Client
from infra.storage import Settings, Storage, open_storage
from interfaces.http import create_app


def _app(storage: Storage, **limits: Any) -> Any:
    settings = Settings(database_url=storage.settings.database_url, operator_key=OPERATOR_KEY,
                        **limits)
    return create_app(settings, storage, create_tables=False)


def _as(app: Any, address: str, key: str, code: str = "") -> Client:
    http = app.test_client()
    http.environ_base["REMOTE_ADDR"] = address
    return Client(http, key, code)


def test_an_address_failing_authentication_is_answered_429_until_the_window_passes(
    storage: Storage,
) -> None:
    app = _app(storage, auth_failures=3, auth_window=1)
    guesser = _as(app, "203.0.113.7", "gl_guess")
    assert [guesser.get("/v1/tenants").status_code for _ in range(3)] == [401] * 3
    refused = guesser.get("/v1/tenants")
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.headers["Retry-After"] == "1"
    # The address is refused whatever it sends; another address is not.
    assert _as(app, "203.0.113.7", OPERATOR_KEY).get("/v1/tenants").status_code == 429
    assert _as(app, "198.51.100.1", OPERATOR_KEY).get("/v1/tenants").status_code == 200
    time.sleep(1.1)
    assert guesser.get("/v1/tenants").status_code == 401


def test_good_keys_never_count_as_failures(storage: Storage) -> None:
    app = _app(storage, auth_failures=2, auth_window=60)
    operator = _as(app, "203.0.113.8", OPERATOR_KEY)
    assert {operator.get("/v1/tenants").status_code for _ in range(5)} == {200}


def test_the_auth_limits_are_configured_by_the_environment() -> None:
    settings = Settings.from_env({"GRASSROOTS_AUTH_FAILURES": "7", "GRASSROOTS_AUTH_WINDOW": "30"})
    assert (settings.auth_failures, settings.auth_window) == (7, 30)
    defaults = Settings.from_env({})
    assert (defaults.auth_failures, defaults.auth_window) == (20, 60)


def test_readiness_says_only_ready_or_not() -> None:
    """Nothing of the driver's error (hosts, ports, users, messages) leaks to a caller
    that needs no key."""
    unreachable = Settings(database_url="postgresql://grassroots@127.0.0.1:9/nowhere")
    storage = open_storage(unreachable)
    try:
        answer = create_app(unreachable, storage, create_tables=False).test_client().get("/readyz")
    finally:
        storage.close()
    assert answer.status_code == 503
    assert answer.mimetype == "application/problem+json"
    text = answer.get_data(as_text=True)
    for secret in ("127.0.0.1", "grassroots", "nowhere", "connection", ":9"):
        assert secret not in text, text
