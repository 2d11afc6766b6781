"""Bodies, people and posts over REST on both stores: rosters on any date, the
staffing rules H5 and H6, reassignments, the bodies 转/并/联 found, and erasure."""

from __future__ import annotations

from string import Template
from typing import Any

import pytest

from conftest import Client


def body(county: Client, unit: str, kind: str, effective_date: str = "2010-01-01",
         **extra: Any) -> str:
    return county.ok(county.post(f"units/{unit}/bodies",
                                 {"type": kind, "effective_date": effective_date, **extra}))["id"]


def person(county: Client, name: str, **extra: Any) -> str:
    return county.ok(county.post("people", {"name": name, **extra}))["id"]


def appoint(county: Client, person_id: str, body_id: str, role: str,
            effective_date: str = "2011-01-01", **extra: Any) -> Any:
    return county.post("posts", {"person_id": person_id, "body_id": body_id, "role": role,
                                 "effective_date": effective_date, **extra})


def roster(county: Client, unit: str, **moment: str) -> dict[str, list[tuple[str, str]]]:
    """{body type: sorted [(person name, role)]} on a date."""
    answer = county.ok(county.get(f"units/{unit}/roster", **moment), 200)
    return {b["type"]: sorted((p["person_name"], p["role"]) for p in b["posts"])
            for b in answer["bodies"]}


def test_a_roster_answers_who_held_which_post_on_any_date(county: Client) -> None:
    town = county.unit("central_town", "塘下镇")
    committee = body(county, town, "party_committee")
    zhang, li = person(county, "张三", rank="section"), person(county, "李四")
    first = county.ok(appoint(county, zhang, committee, "secretary", "2011-01-01"))
    county.ok(county.post(f"posts/{first['id']}/end", {"effective_date": "2013-01-01"}))
    county.ok(appoint(county, li, committee, "secretary", "2013-01-01"))

    assert roster(county, town, as_of="2010-06-01") == {"party_committee": []}
    assert roster(county, town, as_of="2012-12-31") == {"party_committee": [("张三", "secretary")]}
    assert roster(county, town, as_of="2013-01-01") == {"party_committee": [("李四", "secretary")]}

    unit = county.ok(county.get(f"units/{town}"), 200)
    assert [(b["id"], b["type"], b["name"]) for b in unit["bodies"]] == [
        (committee, "party_committee", "塘下镇党委")]
    posts = county.ok(county.get(f"people/{zhang}/posts", as_of="2012-01-01"), 200)["items"]
    assert [(p["body_id"], p["role"], p["since"], p["until"]) for p in posts] == [
        (committee, "secretary", "2011-01-01", "2013-01-01")]


# A roster's answer, byte for byte: it is serialised by hand, not by its schema.
ROSTER = Template(
    '{"unit_id":"$town","as_of":"2012-06-01","known_at":"2100-01-01T08:00:00+08:00",'
    '"bodies":['
    '{"id":"$government","unit_id":"$town","type":"government","name":"塘下镇人民政府",'
    '"attributes":{},"established_on":"2010-01-01","abolished_on":null,"posts":[]},'
    '{"id":"$committee","unit_id":"$town","type":"party_committee","name":"塘下镇党委",'
    '"attributes":{},"established_on":"2010-01-01","abolished_on":null,"posts":['
    '{"id":"$ended","unit_id":"$town","person_id":"$zhang","person_name":"张三",'
    '"person_erased":false,"role":"secretary","full_time":false,"concurrent":false,'
    '"since":"2011-01-01","until":"2013-01-01"},'
    '{"id":"$concurrent","unit_id":"$town","person_id":"$erased","person_name":null,'
    '"person_erased":true,"role":"member","full_time":false,"concurrent":true,'
    '"since":"2011-03-01","until":null}]},'
    '{"id":"$centre","unit_id":"$town","type":"service_centre","name":"塘下镇便民服务中心",'
    '"attributes":{"hall_area":800,"unifications":["外观设计","窗口布局"],'
    '"windows":["综合受理","社保"]},"established_on":"2010-01-01","abolished_on":null,'
    '"posts":[{"id":"$full_time","unit_id":"$town","person_id":"$quoted",'
    '"person_name":"O\\"Neil \\\\ 李","person_erased":false,"role":"member",'
    '"full_time":true,"concurrent":false,"since":"2012-06-01","until":null}]}]}')


