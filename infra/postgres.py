"""PostgreSQL: one bounded connection pool per process, shared by every county.

Each county has its own tables (``t<code>_events``, ``t<code>_units`` …) in one
schema, so counties never share a write lock or a notification order, and a
query that forgets a filter still cannot reach another county's rows.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlparse

import psycopg
from eventsourcing.persistence import (
    InfrastructureFactory,
    InterfaceError,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
    PostgresTrackingRecorder,
)
from eventsourcing.utils import retry
from psycopg import pq
from psycopg.rows import dict_row, tuple_row
from psycopg.sql import SQL, Identifier
from psycopg_pool import PoolTimeout

from application.view_batch import ViewBatch
from infra.views.schema import COLUMNS, HELD_COLUMNS, HOLDER_ERASED, INDEXES, TABLES
from infra.views.tables import Dialect, Rows
from infra.views.writer import LAST_LINK, TRACKED, ViewWriter, known_before

# Advisory-lock classes (the county code is the key): projecting a county's views, and
# creating its tables (two onboardings of one code at once would both find them missing).
PROJECTION_LOCK = 4771
CREATION_LOCK = 4772

# Held while the library's shared composite type is made (by the first county onboarded).
_SHARED_TYPE = threading.Lock()

# Datastores of this process, by key, for the factories of the county applications.
_DATASTORES: dict[str, PostgresDatastore] = {}

# A save of this many events or more is copied in (COPY, outside the library's
# pipeline), as is a view table's batch of this many rows outside a pipeline: a
# county's import, a release's changes, a catch-up's batch. Fewer go as one
# INSERT from arrays, with no round trip of their own. (See CountyEventRecorder.)
COPY_FROM = 100

# A statement of at most this many parameters inserts its rows as VALUES, a
# parameter per value: psycopg dumps those for a third of the CPU of a typed array
# per column (a row of 11 columns: 14 µs against 48), and keeps a statement of up to
# 50 parameters parsed (MAX_CACHED_STATEMENT_PARAMS; one of more is parsed again at
# every run, dearer than the arrays). A command's few rows per table go so.
VALUES_PARAMS = 50

# The events' columns as inserted, with their types.
EVENT_COLUMNS = (("originator_id", "uuid"), ("originator_version", "bigint"),
                 ("topic", "text"), ("state", "bytes"))

# A post's columns as the writer makes its rows (the store adds the holder's).
_HELD_NAMES = ", ".join(name for name, _ in HELD_COLUMNS)

# The columns of each table rows are copied into: the views' own, and the events'
# with the positions drawn for them.
COPIED = {**COLUMNS, "events": (("notification_id", "bigint"), *EVENT_COLUMNS)}

# The longest one statement may run: the largest writes (a county's whole history
# rewritten into its views) take a few seconds; under gunicorn's 60 s worker
# timeout and the 30 s lease of an idempotency claim (decision 10).
STATEMENT_SECONDS = 15


class StorageUnavailable(PersistenceError):
    """No connection could be had within the storage timeout. Not an
    ``OperationalError``, which the library's recorders retry ten times: a request
    waits for the storage once, then is answered 503."""


class BoundedDatastore(PostgresDatastore):
    """The library's datastore, where no request waits for PostgreSQL longer than
    the storage timeout (``GRASSROOTS_STORAGE_TIMEOUT``)."""

    def after_connect_func(self) -> Any:
        configure = super().after_connect_func()

        def after_connect(conn: psycopg.Connection[Any]) -> None:
            configure(conn)
            conn.execute(SQL("SET statement_timeout = {}").format(STATEMENT_SECONDS * 1000))

        return after_connect

    @contextmanager
    def get_connection(self) -> Iterator[Any]:
        try:
            with super().get_connection() as conn:
                try:
                    yield conn
                except psycopg.OperationalError:
                    if conn.broken:
                        # The server went away: so did the pool's idle connections.
                        # Dropped now, the library's retry waits for a new one
                        # instead of trying each dead one in turn.
                        self.pool.check()
                    raise
        except OperationalError as error:
            if isinstance(error.__cause__, PoolTimeout):
                raise StorageUnavailable("no storage connection within the storage timeout") from error
            raise


def open_datastore(url: str, *, pool_size: int, timeout: float, key: str) -> PostgresDatastore:
    parts = urlparse(url)
    datastore = BoundedDatastore(
        dbname=parts.path.lstrip("/") or "postgres",
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        # How long a request waits for a connection from the pool.
        connect_timeout=timeout,
        idle_in_transaction_session_timeout=5,
        pool_size=pool_size,
        max_overflow=0,
        # Whole seconds: the library writes it as SET LOCAL lock_timeout = 'Ns'.
        lock_timeout=max(1, math.ceil(timeout)),
    )
    _DATASTORES[key] = datastore
    return datastore


class SnapshotRecorder(PostgresAggregateRecorder):
    """The library's recorder of a county's snapshots, inserting each as a row of
    parameters, its state in binary: in the library's array of composite values, a
    body of 1,000 posts (a 220 KB snapshot) took 8 ms to encode in text here and as
    long again to parse there, three times the plain insert. A snapshot replaces its
    aggregate's older ones, in the same transaction (decision 23)."""

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        table = (Identifier(self.datastore.schema), Identifier(self.events_table_name))
        curs.executemany(SQL("INSERT INTO {}.{} (originator_id, originator_version, topic, state) "
                             "VALUES (%s, %s, %s, %b)").format(*table),
                         [(e.originator_id, e.originator_version, e.topic, e.state)
                          for e in stored_events])
        curs.executemany(SQL("DELETE FROM {}.{} WHERE originator_id = %s "
                             "AND originator_version < %s").format(*table),
                         [(e.originator_id, e.originator_version) for e in stored_events])


