"""The reports on the norms, over REST on both stores: coverage, staffing and
compliance on any date and as known at any time, their boundary cases, the
policy in force on the date, the city's sums, H7 catalogues and N7 arrangements."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import Client, county_code

DAY = "2012-06-01"


def federation_with_staff(county: Client, households: int, floating: int, staff: int,
                          *, source: str = "village_cadre") -> tuple[str, str]:
    """A town, two villages federated in 2012 (with these figures between them), and
    ``staff`` full-time staff in the federation's party organisation."""
    county.ok(county.patch("policy", {"plans_required": False, "effective_date": "2000-01-01"}),
              200)
    town = county.unit("town", "安阳镇")
    a, b = county.unit("village", "甲村", town), county.unit("village", "乙村", town)
    county.ok(county.post(f"units/{a}/population", {
        "effective_date": "2011-01-01", "households": households - households // 2,
        "floating": floating - floating // 2}))
    county.ok(county.post(f"units/{b}/population", {
        "effective_date": "2011-01-01", "households": households // 2, "floating": floating // 2}))
    federation = county.ok(county.post("changes", {
        "type": "federation", "effective_date": "2012-01-01", "village_ids": [a, b],
        "federation": {"name": "甲乙联居"}}))["created_unit_ids"][0]
    roster = county.ok(county.get(f"units/{federation}/roster", as_of=DAY), 200)
    party = next(b["id"] for b in roster["bodies"] if b["type"] == "party_organisation")
    for i in range(staff):
        person = county.ok(county.post("people", {"name": f"专职{i}", "source": source}))["id"]
        county.ok(county.post("posts", {"person_id": person, "body_id": party,
                                        "role": "full_time_staff", "full_time": True,
                                        "effective_date": "2012-02-01"}))
    return town, federation


def staffing(county: Client, **moment: str) -> dict[str, Any]:
    [item] = county.ok(county.get("reports/staffing", as_of=DAY, **moment), 200)["items"]
    return item


def findings(county: Client, rule: str, **moment: str) -> list[dict[str, Any]]:
    answer = county.ok(county.get("reports/compliance", **{"as_of": DAY, **moment}), 200)
    return [f for f in answer["findings"] if f["rule"] == rule]


@pytest.mark.parametrize(("households", "floating", "quota"), [
    (400, 0, 5), (2000, 0, 5), (2001, 0, 6), (2400, 0, 6), (2401, 0, 7),
    (2000, 1999, 5), (2000, 2000, 6), (2400, 3999, 7), (2400, 4000, 8),
])
def test_the_n3_quota_at_its_boundaries(county: Client, households: int, floating: int,
                                         quota: int) -> None:
    federation_with_staff(county, households, floating, staff=0)
    item = staffing(county)
    assert (item["households"], item["floating"], item["quota"]) == (households, floating, quota)
    assert item["shortfall"] == quota


@pytest.mark.parametrize(("households", "floating", "quota"), [
    (400, 0, 1), (401, 0, 2), (400, 1999, 1), (400, 2000, 2)])
def test_400_and_401_households_1999_and_2000_floating_without_the_minimum(
    county: Client, households: int, floating: int, quota: int,
) -> None:
    federation_with_staff(county, households, floating, staff=0)
    county.ok(county.patch("policy", {"minimum_staff": 0, "effective_date": "2000-01-01"}), 200)
    assert staffing(county)["quota"] == quota


@pytest.mark.parametrize(("staff", "short"), [(4, True), (5, False)])
def test_a_federation_is_short_of_staff_below_its_quota(county: Client, staff: int,
                                                        short: bool) -> None:
    federation_with_staff(county, 400, 0, staff)
    item = staffing(county)
    assert (item["full_time_staff"], item["shortfall"]) == (staff, 5 - staff)
    n3 = findings(county, "N3")
    assert bool(n3) is short
    if short:
        assert n3[0]["figures"] == {"households": 400, "floating": 0, "quota": 5,
                                    "full_time_staff": 4, "shortfall": 1}
        assert n3[0]["severity"] == "warning" and n3[0]["clause"] == "二(三)4"
        assert "专职工作人员4人" in n3[0]["message_zh"]


def test_401_households_need_a_sixth_staff_member_only_past_2000_households(
    county: Client,
) -> None:
    federation_with_staff(county, 2001, 0, 5)
    assert staffing(county)["shortfall"] == 1
    county.ok(county.patch("policy", {"households_rounding": "down",
                                      "effective_date": "2012-05-01"}), 200)
    assert staffing(county)["quota"] == 5
    # As known before the amendment, and on a date before it took effect, the old rounding.
    assert county.ok(county.get("reports/staffing", as_of="2012-04-30"), 200)["items"][0][
        "quota"] == 6


def test_the_staffing_report_as_known_at_a_past_time(county: Client) -> None:
    _town, federation = federation_with_staff(county, 400, 0, 5)
    before = county.ok(county.get("reports/staffing", as_of=DAY), 200)["known_at"]
    roster = county.ok(county.get(f"units/{federation}/roster", as_of=DAY), 200)
    [party] = [b for b in roster["bodies"] if b["type"] == "party_organisation"]
    county.ok(county.post(f"posts/{party['posts'][0]['id']}/end",
                          {"effective_date": "2012-03-01"}))
    assert staffing(county)["full_time_staff"] == 4
    assert staffing(county, known_at=before)["full_time_staff"] == 5


def test_n1_n2_and_n4_on_a_federation(county: Client) -> None:
    _town, federation = federation_with_staff(county, 400, 0, 5, source="other")
    [n4] = findings(county, "N4")
    assert n4["figures"]["from_elsewhere"] == 5
    [n2] = findings(county, "N2")
    assert n2["figures"]["members"] == 0
    n1 = findings(county, "N1")
    assert {f["unit_id"] for f in n1} == {federation}
    assert any("no secretary" in f["message"] for f in n1)


@pytest.mark.parametrize(("area", "finding"), [(199, True), (200, False)])
def test_n5_a_service_centre_hall_of_at_least_200_square_metres(county: Client, area: int,
                                                                 finding: bool) -> None:
    town = county.unit("central_town", "塘下镇")
    county.ok(county.post(f"units/{town}/bodies", {
        "type": "service_centre", "effective_date": "2011-01-01", "hall_area": area,
        "windows": ["综合服务", "综治信访", "计划生育", "民政事务", "合作医疗", "养老保险",
                    "农业综合", "流动人口管理"],
        "unifications": ["外观设计", "内部装修", "整体风格", "柜台设计", "窗口布局"]}))
    n5 = findings(county, "N5")
    halls = [f for f in n5 if "hall_area" in f["figures"]]
    assert bool(halls) is finding
    [windows] = [f for f in n5 if "missing_windows" in f["figures"]]
    assert windows["figures"]["missing_windows"] == ["农村建房"]
    assert not [f for f in n5 if "missing_unifications" in f["figures"]]


def test_coverage_on_a_date_and_the_target_in_force(county: Client) -> None:
    county.ok(county.patch("policy", {"plans_required": False, "effective_date": "2000-01-01"}),
              200)
    town = county.unit("town", "安阳镇")
    villages = [county.unit("village", f"村{i}", town) for i in range(6)]
    county.ok(county.post("changes", {"type": "conversion", "effective_date": "2012-01-01",
                                      "village_id": villages[0], "community": {"name": "城社区"}}))
    county.ok(county.post("changes", {"type": "merger", "effective_date": "2012-01-01",
                                      "village_ids": villages[1:3],
                                      "community": {"name": "农社区"}}))
    county.ok(county.post("changes", {"type": "federation", "effective_date": "2012-01-01",
                                      "village_ids": villages[3:5],
                                      "federation": {"name": "联居"}}))
    county.ok(county.patch("policy", {"coverage_target": 3, "effective_date": "2012-01-01"}), 200)

    before = county.ok(county.get("reports/coverage", as_of="2011-12-31"), 200)
    assert (before["villages"], before["uncovered"], before["coverage_ratio"]) == (6, 6, 0)
    assert before["target"] == 0
    after = county.ok(county.get("reports/coverage", as_of=DAY), 200)
    assert after["covered"] == {"urban_community": 1, "rural_community": 1, "federation": 2}
    assert (after["villages"], after["uncovered"]) == (3, 1)
    assert after["coverage_ratio"] == pytest.approx(4 / 5)
    assert (after["rural_communities"], after["target"]) == (2, 3)
    n6 = findings(county, "N6")
    assert {tuple(sorted(f["figures"])) for f in n6} == {
        ("coverage_ratio", "uncovered", "villages"), ("rural_communities", "target")}


def test_the_city_view_sums_its_counties_and_reads_nothing_else(operator: Client) -> None:
    city = "3399"
    counties = []
    for villages in (2, 3):
        code = county_code()
        key = operator.ok(operator.post("/v1/tenants", {"code": code, "name": "县",
                                                        "city_code": city,
                                                        "unlisted": True}))["admin_key"]
        county = Client(operator.http, key, code)
        town = county.unit("town", "镇")
        for i in range(villages):
            county.unit("village", f"村{i}", town)
        counties.append(county)
    key = operator.ok(operator.post(f"/v1/cities/{city}/keys", {"label": "市委办"}))["key"]
    as_city = Client(operator.http, key, "")
    summed = as_city.ok(as_city.get(f"/v1/cities/{city}/reports/coverage", as_of=DAY), 200)
    assert (summed["villages"], summed["uncovered"], summed["coverage_ratio"]) == (5, 5, 0)
    assert sorted(summed["counties"]) == sorted(c.code for c in counties)
    assert operator.ok(operator.get(f"/v1/cities/{city}/reports/coverage", as_of=DAY),
                       200)["villages"] == 5
    assert as_city.get(f"/v1/tenants/{counties[0].code}/reports/coverage").status_code == 404
    assert as_city.get(f"/v1/tenants/{counties[0].code}/units").status_code == 404
    assert as_city.get("/v1/cities/3398/reports/coverage").status_code == 404
    assert counties[0].get(f"/v1/cities/{city}/reports/coverage").status_code == 403


def test_h7_catalogues_are_refused_outside_the_towns_functions_and_over_the_veto_cap(
    county: Client,
) -> None:
    town = county.unit("central_town", "塘下镇")
    good = [{"title": "招商引资", "function": "economic_development", "veto": True},
            {"title": "平安建设", "function": "social_management", "veto": True}]

    def adopt(items: list[dict[str, Any]], day: str = "2012-01-01") -> Any:
        return county.post(f"units/{town}/assessment-catalogues",
                           {"year": 2012, "items": items, "effective_date": day})

    outside = adopt([{"title": "城市建设", "function": "urban_construction"}]).get_json()
    assert (outside["rule_title_zh"], outside["clause"]) == ("考核目录限于本镇职能，严控一票否决",
                                                             "三(二)3")
    for bad in ([{"title": "城市建设", "function": "urban_construction"}],
                [{"title": "土地执法", "function": "economic_development",
                  "department": "县国土资源局"}],
                [{"title": f"否决{i}", "function": "social_management", "veto": True}
                 for i in range(4)]):
        refused = adopt(bad)
        assert refused.status_code == 422 and refused.get_json()["rule"] == "H7", bad
    county.ok(adopt(good))
    catalogue = county.ok(county.get(f"units/{town}/assessment-catalogues/2012", as_of=DAY), 200)
    assert [i["title"] for i in catalogue["items"]] == ["招商引资", "平安建设"]
    # A lower cap from a later date: the catalogue now breaks H7, a finding, not a refusal.
    assert findings(county, "H7") == []
    county.ok(county.patch("policy", {"max_veto_items": 1, "effective_date": "2012-03-01"}), 200)
    [h7] = findings(county, "H7")
    assert h7["severity"] == "error" and h7["figures"]["veto_items"] == 2
    assert findings(county, "H7", as_of="2012-02-01") == []


def test_n7_the_mode_of_a_zone_and_whether_its_leadership_is_in_place(county: Client) -> None:
    zone = county.unit("functional_zone", "经济开发区")
    street = county.unit("subdistrict", "东山街道")
    zone_committee = county.ok(county.post(f"units/{zone}/bodies", {
        "type": "party_working_committee", "effective_date": "2011-01-01"}))["id"]
    street_committee = county.ok(county.post(f"units/{street}/bodies", {
        "type": "party_working_committee", "effective_date": "2011-01-01"}))["id"]
    leader = county.ok(county.post("people", {"name": "书记"}))["id"]
    county.ok(county.post("posts", {"person_id": leader, "body_id": zone_committee,
                                    "role": "secretary", "effective_date": "2011-01-01"}))
    arrangement = county.ok(county.post("arrangements", {
        "zone_id": zone, "subdistrict_id": street, "mode": "one_team",
        "effective_date": "2012-01-01"}))["id"]

    [item] = county.ok(county.get("reports/arrangements", as_of=DAY), 200)["items"]
    assert (item["mode"], item["label"], item["leadership_in_place"]) == (
        "one_team", "区街合一", False)
    assert [f["unit_id"] for f in findings(county, "N7")] == [zone]
    county.ok(county.post("posts", {"person_id": leader, "body_id": street_committee,
                                    "role": "secretary", "effective_date": "2012-03-01",
                                    "concurrent": True}))
    [item] = county.ok(county.get("reports/arrangements", as_of=DAY), 200)["items"]
    assert item["leadership_in_place"] is True
    assert findings(county, "N7") == []
    assert county.ok(county.get("reports/arrangements", as_of="2011-06-01"), 200)["items"] == []
    twice = county.post("arrangements", {"zone_id": zone, "subdistrict_id": street,
                                         "mode": "coordinated", "effective_date": "2013-01-01"})
    assert twice.status_code == 409
    county.ok(county.post(f"arrangements/{arrangement}/end", {"effective_date": "2013-01-01"}))
    county.ok(county.post("arrangements", {"zone_id": zone, "subdistrict_id": street,
                                           "mode": "coordinated", "effective_date": "2013-01-01"}))


def test_h5_after_the_fact_a_director_who_left_the_party_committee(county: Client) -> None:
    town = county.unit("central_town", "塘下镇")
    committee = county.ok(county.post(f"units/{town}/bodies", {
        "type": "party_committee", "effective_date": "2011-01-01"}))["id"]
    social = county.ok(county.post(f"units/{town}/bodies", {
        "type": "social_work_committee", "effective_date": "2011-01-01"}))["id"]
    secretary = county.ok(county.post("people", {"name": "书记"}))["id"]
    post = county.ok(county.post("posts", {"person_id": secretary, "body_id": committee,
                                           "role": "secretary", "effective_date": "2011-01-01"}))
    county.ok(county.post("posts", {"person_id": secretary, "body_id": social, "role": "director",
                                    "concurrent": True, "effective_date": "2011-02-01"}))
    staff = county.ok(county.post("people", {"name": "专职"}))["id"]
    county.ok(county.post("posts", {"person_id": staff, "body_id": social,
                                    "role": "full_time_staff", "full_time": True,
                                    "effective_date": "2011-02-01"}))
    assert findings(county, "H5", as_of="2011-06-01") == []
    county.ok(county.post(f"posts/{post['id']}/end", {"effective_date": "2012-01-01"}))
    [h5] = findings(county, "H5")
    assert h5["figures"] == {"role": "director", "must_hold": "secretary"}


def test_the_rule_catalogue_lists_every_rule_and_docs_rules_md_too(county: Client) -> None:
    from pathlib import Path

    rules = county.ok(county.get("/v1/rules"), 200)["items"]
    ids = [r["id"] for r in rules]
    assert ids == [f"H{i}" for i in range(1, 8)] + [f"N{i}" for i in range(1, 8)]
    assert all(r["title"] and r["title_zh"] and r["clause"] and r["text_zh"] for r in rules)
    text = (Path(__file__).parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in rules:
        assert f"| {rule['id']} |" in text and rule["clause"] in text, rule["id"]


def test_retracting_a_catalogue_or_an_arrangement_is_refused(county: Client) -> None:
    town = county.unit("central_town", "塘下镇")
    adopted = county.ok(county.post(f"units/{town}/assessment-catalogues", {
        "year": 2012, "effective_date": "2012-01-01",
        "items": [{"title": "招商引资", "function": "economic_development"}]}))
    refused = county.post(f"changes/{adopted['change_id']}/retraction", {"reason": "误录"})
    assert refused.status_code == 422


def test_the_replay_audit_covers_arrangements_and_catalogues(county: Client, storage: Any) -> None:
    from datetime import date, datetime, timezone

    from application.audit import replayed_records
    from application.replay import replay
    from infra.views.schema import Moment

    zone = county.unit("functional_zone", "经济开发区")
    street = county.unit("subdistrict", "东山街道")
    county.ok(county.post("arrangements", {"zone_id": zone, "subdistrict_id": street,
                                           "mode": "coordinated", "effective_date": "2012-01-01"}))
    county.ok(county.post(f"units/{street}/assessment-catalogues", {
        "year": 2012, "effective_date": "2012-01-01",
        "items": [{"title": "社会治理", "function": "social_management"}]}))
    auditor = Client(county.http, county.ok(county.post(
        f"/v1/tenants/{county.code}/keys", {"role": "auditor"}))["key"], county.code)
    report = auditor.ok(auditor.post("audit/replays", {"as_of": DAY}), 200)
    assert report["matches"] is True, report["differences"]

    place = storage.county(county.code)
    moment = Moment(date(2012, 6, 1), datetime.now(timezone.utc))
    rebuilt = replay(place.ledger, moment.known_at)
    expected = replayed_records(rebuilt.arrangements.values(), rebuilt.catalogues.values(),
                                moment.as_of)
    assert [len(rows) for rows in expected] == [1, 1]
    assert place.records_on(moment) == expected


def test_the_feed_carries_and_filters_catalogue_and_arrangement_events(county: Client) -> None:
    town = county.unit("central_town", "塘下镇")
    county.ok(county.post(f"units/{town}/assessment-catalogues", {
        "year": 2012, "effective_date": "2012-01-01",
        "items": [{"title": "招商引资", "function": "economic_development"}]}))
    page = county.ok(county.get("events", types="assessment_catalogue.adopted"), 200)
    assert [e["type"] for e in page["items"]] == ["assessment_catalogue.adopted"]
    assert county.get("events", types="arrangement.made").status_code == 200


def test_odd_years_and_times_are_4xx(county: Client) -> None:
    town = county.unit("central_town", "塘下镇")
    assert county.get(f"units/{town}/assessment-catalogues/99999999999999999999").status_code == 404
    assert county.get(f"units/{town}/assessment-catalogues/1900").status_code == 404
    late = county.get("reports/coverage", known_at="9999-12-31T23:59:59-12:00")
    assert late.status_code == 422 and "known_at" in late.get_json()["errors"]


def test_arrangements_made_at_once_for_one_zone_never_both_win(county: Client) -> None:
    """A zone's arrangement is recorded on the zone too: two made at the same moment
    meet each other's version, so they can never overlap."""
    from concurrent.futures import ThreadPoolExecutor

    zone = county.unit("functional_zone", "经济开发区")
    street = county.unit("subdistrict", "东山街道")
    clients = [Client(county.http.application.test_client(), county.key, county.code)
               for _ in range(6)]
    with ThreadPoolExecutor(len(clients)) as pool:
        answers = list(pool.map(lambda pair: pair[1].post("arrangements", {
            "zone_id": zone, "subdistrict_id": street, "mode": "coordinated",
            "effective_date": f"{2012 + pair[0]}-01-01"}), enumerate(clients)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 5, [
        a.get_json() for a in answers]
    history = county.ok(county.get(f"units/{zone}/history"), 200)["items"]
    assert [h["type"] for h in history].count("arrangement_made") == 1
    # Corrected forward, never retracted, it does not block retracting the zone itself;
    # the reports then ignore it, as they do the arrangement of any unit not active.
    county.ok(county.post(f"changes/{history[0]['change_id']}/retraction", {"reason": "误录"}))
    assert county.ok(county.get("reports/arrangements", as_of="2020-01-01"), 200)["items"] == []