def test_a_roster_answers_the_same_bytes_on_both_stores(county: Client) -> None:
    town = county.unit("central_town", "塘下镇")
    committee = body(county, town, "party_committee")
    government = body(county, town, "government")
    centre = body(county, town, "service_centre", hall_area=800, windows=["综合受理", "社保"],
                  unifications=["外观设计", "窗口布局"])
    zhang, quoted = person(county, "张三", rank="section"), person(county, 'O"Neil \\ 李')
    erased, later = person(county, "王五"), person(county, "赵六")
    ended = county.ok(appoint(county, zhang, committee, "secretary", "2011-01-01"))["id"]
    county.ok(county.post(f"posts/{ended}/end", {"effective_date": "2013-01-01"}))
    full_time = county.ok(appoint(county, quoted, centre, "member", "2012-06-01",
                                  full_time=True))["id"]
    concurrent = county.ok(appoint(county, erased, committee, "member", "2011-03-01",
                                   concurrent=True))["id"]
    county.ok(appoint(county, later, committee, "member", "2012-06-02"))  # the day after
    assert county.delete(f"people/{erased}").status_code == 204

    answer = county.get(f"units/{town}/roster", as_of="2012-06-01",
                        known_at="2100-01-01T08:00:00+08:00")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.get_data(as_text=True) == ROSTER.substitute(
        town=town, government=government, committee=committee, centre=centre, zhang=zhang,
        quoted=quoted, erased=erased, ended=ended, full_time=full_time, concurrent=concurrent)


def test_a_roster_known_at_a_past_time_shows_what_was_believed_then(county: Client) -> None:
    town = county.unit("town", "安阳镇")
    committee = body(county, town, "party_committee")
    zhang = person(county, "张三")
    appointed = county.ok(appoint(county, zhang, committee, "secretary", "2011-01-01"))
    before_end = appointed["recorded_at"]
    ended = county.ok(county.post(f"posts/{appointed['id']}/end", {"effective_date": "2011-06-01"}))

    assert roster(county, town, as_of="2012-01-01") == {"party_committee": []}
    assert roster(county, town, as_of="2012-01-01", known_at=before_end) == {
        "party_committee": [("张三", "secretary")]}
    county.ok(county.post(f"changes/{ended['change_id']}/retraction", {"reason": "录入错误"}))
    assert roster(county, town, as_of="2012-01-01") == {"party_committee": [("张三", "secretary")]}


def test_a_reassignment_never_shows_the_person_in_both_posts_or_in_neither(county: Client) -> None:
    town = county.unit("central_town", "塘下镇")
    committee = body(county, town, "party_committee")
    government = body(county, town, "government")
    wang = person(county, "王五")
    post = county.ok(appoint(county, wang, committee, "deputy_secretary", "2011-01-01"))
    moved = county.ok(county.post("reassignments", {
        "post_id": post["id"], "to": {"body_id": government, "role": "director"},
        "effective_date": "2012-03-01"}))
    assert moved["type"] == "reassignment"

    for day, expected in (("2012-02-29", {"party_committee": [("王五", "deputy_secretary")],
                                          "government": []}),
                          ("2012-03-01", {"party_committee": [],
                                          "government": [("王五", "director")]})):
        assert roster(county, town, as_of=day) == expected
    # One change: the ended post and the new one carry the same change id.
    change = county.ok(county.get(f"changes/{moved['change_id']}"), 200)
    assert change["type"] == "reassignment"


def test_h5_social_work_committee_only_in_central_towns_subdistricts_and_zones(
    county: Client,
) -> None:
    town = county.unit("town", "安阳镇")
    refused = county.post(f"units/{town}/bodies",
                          {"type": "social_work_committee", "effective_date": "2011-01-01"})
    assert refused.status_code == 422 and refused.get_json()["rule"] == "H5"
    subdistrict = county.unit("subdistrict", "安阳街道")
    body(county, subdistrict, "social_work_committee", "2011-01-01")


