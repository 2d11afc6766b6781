"""The county's event feed: CloudEvents in recorded order, every event exactly once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone

from conftest import Client


def feed(county: Client, **params: object) -> dict:
    return county.ok(county.get("events", **params), 200)


def test_the_feed_gives_cloud_events_in_recorded_order_and_resumes(county: Client) -> None:
    town = county.unit("town", "镇")
    village = county.unit("village", "甲村", town)
    rename = county.ok(county.post(f"units/{village}/renames", {"name": "甲新村", "effective_date": "2012-01-01"}))
    everything = feed(county, limit=1000)["items"]
    positions = [e["position"] for e in everything]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    renamed = [e for e in everything if e["type"] == "unit.renamed"]
    assert len(renamed) == 1
    [event] = renamed
    assert event["specversion"] == "1.0" and event["source"] == f"/v1/tenants/{county.code}"
    assert event["subject"] == village and event["effective_date"] == "2012-01-01"
    assert event["time"] == rename["recorded_at"] and event["datacontenttype"] == "application/json"
    assert event["data"]["name"] == "甲新村" and event["data"]["change_id"] == rename["change_id"]
    assert event["id"] == f"{county.code}-{event['position']}"

    first = feed(county, limit=2)
    rest = feed(county, after=first["next_after"], limit=1000)
    assert [e["position"] for e in first["items"] + rest["items"]] == positions
    assert feed(county, after=positions[-1])["items"] == []
    assert feed(county, after=positions[-1])["next_after"] == positions[-1]

    only = feed(county, types="unit.renamed,change.recorded", limit=1000)["items"]
    assert {e["type"] for e in only} == {"unit.renamed", "change.recorded"}
    assert county.get("events", types="unit.exploded").status_code == 422


def test_the_integrator_reads_the_feed_and_nothing_else(county: Client) -> None:
    county.unit("town", "镇")
    key = county.ok(county.post("keys", {"role": "integrator", "label": "城市大脑"}))["key"]
    integrator = Client(county.http, key, county.code)
    assert integrator.ok(integrator.get("events"), 200)["items"]
    assert integrator.get("tree").status_code == 403
    assert integrator.get("units").status_code == 403
    assert integrator.post("units", {"kind": "town", "name": "x", "effective_date": "2010-01-01"}).status_code == 403


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
