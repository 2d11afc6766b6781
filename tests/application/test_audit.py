"""Tamper evidence: edit, delete, insert or reorder stored events directly; verification
names the first bad position, on both stores. Signed digests hold the history to account."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from conftest import Client, county_code
from infra.storage import PostgresStorage, SQLiteStorage, Storage
from interfaces.cli import main


def raw(storage: Storage, code: str, pg: str, lite: str, params: tuple[Any, ...] = ()) -> None:
    """Run SQL on the county's stored events behind the service's back."""
    if isinstance(storage, SQLiteStorage):
        with sqlite3.connect(storage.folder / f"{code}.db") as conn:
            conn.execute(lite.replace("%s", "?"), params)
    else:
        assert isinstance(storage, PostgresStorage)
        with psycopg.connect(storage.settings.database_url) as conn:
            conn.execute(pg.replace("{events}", f'"t{code}_events"'), params)


@pytest.fixture
def county(operator: Client) -> Client:
    """A county of a city of its own: its events are tampered with here, and a city's
    reports read every county of their city (the other tests' counties are in 3303)."""
    code = county_code()
    created = operator.ok(operator.post("/v1/tenants", {"code": code, "name": "篡改县",
                                                        "city_code": "9911", "unlisted": True}))
    return Client(operator.http, created["admin_key"], code)


@pytest.fixture
def history(county: Client) -> list[int]:
    """A county with some history; the positions of its events."""
    town = county.unit("town", "镇")
    for name in ("甲村", "乙村", "丙村"):
        county.unit("village", name, town)
    return [e["position"] for e in county.ok(county.get("events", limit=1000), 200)["items"]]


def verify(county: Client) -> dict[str, Any]:
    """GET audit/verify with an auditor's key (an admin is no auditor)."""
    key = county.ok(county.post("keys", {"role": "auditor", "label": "审计"}))["key"]
    auditor = Client(county.http, key, county.code)
    return auditor.ok(auditor.get("audit/verify"), 200)


TAMPERING: dict[str, tuple[str, str, Callable[[list[int]], tuple[Any, ...]], Callable[[list[int]], int]]] = {
    "edited": (
        "UPDATE {events} SET state = state || '\\x20'::bytea WHERE notification_id = %s",
        "UPDATE stored_events SET state = CAST(state || ' ' AS BLOB) WHERE rowid = %s",
        lambda p: (p[3],), lambda p: p[3]),
    "deleted": (
        "DELETE FROM {events} WHERE notification_id = %s",
        "DELETE FROM stored_events WHERE rowid = %s",
        lambda p: (p[2],), lambda p: p[2]),
}


def swap(storage: Storage, code: str, first: int, second: int) -> None:
    """Exchange the positions of two stored events, through a free one."""
    for old, new in ((first, -1), (second, first), (-1, second)):
        raw(storage, code, "UPDATE {events} SET notification_id = %s WHERE notification_id = %s",
            "UPDATE stored_events SET rowid = %s WHERE rowid = %s", (new, old))


@pytest.mark.parametrize("tampering", [*sorted(TAMPERING), "reordered"])
def test_tampering_with_a_stored_event_is_found_at_its_position(
    county: Client, history: list[int], storage: Storage, tampering: str
) -> None:
    clean = verify(county)
    assert clean["ok"] is True and clean["first_bad_position"] is None
    assert clean["head_position"] == history[-1] and len(clean["head"]) == 64
    if tampering == "reordered":
        swap(storage, county.code, history[1], history[4])
        bad = history[1]
    else:
        pg, lite, params, position = TAMPERING[tampering]
        raw(storage, county.code, pg, lite, params(history))
        bad = position(history)
    result = verify(county)
    assert result["ok"] is False
    assert result["first_bad_position"] == bad


def test_an_inserted_event_is_found(county: Client, history: list[int], storage: Storage) -> None:
    forged = uuid.uuid4()
    state = json.dumps({"name": "虚构村"}).encode()
    raw(storage, county.code,
        "INSERT INTO {events} (originator_id, originator_version, topic, state) VALUES (%s, 1, 'x', %s)",
        "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (%s, 1, 'x', %s)",
        (forged.hex if isinstance(storage, SQLiteStorage) else forged, state))
    result = verify(county)
    assert result["ok"] is False and result["first_bad_position"] > history[-1]


def test_only_auditors_verify(county: Client) -> None:
    assert verify(county)["ok"] is True
    assert county.get("audit/verify").status_code == 403  # the admin's key
    viewer = county.ok(county.post("keys", {"role": "viewer"}))["key"]
    assert Client(county.http, viewer, county.code).get("audit/verify").status_code == 403


def test_a_signed_digest_shows_the_history_extends_it_unchanged(
    county: Client, history: list[int], store_url: str, storage: Storage, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = {"GRASSROOTS_DATABASE_URL": store_url, "GRASSROOTS_SIGNING_KEY": str(tmp_path / "key.pem")}
    assert runner.invoke(main, ["audit", "keygen", str(tmp_path / "key.pem")], env=env).exit_code == 0
    digest = runner.invoke(main, ["audit", "digest", county.code], env=env, catch_exceptions=False)
    assert digest.exit_code == 0, digest.output
    (tmp_path / "digest.json").write_text(digest.output)
    assert json.loads(digest.output)["position"] == history[-1]

    county.unit("town", "新镇")  # the history goes on
    later = runner.invoke(main, ["audit", "verify", county.code, "--digest", str(tmp_path / "digest.json")],
                          env=env, catch_exceptions=False)
    assert later.exit_code == 0, later.output
    assert "extends the digest" in later.output

    forged = json.loads(digest.output) | {"head": "00" * 32}
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    refused = runner.invoke(main, ["audit", "verify", county.code, "--digest", str(tmp_path / "forged.json")],
                            env=env)
    assert refused.exit_code != 0

    raw(storage, county.code,
        "UPDATE {events} SET state = state || '\\x20'::bytea WHERE notification_id = %s",
        "UPDATE stored_events SET state = CAST(state || ' ' AS BLOB) WHERE rowid = %s", (history[0],))
    broken = runner.invoke(main, ["audit", "verify", county.code], env=env)
    assert broken.exit_code != 0 and f"position {history[0]}" in broken.output


def test_a_replay_finds_the_views_follow_from_the_events_and_names_a_difference(
    county: Client, history: list[int], storage: Storage
) -> None:
    key = county.ok(county.post("keys", {"role": "auditor"}))["key"]
    auditor = Client(county.http, key, county.code)
    report = auditor.ok(auditor.post("audit/replays", {"as_of": "2012-01-01"}), 200)
    assert report["matches"] is True and report["differences"] == []
    assert report["events_replayed"] >= len(history) and report["units_compared"] == 4

    # Corrupt a read view behind the service's back: the replay names it.
    table = "units" if isinstance(storage, SQLiteStorage) else f'"t{county.code}_units"'
    if isinstance(storage, SQLiteStorage):
        with sqlite3.connect(storage.folder / f"{county.code}.db") as conn:
            conn.execute(f"UPDATE {table} SET name = '篡改村' WHERE name = '甲村'")
    else:
        with psycopg.connect(storage.settings.database_url) as conn:
            conn.execute(f"UPDATE {table} SET name = '篡改村' WHERE name = '甲村'")
    report = auditor.ok(auditor.post("audit/replays", {"as_of": "2012-01-01"}), 200)
    assert report["matches"] is False
    [difference] = report["differences"]
    assert (difference["field"], difference["in_view"], difference["replayed"]) == ("name", "篡改村", "甲村")


def test_a_replay_compares_every_column_of_a_unit_with_the_events(
    county: Client, history: list[int], storage: Storage
) -> None:
    """The plan that places a village too: a row's every column is audited."""
    villages = [u["id"] for u in county.ok(county.get("units", kind="village", as_of="2012-01-01"),
                                           200)["items"]]
    county.plan("rural_community", villages[:2])
    key = county.ok(county.post("keys", {"role": "auditor"}))["key"]
    auditor = Client(county.http, key, county.code)
    assert auditor.ok(auditor.post("audit/replays", {"as_of": "2012-01-01"}), 200)["matches"]

    unplaced = "UPDATE {table} SET plan_id = NULL WHERE unit_id = %s"
    if isinstance(storage, SQLiteStorage):
        with sqlite3.connect(storage.folder / f"{county.code}.db") as conn:
            conn.execute(unplaced.format(table="units").replace("%s", "?"), (villages[0],))
    else:
        with psycopg.connect(storage.settings.database_url) as conn:
            conn.execute(unplaced.format(table=f'"t{county.code}_units"'), (villages[0],))
    report = auditor.ok(auditor.post("audit/replays", {"as_of": "2012-01-01"}), 200)
    [difference] = report["differences"]
    assert (difference["unit_id"], difference["field"], difference["in_view"]) == (
        villages[0], "plan_id", None)


def test_the_cli_replays_with_progress(county: Client, history: list[int], store_url: str) -> None:
    result = CliRunner().invoke(main, ["audit", "replay", county.code, "--as-of", "2012-01-01"],
                                env={"GRASSROOTS_DATABASE_URL": store_url}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["matches"] is True