def test_h5_staff_cap_and_leaders_held_concurrently(county: Client) -> None:
    town = county.unit("central_town", "塘下镇")
    committee = body(county, town, "party_committee")
    social = body(county, town, "social_work_committee", "2011-01-01")
    secretary, deputy = person(county, "书记甲"), person(county, "副书记乙")
    county.ok(appoint(county, secretary, committee, "secretary", "2011-01-01"))
    county.ok(appoint(county, deputy, committee, "deputy_secretary", "2011-01-01"))

    not_secretary = appoint(county, deputy, social, "director", "2011-02-01", concurrent=True)
    assert not_secretary.status_code == 422 and not_secretary.get_json()["rule"] == "H5"
    not_concurrent = appoint(county, secretary, social, "director", "2011-02-01")
    assert not_concurrent.status_code == 422 and not_concurrent.get_json()["rule"] == "H5"
    too_early = appoint(county, secretary, social, "director", "2010-12-31", concurrent=True)
    assert too_early.status_code in (409, 422)
    county.ok(appoint(county, secretary, social, "director", "2011-02-01", concurrent=True))
    county.ok(appoint(county, deputy, social, "office_director", "2011-02-01", concurrent=True))

    staff = [person(county, f"专职{i}") for i in range(6)]
    for someone in staff[:5]:
        county.ok(appoint(county, someone, social, "full_time_staff", "2011-03-01",
                          full_time=True))
    sixth = appoint(county, staff[5], social, "full_time_staff", "2011-03-01", full_time=True)
    assert sixth.status_code == 422 and sixth.get_json()["rule"] == "H5"
    assert len(roster(county, town, as_of="2011-03-01")["social_work_committee"]) == 7


def test_h6_head_of_a_combined_horizontal_primary_agency_needs_the_towns_consent(
    county: Client,
) -> None:
    town = county.unit("central_town", "塘下镇")
    agency = body(county, town, "dispatched_agency", department="县国土资源局",
                  assessment_mode="combined_horizontal_primary")
    head = person(county, "负责人")
    refused = appoint(county, head, agency, "head")
    assert refused.status_code == 422 and refused.get_json()["rule"] == "H6"
    post = county.ok(appoint(county, head, agency, "head",
                             consent={"document_no": "塘委〔2011〕5号"}))
    removal = county.post(f"posts/{post['id']}/end", {"effective_date": "2012-01-01"})
    assert removal.status_code == 422 and removal.get_json()["rule"] == "H6"
    county.ok(county.post(f"posts/{post['id']}/end", {
        "effective_date": "2012-01-01", "consent": {"document_no": "塘委〔2012〕1号"}}))

    detail = county.ok(county.get(f"bodies/{agency}", as_of="2011-06-01"), 200)
    assert detail["attributes"] == {"department": "县国土资源局",
                                    "assessment_mode": "combined_horizontal_primary"}
    assert [p["role"] for p in detail["posts"]] == ["head"]


def test_a_dispatched_agency_names_its_department_and_a_service_centre_its_hall(
    county: Client,
) -> None:
    town = county.unit("central_town", "塘下镇")
    missing = county.post(f"units/{town}/bodies",
                          {"type": "dispatched_agency", "effective_date": "2011-01-01"})
    assert missing.status_code == 422
    assert set(missing.get_json()["errors"]) == {"department", "assessment_mode"}
    misplaced = county.post(f"units/{town}/bodies", {
        "type": "party_committee", "effective_date": "2011-01-01", "hall_area": 300})
    assert misplaced.status_code == 422 and "hall_area" in misplaced.get_json()["errors"]
    centre = body(county, town, "service_centre", hall_area=200, windows=["综合服务", "综治信访"],
                  unifications=["外观设计", "内部装修"])
    detail = county.ok(county.get(f"bodies/{centre}"), 200)
    assert detail["attributes"]["hall_area"] == 200


