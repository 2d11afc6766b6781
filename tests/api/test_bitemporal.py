"""Two times: late registrations, scheduled changes and retractions never rewrite the past."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from conftest import Client


@pytest.fixture
def villages(county: Client) -> tuple[str, list[str]]:
    county.ok(county.patch("policy", {"plans_required": False, "effective_date": "2000-01-01"}), 200)
    town = county.unit("town", "镇")
    return town, [county.unit("village", name, town) for name in ("甲村", "乙村", "丙村")]


def now() -> str:
    moment = datetime.now(timezone.utc).isoformat()
    time.sleep(0.01)
    return moment


def test_a_retracted_change_is_gone_from_then_on_but_not_from_before(
    county: Client, villages: tuple[str, list[str]]
) -> None:
    town, (a, b, _c) = villages
    merger = county.ok(county.post("changes", {"type": "merger", "effective_date": "2011-06-01",
                                               "village_ids": [a, b], "community": {"name": "甲乙社区"}}))
    believed = now()
    retraction = county.ok(county.post(f"changes/{merger['change_id']}/retraction",
                                       {"reason": "the wrong villages were named"}))
    assert retraction["type"] == "retraction" and retraction["effective_date"] == "2011-06-01"

    def children(**when: str) -> list[str]:
        tree = county.ok(county.get("tree", as_of="2012-01-01", **when), 200)
        return sorted(c["name"] for c in tree["units"][0]["children"])

    assert children() == ["丙村", "乙村", "甲村"]
    assert children(known_at=believed) == ["丙村", "甲乙社区"]
    community = merger["created_unit_ids"][0]
    assert county.get(f"units/{community}").status_code == 404
    assert county.ok(county.get(f"units/{community}", as_of="2012-01-01", known_at=believed),
                     200)["status"] == "active"
    assert county.ok(county.get(f"units/{a}/lineage"), 200)["successors"] == []
    assert [s["unit_id"] for s in county.ok(county.get(f"units/{a}/lineage", known_at=believed),
                                            200)["successors"]] == [community]
    diff = county.ok(county.get("diff", **{"from": "2011-01-01", "to": "2012-01-01"}), 200)
    assert diff["ceased"] == [] and diff["established"] == []
    recorded = county.ok(county.get(f"changes/{merger['change_id']}"), 200)
    assert recorded["retracted_by"] == retraction["change_id"]
    assert recorded["retraction_reason"] == "the wrong villages were named"
    history = county.ok(county.get(f"units/{a}/history"), 200)["items"]
    assert [h["type"] for h in history] == ["established", "ceased", "retracted"]
    again = county.post(f"changes/{merger['change_id']}/retraction", {"reason": "twice"})
    assert again.status_code == 409


def test_a_change_later_changes_build_on_cannot_be_retracted(
    county: Client, villages: tuple[str, list[str]]
) -> None:
    _town, (a, b, _c) = villages
    merger = county.ok(county.post("changes", {"type": "merger", "effective_date": "2011-06-01",
                                               "village_ids": [a, b], "community": {"name": "社区"}}))
    community = merger["created_unit_ids"][0]
    rename = county.ok(county.post(f"units/{community}/renames",
                                   {"name": "新社区", "effective_date": "2013-01-01"}))
    refused = county.post(f"changes/{merger['change_id']}/retraction", {"reason": "mistake"})
    assert refused.status_code == 409
    assert refused.get_json()["conflicts"] == [rename["change_id"]]
    county.ok(county.post(f"changes/{rename['change_id']}/retraction", {"reason": "first this"}))
    county.ok(county.post(f"changes/{merger['change_id']}/retraction", {"reason": "then this"}))


def test_back_dated_changes_that_contradict_later_ones_are_refused_naming_them(
    county: Client, villages: tuple[str, list[str]]
) -> None:
    town, (a, b, c) = villages
    conversion = county.ok(county.post("changes", {"type": "conversion", "effective_date": "2012-01-01",
                                                   "village_id": a, "community": {"name": "甲社区"}}))
    merger_2011 = county.post("changes", {"type": "merger", "effective_date": "2011-01-01",
                                          "village_ids": [a, b], "community": {"name": "x"}})
    assert merger_2011.status_code == 409
    assert merger_2011.get_json()["conflicts"] == [conversion["change_id"]]

    late = county.unit("village", "丁村", town, effective_date="2015-01-01")
    before_it = county.post(f"units/{late}/renames", {"name": "x", "effective_date": "2014-01-01"})
    assert before_it.status_code == 409 and before_it.get_json()["rule"] == "H4"

    other_town = county.unit("town", "旧镇")
    county.ok(county.post(f"units/{other_town}/dissolutions", {"effective_date": "2013-01-01"}))
    dissolved = county.ok(county.get(f"units/{other_town}", as_of="2013-01-01"), 200)
    assert dissolved["status"] == "ceased"
    moved = county.post(f"units/{c}/moves", {"parent_id": other_town, "effective_date": "2014-01-01"})
    assert moved.status_code == 409 and moved.get_json()["rule"] == "H4"
    assert moved.get_json()["conflicts"]


def test_a_future_dated_change_is_scheduled_and_checked_like_any_other(
    county: Client, villages: tuple[str, list[str]]
) -> None:
    town, (a, b, c) = villages
    federation = county.ok(county.post("changes", {
        "type": "federation", "effective_date": "2090-01-01", "village_ids": [a, b],
        "federation": {"name": "未来联居"}}))
    created = federation["created_unit_ids"][0]
    assert county.ok(county.get(f"units/{created}"), 200)["status"] == "planned"
    today = sorted(ch["name"] for ch in county.ok(county.get("tree"), 200)["units"][0]["children"])
    assert today == ["丙村", "乙村", "甲村"]
    then = county.ok(county.get(f"units/{created}", as_of="2090-01-01"), 200)
    assert then["status"] == "active" and sorted(then["member_ids"]) == sorted([a, b])
    clash = county.post("changes", {"type": "federation", "effective_date": "2091-01-01",
                                    "village_ids": [a, c], "federation": {"name": "另一联居"}})
    assert clash.status_code == 409
    assert clash.get_json()["conflicts"] == [federation["change_id"]]
    merged_first = county.post("changes", {"type": "merger", "effective_date": "2080-01-01",
                                           "village_ids": [a, c], "community": {"name": "x"}})
    assert merged_first.status_code == 409


def test_history_and_diff_carry_both_times_the_actor_and_the_change(
    county: Client, villages: tuple[str, list[str]]
) -> None:
    _town, (a, _b, _c) = villages
    rename = county.ok(county.post(f"units/{a}/renames", {"name": "甲新村", "effective_date": "2012-01-01"}))
    [entry] = county.ok(county.get("diff", **{"from": "2011-12-31", "to": "2012-01-01"}), 200)["renamed"]
    assert entry["change_id"] == rename["change_id"]
    assert entry["recorded_at"] == rename["recorded_at"] and entry["effective_date"] == "2012-01-01"
    assert entry["actor"].startswith("key:")
    history = county.ok(county.get(f"units/{a}/history"), 200)["items"]
    assert history[-1]["recorded_at"] == rename["recorded_at"]
    assert history[-1]["actor"] == entry["actor"]


def test_lineage_answers_as_of_a_date(county: Client, villages: tuple[str, list[str]]) -> None:
    _town, (a, _b, _c) = villages
    conversion = county.ok(county.post("changes", {"type": "conversion", "effective_date": "2090-01-01",
                                                   "village_id": a, "community": {"name": "甲社区"}}))
    assert county.ok(county.get(f"units/{a}/lineage"), 200)["successors"] == []
    [successor] = county.ok(county.get(f"units/{a}/lineage", as_of="2090-01-01"), 200)["successors"]
    assert successor["change_id"] == conversion["change_id"]