class SharedPostgresFactory(PostgresFactory):
    """The library's factory, on the process's shared datastore instead of its own pool."""

    DATASTORE_KEY = "GRASSROOTS_DATASTORE_KEY"
    aggregate_recorder_class = SnapshotRecorder  # a ledger's one aggregate recorder

    def __init__(self, env: Any):
        InfrastructureFactory.__init__(self, env)
        key = self.env.get(self.DATASTORE_KEY)
        if key is None:
            raise KeyError(f"{self.DATASTORE_KEY} names no datastore: open_datastore() first")
        self.datastore = _DATASTORES[key]

    def close(self) -> None:
        """The pool belongs to the process, not to one county."""


class CountyEventRecorder(PostgresApplicationRecorder):
    """The library's recorder, chaining the events and writing a command's view rows
    in the events' own transaction.

    The events are inserted as VALUES, or from an array per column when they are
    many (not the library's array of composite values, slower to encode; see
    ``VALUES_PARAMS``), and the insert answers, besides their
    positions, what the views need to know before writing with them (the last
    position stored before them, the tracked one, the chain's last link): no round
    trip more than the library's own.

    A large save's events are copied in instead, outside the pipeline (COPY is not
    allowed in one): their positions are taken from the events' sequence under the
    table's lock first, with the rest that query answers, so that the events, their
    links and rows are made before they are sent, and streamed. psycopg encodes a
    copied row in C; the arrays of an INSERT, value by value in Python. The rows are
    copied too when they only add to the views (an import); rows that rewrite what
    is stored go through a pipeline, their statements sent without waiting."""

    views: PostgresStructureViews | None = None

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if self.views is None or len(stored_events) < COPY_FROM:
            return super().insert_events(stored_events, **kwargs)
        return self._copy_events(stored_events, **kwargs)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _copy_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        views = self.views
        assert views is not None
        with self.datastore.transaction(commit=True) as curs:
            with curs.connection.pipeline():  # the lock, the notification, the positions: one round trip
                self._lock_table(curs)
                self._notify_channel(curs)
                positions, known = views.draw_positions(curs, len(stored_events))
            views.copy(curs, "events", [
                (position, e.originator_id, e.originator_version, e.topic, e.state)
                for position, e in zip(positions, stored_events, strict=True)])
            batch: ViewBatch | None = kwargs.get("views")
            if batch is None or batch.writes_in_bulk:  # each table's rows copied in
                views.record_with_events(curs, stored_events, positions, batch, known)
            else:  # statements of their own, which a pipeline sends without waiting
                with curs.connection.pipeline():
                    views.record_with_events(curs, stored_events, positions, batch, known)
        return positions

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        if self.views is None:
            super()._insert_stored_events(curs, stored_events, **kwargs)
            return
        self._lock_table(curs)
        self._notify_channel(curs)
        rows = [(e.originator_id, e.originator_version, e.topic, e.state) for e in stored_events]
        self.views.insert_events(curs, rows)

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if self.views is None:
            return super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        rows = curs.fetchall()
        positions = [row["notification_id"] for row in rows]
        if rows:
            first = rows[0]
            self.views.record_with_events(
                curs, stored_events, positions, kwargs.get("views"),
                known_before(first["before"], first["tracked"], first["link"]))
        return positions


