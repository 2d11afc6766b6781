"""Racing writers and retried requests: exactly one wins, nothing is half-applied."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from conftest import Client

CLIENTS = 8


def _race(county: Client, call: Any) -> list[Any]:
    """Run ``call(client)`` from eight clients at once, each with its own connection."""
    clients = [Client(county.http.application.test_client(), county.key, county.code)
               for _ in range(CLIENTS)]
    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(call, clients))


def _villages(county: Client) -> list[str]:
    town = county.unit("town", "镇")
    villages = [county.unit("village", name, town) for name in ("甲村", "乙村")]
    county.plan("rural_community", villages)
    return villages


def test_eight_clients_merging_the_same_villages_one_wins(county: Client) -> None:
    villages = _villages(county)
    merger = {"type": "merger", "effective_date": "2012-01-01", "village_ids": villages,
              "community": {"name": "甲乙社区"}}
    answers = _race(county, lambda client: client.post("changes", merger))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (CLIENTS - 1), [a.get_json() for a in answers]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.content_type == "application/problem+json"
    mergers = county.ok(county.get("changes", type="merger"), 200)["items"]
    assert len(mergers) == 1
    tree = county.ok(county.get("tree", as_of="2012-01-01"), 200)
    assert [c["name"] for c in tree["units"][0]["children"]] == ["甲乙社区"]
    for village in villages:
        history = county.ok(county.get(f"units/{village}/history"), 200)["items"]
        assert [h["type"] for h in history].count("ceased") == 1


def test_concurrent_retries_with_one_idempotency_key_apply_once(county: Client) -> None:
    villages = _villages(county)
    merger = {"type": "merger", "effective_date": "2012-01-01", "village_ids": villages,
              "community": {"name": "甲乙社区"}}
    headers = {"Idempotency-Key": "merge-甲乙-2012".encode().hex()}
    answers = _race(county, lambda client: client.post("changes", merger, headers=headers))
    assert {a.status_code for a in answers} == {201}
    assert len({a.get_json()["change_id"] for a in answers}) == 1
    assert len(county.ok(county.get("changes", type="merger"), 200)["items"]) == 1


def test_a_retry_returns_the_first_answer_and_another_body_is_refused(county: Client) -> None:
    town = county.unit("town", "镇")
    body = {"kind": "village", "name": "甲村", "parent_id": town, "effective_date": "2010-01-01"}
    headers = {"Idempotency-Key": "establish-甲村"}
    first = county.ok(county.post("units", body, headers))
    again = county.post("units", body, headers)
    assert (again.status_code, again.get_json()) == (201, first)
    other = county.post("units", {**body, "name": "乙村"}, headers)
    assert other.status_code == 422
    assert other.content_type == "application/problem+json"
    names = [u["name"] for u in county.ok(county.get("units", kind="village"), 200)["items"]]
    assert names == ["甲村"]


def test_a_refused_command_is_replayed_as_refused(county: Client) -> None:
    town = county.unit("town", "镇")
    village = county.unit("village", "甲村", town)
    merger = {"type": "merger", "effective_date": "2012-01-01", "village_ids": [village],
              "community": {"name": "x"}}
    headers = {"Idempotency-Key": "lonely-merger"}
    first = county.post("changes", merger, headers)
    assert first.status_code == 422
    again = county.post("changes", merger, headers)
    assert (again.status_code, again.get_json()) == (422, first.get_json())


def test_a_body_and_its_units_cessation_racing_never_both_win(county: Client) -> None:
    """Establishing a body records on its unit too: a dissolution racing it meets the
    unit's new version, so no body is left in a ceased unit."""
    town = county.unit("town", "镇")
    village = county.unit("village", "甲村", town)
    calls = [
        lambda c: c.post(f"units/{village}/dissolutions", {"effective_date": "2012-01-01"}),
        *[lambda c, i=i: c.post(f"units/{village}/bodies", {
            "type": "economic_cooperative", "name": f"合作社{i}", "effective_date": "2011-01-01"})
          for i in range(CLIENTS - 1)],
    ]
    clients = [Client(county.http.application.test_client(), county.key, county.code)
               for _ in range(CLIENTS)]
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(lambda pair: pair[0](pair[1]), zip(calls, clients, strict=True)))
    assert all(a.status_code in (201, 409) for a in answers), [a.get_json() for a in answers]
    dissolved = answers[0].status_code == 201
    roster = county.ok(county.get(f"units/{village}/roster", as_of="2012-06-01"), 200)
    # Whatever won, the village's bodies end with it: none outlives the cessation.
    assert not dissolved or roster["bodies"] == []
    history = county.ok(county.get(f"units/{village}/history"), 200)["items"]
    established = sum(a.status_code == 201 for a in answers[1:])
    assert [h["type"] for h in history].count("body_established") == established