def test_conversion_merger_and_federation_found_their_bodies_and_wind_up_the_villages(
    county: Client,
) -> None:
    town = county.unit("town", "安阳镇")
    a, b, c, d = (county.unit("village", n, town) for n in ("甲村", "乙村", "丙村", "丁村"))
    village_committee = body(county, a, "village_committee")
    chief = person(county, "村主任")
    county.ok(appoint(county, chief, village_committee, "director", "2010-06-01"))
    county.plan("urban_community", [a])
    county.plan("federation", [b, c])
    county.plan("rural_community", [d])
    converted = county.ok(county.post("changes", {
        "type": "conversion", "effective_date": "2012-01-01", "village_id": a,
        "community": {"name": "甲社区"}}))
    [community] = converted["created_unit_ids"]
    federation = county.ok(county.post("changes", {
        "type": "federation", "effective_date": "2012-01-01", "village_ids": [b, c],
        "federation": {"name": "乙丙联居"}}))["created_unit_ids"][0]

    assert roster(county, community, as_of="2012-01-01") == {
        "party_organisation": [], "residents_committee": []}
    assert roster(county, federation, as_of="2012-01-01") == {
        "federation_management_committee": [], "party_organisation": []}
    # The converted village's committee ends with it, and so does its director's post.
    assert roster(county, a, as_of="2011-12-31") == {"village_committee": [("村主任", "director")]}
    assert roster(county, a, as_of="2012-01-01") == {}
    assert county.ok(county.get(f"people/{chief}/posts", as_of="2012-01-01"), 200)["items"] == []

    # Retracting the conversion brings the village's committee and its post back.
    county.ok(county.post(f"changes/{converted['change_id']}/retraction", {"reason": "误录"}))
    assert roster(county, a, as_of="2012-01-01") == {"village_committee": [("村主任", "director")]}


def test_a_body_cannot_outlive_its_unit_nor_take_posts_after_it_is_abolished(
    county: Client,
) -> None:
    town = county.unit("town", "安阳镇")
    village = county.unit("village", "甲村", town)
    county.ok(county.post(f"units/{village}/dissolutions", {"effective_date": "2015-01-01"}))
    late = county.post(f"units/{village}/bodies",
                       {"type": "village_committee", "effective_date": "2014-01-01"})
    assert late.status_code == 409 and late.get_json()["rule"] == "H4"
    wrong_kind = county.post(f"units/{town}/bodies",
                             {"type": "village_committee", "effective_date": "2011-01-01"})
    assert wrong_kind.status_code == 422

    office = body(county, town, "social_affairs_office")
    county.ok(county.post(f"bodies/{office}/abolitions", {"effective_date": "2013-01-01"}))
    someone = person(county, "某人")
    after = appoint(county, someone, office, "director", "2013-01-01")
    assert after.status_code == 409


def test_unknown_people_posts_and_bodies_are_404_and_bad_input_is_422(county: Client) -> None:
    town = county.unit("town", "安阳镇")
    committee = body(county, town, "party_committee")
    ghost = "00000000-0000-4000-8000-000000000000"
    assert appoint(county, ghost, committee, "secretary").status_code == 404
    assert county.post(f"posts/{ghost}/end", {"effective_date": "2012-01-01"}).status_code == 404
    assert county.get(f"bodies/{ghost}").status_code == 404
    assert county.get(f"people/{ghost}").status_code == 404
    assert county.delete(f"people/{ghost}").status_code == 404
    someone = person(county, "某人")
    for bad in ({"role": "emperor"}, {"full_time": "yes"}, {"effective_date": "2011-02-30"},
                {"extra": 1}):
        answer = county.post("posts", {"person_id": someone, "body_id": committee,
                                       "role": "member", "effective_date": "2011-01-01", **bad})
        assert answer.status_code == 422, bad
        assert answer.headers["Content-Type"] == "application/problem+json"
    assert county.post("people", {"name": "某\x00人"}).status_code == 422
    assert county.post("people", {"name": "某人", "rank": "general"}).status_code == 422


def test_a_viewer_reads_rosters_but_cannot_appoint_or_erase(county: Client) -> None:
    town = county.unit("town", "安阳镇")
    committee = body(county, town, "party_committee")
    someone = person(county, "某人")
    editor = Client(county.http, county.ok(county.post(
        f"/v1/tenants/{county.code}/keys", {"role": "editor"}))["key"], county.code)
    viewer = Client(county.http, county.ok(county.post(
        f"/v1/tenants/{county.code}/keys", {"role": "viewer"}))["key"], county.code)
    assert viewer.get(f"units/{town}/roster").status_code == 200
    assert appoint(viewer, someone, committee, "member").status_code == 403
    assert editor.delete(f"people/{someone}").status_code == 403


