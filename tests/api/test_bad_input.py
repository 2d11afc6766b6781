"""Bad input is refused with a 4xx problem+json, changes nothing, and never gets a 5xx.

API.md, Conventions: 400 malformed JSON, 404 unknown (or badly formed) ids in
paths, 413 a body over 1 MiB, 422 invalid fields (``errors`` names each field)
or a command refused by a rule (``rule`` names it), 409 a command that
contradicts recorded history (``conflicts`` lists the changes); "never a 500 for
input". Every refusal is checked to leave the county as it was: its changes,
units, tree and policy, read before and after.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import Client, county_code
from infra.storage import Settings, open_storage
from interfaces.cli import main

PROBLEM = "application/problem+json"
MIB = 1024 * 1024
DROP = object()  # in a case's change to a valid body: leave the field out


# -- Helpers ---------------------------------------------------------------


def assert_problem(response: Any, status: int | tuple[int, ...], field: str | None = None) -> dict[str, Any]:
    """An RFC 9457 answer with this status (and ``errors`` naming ``field``)."""
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert {"type", "title", "status"} <= body.keys(), body
    assert body["status"] == response.status_code
    if field is not None:
        named = body.get("errors", {})
        assert any(name == field or name.startswith(field + ".") for name in named), body
    return body


def state(county: Client) -> dict[str, Any]:
    """Everything a refused command must leave as it was."""
    return {
        "changes": county.ok(county.get("changes", limit=1000), 200)["items"],
        "units": county.ok(county.get("units", status="all", limit=1000), 200)["items"],
        "tree": county.ok(county.get("tree", as_of="2012-01-01"), 200)["units"],
        "policy": county.ok(county.get("policy"), 200),
    }


def key_rows(storage: Any, code: str) -> int:
    """How many keys the directory holds for county ``code``."""
    with storage.directory.datastore.transaction(commit=False) as curs:
        curs.execute("SELECT tenant_code FROM platform_keys")
        return sum(1 for row in curs.fetchall() if row["tenant_code"] == code)


def onboarded(operator: Client, code: str) -> bool:
    return operator.get(f"/v1/tenants/{code}/policy").status_code == 200


def fill(value: Any, ids: dict[str, str]) -> Any:
    """Replace ``"{town}"``-style placeholders by the ids of the world."""
    if isinstance(value, str):
        return ids.get(value[1:-1], value) if value.startswith("{") and value.endswith("}") else value
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


def send_raw(client: Client, method: str, path: str, data: str | bytes) -> Any:
    return getattr(client.http, method)(
        client.url(path), data=data, headers=client.headers({"Content-Type": "application/json"})
    )


def forged_cursor(value: Any) -> str:
    """A cursor that looks like the API's own but carries something it never gave out."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.fixture
def world(county: Client, operator: Client) -> dict[str, str]:
    """Two towns and two villages; plans are switched off so valid changes go through."""
    county.ok(county.patch("policy", {"plans_required": False, "effective_date": "2000-01-01"}), 200)
    town = county.unit("town", "安阳镇")
    ids = {
        "town": town,
        "town2": county.unit("town", "塘下镇"),
        "village": county.unit("village", "甲村", town),
        "other": county.unit("village", "乙村", town),
        "federation": str(uuid.uuid4()),  # none exists: join/leave cases fail on their fields first
        "code": county_code(),
    }
    ids["body"] = county.ok(county.post(f"units/{town}/bodies", {
        "type": "party_committee", "effective_date": "2010-01-01"}))["id"]
    ids["spare"] = county.ok(county.post(f"units/{town}/bodies", {
        "type": "social_affairs_office", "effective_date": "2010-01-01"}))["id"]
    ids["person"] = county.ok(county.post("people", {"name": "张三"}))["id"]
    ids["post"] = county.ok(county.post("posts", {
        "person_id": ids["person"], "body_id": ids["body"], "role": "member",
        "effective_date": "2011-01-01"}))["id"]
    while onboarded(operator, ids["code"]):
        ids["code"] = county_code()
    return ids


# -- Every write endpoint, a valid body, and ways to spoil it -----------------

