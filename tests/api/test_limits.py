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


def test_keys_guessed_at_the_explorer_s_sign_in_count_as_failures(storage: Storage) -> None:
    app = _app(storage, auth_failures=3, auth_window=60)
    page = app.test_client()
    page.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    guesses = [page.post("/session", json={"key": f"gl_guess{i}"}).status_code for i in range(4)]
    assert guesses == [401, 401, 401, 429]
    # Nor does a right key get in from that address until the window passes.
    assert page.post("/session", json={"key": OPERATOR_KEY}).status_code == 429


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


def test_a_key_past_its_rate_is_answered_429(storage: Storage, county: Client) -> None:
    app = _app(storage, rate_per_key=2, rate_per_address=0, rate_burst=3)
    office = _as(app, "203.0.113.20", county.key, county.code)
    answers = [office.get("units").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = office.get("units")
    assert refused.mimetype == "application/problem+json"
    assert refused.headers["Retry-After"] == "1"
    # Another key of the county is not slowed by this one; the first recovers.
    other = office.ok(_as(app, "203.0.113.21", OPERATOR_KEY).post(
        f"/v1/tenants/{county.code}/keys", {"role": "viewer"}))["key"]
    assert _as(app, "203.0.113.20", other, county.code).get("units").status_code == 200
    time.sleep(0.6)
    assert office.get("units").status_code == 200


def test_an_address_past_its_rate_is_answered_429(storage: Storage) -> None:
    app = _app(storage, rate_per_key=0, rate_per_address=1, rate_burst=2)
    busy = _as(app, "203.0.113.30", OPERATOR_KEY)
    assert [busy.get("/v1/tenants").status_code for _ in range(3)] == [200, 200, 429]
    # Without a key too: the address is counted before the key is looked at.
    assert _as(app, "203.0.113.30", "gl_guess").get("/v1/tenants").status_code == 429
    assert _as(app, "198.51.100.30", OPERATOR_KEY).get("/v1/tenants").status_code == 200


def test_the_rate_limits_are_configured_by_the_environment() -> None:
    settings = Settings.from_env({"GRASSROOTS_RATE_PER_KEY": "5", "GRASSROOTS_RATE_PER_ADDRESS":
                                  "7.5", "GRASSROOTS_RATE_BURST": "9"})
    assert (settings.rate_per_key, settings.rate_per_address, settings.rate_burst) == (5, 7.5, 9)
    defaults = Settings.from_env({})
    assert (defaults.rate_per_key, defaults.rate_per_address, defaults.rate_burst) == \
        (50, 100, 200)


def test_behind_a_trusted_proxy_each_client_has_its_own_rate(storage: Storage) -> None:
    app = _app(storage, rate_per_key=0, rate_per_address=1, rate_burst=1, proxies=1)
    proxy = _as(app, "10.0.0.2", OPERATOR_KEY)
    first = {"X-Forwarded-For": "203.0.113.40"}
    assert proxy.http.get("/v1/tenants", headers=proxy.headers(first)).status_code == 200
    assert proxy.http.get("/v1/tenants", headers=proxy.headers(first)).status_code == 429
    second = {"X-Forwarded-For": "203.0.113.41"}
    assert proxy.http.get("/v1/tenants", headers=proxy.headers(second)).status_code == 200
