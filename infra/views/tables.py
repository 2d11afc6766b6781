"""How the views reach their tables: what differs between the stores (the
dialect), and one county's tables named, created, upgraded, read and written.

One SQL text serves PostgreSQL and SQLite: templates name tables as ``{units}``
and take ``%s`` placeholders; each dialect turns them into its own statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, Protocol, overload
from uuid import UUID

from infra.views.schema import (
    ADDED_COLUMNS,
    BACKFILLS,
    COLUMNS,
    COLUMNS_BY_TABLE,
    HELD_COLUMNS,
    HELD_PERSON,
    HOLDER_ERASED,
    INDEX_DDL,
    KEYS,
    TABLES,
)

Rows = Callable[[], list[Any]]


class Reads(Protocol):
    """Queries asked together and answered together: on PostgreSQL in one round
    trip (a pipeline), so a read that needs several costs the latency of one."""

    def ask(self, statement: Any, params: Sequence[Any]) -> Rows:
        """Send a query; the returned function waits for its rows (as tuples)."""


class ReadsInTurn:
    """``Reads`` on one cursor, each query answered as it is asked: where there is
    no round trip to save (SQLite), or only one query to ask."""

    def __init__(self, curs: Any):
        self.curs = curs

    def ask(self, statement: Any, params: Sequence[Any]) -> Rows:
        self.curs.execute(statement, params)
        rows = self.curs.fetchall()
        return lambda: rows


class Dialect:
    """What differs between the stores: names, placeholders, types, values read back."""

    types: dict[str, str]
    # The driver hands back uuid, date and boolean values typed (PostgreSQL), not as
    # text and 0/1 (SQLite): rows read by the thousand then need no conversion.
    reads_typed = False

    def statement(self, template: str, names: dict[str, str]) -> Any:
        raise NotImplementedError

    def rendered(self, statement: Any) -> Any:
        """The statement as the driver takes it fastest, for one run after another."""
        return statement

    def column_names(self, curs: Any, table: str) -> set[str]:
        raise NotImplementedError

    @contextmanager
    def reading(self, datastore: Any, *, tuples: bool = False) -> Iterator[Any]:
        """A cursor for reads, outside any transaction where the store allows;
        rows as dicts, or as plain tuples where speed counts."""
        raise NotImplementedError
        yield

    @contextmanager
    def asking(self, datastore: Any) -> Iterator[Reads]:
        """Queries on one connection, outside any transaction where the store allows,
        answered together where the store can (``Reads``); here, in turn."""
        with self.reading(datastore, tuples=True) as curs:
            yield ReadsInTurn(curs)

    def before_erasing(self, curs: Any) -> None:
        """Make the store overwrite, not merely unlink, what the transaction deletes."""

    def forget_erased(self, datastore: Any, tables: Sequence[Any]) -> None:
        """After an erasure is committed: leave no copy of what it erased that a raw
        scan of the store's files could find (old row versions, logs)."""

    def analyze(self, datastore: Any, tables: Sequence[Any]) -> None:
        """Gather the planner's statistics of these tables."""
        raise NotImplementedError

    def identifier(self, name: str) -> Any:
        return name

    # A column read back: None stays None, a value is converted (by one store only).
    @overload
    def uuid(self, value: None) -> None: ...
    @overload
    def uuid(self, value: UUID | str) -> UUID: ...
    def uuid(self, value: UUID | str | None) -> UUID | None:
        return value if value is None or isinstance(value, UUID) else UUID(value)

    @overload
    def date(self, value: None) -> None: ...
    @overload
    def date(self, value: date | str) -> date: ...
    def date(self, value: date | str | None) -> date | None:
        return value if value is None or isinstance(value, date) else date.fromisoformat(value)

    def timestamp(self, value: Any) -> datetime:
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)