# endpoint: (who sends it, method, path, a valid body)
ENDPOINTS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "units": ("county", "post", "units", {
        "kind": "village", "name": "丙村", "parent_id": "{town}", "effective_date": "2011-01-01",
        "authority": {"document_no": "瑞委〔2011〕1号", "issued_on": "2010-12-20"}}),
    "renames": ("county", "post", "units/{village}/renames", {
        "name": "甲新村", "effective_date": "2011-01-01"}),
    "moves": ("county", "post", "units/{village}/moves", {
        "parent_id": "{town2}", "effective_date": "2011-01-01"}),
    "dissolutions": ("county", "post", "units/{other}/dissolutions", {"effective_date": "2011-01-01"}),
    "population": ("county", "post", "units/{village}/population", {
        "effective_date": "2011-01-01", "households": 300, "residents": 1000, "floating": 50}),
    "conversion": ("county", "post", "changes", {
        "type": "conversion", "effective_date": "2011-06-01", "village_id": "{village}",
        "community": {"name": "甲社区"}}),
    "merger": ("county", "post", "changes", {
        "type": "merger", "effective_date": "2011-06-01", "village_ids": ["{village}", "{other}"],
        "community": {"name": "甲乙社区"}}),
    "federation": ("county", "post", "changes", {
        "type": "federation", "effective_date": "2011-06-01", "village_ids": ["{village}", "{other}"],
        "federation": {"name": "甲乙联居"}}),
    "federation_join": ("county", "post", "changes", {
        "type": "federation_join", "effective_date": "2011-06-01", "federation_id": "{federation}",
        "village_id": "{village}"}),
    "federation_leave": ("county", "post", "changes", {
        "type": "federation_leave", "effective_date": "2011-06-01", "federation_id": "{federation}",
        "village_id": "{village}"}),
    "plans": ("county", "post", "plans", {
        "area_type": "rural_community", "name": "甲乙规划", "village_ids": ["{village}", "{other}"],
        "effective_date": "2011-01-01"}),
    "bodies": ("county", "post", "units/{town}/bodies", {
        "type": "dispatched_agency", "effective_date": "2011-01-01", "department": "县国土资源局",
        "assessment_mode": "vertical_primary"}),
    "abolitions": ("county", "post", "bodies/{spare}/abolitions", {"effective_date": "2012-01-01"}),
    "people": ("county", "post", "people", {"name": "李四", "rank": "section",
                                            "source": "township_cadre"}),
    "posts": ("county", "post", "posts", {
        "person_id": "{person}", "body_id": "{body}", "role": "deputy_secretary",
        "effective_date": "2011-06-01", "full_time": True}),
    "post_end": ("county", "post", "posts/{post}/end", {"effective_date": "2012-01-01",
                                                        "reason": "调离"}),
    "reassignments": ("county", "post", "reassignments", {
        "post_id": "{post}", "to": {"body_id": "{spare}", "role": "director"},
        "effective_date": "2012-01-01"}),
    "keys": ("county", "post", "keys", {"role": "viewer", "label": "督查室"}),
    "policy": ("county", "patch", "policy", {"coverage_target": 800}),
    "tenants": ("operator", "post", "/v1/tenants", {
        "code": "{code}", "name": "瑞安市", "city_code": "3303", "unlisted": True}),
}

# The endpoints whose valid body needs nothing beyond the world (no federation yet).
SELF_CONTAINED = [name for name in ENDPOINTS if not name.startswith("federation_")]

