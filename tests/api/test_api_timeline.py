"""Renames, moves, dissolutions and population over REST; history, diff, lists and known_at."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from conftest import Client


def test_rename_move_and_population_take_effect_on_their_dates(county: Client) -> None:
    north, south = county.unit("town", "北镇"), county.unit("town", "南镇")
    village = county.unit("village", "甲村", north)
    county.ok(county.post(f"units/{village}/renames", {"name": "甲新村", "effective_date": "2012-01-01"}))
    county.ok(county.post(f"units/{village}/moves", {"parent_id": south, "effective_date": "2013-01-01"}))
    county.ok(county.post(f"units/{village}/population", {
        "effective_date": "2014-01-01", "households": 420, "residents": 1500, "floating": 2100}))

    def seen(as_of: str) -> tuple[str, str, int | None]:
        unit = county.ok(county.get(f"units/{village}", as_of=as_of), 200)
        return unit["name"], unit["parent_id"], unit["population"]["households"]

    assert seen("2011-12-31") == ("甲村", north, None)
    assert seen("2012-01-01") == ("甲新村", north, None)
    assert seen("2013-01-01") == ("甲新村", south, None)
    assert seen("2014-01-01") == ("甲新村", south, 420)
    assert county.ok(county.get(f"units/{village}"), 200)["version"] == 4

    history = county.ok(county.get(f"units/{village}/history"), 200)["items"]
    assert [h["type"] for h in history] == ["established", "renamed", "moved", "population_recorded"]
    assert all({"position", "effective_date", "recorded_at", "actor", "change_id"} <= h.keys()
               for h in history)
    assert [h["position"] for h in history] == sorted(h["position"] for h in history)
    assert history[1]["data"] == {"name": "甲新村"}

    diff = county.ok(county.get("diff", **{"from": "2011-12-31", "to": "2013-01-01"}), 200)
    assert [e["name"] for e in diff["renamed"]] == ["甲新村"]
    assert [e["unit_id"] for e in diff["moved"]] == [village]
    assert diff["established"] == [] and diff["ceased"] == []
    # "after from, up to and including to"
    later = county.ok(county.get("diff", **{"from": "2012-01-01", "to": "2012-12-31"}), 200)
    assert later["renamed"] == [] and later["moved"] == []


def test_a_federations_population_is_the_sum_of_its_villages(county: Client) -> None:
    county.ok(county.patch("policy", {"plans_required": False, "effective_date": "2000-01-01"}), 200)
    town = county.unit("town", "镇")
    a, b = county.unit("village", "甲村", town), county.unit("village", "乙村", town)
    for village, households, floating in ((a, 300, 1000), (b, 250, 1500)):
        county.ok(county.post(f"units/{village}/population", {
            "effective_date": "2011-01-01", "households": households, "floating": floating}))
    federation = county.ok(county.post("changes", {
        "type": "federation", "effective_date": "2012-01-01", "village_ids": [a, b],
        "federation": {"name": "甲乙联居"}}))["created_unit_ids"][0]
    unit = county.ok(county.get(f"units/{federation}", as_of="2012-06-01"), 200)
    assert unit["population"]["households"] == 550 and unit["population"]["floating"] == 2500
    refused = county.post(f"units/{federation}/population", {
        "effective_date": "2013-01-01", "households": 1, "floating": 1})
    assert refused.status_code == 422 and refused.get_json()["rule"] == "H4"


def test_a_town_with_villages_cannot_be_dissolved_until_they_are_gone(county: Client) -> None:
    town = county.unit("town", "镇")
    village = county.unit("village", "甲村", town)
    refused = county.post(f"units/{town}/dissolutions", {"effective_date": "2015-01-01"})
    assert refused.status_code == 409 and refused.get_json()["rule"] == "H4"
    county.ok(county.post(f"units/{village}/dissolutions", {"effective_date": "2014-01-01"}))
    county.ok(county.post(f"units/{town}/dissolutions", {"effective_date": "2015-01-01"}))
    assert county.ok(county.get("tree", as_of="2015-01-01"), 200)["units"] == []
    gone = county.post(f"units/{village}/renames", {"name": "x", "effective_date": "2016-01-01"})
    assert gone.status_code == 409 and gone.get_json()["conflicts"]


def test_known_at_shows_what_the_ledger_believed_then(county: Client) -> None:
    town = county.unit("town", "镇")
    before = datetime.now(timezone.utc).isoformat()
    time.sleep(0.01)
    county.ok(county.post(f"units/{town}/renames", {"name": "新镇", "effective_date": "2010-01-01"}))
    assert county.ok(county.get(f"units/{town}", known_at=before), 200)["name"] == "镇"
    assert county.ok(county.get(f"units/{town}"), 200)["name"] == "新镇"
    tree = county.ok(county.get("tree", known_at=before), 200)
    assert [u["name"] for u in tree["units"]] == ["镇"]
    assert county.get(f"units/{town}", known_at="2000-01-01T00:00:00Z").status_code == 404


def test_units_are_listed_by_kind_parent_name_and_in_pages(county: Client) -> None:
    town = county.unit("town", "镇")
    villages = {county.unit("village", f"村{i}", town) for i in range(5)}
    county.unit("town", "后来镇", effective_date="2030-01-01")
    listed, cursor = set(), None
    while True:
        page = county.ok(county.get("units", kind="village", parent_id=town, limit=2,
                                    **({"cursor": cursor} if cursor else {})), 200)
        assert len(page["items"]) <= 2
        listed |= {u["id"] for u in page["items"]}
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert listed == villages
    assert [u["name"] for u in county.ok(county.get("units", q="村3"), 200)["items"]] == ["村3"]
    active = {u["name"] for u in county.ok(county.get("units", kind="town"), 200)["items"]}
    everything = {u["name"]: u["status"] for u in
                  county.ok(county.get("units", kind="town", status="all"), 200)["items"]}
    assert active == {"镇"} and everything == {"镇": "active", "后来镇": "planned"}


def test_a_federation_in_a_list_shows_its_members_and_their_population(county: Client) -> None:
    county.ok(county.patch("policy", {"plans_required": False, "effective_date": "2000-01-01"}), 200)
    town = county.unit("town", "镇")
    a, b = county.unit("village", "甲村", town), county.unit("village", "乙村", town)
    for village in (a, b):
        county.ok(county.post(f"units/{village}/population", {
            "effective_date": "2011-01-01", "households": 100, "floating": 10}))
    county.ok(county.post("changes", {"type": "federation", "effective_date": "2012-01-01",
                                      "village_ids": [a, b], "federation": {"name": "联居"}}))
    [listed] = county.ok(county.get("units", kind="federation", as_of="2012-06-01"), 200)["items"]
    assert sorted(listed["member_ids"]) == sorted([a, b])
    assert listed["population"]["households"] == 200
