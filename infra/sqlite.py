"""SQLite, the embedded default: one database file per county under the data folder."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import Any
from uuid import UUID

from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.sqlite import (
    SQLiteAggregateRecorder,
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
    SQLiteTrackingRecorder,
)

from infra.views.schema import INDEXES, TABLES
from infra.views.tables import Dialect
from infra.views.writer import LAST_LINK, TRACKED, ViewWriter, known_before


def _timestamp(value: datetime) -> str:
    # Fixed width, always UTC with microseconds, so text order is time order.
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


# How often an erasure tries to empty the write-ahead log while readers hold it.
CHECKPOINT_ATTEMPTS = 10


class SnapshotRecorder(SQLiteAggregateRecorder):
    """The library's recorder of a county's snapshots; a snapshot replaces its
    aggregate's older ones, in the same transaction (decision 23)."""

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        super()._insert_events(c, stored_events, **kwargs)
        # A fixed word: each county has a database file of its own. The id as the
        # library's insert writes it.
        c.executemany(f"DELETE FROM {self.events_table_name} WHERE originator_id = ? "
                      "AND originator_version < ?",
                      [(e.originator_id.hex if isinstance(e.originator_id, UUID)
                        else e.originator_id, e.originator_version) for e in stored_events])
        return None


class CountyFactory(SQLiteFactory):
    """The library's factory, with the snapshots' recorder (a ledger's one aggregate
    recorder)."""

    aggregate_recorder_class = SnapshotRecorder


class StoreBusy(OperationalError):
    """The store could not finish forgetting erased data now (503); a retry will."""


sqlite3.register_adapter(UUID, str)
sqlite3.register_adapter(date, date.isoformat)
sqlite3.register_adapter(datetime, _timestamp)


class CountyEventRecorder(SQLiteApplicationRecorder):
    """The library's recorder, chaining the events and writing a command's view rows
    in the events' own transaction."""

    views: SQLiteStructureViews | None = None

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        if self.views is not None and positions:
            self.views.record_with_events(c, stored_events, positions, kwargs.get("views"),
                                          self.views.known_before_position(c, positions[0]))
        return positions


class SQLiteDialect(Dialect):
    types = {
        "uuid": "TEXT", "text": "TEXT", "int": "INTEGER", "bigint": "INTEGER",
        "date": "TEXT", "ts": "TEXT", "bytes": "BLOB",
    }

    def statement(self, template: str, names: dict[str, str]) -> Any:
        return template.format(**names).replace("%s", "?")

    def column_names(self, curs: Any, table: str) -> set[str]:
        curs.execute(f"PRAGMA table_info({table})")  # a fixed word: one file per county
        return {row[1] for row in curs.fetchall()}

    def before_erasing(self, curs: Any) -> None:
        # Deleted content is zeroed in the file, not left in free space.
        curs.execute("PRAGMA secure_delete = ON")

    def forget_erased(self, datastore: Any, tables: Sequence[Any]) -> None:
        # The write-ahead log still holds the pages as they were before the
        # erasure: copy it into the (securely overwritten) file and empty it.
        for attempt in range(CHECKPOINT_ATTEMPTS):
            with datastore.transaction(commit=False) as curs:
                curs.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy = curs.fetchone()[0]
            if not busy:
                return
            time.sleep(0.05 * (attempt + 1))  # a reader still holds an older snapshot
        raise StoreBusy("the write-ahead log could not be emptied; ask again to finish")

    def analyze(self, datastore: Any, tables: Sequence[Any]) -> None:
        with datastore.transaction(commit=True) as curs:
            for table in tables:  # fixed words: one file per county
                curs.execute(f"ANALYZE {table}")

    @contextmanager
    def reading(self, datastore: Any, *, tuples: bool = False) -> Iterator[Any]:
        # sqlite3.Row answers both row["name"] and row[0].
        with datastore.transaction(commit=False) as curs:
            yield curs


class SQLiteStructureViews(ViewWriter, SQLiteTrackingRecorder):
    dialect = SQLiteDialect()
    head = "(SELECT MAX(rowid) FROM stored_events)"

    def __init__(self, datastore: SQLiteDatastore, county: str):
        super().__init__(datastore)
        self.application_name = f"t{county}"
        # Table names are fixed words: each county has a database file of its own.
        self._init_views({n: n for n in (*TABLES, *INDEXES, "tracking")})
        self.create_table_statements.extend(self.view_ddl())

    def known_before_position(self, curs: Any, position: int) -> tuple[int, int, bytes]:
        """What ``record_with_events`` needs to know of the events before ``position``
        (this transaction holds the file's write lock): the last one's position, the
        tracked one and the chain's last link."""
        curs.execute(self.sql(
            "SELECT (SELECT MAX(rowid) FROM stored_events WHERE rowid < %s), "
            f"{TRACKED}, {LAST_LINK}"), (position, self.application_name))
        return known_before(*curs.fetchone())

    @contextmanager
    def writing(self) -> Iterator[Any]:
        with self.datastore.transaction(commit=True) as curs:
            self._lock(curs)
            yield curs

    def _lock(self, curs: Any) -> None:
        # Write first, so the transaction holds the write lock before it reads
        # the tracking position (no stale read to upgrade later).
        curs.execute(
            "UPDATE tracking SET notification_id = notification_id WHERE application_name = ?",
            (self.application_name,),
        )