# (endpoint, change to its valid body, the field ``errors`` must name)
BAD_FIELDS: list[tuple[str, dict[str, Any], str]] = [
    ("units", {"colour": "red"}, "colour"),
    ("units", {"effective_date": "2011-02-30"}, "effective_date"),
    ("units", {"effective_date": "2011/01/01"}, "effective_date"),
    # ISO 8601 forms other than YYYY-MM-DD (basic, week dates) are not dates here.
    ("units", {"effective_date": "20110101"}, "effective_date"),
    ("units", {"effective_date": "2011-W01-1"}, "effective_date"),
    ("units", {"effective_date": "2011W011"}, "effective_date"),
    ("units", {"effective_date": "2011-1-1"}, "effective_date"),
    ("units", {"authority": {"document_no": "1号", "issued_on": "20110101"}}, "authority.issued_on"),
    ("merger", {"effective_date": "2011W011"}, "effective_date"),
    ("policy", {"effective_date": "2011-W01-1"}, "effective_date"),
    ("units", {"effective_date": DROP}, "effective_date"),
    ("units", {"kind": "hamlet"}, "kind"),
    ("units", {"parent_id": "not-a-uuid"}, "parent_id"),
    ("units", {"parent_id": 42}, "parent_id"),
    ("units", {"name": ""}, "name"),
    ("units", {"name": "村" * 201}, "name"),
    ("units", {"name": "村" * 100_000}, "name"),
    ("units", {"name": ["丙村"]}, "name"),
    ("units", {"code": "33038110A001"}, "code"),
    ("units", {"authority": {"document_no": "1号", "issued_on": "2011-02-29"}}, "authority.issued_on"),
    ("units", {"authority": {"issued_by": "温州市委"}}, "authority.document_no"),
    ("renames", {"name": "村" * 201}, "name"),
    ("renames", {"name": DROP}, "name"),
    ("renames", {"effective_date": "2011-02-30"}, "effective_date"),
    ("renames", {"kind": "town"}, "kind"),
    ("moves", {"parent_id": "123"}, "parent_id"),
    ("moves", {"effective_date": "2011-04-31"}, "effective_date"),
    ("dissolutions", {"effective_date": None}, "effective_date"),
    ("dissolutions", {"effective_date": "2011-02-30"}, "effective_date"),
    ("dissolutions", {"reason": "合并"}, "reason"),
    ("population", {"households": -1}, "households"),
    ("population", {"households": "300"}, "households"),
    ("population", {"households": 2.5}, "households"),
    ("population", {"households": True}, "households"),
    ("population", {"floating": 10**12}, "floating"),
    ("population", {"floating": DROP}, "floating"),
    ("population", {"effective_date": "2011-02-30"}, "effective_date"),
    ("conversion", {"village_id": "甲村"}, "village_id"),
    ("conversion", {"community": DROP}, "community"),
    ("conversion", {"community": {"name": ""}}, "community.name"),
    ("conversion", {"village_ids": ["{village}"]}, "village_ids"),
    ("merger", {"type": "annexation"}, "type"),
    ("merger", {"effective_date": "2011-02-30"}, "effective_date"),
    ("merger", {"village_ids": ["not-a-uuid", "{other}"]}, "village_ids"),
    ("merger", {"village_ids": []}, "village_ids"),
    ("merger", {"village_ids": "{village}"}, "village_ids"),
    ("merger", {"community": {"name": "甲乙社区", "code": "123"}}, "community.code"),
    ("federation", {"federation": {"name": "甲乙联居", "colour": "red"}}, "federation.colour"),
    ("federation", {"community": {"name": "甲乙社区"}}, "community"),
    ("federation_join", {"federation_id": "联居"}, "federation_id"),
    ("federation_join", {"effective_date": "2011-02-30"}, "effective_date"),
    ("federation_leave", {"village_id": DROP}, "village_id"),
    ("plans", {"area_type": "village"}, "area_type"),
    ("plans", {"village_ids": []}, "village_ids"),
    ("plans", {"village_ids": ["{village}", 7]}, "village_ids"),
    ("plans", {"effective_date": "2011-02-30"}, "effective_date"),
    ("plans", {"name": "规" * 201}, "name"),
    ("bodies", {"type": "palace"}, "type"),
    ("bodies", {"department": DROP}, "department"),
    ("bodies", {"assessment_mode": "by_lottery"}, "assessment_mode"),
    ("bodies", {"hall_area": 200}, "hall_area"),
    ("bodies", {"effective_date": "2011-02-30"}, "effective_date"),
    ("abolitions", {"effective_date": DROP}, "effective_date"),
    ("people", {"name": DROP}, "name"),
    ("people", {"name": "张" * 201}, "name"),
    ("people", {"rank": "general"}, "rank"),
    ("people", {"source": "lottery"}, "source"),
    ("posts", {"person_id": "张三"}, "person_id"),
    ("posts", {"role": "emperor"}, "role"),
    ("posts", {"full_time": "yes"}, "full_time"),
    ("posts", {"consent": {"issued_by": "党委"}}, "consent.document_no"),
    ("post_end", {"effective_date": "2012-02-30"}, "effective_date"),
    ("post_end", {"person_id": "{person}"}, "person_id"),
    ("reassignments", {"to": {"body_id": "{spare}"}}, "to.role"),
    ("reassignments", {"to": DROP}, "to"),
    ("reassignments", {"post_id": 7}, "post_id"),
    ("keys", {"role": "superuser"}, "role"),
    ("keys", {"role": "city"}, "role"),
    ("keys", {"role": "operator"}, "role"),
    ("keys", {"label": "x" * 201}, "label"),
    ("keys", {"tenant_code": "{code}"}, "tenant_code"),
    ("policy", {"plans_required": "maybe"}, "plans_required"),
    ("policy", {"max_veto_items": -1}, "max_veto_items"),
    ("policy", {"max_veto_items": 1.5}, "max_veto_items"),
    ("policy", {"coverage_target": "many"}, "coverage_target"),
    ("policy", {"colour": "red"}, "colour"),
    ("tenants", {"code": "33038"}, "code"),
    ("tenants", {"code": "3303810"}, "code"),
    ("tenants", {"code": "33038a"}, "code"),
    ("tenants", {"code": "３３０３８１"}, "code"),
    ("tenants", {"code": 330381}, "code"),
    # Six digits that no county can have: no province, a city's (…00), the country's.
    ("tenants", {"code": "000000"}, "code"),
    ("tenants", {"code": "999999"}, "code"),
    ("tenants", {"code": "700101"}, "code"),
    ("tenants", {"code": "160101"}, "code"),
    ("tenants", {"code": "330300"}, "code"),
    ("tenants", {"code": "330000"}, "code"),
    ("tenants", {"city_code": "330"}, "city_code"),
    ("tenants", {"name": ""}, "name"),
    ("tenants", {"admin_key": "my-own-key"}, "admin_key"),
]


