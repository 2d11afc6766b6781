"""PostgreSQL's two ways of inserting a statement's rows (infra.postgres.VALUES_PARAMS):
as VALUES, a parameter per value, and from a typed array per column, store the same."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any
from uuid import NAMESPACE_OID, uuid5

import pytest
from eventsourcing.persistence import StoredEvent

import infra.postgres
from conftest import county_code, stored_rows
from infra.storage import Settings, Storage, open_storage
from infra.views.schema import COLUMNS

# A value of each column type; ints of each size psycopg tells apart.
SAMPLES: dict[str, list[Any]] = {
    "uuid": [uuid5(NAMESPACE_OID, str(n)) for n in range(3)],
    "text": ["村", '{"a": [1, "二"]}', ""],
    "int": [1, 40_000, 2_000_000_000],
    "bigint": [1, 40_000, 5_000_000_000],
    "date": [date(2020, 1, 1), date(9999, 12, 31), date(1949, 10, 1)],
    "ts": [datetime(2024, 5, 1, 8, 30, 0, 123456, tzinfo=timezone.utc),
           datetime(9999, 12, 31, tzinfo=timezone.utc), datetime(2000, 1, 1, tzinfo=timezone.utc)],
    "bytes": [b"\x00\x01", b"", bytes(range(256))],
}


def _rows(table: str, count: int) -> list[tuple[Any, ...]]:
    """``count`` rows of a table, each its own key; every other value of the later
    rows NULL (never the first three columns, which hold the keys)."""
    columns = COLUMNS[table]
    return [
        tuple(
            SAMPLES[kind][n % 3] if i < 3 or n == 0 or (i + n) % 2 else None
            for i, (_, kind) in enumerate(columns)
        )
        for n in range(count)
    ]


@pytest.fixture
def pg_storage(pg_url: str) -> Iterator[Storage]:
    storage = open_storage(Settings(database_url=pg_url))
    storage.create_tables()
    try:
        yield storage
    finally:
        storage.close()


def _county(storage: Storage) -> str:
    code = county_code()
    storage.onboard_tenant(code, f"县{code}", code[:4], unlisted=True)
    return code


def _both_ways(storage: Storage, monkeypatch: pytest.MonkeyPatch, write: Any,
               tables: Any) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """What ``write(views, curs)`` stores in ``tables`` of a new county, its rows sent
    as VALUES (``"values"``) and from arrays (``"arrays"``)."""
    stored = {}
    for path, bound in (("values", infra.postgres.VALUES_PARAMS), ("arrays", 0)):
        monkeypatch.setattr(infra.postgres, "VALUES_PARAMS", bound)
        code = _county(storage)
        views = storage.county(code).views
        with views.writing() as curs:
            write(views, curs)
        stored[path] = stored_rows(storage, code, tables)
    return stored


@pytest.mark.parametrize("count", [1, 2, 3])
def test_view_rows_inserted_as_values_are_stored_as_from_arrays(
    pg_storage: Storage, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    # Not the chain: the county's own chain has its first link.
    tables = [t for t in COLUMNS
              if count * len(COLUMNS[t]) <= infra.postgres.VALUES_PARAMS and t != "chain"]

    def write(views: Any, curs: Any) -> None:
        for table in tables:
            views.insert(curs, table, _rows(table, count))

    stored = _both_ways(pg_storage, monkeypatch, write, tables)
    assert stored["values"] == stored["arrays"]
    assert all(len(rows) == count for rows in stored["values"].values())


@pytest.mark.parametrize("count", [1, 5, 13])
def test_events_inserted_as_values_are_stored_as_from_arrays(
    pg_storage: Storage, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    """The same events, at the same positions, with the same links in the chain;
    13 events are more than VALUES_PARAMS allows, and go from arrays either way."""
    events = [StoredEvent(uuid5(NAMESPACE_OID, str(n % 4)), n // 4 + 1 + n % 4 * 30_000,
                          f"topic:{n}", bytes([n]) * n) for n in range(count)]
    stored, positions = {}, {}
    for path, bound in (("values", infra.postgres.VALUES_PARAMS), ("arrays", 0)):
        monkeypatch.setattr(infra.postgres, "VALUES_PARAMS", bound)
        code = _county(pg_storage)
        positions[path] = pg_storage.county(code).ledger.recorder.insert_events(events)
        stored[path] = stored_rows(pg_storage, code, ("events", "chain"))
    assert positions["values"] == positions["arrays"]
    assert stored["values"] == stored["arrays"]
    at = {row[4]: row[:4] for row in stored["values"]["events"]}  # by notification_id
    assert [at[p] for p in positions["values"]] == [
        (e.originator_id, e.originator_version, e.topic, e.state) for e in events]


@pytest.mark.parametrize("count", [1, 4, 9])
def test_posts_inserted_as_values_take_their_holders_as_from_arrays(
    pg_storage: Storage, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    """Each post's row takes its holder from the people view, whichever way its rows
    go (9 posts are more than VALUES_PARAMS allows, and go from arrays either way);
    a holder the people view lacks leaves the row without a name, not erased."""
    named, erased, unknown = SAMPLES["uuid"]
    posts = [(uuid5(NAMESPACE_OID, f"post{n}"), named, named, (named, erased, unknown)[n % 3],
              "member", n % 2, 0, date(2020, 1, 1), date(9999, 12, 31),
              SAMPLES["ts"][0], SAMPLES["ts"][1]) for n in range(count)]

    def write(views: Any, curs: Any) -> None:
        views.insert(curs, "people", [
            (named, "张三", "none", "other", SAMPLES["ts"][0], None),
            (erased, None, "none", "other", SAMPLES["ts"][0], SAMPLES["ts"][0])])
        views.insert_posts(curs, posts)

    stored = _both_ways(pg_storage, monkeypatch, write, ["posts"])
    assert stored["values"] == stored["arrays"]
    holders = {row[0]: row[-2:] for row in stored["values"]["posts"]}
    assert [holders[post[0]] for post in posts] == [
        (("张三", 0), (None, 1), (None, 0))[n % 3] for n in range(count)]
