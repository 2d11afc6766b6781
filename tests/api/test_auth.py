"""Keys and roles (API.md, Conventions and Tenants and keys).

401 for no key, a malformed ``Authorization`` header, an unknown or a revoked
key; 403 for a role too weak; 404 for everything under another county, the
same answer as for a county that does not exist. ``admin`` ⊇ ``editor`` ⊇
``viewer``; ``auditor`` reads; ``integrator`` gets the event feed only; a
``city`` key reads its city's aggregate reports and nothing of a county. Only
the operator manages tenants. Keys are kept as hashes, never in clear.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest

from conftest import OPERATOR_KEY, Client, county_code

PROBLEM = "application/problem+json"
TOWN = {"kind": "town", "name": "安阳镇", "effective_date": "2010-01-01"}


# -- Helpers -----------------------------------------------------------------


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert {"type", "title", "status"} <= body.keys() and body["status"] == status, body
    return body


def with_key(county: Client, key: str) -> Client:
    """The same county, seen through another key."""
    return Client(county.http, key, county.code)


def issue(county: Client, role: str, label: str | None = None) -> dict[str, Any]:
    key = county.ok(county.post("keys", {"role": role, "label": label or role}))
    assert key["role"] == role and key["key"]
    return key


def onboard(operator: Client, name: str = "测试县") -> Client:
    code = county_code()
    created = operator.ok(operator.post("/v1/tenants", {"code": code, "name": name, "city_code": "3303",
                                                         "unlisted": True}))
    return Client(operator.http, created["admin_key"], code)


def missing_code(operator: Client) -> str:
    """A six-digit code no county has."""
    code = county_code()
    while operator.get(f"/v1/tenants/{code}/policy").status_code != 404:
        code = county_code()
    return code


def snapshot(county: Client) -> dict[str, Any]:
    """What a refused request must leave as it was (read with the county's admin key)."""
    return {
        "changes": county.ok(county.get("changes", limit=1000), 200)["items"],
        "policy": county.ok(county.get("policy"), 200),
    }


def all_tenants(operator: Client, limit: int) -> list[list[dict[str, Any]]]:
    """Every page of ``GET /v1/tenants``, following ``next_cursor``."""
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        page = operator.ok(operator.get("/v1/tenants", **params), 200)
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


def raw_rows(storage: Any, table: str) -> list[list[Any]]:
    with storage.directory.datastore.transaction(commit=False) as curs:
        curs.execute(f"SELECT * FROM {table}")
        rows = curs.fetchall()
    return [list(row.values()) if isinstance(row, dict) else list(row) for row in rows]


# -- 401 -------------------------------------------------------------------------


NEW_TENANT = {"code": "330399", "name": "县", "city_code": "3303", "unlisted": True}
NO_KEY = [
    ("get", "units", None), ("get", "tree", None), ("get", "policy", None), ("post", "units", TOWN),
    ("post", "keys", {"role": "admin"}), ("patch", "policy", {"plans_required": False}),
    ("get", "/v1/tenants", None), ("post", "/v1/tenants", NEW_TENANT),
]


@pytest.mark.parametrize(("method", "path", "body"), NO_KEY, ids=[f"{m}-{p}" for m, p, _b in NO_KEY])
def test_no_key_is_401(county: Client, method: str, path: str, body: dict[str, Any] | None) -> None:
    before = snapshot(county)
    kwargs = {"json": body} if body else {}
    assert_problem(getattr(county.http, method)(county.url(path), **kwargs), 401)
    assert snapshot(county) == before


@pytest.mark.parametrize("header", [
    "{key}", "Token {key}", "Basic {key}", "Bearer", "Bearer ", "Bearer{key}", "Bearer {key} {key}",
    "Bearer {key}x",
])
def test_a_malformed_authorization_header_is_401(county: Client, header: str) -> None:
    response = county.http.get(county.url("units"), headers={"Authorization": header.format(key=county.key)})
    assert_problem(response, 401)


def test_the_bearer_scheme_is_case_insensitive(county: Client) -> None:
    response = county.http.get(county.url("units"), headers={"Authorization": f"bearer {county.key}"})
    assert response.status_code == 200


@pytest.mark.parametrize("key", ["nonsense", "gl_0123456789abcdef_" + "A" * 43, OPERATOR_KEY + "x",
                                 "x" * 5000])
def test_an_unknown_key_is_401(county: Client, key: str) -> None:
    before = snapshot(county)
    stranger = with_key(county, key)
    assert_problem(stranger.get("units"), 401)
    assert_problem(stranger.post("units", TOWN), 401)
    assert snapshot(county) == before


def test_no_key_is_401_whatever_the_body(county: Client) -> None:
    """Authentication comes first: a caller without a key learns nothing about the schema."""
    no_key = county.http
    assert_problem(no_key.post(county.url("units"), json={"colour": "red"}), 401)
    assert_problem(no_key.post("/v1/tenants", json={"code": "1"}), 401)


def test_a_revoked_key_is_401(county: Client) -> None:
    viewer = issue(county, "viewer")
    as_viewer = with_key(county, viewer["key"])
    assert as_viewer.get("units").status_code == 200
    response = county.delete(f"keys/{viewer['key_id']}")
    assert response.status_code == 204
    assert_problem(as_viewer.get("units"), 401)
    assert_problem(as_viewer.get("policy"), 401)
    assert_problem(county.delete(f"keys/{viewer['key_id']}"), 404)  # no live key left to revoke
    assert county.get("units").status_code == 200  # the admin's own key is untouched


def test_an_admin_can_revoke_its_own_key(county: Client) -> None:
    second = issue(county, "admin")
    as_second = with_key(county, second["key"])
    assert as_second.delete(f"keys/{second['key_id']}").status_code == 204
    assert_problem(as_second.get("units"), 401)
    assert county.get("units").status_code == 200


# -- 404 across counties ------------------------------------------------------------


@pytest.fixture
def two_counties(operator: Client) -> tuple[Client, Client, dict[str, str]]:
    """Counties A and B, with B's town and a viewer key of B."""
    a, b = onboard(operator, "甲县"), onboard(operator, "乙县")
    ids = {"town": b.unit("town", "乙镇"), "key_id": issue(b, "viewer")["key_id"]}
    return a, b, ids


CROSS = [
    ("get", "units", None), ("get", "tree", None), ("get", "changes", None), ("get", "policy", None),
    ("get", "units/{town}", None), ("get", "units/{town}/history", None),
    ("post", "units", TOWN),
    ("post", "units/{town}/renames", {"name": "改名镇", "effective_date": "2011-01-01"}),
    ("post", "keys", {"role": "admin", "label": "x"}), ("patch", "policy", {"plans_required": False}),
    ("delete", "keys/{key_id}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), CROSS, ids=[f"{m}-{p}" for m, p, _b in CROSS])
def test_another_countys_resources_are_404_like_a_missing_county(
    operator: Client, two_counties: tuple[Client, Client, dict[str, str]],
    method: str, path: str, body: dict[str, Any] | None,
) -> None:
    a, b, ids = two_counties
    before = snapshot(b)
    path = path.format(**ids)

    def answer(code: str) -> tuple[int, str, str]:
        client = Client(a.http, a.key, code)
        response = getattr(client, method)(path, body) if body else getattr(client, method)(path)
        problem = response.get_json()
        assert problem.pop("request_id")  # each request's own: the rest must be the same
        return response.status_code, response.mimetype, json.dumps(problem).replace(code, "CODE")

    nowhere = missing_code(operator)
    assert answer(b.code)[0] == 404
    assert answer(b.code) == answer(nowhere)
    assert snapshot(b) == before


def test_another_countys_key_cannot_be_revoked_through_ones_own(
        two_counties: tuple[Client, Client, dict[str, str]]) -> None:
    a, b, ids = two_counties
    assert_problem(a.delete(f"keys/{ids['key_id']}"), 404)
    assert_problem(a.delete(f"/v1/tenants/{b.code}/keys/{ids['key_id']}"), 404)
    assert with_key(b, b.key).get("units").status_code == 200
    viewer_of_b = issue(b, "viewer")
    assert_problem(a.delete(f"keys/{viewer_of_b['key_id']}"), 404)
    assert with_key(b, viewer_of_b["key"]).get("units").status_code == 200


def test_another_countys_ids_are_unknown(two_counties: tuple[Client, Client, dict[str, str]]) -> None:
    """B's unit id means nothing in A: not readable, not usable as a parent."""
    a, _b, ids = two_counties
    before = snapshot(a)
    assert_problem(a.get(f"units/{ids['town']}"), 404)
    village = {"kind": "village", "name": "甲村", "parent_id": ids["town"], "effective_date": "2011-01-01"}
    response = a.post("units", village)
    assert response.status_code in (404, 422), response.get_json()
    assert snapshot(a) == before


def test_another_countys_endpoints_are_404_even_for_an_invalid_body(
    operator: Client, two_counties: tuple[Client, Client, dict[str, str]],
) -> None:
    """"A key of tenant A gets 404 for everything under tenant B", before any validation."""
    a, b, _ids = two_counties
    other = Client(a.http, a.key, b.code)
    assert_problem(other.post("units", {"colour": "red"}), 404)
    assert_problem(other.patch("policy", {"max_veto_items": -1}), 404)


# -- 403: roles --------------------------------------------------------------------

CHANGE = {"type": "merger", "effective_date": "2011-06-01", "community": {"name": "社区"},
          "village_ids": ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"]}

# (role, method, path, body, expected status)
ROLES: list[tuple[str, str, str, dict[str, Any] | None, int]] = [
    ("viewer", "get", "units", None, 200),
    ("viewer", "get", "tree", None, 200),
    ("viewer", "get", "changes", None, 200),
    ("viewer", "get", "policy", None, 200),
    ("viewer", "post", "units", TOWN, 403),
    ("viewer", "post", "changes", CHANGE, 403),
    ("viewer", "post", "keys", {"role": "viewer"}, 403),
    ("viewer", "patch", "policy", {"plans_required": False}, 403),
    ("auditor", "get", "units", None, 200),
    ("auditor", "get", "tree", None, 200),
    ("auditor", "post", "units", TOWN, 403),
    ("editor", "get", "units", None, 200),
    ("editor", "post", "units", TOWN, 201),
    ("editor", "post", "keys", {"role": "viewer"}, 403),
    ("editor", "post", "keys", {"role": "admin"}, 403),
    ("editor", "patch", "policy", {"plans_required": False}, 403),
    ("editor", "delete", "keys/{victim}", None, 403),
    ("admin", "post", "units", TOWN, 201),
    ("admin", "post", "keys", {"role": "editor", "label": "编辑"}, 201),
    ("admin", "patch", "policy", {"coverage_target": 800}, 200),
    ("integrator", "get", "units", None, 403),
    ("integrator", "get", "tree", None, 403),
    ("integrator", "get", "policy", None, 403),
    ("integrator", "post", "units", TOWN, 403),
]


@pytest.mark.parametrize(("role", "method", "path", "body", "status"), ROLES,
                         ids=[f"{r}-{m}-{p}" for r, m, p, _b, _s in ROLES])
def test_roles(county: Client, role: str, method: str, path: str, body: dict[str, Any] | None,
               status: int) -> None:
    victim = issue(county, "viewer")
    before = snapshot(county)
    caller = with_key(county, issue(county, role)["key"])
    path = path.format(victim=victim["key_id"])
    response = getattr(caller, method)(path, body) if body else getattr(caller, method)(path)
    if status >= 400:
        assert_problem(response, status)
        assert snapshot(county) == before
        assert with_key(county, victim["key"]).get("units").status_code == 200  # not revoked
    else:
        assert response.status_code == status, response.get_json()


def test_an_admin_patch_changes_only_the_named_fields(county: Client) -> None:
    before = county.ok(county.get("policy"), 200)
    after = county.ok(county.patch("policy", {"coverage_target": 800}), 200)
    assert after == {**before, "coverage_target": 800}
    assert county.ok(county.get("policy"), 200) == after


def test_an_issued_key_works_with_its_role(county: Client) -> None:
    editor = issue(county, "editor", "编辑室")
    assert editor["label"] == "编辑室" and editor["key_id"]
    as_editor = with_key(county, editor["key"])
    town = as_editor.ok(as_editor.post("units", TOWN))["id"]
    assert county.ok(county.get(f"units/{town}", as_of="2011-01-01"), 200)["name"] == "安阳镇"


# -- The operator, tenants and city keys ------------------------------------------------


def test_the_operator_onboards_and_lists_tenants(operator: Client) -> None:
    code = county_code()
    created = operator.ok(operator.post("/v1/tenants", {"code": code, "name": "瑞安市", "city_code": "3303",
                                                         "unlisted": True}))
    assert (created["code"], created["name"], created["city_code"]) == (code, "瑞安市", "3303")
    assert created["admin_key"]
    listed = [t for page in all_tenants(operator, 1000) for t in page]
    assert {"code": code, "name": "瑞安市", "city_code": "3303"} in listed


@pytest.mark.parametrize("role", ["admin", "editor", "viewer", "auditor", "integrator"])
def test_only_the_operator_manages_tenants(county: Client, operator: Client, role: str) -> None:
    caller = with_key(county, county.key if role == "admin" else issue(county, role)["key"])
    code = county_code()
    assert_problem(caller.get("/v1/tenants"), 403)
    assert_problem(caller.post("/v1/tenants", {"code": code, "name": "县", "city_code": "3303",
                                               "unlisted": True}), 403)
    assert_problem(caller.post("/v1/cities/3303/keys", {"label": "市"}), 403)
    assert operator.get(f"/v1/tenants/{code}/policy").status_code == 404  # not onboarded


def test_a_duplicate_tenant_code_is_409(county: Client, operator: Client) -> None:
    before = snapshot(county)
    response = operator.post("/v1/tenants", {"code": county.code, "name": "冒名县", "city_code": "3304",
                                             "unlisted": True})
    assert_problem(response, 409)
    listed = [t for page in all_tenants(operator, 1000) for t in page if t["code"] == county.code]
    assert listed == [{"code": county.code, "name": "测试县", "city_code": "3303"}]
    assert snapshot(county) == before  # the first admin key still works, the county is untouched


def test_tenants_are_listed_in_pages(operator: Client) -> None:
    mine = {onboard(operator).code for _ in range(3)}
    pages = all_tenants(operator, 2)
    assert all(1 <= len(page) <= 2 for page in pages)
    codes = [t["code"] for page in pages for t in page]
    assert codes == sorted(set(codes))  # in code order, none twice
    assert mine <= set(codes)
    assert codes == [t["code"] for page in all_tenants(operator, 1000) for t in page]
    first = operator.ok(operator.get("/v1/tenants", limit=1), 200)
    assert len(first["items"]) == 1 and first["next_cursor"]


def test_a_city_key_reads_nothing_of_a_county(county: Client, operator: Client) -> None:
    """Even a county of its own city (3303): a city key sees aggregate reports only."""
    before = snapshot(county)
    city = operator.ok(operator.post("/v1/cities/3303/keys", {"label": "温州市委组织部"}))
    assert city["role"] == "city" and city["label"] == "温州市委组织部"
    as_city = with_key(county, city["key"])
    for path in ("units", "tree", "changes", "policy"):
        assert_problem(as_city.get(path), 404)
    assert_problem(as_city.post("units", TOWN), 404)
    assert_problem(as_city.post("keys", {"role": "admin"}), 404)
    assert_problem(as_city.patch("policy", {"plans_required": False}), 404)
    assert_problem(as_city.get("/v1/tenants"), 403)
    assert snapshot(county) == before


# -- Keys are kept as hashes ------------------------------------------------------------


def test_keys_are_stored_only_as_hashes(county: Client, operator: Client, storage: Any) -> None:
    roles = ("admin", "editor", "viewer", "integrator")
    secrets = [county.key] + [issue(county, role)["key"] for role in roles]
    secrets.append(operator.ok(operator.post("/v1/cities/3303/keys", {"label": "市"}))["key"])
    rows = raw_rows(storage, "platform_keys")
    text = "\n".join(repr(row) for row in rows)
    for secret in secrets:
        assert secret not in text
        assert hashlib.sha256(secret.encode()).hexdigest() in text  # the rows scanned are the right ones
    assert OPERATOR_KEY not in text


def test_idempotency_records_do_not_keep_keys_in_clear(county: Client, operator: Client,
                                                       storage: Any) -> None:
    """A retried key request must not leave the key it issued readable in the database."""
    key = county.ok(county.post("keys", {"role": "viewer"},
                                headers={"Idempotency-Key": f"key-{uuid.uuid4()}"}))
    tenant = operator.ok(operator.post(
        "/v1/tenants", {"code": county_code(), "name": "县", "city_code": "3303", "unlisted": True},
        headers={"Idempotency-Key": f"tenant-{uuid.uuid4()}"},
    ))
    text = "\n".join(repr(row) for row in raw_rows(storage, "platform_idempotency"))
    assert key["key"] not in text
    assert tenant["admin_key"] not in text