def spoil(body: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    spoilt = {**body, **change}
    return {k: v for k, v in spoilt.items() if v is not DROP}


def send(county: Client, operator: Client, endpoint: str, body: Any, ids: dict[str, str]) -> Any:
    who, method, path, _valid = ENDPOINTS[endpoint]
    client = operator if who == "operator" else county
    return getattr(client, method)(path.format(**ids), fill(body, ids))


def send_data(county: Client, operator: Client, endpoint: str, data: str | bytes,
              ids: dict[str, str]) -> Any:
    who, method, path, _valid = ENDPOINTS[endpoint]
    return send_raw(operator if who == "operator" else county, method, path.format(**ids), data)


class Unchanged:
    """Reads the county (and its keys and the tenant list) before and after a refusal."""

    def __init__(self, county: Client, operator: Client, storage: Any, ids: dict[str, str]):
        self.county, self.operator, self.storage, self.ids = county, operator, storage, ids
        self.before = self.read()

    def read(self) -> dict[str, Any]:
        return {
            **state(self.county),
            "keys": key_rows(self.storage, self.county.code),
            "new tenant onboarded": onboarded(self.operator, self.ids["code"]),
        }

    def check(self) -> None:
        assert self.read() == self.before


@pytest.mark.parametrize("endpoint", SELF_CONTAINED)
def test_the_valid_bodies_are_accepted(county: Client, operator: Client, world: dict[str, str],
                                       endpoint: str) -> None:
    """The baseline of the cases below: each spoils one field of a body that works."""
    response = send(county, operator, endpoint, ENDPOINTS[endpoint][3], world)
    assert response.status_code in (200, 201), response.get_json()


@pytest.mark.parametrize(
    ("endpoint", "change", "field"), BAD_FIELDS,
    ids=[f"{e}-{f}-{i}" for i, (e, _c, f) in enumerate(BAD_FIELDS)],
)
def test_invalid_fields_are_422_naming_the_field(county: Client, operator: Client, storage: Any,
                                                 world: dict[str, str], endpoint: str,
                                                 change: dict[str, Any], field: str) -> None:
    unchanged = Unchanged(county, operator, storage, world)
    response = send(county, operator, endpoint, spoil(ENDPOINTS[endpoint][3], change), world)
    assert_problem(response, 422, field)
    unchanged.check()


MALFORMED = {
    "garbage": "{bad",
    "truncated": '{"name": "甲村", "effective_date": "2011-01-01"',
    "single quotes": "{'name': '甲村'}",
    "trailing comma": '{"name": "甲村",}',
    "not utf-8": b'{"name": "\xff\xfe"}',
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("payload", list(MALFORMED))
def test_malformed_json_is_400(county: Client, operator: Client, storage: Any, world: dict[str, str],
                               endpoint: str, payload: str) -> None:
    unchanged = Unchanged(county, operator, storage, world)
    assert_problem(send_data(county, operator, endpoint, MALFORMED[payload], world), 400)
    unchanged.check()


@pytest.mark.parametrize("endpoint", ["units", "renames", "population", "merger", "plans", "keys",
                                      "policy", "tenants"])
@pytest.mark.parametrize("payload", ["[]", "null", '"甲村"', "42", "true"])
def test_json_that_is_not_an_object_is_422(county: Client, operator: Client, storage: Any,
                                           world: dict[str, str], endpoint: str, payload: str) -> None:
    unchanged = Unchanged(county, operator, storage, world)
    assert_problem(send_data(county, operator, endpoint, payload, world), 422)
    unchanged.check()


@pytest.mark.parametrize("endpoint", ["units", "renames", "merger", "plans", "keys", "policy", "tenants"])
def test_a_body_over_one_mib_is_413(county: Client, operator: Client, storage: Any,
                                    world: dict[str, str], endpoint: str) -> None:
    unchanged = Unchanged(county, operator, storage, world)
    body = {**ENDPOINTS[endpoint][3], "padding": "x" * (MIB + 1)}
    assert_problem(send(county, operator, endpoint, body, world), 413)
    unchanged.check()


@pytest.mark.parametrize("endpoint", ["units", "merger", "policy", "tenants"])
def test_deeply_nested_json_is_4xx(county: Client, operator: Client, storage: Any,
                                   world: dict[str, str], endpoint: str) -> None:
    """Well under 1 MiB, but deeper than a recursive parser goes."""
    unchanged = Unchanged(county, operator, storage, world)
    depth = 100_000
    response = send_data(county, operator, endpoint, '{"name": ' + "[" * depth + "]" * depth + "}", world)
    assert_problem(response, (400, 422))
    unchanged.check()


@pytest.mark.parametrize("endpoint", ["population", "policy"])
def test_an_integer_of_5000_digits_is_4xx(county: Client, operator: Client, storage: Any,
                                          world: dict[str, str], endpoint: str) -> None:
    unchanged = Unchanged(county, operator, storage, world)
    field = "households" if endpoint == "population" else "max_veto_items"
    body = json.dumps(ENDPOINTS[endpoint][3] | {field: 0})
    body = body.replace(f'"{field}": 0', f'"{field}": ' + "9" * 5000)
    assert_problem(send_data(county, operator, endpoint, body, world), (400, 422))
    unchanged.check()


@pytest.mark.parametrize(("endpoint", "field"), [
    ("units", "name"), ("renames", "name"), ("plans", "name"), ("keys", "label"), ("tenants", "name"),
])
def test_a_nul_character_never_gets_a_5xx(county: Client, operator: Client, world: dict[str, str],
                                          endpoint: str, field: str) -> None:
    """A NUL is either refused (4xx) or kept like any other character; the county stays readable."""
    body = ENDPOINTS[endpoint][3] | {field: "甲\x00村"}
    response = send(county, operator, endpoint, body, world)
    assert response.status_code < 500, response.get_json()
    if response.status_code >= 400:
        assert_problem(response, response.status_code)
    state(county)  # every read still answers 200


def test_a_nul_character_in_a_query_never_gets_a_5xx(county: Client, world: dict[str, str]) -> None:
    response = county.get("units", q="甲\x00")
    assert response.status_code < 500, response.get_json()


# -- Query parameters of reads ------------------------------------------------

# (path, query, status, field named in errors)
BAD_READS: list[tuple[str, dict[str, Any], int | tuple[int, ...], str | None]] = [
    ("tree", {"as_of": "2011-02-30"}, 422, "as_of"),
    ("tree", {"as_of": "yesterday"}, 422, "as_of"),
    ("tree", {"known_at": "2011-06-01T00:00:00"}, 422, "known_at"),
    ("tree", {"known_at": "2011-06-01 08:00"}, 422, "known_at"),
    ("units", {"as_of": "2011-02-30"}, 422, "as_of"),
    ("units", {"as_of": "20110101"}, 422, "as_of"),
    ("tree", {"as_of": "2011-W01-1"}, 422, "as_of"),
    ("units/{village}", {"as_of": "2011W011"}, 422, "as_of"),
    ("diff", {"from": "20110101", "to": "2012-01-01"}, 422, "from"),
    ("diff", {"from": "2011-01-01", "to": "2012W011"}, 422, "to"),
    ("changes", {"to": "2011-W01-1"}, 422, "to"),
    ("units", {"known_at": "2011-06-01T00:00:00"}, 422, "known_at"),
    ("units", {"kind": "hamlet"}, 422, "kind"),
    ("units", {"status": "gone"}, 422, "status"),
    ("units", {"parent_id": "not-a-uuid"}, 422, "parent_id"),
    ("units", {"q": "村" * 101}, 422, "q"),
    ("units", {"limit": 0}, 422, "limit"),
    ("units", {"limit": 5000}, 422, "limit"),
    ("units", {"limit": "ten"}, 422, "limit"),
    ("units", {"cursor": "not a cursor!"}, (400, 422), None),
    ("units", {"cursor": forged_cursor(5)}, (400, 422), None),
    ("units", {"cursor": forged_cursor({"after": "甲村"})}, (400, 422), None),
    ("units/{village}", {"as_of": "2011-02-30"}, 422, "as_of"),
    ("units/{village}", {"known_at": "2011-06-01T00:00:00"}, 422, "known_at"),
    ("units/{village}/history", {"known_at": "2011-06-01T00:00:00"}, 422, "known_at"),
    ("units/{village}/lineage", {"known_at": "noon"}, 422, "known_at"),
    ("changes", {"from": "2011-02-30"}, 422, "from"),
    ("changes", {"limit": 0}, 422, "limit"),
    ("changes", {"limit": 5000}, 422, "limit"),
    ("changes", {"cursor": "%%%"}, (400, 422), None),
    ("changes", {"cursor": forged_cursor("甲村")}, (400, 422), None),
    ("diff", {"from": "2011-02-30", "to": "2012-01-01"}, 422, "from"),
    ("diff", {"to": "2012-01-01"}, 422, "from"),
    ("diff", {"from": "2012-01-01", "to": "2011-01-01"}, 422, "to"),
    ("reports/changes", {"from": "2012-01-01", "to": "2011-01-01"}, 422, "to"),
    ("/v1/cities/3303/reports/changes", {"from": "2012-01-01", "to": "2011-01-01"}, 422, "to"),
    ("diff", {"from": "2011-01-01", "to": "2012-01-01", "known_at": "2011-06-01T00:00:00"}, 422, "known_at"),
]


@pytest.mark.parametrize(
    ("path", "query", "status", "field"), BAD_READS,
    ids=[f"{p}-{'-'.join(q)}-{i}" for i, (p, q, _s, _f) in enumerate(BAD_READS)],
)
def test_bad_query_parameters_are_4xx(county: Client, world: dict[str, str], path: str,
                                      query: dict[str, Any], status: int | tuple[int, ...],
                                      field: str | None) -> None:
    before = state(county)
    assert_problem(county.get(path.format(**world), **query), status, field)
    assert state(county) == before


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 5000}, {"limit": "all"}, {"cursor": "@@"}])
def test_bad_paging_of_the_tenant_list_is_4xx(operator: Client, query: dict[str, Any]) -> None:
    assert_problem(operator.get("/v1/tenants", **query), (400, 422))