class PostgresDialect(Dialect):
    types = {
        "uuid": "uuid", "text": "text", "int": "integer", "bigint": "bigint",
        "date": "date", "ts": "timestamptz", "bytes": "bytea",
    }
    reads_typed = True

    def statement(self, template: str, names: dict[str, str]) -> Any:
        return SQL(template).format(**{k: Identifier(v) for k, v in names.items()})

    def rendered(self, statement: Any) -> Any:
        # Bytes, not the composed statement: psycopg then parses it once and keeps
        # the result, where a composed one is quoted and parsed again at every run.
        return statement.as_bytes(None)

    def identifier(self, name: str) -> Any:
        return Identifier(name)

    @contextmanager
    def asking(self, datastore: Any) -> Iterator[PipelinedReads]:
        with datastore.get_connection() as conn, conn.pipeline():
            reads = PipelinedReads(conn)
            try:
                yield reads
            finally:
                for curs in reads.cursors:
                    curs.close()

    def column_names(self, curs: Any, table: str) -> set[str]:
        curs.execute("SELECT column_name FROM information_schema.columns "
                     "WHERE table_schema = current_schema() AND table_name = %s", (table,))
        return {row["column_name"] for row in curs.fetchall()}  # a writing() cursor: dict rows

    def forget_erased(self, datastore: Any, tables: Sequence[Any]) -> None:
        # Reclaim the dead row versions that still hold what was erased.
        with datastore.get_connection() as conn:  # autocommit, as VACUUM needs
            for table in tables:
                conn.execute(SQL("VACUUM {}").format(table))

    def analyze(self, datastore: Any, tables: Sequence[Any]) -> None:
        with datastore.get_connection() as conn:
            conn.execute(SQL("ANALYZE {}").format(SQL(", ").join(tables)))

    @contextmanager
    def reading(self, datastore: Any, *, tuples: bool = False) -> Iterator[Any]:
        # Autocommit: a read is one round trip, not BEGIN, SELECT, ROLLBACK.
        with datastore.get_connection() as conn, conn.cursor(
            row_factory=tuple_row if tuples else dict_row
        ) as curs:
            yield curs


class PipelinedReads:
    """``Reads`` on one connection in pipeline mode: each query is sent at once on
    a cursor of its own, and the first rows waited for bring every answer."""

    def __init__(self, conn: psycopg.Connection[Any]):
        self.conn = conn
        self.cursors: list[psycopg.Cursor[Any]] = []

    def ask(self, statement: Any, params: Sequence[Any]) -> Rows:
        curs = self.conn.cursor(row_factory=tuple_row)
        self.cursors.append(curs)
        curs.execute(statement, params, prepare=True)
        return curs.fetchall


def _values_count(columns: Sequence[tuple[str, str]], rows: Sequence[tuple[Any, ...]]) -> int:
    """How many rows go as VALUES (all, when few enough: ``VALUES_PARAMS``), else 0."""
    return len(rows) if len(rows) * len(columns) <= VALUES_PARAMS else 0