def _raw_text(storage: Any, code: str) -> bytes:
    """Every byte the store keeps for this county and the platform: the SQLite files
    themselves, or every row of every table of the PostgreSQL database as text."""
    if hasattr(storage, "folder"):
        return b"".join(path.read_bytes() for path in sorted(storage.folder.iterdir())
                        if path.is_file())
    import psycopg
    chunks = []
    with psycopg.connect(storage.settings.database_url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND (tablename LIKE %s OR tablename LIKE 'platform_%%')", (f"t{code}_%",))]
        for table in tables:
            for row in conn.execute(f'SELECT CAST(t AS TEXT) FROM "{table}" AS t'):
                chunks.append(row[0].encode())
            # bytea columns (event state) as raw bytes, not as hex text
            for column in [r[0] for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = %s AND data_type = 'bytea'", (table,))]:
                for row in conn.execute(f'SELECT "{column}" FROM "{table}"'):
                    chunks.append(bytes(row[0] or b""))
    return b"\n".join(chunks)


def test_erasure_removes_the_name_from_every_view_the_feed_and_the_stored_events(
    county: Client, storage: Any,
) -> None:
    name = "欧阳娜娜"
    town = county.unit("central_town", "塘下镇")
    committee = body(county, town, "party_committee")
    registered = county.post("people", {"name": name, "rank": "deputy_section"},
                             headers={"Idempotency-Key": "register-1"})
    person_id = county.ok(registered)["id"]
    county.ok(appoint(county, person_id, committee, "secretary"))
    feed = county.ok(county.get("events", limit=1000), 200)["items"]
    assert any(e["data"].get("name") == name for e in feed)
    assert name.encode() in _raw_text(storage, county.code)  # in the people view, until erased

    assert county.delete(f"people/{person_id}").status_code == 204
    assert county.delete(f"people/{person_id}").status_code == 204  # again: cleanup redone

    assert county.ok(county.get(f"people/{person_id}"), 200) | {"id": None} == {
        "id": None, "name": None, "rank": "deputy_section", "source": "other", "erased": True}
    [posts] = [b["posts"] for b in county.ok(county.get(f"units/{town}/roster"), 200)["bodies"]]
    assert [(p["person_name"], p["person_erased"], p["role"]) for p in posts] == [
        (None, True, "secretary")]
    feed = county.ok(county.get("events", limit=1000), 200)["items"]
    assert all(name not in str(e) for e in feed)
    assert {"person.registered", "person.erased"} <= {e["type"] for e in feed}
    replayed = county.post("people", {"name": name, "rank": "deputy_section"},
                           headers={"Idempotency-Key": "register-1"})
    assert replayed.status_code == 422  # the stored request is no longer this one
    assert name not in replayed.get_data(as_text=True)

    assert name.encode() not in _raw_text(storage, county.code)
    # The events stay, and so does their hash chain.
    auditor = Client(county.http, county.ok(county.post(
        f"/v1/tenants/{county.code}/keys", {"role": "auditor"}))["key"], county.code)
    assert auditor.ok(auditor.get("audit/verify"), 200)["ok"] is True


@pytest.mark.parametrize("role", ["secretary", "member"])
def test_an_erased_person_cannot_be_appointed(county: Client, role: str) -> None:
    town = county.unit("town", "安阳镇")
    committee = body(county, town, "party_committee")
    someone = person(county, "某人")
    assert county.delete(f"people/{someone}").status_code == 204
    assert appoint(county, someone, committee, role).status_code == 409


def test_what_leaves_the_ledger_for_good_carries_no_names(county: Client, storage: Any) -> None:
    """The relay's copy (a broker keeps what it is given) is made without personal data."""
    from application.feed import read_feed

    county.ok(county.post("people", {"name": "司马光"}))
    ledger = storage.county(county.code).ledger
    [registered] = [e for e in read_feed(ledger, 0, 100, personal_data=False)
                    if e.type == "person.registered"]
    assert registered.data["name"] is None and registered.data["rank"] == "none"
    [named] = [e for e in read_feed(ledger, 0, 100) if e.type == "person.registered"]
    assert named.data["name"] == "司马光"


def test_the_roster_of_a_retracted_unit_is_404(county: Client) -> None:
    town = county.unit("town", "安阳镇")
    made = county.ok(county.post("units", {"kind": "village", "name": "误村",
                                           "parent_id": town, "effective_date": "2010-01-01"}))
    county.ok(county.post(f"changes/{made['change_id']}/retraction", {"reason": "误录"}))
    assert county.get(f"units/{made['id']}/roster").status_code == 404