@pytest.mark.parametrize("cursor", [forged_cursor(True), forged_cursor(10**30), forged_cursor(-1)],
                         ids=["boolean", "beyond-64-bits", "negative"])
def test_forged_change_cursors_never_get_a_5xx(county: Client, world: dict[str, str], cursor: str) -> None:
    """Positions the API never gave out (a boolean, beyond 64 bits): refused or an empty page."""
    response = county.get("changes", cursor=cursor)
    assert response.status_code < 500, response.get_json()
    if response.status_code >= 400:
        assert_problem(response, (400, 422))


def test_a_cursor_from_another_list_is_4xx(county: Client, world: dict[str, str]) -> None:
    """A client mixing up its cursors gets a 4xx, whichever list the cursor came from."""
    changes_cursor = county.ok(county.get("changes", limit=1), 200)["next_cursor"]
    units_cursor = county.ok(county.get("units", limit=1), 200)["next_cursor"]
    assert changes_cursor and units_cursor
    assert_problem(county.get("units", cursor=changes_cursor), (400, 422))
    assert_problem(county.get("changes", cursor=units_cursor), (400, 422))


def test_the_last_calendar_day_is_answered_or_refused(county: Client, world: dict[str, str]) -> None:
    """9999-12-31 is a valid date: either the towns of 2010 stand on it, or it is refused (422).

    Never a silently empty county.
    """
    response = county.get("tree", as_of="9999-12-31")
    if response.status_code == 422:
        assert_problem(response, 422, "as_of")
    else:
        tree = county.ok(response, 200)
        assert sorted(node["name"] for node in tree["units"]) == ["塘下镇", "安阳镇"]