def _params(rows: Sequence[tuple[Any, ...]], count: int) -> list[Any]:
    """The parameters of rows sent as ``count`` VALUES (a value each), or (0) as a
    list per column."""
    if count:
        return [value for row in rows for value in row]
    return [list(values) for values in zip(*rows, strict=True)]


class PostgresStructureViews(ViewWriter, PostgresTrackingRecorder):
    dialect = PostgresDialect()
    head = "(SELECT MAX(notification_id) FROM {events})"

    def __init__(self, datastore: PostgresDatastore, county: str):
        prefix = f"t{county}"
        super().__init__(datastore, tracking_table_name=f"{prefix}_tracking")
        self.county = county
        self.application_name = prefix
        self._init_views({n: f"{prefix}_{n}" for n in (*TABLES, *INDEXES, "events", "tracking")})
        self._inserts: dict[tuple[str, int], Any] = {}
        self.sql_create_statements.extend(self.view_ddl())

    def insert_events(self, curs: Any, rows: Sequence[tuple[Any, ...]]) -> None:
        """The county's events inserted (``inserting``); each row answers its position
        and, read before the insert (under the events' table lock), the last position
        stored, the tracked one and the chain's last link."""
        statement, params = self.inserting("events", EVENT_COLUMNS, rows, (
            f" RETURNING notification_id, {self.head} AS before, {TRACKED} AS tracked, "
            f"{LAST_LINK} AS link"))
        curs.execute(statement, [*params, self.application_name], prepare=True)

    def inserting(self, table: str, columns: Sequence[tuple[str, str]],
                  rows: Sequence[tuple[Any, ...]], then: str = "") -> tuple[Any, list[Any]]:
        """The statement inserting ``rows`` into ``table`` (its template followed by
        ``then``), and its parameters (``_rows_statement``)."""
        return self._rows_statement(table, columns, rows, lambda values: (
            f"INSERT INTO {{{table}}} ({', '.join(name for name, _ in columns)}) "
            f"{values}{then}"))

    def _rows_statement(self, key: str, columns: Sequence[tuple[str, str]],
                        rows: Sequence[tuple[Any, ...]],
                        template: Callable[[str], str]) -> tuple[Any, list[Any]]:
        """The statement ``template`` makes around the SQL of ``rows``, and its
        parameters: as VALUES, a parameter per value (up to ``VALUES_PARAMS``), or
        from a typed array per column, however many rows. Kept per key and number of
        rows (0: arrays)."""
        count = _values_count(columns, rows)
        statement = self._inserts.get((key, count))
        if statement is None:
            statement = self._inserts[key, count] = self.sql(
                template(self._rows_of(columns, count)))
        return statement, _params(rows, count)

    def _rows_of(self, columns: Sequence[tuple[str, str]], count: int) -> str:
        """SQL of ``count`` rows as VALUES, or (0) of a typed array per column
        unnested, for the parameters ``_params`` gives."""
        types = self.dialect.types
        if count:
            row = "(" + ", ".join(f"%b::{types[kind]}" for _, kind in columns) + ")"
            return f"VALUES {', '.join([row] * count)}"
        return "SELECT * FROM unnest(" + ", ".join(
            f"%b::{types[kind]}[]" for _, kind in columns) + ")"

    def draw_positions(self, curs: Any, count: int) -> tuple[list[int], tuple[int, int, bytes]]:
        """``count`` consecutive positions taken from the events' sequence at once,
        for events copied in under the events' table lock (no other writer takes
        one meanwhile), and what ``record_with_events`` needs to know before they
        are stored: the last position stored, the tracked one, the chain's last link."""
        curs.execute(self.sql(
            "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), "
            "nextval(pg_get_serial_sequence(%s, 'notification_id')) + %s - 1), "
            f"{self.head}, {TRACKED}, {LAST_LINK}"),
            (self._names["events"], self._names["events"], count, self.application_name))
        last, before, tracked, link = curs.fetchone().values()
        return list(range(last - count + 1, last + 1)), known_before(before, tracked, link)

    def copy(self, curs: Any, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows, in ``COPIED[table]`` order, copied into one of the county's tables
        (binary: no value is rendered as text)."""
        columns = COPIED[table]
        with curs.copy(self.sql(
            f"COPY {{{table}}} ({', '.join(name for name, _ in columns)}) FROM STDIN (FORMAT BINARY)"
        )) as copy:
            copy.set_types([self.dialect.types[kind] for _, kind in columns])
            for row in rows:
                copy.write_row(row)

    def insert(self, curs: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
        """All rows in one statement (``inserting``): one round trip; many rows
        outside a pipeline are copied in."""
        if not rows:
            return
        if len(rows) >= COPY_FROM and curs.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF:
            self.copy(curs, table, rows)
            return
        statement, params = self.inserting(table, COLUMNS[table], rows)
        curs.execute(statement, params, prepare=True)

    def insert_posts(self, curs: Any, rows: list[tuple[Any, ...]]) -> None:
        """Posts' rows as ``insert`` sends them, never copied (a copy cannot join),
        each with its holder from the people view."""
        if not rows:
            return
        statement, params = self._rows_statement("held posts", HELD_COLUMNS, rows, lambda values: (
            f"INSERT INTO {{posts}} ({_HELD_NAMES}, holder_name, holder_erased) "
            f"SELECT u.*, e.name, {HOLDER_ERASED} FROM ({values}) AS u({_HELD_NAMES}) "
            "LEFT JOIN {people} AS e ON e.person_id = u.person_id"))
        curs.execute(statement, params, prepare=True)

    @contextmanager
    def writing(self) -> Iterator[Any]:
        with self.datastore.transaction(commit=True) as curs:
            self._lock(curs)
            yield curs

    def _lock(self, curs: Any) -> None:
        curs.execute("SELECT pg_advisory_xact_lock(%s, %s)", (PROJECTION_LOCK, int(self.county)))

    def create_county(self, events: PostgresApplicationRecorder,
                      snapshots: PostgresAggregateRecorder | None) -> None:
        """A new county's tables, its events', snapshots' and views', in one transaction and one
        round trip (the library's ``create_table`` takes a transaction and a round trip
        per statement for each recorder; onboarding all of China spends its time there).

        The composite type the library's inserts use is shared by every county: the
        first county of a database has it made by the library's own ``create_table``.
        Its insert function is left out: it serves only ``POSTGRES_ENABLE_DB_FUNCTIONS``
        (off), is shared too, and each county replacing it made concurrent onboardings
        fail ("tuple concurrently updated").
        """
        with _SHARED_TYPE:  # counties onboarded at once: one thread makes it
            if events.stored_event_type_name not in self.datastore.psycopg_type_adapters:
                events.create_table()
        shared = ("CREATE TYPE", "CREATE OR REPLACE FUNCTION")
        recorders = (events, *([snapshots] if snapshots is not None else []), self)
        statements = [SQL("SELECT pg_advisory_xact_lock({}, {})").format(
            CREATION_LOCK, int(self.county))]
        statements += [s for recorder in recorders for s in recorder.sql_create_statements
                       if not s.as_string().lstrip().startswith(shared)]
        # The library's mark of a single-row tracking table (``create_table`` writes it
        # too): without it, a later ``create_table`` would take the table for a legacy one.
        statements.append(SQL("INSERT INTO {}.{} VALUES ({}, 1) ON CONFLICT DO NOTHING").format(
            Identifier(self.datastore.schema), Identifier(self.tracking_table_name),
            self.table_migration_identifier))
        with self.datastore.get_connection() as conn:
            # No parameters: one simple query of many statements, which PostgreSQL runs
            # as one transaction (no round trips for BEGIN and COMMIT).
            conn.execute(SQL("; ").join(statements), prepare=False)
