"""The county's event feed: CloudEvents in recorded order, every event exactly once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import pytest
from cloudevents.core.formats.json import JSONFormat
from cloudevents.v1.http import from_json as from_json_v1

from conftest import OPERATOR_KEY, Client, county_code
from domain.stamped import Stamp
from infra.storage import Settings, Storage, open_storage
from interfaces.http import create_app


def feed(county: Client, **params: object) -> dict:
    return county.ok(county.get("events", **params), 200)


def test_the_feed_gives_cloud_events_in_recorded_order_and_resumes(
    county: Client, storage: Storage
) -> None:
    deployment = storage.deployment_id
    town = county.unit("town", "镇")
    village = county.unit("village", "甲村", town)
    rename = county.ok(county.post(f"units/{village}/renames",
                                   {"name": "甲新村", "effective_date": "2012-01-01"}))
    everything = feed(county, limit=1000)["items"]
    positions = [e["position"] for e in everything]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    renamed = [e for e in everything if e["type"] == "unit.renamed"]
    assert len(renamed) == 1
    [event] = renamed
    assert event["specversion"] == "1.0"
    assert event["source"] == f"urn:grassroots-ledger:{deployment}/v1/tenants/{county.code}"
    assert event["subject"] == village and event["effectivedate"] == "2012-01-01"
    assert "effective_date" not in event
    assert event["time"] == rename["recorded_at"] and event["datacontenttype"] == "application/json"
    assert event["data"]["name"] == "甲新村" and event["data"]["change_id"] == rename["change_id"]
    assert event["id"] == f"{deployment}-{county.code}-{event['position']}"

    first = feed(county, limit=2)
    rest = feed(county, after=first["next_after"], limit=1000)
    assert [e["position"] for e in first["items"] + rest["items"]] == positions
    assert feed(county, after=positions[-1])["items"] == []
    assert feed(county, after=positions[-1])["next_after"] == positions[-1]

    only = feed(county, types="unit.renamed,change.recorded", limit=1000)["items"]
    assert {e["type"] for e in only} == {"unit.renamed", "change.recorded"}
    assert county.get("events", types="unit.exploded").status_code == 422


def _every_kind_of_event(county: Client) -> None:
    """A history that records events of units, changes, plans, policy, bodies and people."""
    town = county.unit("central_town", "塘下镇")
    villages = [county.unit("village", f"{name}村", town) for name in "甲乙丙丁"]
    county.ok(county.post(f"units/{villages[0]}/population",
                          {"effective_date": "2011-01-01", "households": 300, "floating": 40}))
    county.ok(county.patch("policy", {"plans_required": False, "effective_date": "2010-01-01"}), 200)
    county.ok(county.post("changes", {"type": "merger", "effective_date": "2012-01-01",
                                      "village_ids": villages[:2], "community": {"name": "新社区"}}))
    county.ok(county.post("changes", {"type": "federation", "effective_date": "2012-01-01",
                                      "village_ids": villages[2:], "federation": {"name": "联居"}}))
    committee = county.ok(county.post(f"units/{town}/bodies",
                                      {"type": "party_committee", "effective_date": "2010-01-01"}))["id"]
    person = county.ok(county.post("people", {"name": "张三"}))["id"]
    county.ok(county.post("posts", {"person_id": person, "body_id": committee, "role": "secretary",
                                    "effective_date": "2011-01-01"}))
    assert county.delete(f"people/{person}").status_code == 204


def test_every_event_parses_with_the_cloudevents_sdk(county: Client) -> None:
    _every_kind_of_event(county)
    events = feed(county, limit=1000)["items"]
    assert {e["type"].partition(".")[0] for e in events} >= {
        "unit", "change", "policy", "body", "person"}
    for event in events:
        raw = json.dumps(event, ensure_ascii=False)
        parsed = JSONFormat().read(None, raw)  # the SDK's core API (2.x)
        assert parsed.get_id() == event["id"] and parsed.get_type() == event["type"]
        assert parsed.get_extension("position") == event["position"]
        assert parsed.get_data() == event["data"]
        assert from_json_v1(raw)["id"] == event["id"]  # and its 1.x API
        source = urlsplit(parsed.get_source())
        assert source.scheme and (source.netloc or source.path), "source is not an absolute URI"
        # Extension attribute names are lowercase letters and digits (CloudEvents 1.0).
        extensions = set(event) - {"specversion", "id", "source", "type", "subject", "time",
                                   "datacontenttype", "data"}
        assert extensions <= {"position", "effectivedate"}
    dated = [e for e in events if e["type"] == "unit.established"]
    assert dated and all(e["effectivedate"] == "2010-01-01" for e in dated
                         if e["data"]["kind"] == "village")


@pytest.mark.parametrize("configured", ["https://ledger.example.gov.cn", "https://ledger.example.gov.cn/"])
def test_the_source_is_the_configured_base_and_ids_differ_between_deployments(
    storage: Storage, tmp_path: Path, configured: str
) -> None:
    configured_storage = open_storage(Settings(
        database_url=storage.settings.database_url, operator_key=OPERATOR_KEY,
        event_source=configured))
    other_storage = open_storage(Settings(database_url=f"sqlite:///{tmp_path / 'other'}",
                                          operator_key=OPERATOR_KEY))
    other_storage.create_tables()
    other_deployment = other_storage.deployment_id
    try:
        code = county_code()
        seen = []
        for place in (configured_storage, other_storage):  # one county, two deployments
            operator = Client(create_app(place.settings, place, create_tables=False).test_client(),
                              OPERATOR_KEY, "")
            created = operator.ok(operator.post("/v1/tenants", {"code": code, "name": "县",
                                                                "city_code": "3303", "unlisted": True}))
            admin = Client(operator.http, created["admin_key"], code)
            admin.unit("town", "镇")
            seen.append(feed(admin)["items"])
    finally:
        configured_storage.close()
        other_storage.close()
    assert {e["source"] for e in seen[0]} == {f"https://ledger.example.gov.cn/v1/tenants/{code}"}
    assert {e["source"] for e in seen[1]} == {
        f"urn:grassroots-ledger:{other_deployment}/v1/tenants/{code}"}
    assert [e["position"] for e in seen[0]] == [e["position"] for e in seen[1]]
    assert not {e["id"] for e in seen[0]} & {e["id"] for e in seen[1]}
    assert storage.deployment_id != other_deployment
    # The id is kept: a restarted process (a new Storage) names the same deployment.
    assert seen[0][0]["id"] == f"{storage.deployment_id}-{code}-{seen[0][0]['position']}"


def test_the_integrator_reads_the_feed_and_nothing_else(county: Client) -> None:
    county.unit("town", "镇")
    key = county.ok(county.post("keys", {"role": "integrator", "label": "城市大脑"}))["key"]
    integrator = Client(county.http, key, county.code)
    assert integrator.ok(integrator.get("events"), 200)["items"]
    assert integrator.get("tree").status_code == 403
    assert integrator.get("units").status_code == 403
    town = {"kind": "town", "name": "x", "effective_date": "2010-01-01"}
    assert integrator.post("units", town).status_code == 403


def test_a_long_poll_returns_soon_after_a_new_commit(county: Client) -> None:
    town = county.unit("town", "镇")
    head = feed(county, limit=1000)["items"][-1]["position"]

    def write_later() -> float:
        time.sleep(0.5)
        county.unit("village", "甲村", town)
        return time.monotonic()

    with ThreadPoolExecutor(1) as pool:
        written = pool.submit(write_later)
        began = time.monotonic()
        answer = Client(county.http.application.test_client(), county.key, county.code)
        page = answer.ok(answer.get("events", after=head, wait=10), 200)
        answered = time.monotonic()
        committed = written.result()
    assert page["items"], "the long poll answered without the new event"
    assert answered - committed < 1.0
    assert answered - began < 5


def test_racing_writers_and_a_reader_see_every_event_exactly_once(county: Client) -> None:
    town = county.unit("town", "镇")
    done = threading.Event()
    seen: list[int] = []

    def read() -> None:
        reader = Client(county.http.application.test_client(), county.key, county.code)
        after = 0
        while True:
            finished = done.is_set()
            page = reader.ok(reader.get("events", after=after, limit=7), 200)
            seen.extend(e["position"] for e in page["items"])
            after = page["next_after"]
            if finished and not page["items"]:
                return

    def write(i: int) -> None:
        writer = Client(county.http.application.test_client(), county.key, county.code)
        for j in range(8):
            writer.unit("village", f"村{i}-{j}", town)

    reader = threading.Thread(target=read)
    reader.start()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    done.set()
    reader.join(timeout=60)
    everything = [e["position"] for e in feed(county, limit=1000)["items"]]
    assert seen == everything
    assert len(everything) == len(set(everything))


def _chunks(response: object) -> Iterator[bytes]:
    yield from response.response  # type: ignore[attr-defined]


def test_the_stream_pushes_events_with_their_position_and_resumes(county: Client) -> None:
    town = county.unit("town", "镇")
    first = county.ok(county.get("events", limit=1000), 200)["items"]
    answer = county.http.get(county.url("events/stream"), buffered=False,
                             headers=county.headers({"Last-Event-ID": str(first[0]["position"])}))
    assert answer.status_code == 200 and answer.mimetype == "text/event-stream"
    chunks = _chunks(answer)
    assert next(chunks).startswith(b":")
    resumed = next(chunks).decode()
    assert resumed.startswith(f"id: {first[1]['position']}\n")

    fresh = county.http.get(county.url("events/stream"), buffered=False, headers=county.headers())
    stream = _chunks(fresh)
    next(stream)
    writer = threading.Thread(target=lambda: (time.sleep(0.3), county.unit("village", "新村", town)))
    writer.start()
    pushed = next(stream).decode()  # the next new event, not the history
    writer.join()
    assert pushed.startswith(f"id: {first[-1]['position'] + 1}\n")  # the new write's first event
    assert "\nevent: change.recorded\n" in pushed
    answer.close()
    fresh.close()
    assert county.http.get(county.url("events/stream"),
                           headers=county.headers({"Last-Event-ID": "x"})).status_code == 400


def test_the_lag_of_the_read_views_is_exposed(county: Client, storage: object) -> None:
    county.unit("town", "镇")
    lag = county.ok(county.get("lag"), 200)
    assert lag["lag"] == 0 and lag["head"] == lag["views"] > 0
    place = storage.county(county.code)  # type: ignore[attr-defined]
    policy = place.ledger.policy()
    policy.amend({"coverage_target": 9}, date(2012, 1, 1), "test", datetime.now(timezone.utc))
    place.ledger.save(policy)  # saved without its rows: the views lag behind
    behind = county.ok(county.get("lag"), 200)
    assert behind["lag"] > 0 and behind["head"] > lag["head"]
    county.ok(county.get("tree"), 200)  # any read brings them up
    assert county.ok(county.get("lag"), 200)["lag"] == 0


def test_a_unit_read_while_the_views_lag_shows_every_committed_event(
    county: Client, storage: object,
) -> None:
    """The freshness check goes with the unit's own queries: when it finds the views
    behind, they are caught up and the unit asked again."""
    town = county.unit("town", "镇")
    place = storage.county(county.code)  # type: ignore[attr-defined]
    unit = place.ledger.unit(UUID(town))
    unit.rename("新镇", Stamp(date(2015, 1, 1), uuid4(), "test", datetime.now(timezone.utc)))
    place.ledger.save(unit)  # saved without its rows: the views lag behind
    assert county.ok(county.get("lag"), 200)["lag"] > 0
    assert county.ok(county.get(f"units/{town}"), 200)["name"] == "新镇"
    assert county.ok(county.get("lag"), 200)["lag"] == 0