# -- Ids in paths and bodies -----------------------------------------------------

UNKNOWN = "00000000-0000-4000-8000-000000000000"

BAD_PATHS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("get", "units/not-a-uuid", None),
    ("get", "units/12345/history", None),
    ("get", f"units/{UNKNOWN}", None),
    ("get", f"units/{UNKNOWN}/history", None),
    ("get", f"units/{UNKNOWN}/lineage", None),
    ("get", "changes/not-a-uuid", None),
    ("get", f"changes/{UNKNOWN}", None),
    ("post", "units/not-a-uuid/renames", {"name": "新村", "effective_date": "2011-01-01"}),
    ("post", f"units/{UNKNOWN}/renames", {"name": "新村", "effective_date": "2011-01-01"}),
    ("post", f"units/{UNKNOWN}/moves", {"parent_id": "{town}", "effective_date": "2011-01-01"}),
    ("post", "units/{village}-0/dissolutions", {"effective_date": "2011-01-01"}),
    ("post", f"units/{UNKNOWN}/dissolutions", {"effective_date": "2011-01-01"}),
    ("post", f"units/{UNKNOWN}/population", {"effective_date": "2011-01-01", "households": 1, "floating": 0}),
    ("post", f"units/{UNKNOWN}/bodies", {"type": "government", "effective_date": "2011-01-01"}),
    ("post", f"bodies/{UNKNOWN}/abolitions", {"effective_date": "2011-01-01"}),
    ("post", f"posts/{UNKNOWN}/end", {"effective_date": "2011-01-01"}),
    ("get", f"bodies/{UNKNOWN}", None),
    ("get", f"people/{UNKNOWN}/posts", None),
    ("get", f"units/{UNKNOWN}/roster", None),
    ("delete", f"people/{UNKNOWN}", None),
    ("delete", f"keys/{UNKNOWN}", None),
    ("get", "/v1/tenants/12345/units", None),
    ("get", "/v1/tenants/1234567/tree", None),
    ("get", "/v1/tenants/abcdef/policy", None),
    ("post", "/v1/tenants/12345/units", {"kind": "town", "name": "新镇", "effective_date": "2011-01-01"}),
    ("post", "/v1/tenants/３３０３８１/keys", {"role": "viewer"}),
    ("patch", "/v1/tenants/33038/policy", {"plans_required": False}),
]


@pytest.mark.parametrize(("method", "path", "body"), BAD_PATHS,
                         ids=[f"{m}-{p}" for m, p, _b in BAD_PATHS])
def test_unknown_or_malformed_ids_in_paths_are_404(county: Client, operator: Client, storage: Any,
                                                   world: dict[str, str], method: str, path: str,
                                                   body: dict[str, Any] | None) -> None:
    unchanged = Unchanged(county, operator, storage, world)
    path = path.format(**world)
    response = getattr(county, method)(path, fill(body, world)) if body else getattr(county, method)(path)
    assert_problem(response, 404)
    unchanged.check()


def test_a_city_code_that_is_not_four_digits_is_404(operator: Client) -> None:
    assert_problem(operator.post("/v1/cities/33/keys", {"label": "市委办"}), 404)


