"""The explorer's session: a key exchanged for an HttpOnly, SameSite cookie that
counts as the key; writes with it need the CSRF header; bearer keys unchanged."""

from __future__ import annotations

from typing import Any

from conftest import Client, county_code

TOWN = {"kind": "town", "name": "镇", "effective_date": "2010-01-01"}


def sign_in(county: Client, key: str) -> Any:
    """A browser of its own (the test client keeps cookies), signed in with ``key``."""
    browser = county.http.application.test_client()
    response = browser.post("/session", json={"key": key})
    return browser, response


def issued(county: Client, role: str) -> str:
    return county.ok(county.post("keys", {"role": role}))["key"]


def test_a_key_is_exchanged_for_an_httponly_samesite_cookie(county: Client) -> None:
    browser, response = sign_in(county, county.key)
    assert response.status_code == 201
    who = response.get_json()
    assert (who["role"], who["tenant_code"], who["tenant_name"]) == ("admin", county.code, "测试县")
    [cookie] = response.headers.getlist("Set-Cookie")
    assert cookie.startswith("gl_session=") and county.key not in cookie
    assert {"HttpOnly", "SameSite=Strict", "Path=/"} <= {part.strip() for part in cookie.split(";")}
    # The cookie reads what the key reads, and the page learns its CSRF token again.
    assert browser.get(f"/v1/tenants/{county.code}/tree").status_code == 200
    assert browser.get("/session").get_json()["csrf_token"] == who["csrf_token"]


def test_a_write_with_the_cookie_needs_the_csrf_header(county: Client) -> None:
    browser, response = sign_in(county, county.key)
    csrf = response.get_json()["csrf_token"]
    path = f"/v1/tenants/{county.code}/units"
    refused = browser.post(path, json=TOWN)
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.get_json()["detail"]
    assert browser.post(path, json=TOWN, headers={"X-CSRF-Token": "not-it"}).status_code == 403
    assert county.ok(county.get("units"), 200)["items"] == []
    created = browser.post(path, json=TOWN, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201
    assert [u["name"] for u in county.ok(county.get("units"), 200)["items"]] == ["镇"]


def test_the_cookie_has_the_keys_role_and_county(county: Client, operator: Client) -> None:
    browser, response = sign_in(county, issued(county, "viewer"))
    csrf = response.get_json()["csrf_token"]
    assert browser.post(f"/v1/tenants/{county.code}/units", json=TOWN,
                        headers={"X-CSRF-Token": csrf}).status_code == 403
    other = county_code()
    operator.ok(operator.post("/v1/tenants", {"code": other, "name": "别县", "city_code": "3303",
                                              "unlisted": True}))
    assert browser.get(f"/v1/tenants/{other}/tree").status_code == 404


def test_an_integrator_key_cannot_sign_in(county: Client) -> None:
    """The feed's key is a program's: the page is for people."""
    _browser, response = sign_in(county, issued(county, "integrator"))
    assert response.status_code == 403


def test_unknown_keys_and_the_operators_cannot_sign_in(county: Client) -> None:
    for key in ("gl_nothing", "operator-test-key", ""):
        browser, response = sign_in(county, key)
        assert response.status_code in (401, 422)
        assert browser.get("/session").status_code == 401


def test_revoking_the_key_ends_its_sessions(county: Client) -> None:
    viewer = county.ok(county.post("keys", {"role": "viewer"}))
    browser, _ = sign_in(county, viewer["key"])
    assert browser.get(f"/v1/tenants/{county.code}/tree").status_code == 200
    county.ok(county.delete(f"keys/{viewer['key_id']}"), 204)
    assert browser.get(f"/v1/tenants/{county.code}/tree").status_code == 401
    assert browser.get("/session").status_code == 401


def test_signing_out_ends_the_session(county: Client) -> None:
    browser, response = sign_in(county, county.key)
    csrf = response.get_json()["csrf_token"]
    assert browser.delete("/session").status_code == 403  # a write: CSRF header needed
    assert browser.delete("/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert browser.get(f"/v1/tenants/{county.code}/tree").status_code == 401


def test_a_bearer_key_wins_over_a_cookie(county: Client) -> None:
    """Programs are unaffected: a bearer write needs no CSRF header, cookie or not."""
    browser, _ = sign_in(county, issued(county, "viewer"))
    created = browser.post(f"/v1/tenants/{county.code}/units", json=TOWN,
                           headers={"Authorization": f"Bearer {county.key}"})
    assert created.status_code == 201


def test_the_page_is_served_with_its_assets(county: Client) -> None:
    page = county.http.get("/")
    assert page.status_code == 200 and b'type="module"' in page.data
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    for asset in ("app.js", "api.js", "tree.js", "style.css"):
        assert county.http.get(f"/explorer/{asset}").status_code == 200