class ViewTables:
    """One county's view tables; mixed into a library tracking recorder, whose
    datastore they share, so that rows and tracking commit together."""

    dialect: Dialect
    application_name: str
    datastore: Any

    def _init_views(self, names: dict[str, str]) -> None:
        self._names = names
        self._statements: dict[str, Any] = {}

    def sql(self, template: str) -> Any:
        """The statement of a template, rendered once per county and kept."""
        statement = self._statements.get(template)
        if statement is None:
            statement = self.dialect.rendered(self.dialect.statement(template, self._names))
            self._statements[template] = statement
        return statement

    def view_ddl(self) -> list[Any]:
        types = self.dialect.types
        tables = [
            "CREATE TABLE IF NOT EXISTS {%s} (%s)" % (
                table,
                ", ".join([f"{name} {types[kind]}" for name, kind in columns]
                          + ([KEYS[table]] if table in KEYS else [])),
            )
            for table, columns in COLUMNS.items()
        ]
        return [self.dialect.statement(statement, self._names) for statement in (*tables, *INDEX_DDL)]

    def migrate(self) -> None:
        """Add the columns a newer release brought to tables made before it (each
        looked for first: a county onboarded since has them already)."""
        with self.writing() as curs:
            have = {table: self.dialect.column_names(curs, self._names[table])
                    for table in {table for table, _ in ADDED_COLUMNS}}
            added = [(table, column) for table, column in ADDED_COLUMNS
                     if column not in have[table]]
            for table, column in added:
                kind = self.dialect.types[COLUMNS_BY_TABLE[table][column]]
                curs.execute(self.sql(f"ALTER TABLE {{{table}}} ADD COLUMN {column} {kind}"))
            for added_column in added:
                if added_column in BACKFILLS:
                    curs.execute(self.sql(BACKFILLS[added_column]))

    def table(self, name: str) -> Any:
        return self.dialect.identifier(self._names[name])

    def analyze(self) -> None:
        """The planner's statistics of the county's tables, after a bulk write (a
        build from the releases). The server gathers them by itself only later
        (autovacuum takes hours to come round to tens of thousands of new tables),
        and reads are planned without them until then."""
        self.dialect.analyze(self.datastore, [self.table(name) for name in TABLES])

    @contextmanager
    def reading(self, *, tuples: bool = False) -> Iterator[Any]:
        with self.dialect.reading(self.datastore, tuples=tuples) as curs:
            yield curs

    @contextmanager
    def writing(self) -> Iterator[Any]:
        """A transaction that holds the county's projection lock."""
        raise NotImplementedError
        yield

    @contextmanager
    def asking(self) -> Iterator[Reads]:
        """Queries to be answered together (``Reads``)."""
        with self.dialect.asking(self.datastore) as reads:
            yield reads

    @contextmanager
    def asking_one(self) -> Iterator[Reads]:
        """``Reads`` for a read of one query: answered at once, with nothing to wait
        for together (a pipeline would only add its own synchronisation)."""
        with self.reading(tuples=True) as curs:
            yield ReadsInTurn(curs)

    def rows(self, curs: Any, template: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        curs.execute(self.sql(template), tuple(params))
        return [dict(row) for row in curs.fetchall()]

    def query(self, template: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.reading() as curs:
            return self.rows(curs, template, params)

    def insert_posts(self, curs: Any, rows: list[tuple[Any, ...]]) -> None:
        """Insert posts' rows, in ``HELD_COLUMNS`` order, each with its holder as the
        people view shows them now."""
        if rows:
            names = ", ".join(name for name, _ in HELD_COLUMNS)
            marks = ", ".join(["%s"] * len(HELD_COLUMNS))
            curs.executemany(self.sql(
                f"INSERT INTO {{posts}} ({names}, holder_name, holder_erased) "
                f"SELECT {marks}, e.name, {HOLDER_ERASED} "
                "FROM (SELECT 1) AS one LEFT JOIN {people} AS e ON e.person_id = %s"),
                [(*row, row[HELD_PERSON]) for row in rows])

    def insert(self, curs: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Insert rows, in COLUMNS order, into one of the views' tables."""
        if rows:
            names = ", ".join(name for name, _ in COLUMNS[table])
            marks = ", ".join(["%s"] * len(COLUMNS[table]))
            curs.executemany(self.sql(f"INSERT INTO {{{table}}} ({names}) VALUES ({marks})"), rows)