BODY_IDS: list[tuple[str, dict[str, Any]]] = [
    ("units", {"parent_id": UNKNOWN}),
    ("moves", {"parent_id": UNKNOWN}),
    ("merger", {"village_ids": ["{village}", UNKNOWN]}),
    ("conversion", {"community": {"name": "甲社区", "parent_id": UNKNOWN}}),
    ("federation_join", {"federation_id": UNKNOWN}),
    ("plans", {"village_ids": [UNKNOWN]}),
    ("posts", {"person_id": UNKNOWN}),
    ("posts", {"body_id": UNKNOWN}),
    ("reassignments", {"to": {"body_id": UNKNOWN, "role": "member"}}),
    ("reassignments", {"post_id": UNKNOWN}),
]


@pytest.mark.parametrize(("endpoint", "change"), BODY_IDS, ids=[e for e, _c in BODY_IDS])
def test_unknown_ids_in_bodies_are_404_or_422(county: Client, operator: Client, storage: Any,
                                              world: dict[str, str], endpoint: str,
                                              change: dict[str, Any]) -> None:
    unchanged = Unchanged(county, operator, storage, world)
    response = send(county, operator, endpoint, spoil(ENDPOINTS[endpoint][3], change), world)
    assert_problem(response, (404, 422))
    unchanged.check()


# -- Arbitrary JSON ----------------------------------------------------------------

FIELD_NAMES = sorted({
    "kind", "name", "code", "parent_id", "effective_date", "authority", "document_no", "type",
    "village_id", "village_ids", "community", "federation", "federation_id", "households", "floating",
    "person_id", "body_id", "post_id", "role", "full_time", "to", "consent", "department",
})
LEAVES = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.sampled_from(["town", "village", "merger", "federation", "conversion", "2011-06-01",
                       "2011-02-30", "{town}", "{village}", "{other}", "{person}", "{body}",
                       "{post}", "secretary", "member"])
)
JSON_VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=16,
)
BODIES = JSON_VALUES | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=12), JSON_VALUES,
                                       max_size=8)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["units", "changes", "posts", "reassignments", "people"]), body=BODIES)
def test_arbitrary_json_never_gets_a_5xx(county: Client, world: dict[str, str], path: str, body: Any) -> None:
    """Any JSON value, often with the right field names and real ids: 201 or a 4xx problem."""
    response = send_raw(county, "post", path, json.dumps(fill(body, world), ensure_ascii=False))
    event(f"{path}: {response.status_code}")
    assert response.status_code < 500, (body, response.get_data(as_text=True))
    if response.status_code >= 400:
        assert_problem(response, response.status_code)
    else:
        assert response.status_code == 201


# NUL is tested above; a lone surrogate cannot even be encoded as UTF-8 to be sent.
NO_NUL_TEXT = st.text(alphabet=st.characters(blacklist_characters="\x00",
                                             blacklist_categories=("Cs",)))
FIELD_VALUES = (
    st.dates().map(str)
    | st.sampled_from(["{town}", "{town2}", "{village}", "{other}", "{person}", "{body}", "{post}"])
    | st.lists(st.sampled_from(["{town}", "{village}", "{other}"]), max_size=4)
    | st.integers() | st.booleans() | st.none() | NO_NUL_TEXT
    | st.dictionaries(st.sampled_from(["name", "code", "parent_id", "document_no"]), NO_NUL_TEXT, max_size=3)
)
FUZZED = [name for name in SELF_CONTAINED if name not in ("keys", "policy", "tenants")]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_one_odd_field_in_a_valid_body_never_gets_a_5xx(county: Client, operator: Client,
                                                        world: dict[str, str], data: Any) -> None:
    """Schema-valid but odd values (any date, the wrong unit, a repeated village) reach the
    domain rules: each is accepted or refused with a 4xx problem, never a 5xx."""
    endpoint = data.draw(st.sampled_from(FUZZED), label="endpoint")
    valid = ENDPOINTS[endpoint][3]
    field = data.draw(st.sampled_from(sorted(valid)), label="field")
    body = {**valid, field: data.draw(FIELD_VALUES, label="value")}
    response = send(county, operator, endpoint, body, world)
    event(f"{endpoint}: {response.status_code}")
    assert response.status_code < 500, (body, response.get_data(as_text=True))
    if response.status_code >= 400:
        assert_problem(response, response.status_code)
    state(county)  # the county still answers


# -- Domain rules refuse commands, and nothing changes -------------------------------


@pytest.fixture
def villages(county: Client) -> tuple[str, list[str]]:
    """A town with four villages, under the default policy (plans required)."""
    town = county.unit("town", "安阳镇")
    return town, [county.unit("village", name, town) for name in ("甲村", "乙村", "丙村", "丁村")]


def refused(county: Client, path: str, body: dict[str, Any], status: int, rule: str | tuple[str, ...]
            ) -> dict[str, Any]:
    before = state(county)
    problem = assert_problem(county.post(path, body), status)
    assert problem.get("rule") in ((rule,) if isinstance(rule, str) else rule), problem
    assert state(county) == before
    return problem


def merger(village_ids: list[str], day: str = "2011-06-01") -> dict[str, Any]:
    return {"type": "merger", "effective_date": day, "village_ids": village_ids,
            "community": {"name": "新社区"}}


def federation(village_ids: list[str], day: str = "2011-06-01") -> dict[str, Any]:
    return {"type": "federation", "effective_date": day, "village_ids": village_ids,
            "federation": {"name": "联居"}}


def test_a_merger_of_one_village_is_422_h2(county: Client, villages: tuple[str, list[str]]) -> None:
    _town, (a, *_rest) = villages
    county.plan("rural_community", [a])
    refused(county, "changes", merger([a]), 422, "H2")


def test_a_village_under_a_village_is_422_h4(county: Client, villages: tuple[str, list[str]]) -> None:
    _town, (a, *_rest) = villages
    body = {"kind": "village", "name": "戊村", "parent_id": a, "effective_date": "2011-01-01"}
    refused(county, "units", body, 422, "H4")


def test_a_merger_without_a_plan_is_422_h3(county: Client, villages: tuple[str, list[str]]) -> None:
    assert county.ok(county.get("policy"), 200)["plans_required"] is True
    _town, (a, b, *_rest) = villages
    refused(county, "changes", merger([a, b]), 422, "H3")


def test_merging_a_merged_village_is_409_naming_the_merger(county: Client,
                                                           villages: tuple[str, list[str]]) -> None:
    _town, (a, b, c, _d) = villages
    county.plan("rural_community", [a, b, c])
    first = county.ok(county.post("changes", merger([a, b])))["change_id"]
    problem = refused(county, "changes", merger([a, c], "2011-07-01"), 409, "H1")
    assert first in problem.get("conflicts", []), problem
    assert "already belongs to a community" in problem["detail"]
    # A village dissolved is gone, not in a community: H4 still.
    county.plan("rural_community", [_d, c], "2011-08-01")
    county.ok(county.post(f"units/{_d}/dissolutions", {"effective_date": "2011-09-01"}))
    refused(county, "changes", merger([_d, c], "2011-10-01"), 409, "H4")


def test_federating_a_federated_village_is_409(county: Client, villages: tuple[str, list[str]]) -> None:
    _town, (a, b, c, _d) = villages
    county.plan("federation", [a, b, c])
    first = county.ok(county.post("changes", federation([a, b])))["change_id"]
    problem = refused(county, "changes", federation([b, c], "2011-07-01"), 409, ("H1", "H2"))
    assert first in problem.get("conflicts", []), problem


def test_population_on_a_federation_is_422(county: Client, villages: tuple[str, list[str]]) -> None:
    _town, (a, b, *_rest) = villages
    county.plan("federation", [a, b])
    fed = county.ok(county.post("changes", federation([a, b])))["created_unit_ids"][0]
    before = state(county)
    problem = assert_problem(county.post(f"units/{fed}/population", {
        "effective_date": "2011-07-01", "households": 800, "floating": 100}), 422)
    assert problem.get("rule"), problem
    assert state(county) == before


def test_renaming_before_establishment_is_409_h4(county: Client, villages: tuple[str, list[str]]) -> None:
    _town, (a, *_rest) = villages
    refused(county, f"units/{a}/renames", {"name": "甲新村", "effective_date": "2009-12-31"}, 409, "H4")


@pytest.mark.parametrize("code", ["000000", "330300", "999999", "160101"])
def test_the_command_line_onboards_no_code_that_cannot_be_a_county(tmp_path: Path, code: str) -> None:
    # The code is refused before any storage is touched; on SQLite, because each
    # invocation keeps its PostgreSQL pool open until the test process ends.
    store_url = f"sqlite:///{tmp_path / 'var'}"
    result = CliRunner().invoke(main, ["tenants", "create", code, "县", "3303"],
                                env={"GRASSROOTS_DATABASE_URL": store_url})
    assert result.exit_code != 0
    assert code in result.output
    storage = open_storage(Settings(database_url=store_url))
    try:
        assert storage.directory.tenant(code) is None
    finally:
        storage.close()


@pytest.mark.parametrize("code", ["110101", "230102", "540102", "620102", "441900"])
def test_a_code_a_release_lists_is_onboarded(operator: Client, code: str) -> None:
    """东莞市 441900 ends in 00, yet the releases list it as a county-level unit."""
    operator.ok(operator.post("/v1/tenants", {"code": code, "name": "县", "city_code": code[:4]}))


def test_a_code_no_release_lists_needs_the_operator_to_say_so(operator: Client) -> None:
    code = county_code()
    refused = operator.post("/v1/tenants", {"code": code, "name": "县", "city_code": "6500"})
    assert refused.status_code == 422 and "no division release" in refused.get_json()["detail"]
    assert operator.get(f"/v1/tenants/{code}").status_code == 404
    operator.ok(operator.post("/v1/tenants", {"code": code, "name": "县", "city_code": "6500",
                                              "unlisted": True}))
