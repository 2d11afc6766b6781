"""A county's read views: bitemporal interval rows of every unit, its history,
the change log and the lineage — kept in the same store as its events.

One SQL text serves PostgreSQL and SQLite; each dialect supplies identifiers,
placeholders and column types. The views extend the library's tracking
recorders, so the rows of a batch and its tracking position commit together.

An interval row holds while ``valid_from <= as_of < valid_to`` (effective
dates) and ``recorded_from <= known_at < recorded_to`` (recorded times); a row
no longer believed is closed by setting ``recorded_to``, never updated
otherwise or deleted, so every earlier state of knowledge stays answerable.

The same store keeps the hash chain over the county's events (``infra.chain``),
written with them by the county's recorder through ``record_with_events``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from application.personal_data import new_key
from application.projection import BodyRewrite, RecordRewrite, ViewBatch
from application.reports import (
    ArrangementFacts, BodyFacts, CatalogueFacts, PostFacts, UnitFacts,
)
from domain.assessment import Item
from domain.timeline import END
from infra.chain import GENESIS, StoredRecord, chain_links

# The open end of recorded time: a row still believed.
STILL_BELIEVED = datetime(9999, 12, 31, tzinfo=timezone.utc)

# Each table of the views: its columns with their portable types, then its keys.
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "units": (
        ("unit_id", "uuid"), ("kind", "text"), ("code", "text"), ("status", "text"),
        ("name", "text"), ("parent_id", "uuid"), ("federation_id", "uuid"),
        ("plan_id", "uuid"), ("households", "int"), ("residents", "int"),
        ("floating", "int"), ("established_on", "date"), ("ceased_on", "date"),
        ("valid_from", "date"), ("valid_to", "date"),
        ("recorded_from", "ts"), ("recorded_to", "ts"),
    ),
    "history": (
        ("position", "bigint"), ("unit_id", "uuid"), ("version", "int"), ("type", "text"),
        ("effective_date", "date"), ("recorded_at", "ts"), ("actor", "text"),
        ("change_id", "uuid"), ("name", "text"), ("kind", "text"), ("data", "text"),
    ),
    "changes": (
        ("change_id", "uuid"), ("position", "bigint"), ("type", "text"),
        ("effective_date", "date"), ("recorded_at", "ts"), ("actor", "text"),
        ("authority", "text"), ("created_unit_ids", "text"), ("affected_unit_ids", "text"),
        ("retracted_at", "ts"), ("retracted_by", "uuid"), ("retraction_reason", "text"),
        ("source", "text"),  # release:<year> for what a statistical release showed
    ),
    # Not a view: the hash chain over the stored events (infra.chain), kept beside them.
    "chain": (("position", "bigint"), ("link", "bytes")),
    "lineage": (
        ("predecessor_id", "uuid"), ("predecessor_name", "text"),
        ("predecessor_kind", "text"), ("successor_id", "uuid"), ("successor_name", "text"),
        ("successor_kind", "text"), ("change_id", "uuid"), ("change_type", "text"),
        ("effective_date", "date"), ("recorded_at", "ts"),
        ("grp", "int"),  # group lineage (1): the source cannot say which went where
        # The county a side lives in when it is not this one (lineage across counties).
        ("predecessor_tenant", "text"), ("successor_tenant", "text"),
    ),
    "bodies": (
        ("body_id", "uuid"), ("unit_id", "uuid"), ("type", "text"), ("name", "text"),
        ("attributes", "text"), ("established_on", "date"), ("abolished_on", "date"),
        ("valid_from", "date"), ("valid_to", "date"),
        ("recorded_from", "ts"), ("recorded_to", "ts"),
    ),
    "posts": (
        ("post_id", "uuid"), ("body_id", "uuid"), ("unit_id", "uuid"), ("person_id", "uuid"),
        ("role", "text"), ("full_time", "int"), ("concurrent", "int"),
        ("valid_from", "date"), ("valid_to", "date"),
        ("recorded_from", "ts"), ("recorded_to", "ts"),
    ),
    "arrangements": (
        ("arrangement_id", "uuid"), ("zone_id", "uuid"), ("other_id", "uuid"), ("mode", "text"),
        ("valid_from", "date"), ("valid_to", "date"),
        ("recorded_from", "ts"), ("recorded_to", "ts"),
    ),
    "catalogues": (
        ("catalogue_id", "uuid"), ("town_id", "uuid"), ("year", "int"), ("items", "text"),
        ("valid_from", "date"), ("valid_to", "date"),
        ("recorded_from", "ts"), ("recorded_to", "ts"),
    ),
    # Not bitemporal: a name is shown until the person is erased, then at no time.
    "people": (
        ("person_id", "uuid"), ("name", "text"), ("rank", "text"), ("source", "text"),
        ("registered_at", "ts"), ("erased_at", "ts"),
    ),
    # Not a view: the keys that seal each person's personal data in the events
    # (application.personal_data); erasure deletes the row.
    "person_keys": (("person_id", "uuid"), ("key", "bytes")),
    # Not a view: reconciliation proposals, drafts until applied (infra.proposals).
    "reconciliations": (
        ("proposal_id", "uuid"), ("release", "int"), ("status", "text"),
        ("created_at", "ts"), ("body", "text"),
    ),
}
KEYS = {
    "history": "PRIMARY KEY (unit_id, version)",
    "changes": "PRIMARY KEY (change_id)",
    "chain": "PRIMARY KEY (position)",
    "people": "PRIMARY KEY (person_id)",
    "person_keys": "PRIMARY KEY (person_id)",
    "reconciliations": "PRIMARY KEY (proposal_id)",
}
# Columns a newer release added to tables a county may already have: (table, column).
ADDED_COLUMNS = [
    ("lineage", "grp"), ("changes", "source"),
    ("lineage", "predecessor_tenant"), ("lineage", "successor_tenant"),
]
UNIT_COLUMNS = ", ".join(name for name, _ in COLUMNS["units"])

INDEX_DDL = [
    "CREATE INDEX IF NOT EXISTS {units_by_unit} ON {units} (unit_id, recorded_to)",
    "CREATE INDEX IF NOT EXISTS {units_by_time} ON {units} (recorded_to, valid_to)",
    "CREATE INDEX IF NOT EXISTS {units_by_parent} ON {units} (parent_id)",
    "CREATE INDEX IF NOT EXISTS {units_by_federation} ON {units} (federation_id)",
    "CREATE INDEX IF NOT EXISTS {history_by_date} ON {history} (effective_date)",
    "CREATE INDEX IF NOT EXISTS {changes_by_date} ON {changes} (effective_date)",
    "CREATE INDEX IF NOT EXISTS {lineage_by_predecessor} ON {lineage} (predecessor_id)",
    "CREATE INDEX IF NOT EXISTS {lineage_by_successor} ON {lineage} (successor_id)",
    "CREATE INDEX IF NOT EXISTS {bodies_by_unit} ON {bodies} (unit_id, recorded_to)",
    "CREATE INDEX IF NOT EXISTS {bodies_by_body} ON {bodies} (body_id, recorded_to)",
    "CREATE INDEX IF NOT EXISTS {posts_by_unit} ON {posts} (unit_id, recorded_to)",
    "CREATE INDEX IF NOT EXISTS {posts_by_post} ON {posts} (post_id, recorded_to)",
    "CREATE INDEX IF NOT EXISTS {posts_by_person} ON {posts} (person_id)",
    "CREATE INDEX IF NOT EXISTS {arrangements_by_zone} ON {arrangements} (zone_id)",
    "CREATE INDEX IF NOT EXISTS {catalogues_by_town} ON {catalogues} (town_id, year)",
]

TABLES = tuple(COLUMNS)
COLUMNS_BY_TABLE = {table: dict(columns) for table, columns in COLUMNS.items()}
INDEXES = (
    "units_by_unit", "units_by_time", "units_by_parent", "units_by_federation",
    "history_by_date", "changes_by_date", "lineage_by_predecessor", "lineage_by_successor",
    "bodies_by_unit", "bodies_by_body", "posts_by_unit", "posts_by_post", "posts_by_person",
    "arrangements_by_zone", "catalogues_by_town",
)

def still_applies(table: str) -> str:
    """SQL: the row's change was not retracted as known at the time given."""
    return (
        "NOT EXISTS (SELECT 1 FROM {changes} AS c WHERE c.change_id = {%s}.change_id "
        "AND c.retracted_at <= %%s)" % table
    )


CURRENT = "recorded_from <= %s AND %s < recorded_to AND valid_from <= %s AND %s < valid_to"
# Ids listed in one IN (…); beyond, a whole county's rows are read and picked in
# Python (and the statement stays far from the stores' limits on parameters).
MAX_LISTED = 1000


def _among(column: str, ids: list[Any]) -> tuple[str, list[Any]]:
    """SQL (`` AND column IN (…)``) and its parameters restricting rows to ``ids``,
    or nothing when there are too many to list: the caller picks from all rows."""
    if len(ids) > MAX_LISTED:
        return "", []
    return f" AND {column} IN ({', '.join(['%s'] * len(ids))})", ids


@dataclass(frozen=True)
class Moment:
    """The two times of every read: the effective date and the recorded time."""

    as_of: date
    known_at: datetime

    def params(self) -> tuple[Any, ...]:
        return (self.known_at, self.known_at, self.as_of, self.as_of)


class Dialect:
    """What differs between the stores: names, placeholders, types, values read back."""

    types: dict[str, str]

    def statement(self, template: str, names: dict[str, str]) -> Any:
        raise NotImplementedError

    def column_names(self, curs: Any, table: str) -> set[str]:
        raise NotImplementedError

    @contextmanager
    def reading(self, datastore: Any, *, tuples: bool = False) -> Iterator[Any]:
        """A cursor for reads, outside any transaction where the store allows;
        rows as dicts, or as plain tuples where speed counts."""
        raise NotImplementedError
        yield

    def before_erasing(self, curs: Any) -> None:
        """Make the store overwrite, not merely unlink, what the transaction deletes."""

    @contextmanager
    def batched(self, curs: Any) -> Iterator[None]:
        """Statements whose results nobody reads, sent without waiting for each."""
        yield

    def forget_erased(self, datastore: Any, tables: Sequence[Any]) -> None:
        """After an erasure is committed: leave no copy of what it erased that a raw
        scan of the store's files could find (old row versions, logs)."""

    def identifier(self, name: str) -> Any:
        return name

    def uuid(self, value: Any) -> UUID | None:
        return value if value is None or isinstance(value, UUID) else UUID(value)

    def date(self, value: Any) -> date | None:
        return value if value is None or isinstance(value, date) else date.fromisoformat(value)

    def timestamp(self, value: Any) -> datetime:
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)


class StructureViewsSQL:
    """The read views of one county; mixed into a library tracking recorder."""

    dialect: Dialect
    application_name: str
    datastore: Any

    def _init_views(self, names: dict[str, str]) -> None:
        self._names = names
        self._statements: dict[str, Any] = {}

    def _sql(self, template: str) -> Any:
        statement = self._statements.get(template)
        if statement is None:
            statement = self.dialect.statement(template, self._names)
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
        return [self._sql(statement) for statement in (*tables, *INDEX_DDL)]

    def migrate(self) -> None:
        """Add the columns a newer release brought to tables made before it (each
        looked for first: a county onboarded since has them already)."""
        with self._writing() as curs:
            for table, column in ADDED_COLUMNS:
                if column not in self.dialect.column_names(curs, self._names[table]):
                    kind = self.dialect.types[COLUMNS_BY_TABLE[table][column]]
                    curs.execute(self._sql(f"ALTER TABLE {{{table}}} ADD COLUMN {column} {kind}"))

    # -- Connections (per dialect) -------------------------------------------

    @contextmanager
    def _reading(self, *, tuples: bool = False) -> Iterator[Any]:
        with self.dialect.reading(self.datastore, tuples=tuples) as curs:
            yield curs

    @contextmanager
    def _writing(self) -> Iterator[Any]:
        """A transaction that holds the county's projection lock."""
        raise NotImplementedError
        yield

    def _rows(self, curs: Any, template: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        curs.execute(self._sql(template), tuple(params))
        return [dict(row) for row in curs.fetchall()]

    def _query(self, template: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._reading() as curs:
            return self._rows(curs, template, params)

    # -- Writing ---------------------------------------------------------------

    def tracked_position(self) -> int:
        return self.max_tracking_id(self.application_name) or 0  # type: ignore[attr-defined]

    def is_current(self) -> bool:
        """The views have every stored event (one query: the cheap check before a read)."""
        with self._reading(tuples=True) as curs:
            head, tracked, _ = self._positions(curs, 2**62)
        return head <= tracked

    def apply(self, batch: ViewBatch, after: int) -> bool:
        with self._writing() as curs:
            tracked = self._max_tracking_id(self.application_name, curs) or 0  # type: ignore[attr-defined]
            if tracked != after:
                return False
            self._write(curs, batch)
            self._track(curs, batch)
        return True

    def _positions_sql(self) -> Any:
        """The last position stored before a given one, the tracked position, and
        the last link of the chain: one query, one round trip."""
        raise NotImplementedError

    def _positions(self, curs: Any, position: int) -> tuple[int, int, bytes]:
        curs.execute(self._positions_sql(), (position, self.application_name))
        row = curs.fetchone()
        before, tracked, link = tuple(row.values()) if isinstance(row, dict) else tuple(row)
        return before or 0, tracked or 0, bytes(link) if link is not None else GENESIS

    def _insert(self, curs: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Insert rows, in COLUMNS order, into one of the views' tables."""
        if rows:
            names = ", ".join(name for name, _ in COLUMNS[table])
            marks = ", ".join(["%s"] * len(COLUMNS[table]))
            curs.executemany(self._sql(f"INSERT INTO {{{table}}} ({names}) VALUES ({marks})"), rows)

    def record_with_events(
        self, curs: Any, stored: Sequence[Any], positions: Sequence[int], batch: ViewBatch | None
    ) -> None:
        """What the county's recorder adds to the transaction that stored events
        (under the events' table lock): their links in the chain, and the rows of
        the command that saved them — if the views had every earlier event;
        otherwise those are left to catch-up.

        No projection lock is needed: the events' table lock keeps other commands
        out, and a catch-up still running has not yet tracked the position before
        ours, so we would see a lag and leave the rows to it."""
        if not positions:
            return
        before, tracked, last_link = self._positions(curs, positions[0])
        records = [StoredRecord(p, e.originator_id, e.originator_version, e.topic, e.state)
                   for p, e in zip(positions, stored, strict=True)]
        current = batch is not None and before == tracked
        with self.dialect.batched(curs):
            self._insert(curs, "chain", chain_links(last_link, records))
            if batch is not None and batch.shredded:
                self._shred(curs, batch.shredded)
            if batch is not None and current:
                resolved = batch.resolve(positions)
                self._write(curs, resolved)
        # After the pipeline: the library's tracking insert reads a result back, which
        # inside a pipeline was seen to read another statement's (a national build).
        if batch is not None and current:
            self._track(curs, resolved)
            batch.applied = True

    def _shred(self, curs: Any, person_ids: Sequence[UUID]) -> None:
        self.dialect.before_erasing(curs)
        for person_id in person_ids:
            curs.execute(self._sql("DELETE FROM {person_keys} WHERE person_id = %s"),
                         (person_id,))

    def forget_erased(self) -> None:
        """After an erasure: leave no copy of the erased data in the store's files."""
        self.dialect.forget_erased(self.datastore, [self._table("people"),
                                                    self._table("person_keys")])

    def _table(self, name: str) -> Any:
        return self.dialect.identifier(self._names[name])

    # -- Personal keys (application.personal_data.PersonalKeys) ------------------

    def create(self, person_id: UUID) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._sql("INSERT INTO {person_keys} (person_id, key) VALUES (%s, %s)"),
                         (person_id, new_key()))

    def get(self, person_id: UUID) -> bytes | None:
        with self._reading(tuples=True) as curs:
            curs.execute(self._sql("SELECT key FROM {person_keys} WHERE person_id = %s"),
                         (person_id,))
            row = curs.fetchone()
        return bytes(row[0]) if row else None

    # -- The chain ---------------------------------------------------------------

    def links(self, page: int = 10_000) -> Iterator[tuple[int, bytes]]:
        """The stored links, in position order."""
        after = 0
        while True:
            with self._reading(tuples=True) as curs:
                curs.execute(
                    self._sql("SELECT position, link FROM {chain} WHERE position > %s "
                              "ORDER BY position LIMIT %s"),
                    (after, page),
                )
                rows = [(int(r[0]), bytes(r[1])) for r in curs.fetchall()]
            yield from rows
            if len(rows) < page:
                return
            after = rows[-1][0]

    def _write(self, curs: Any, batch: ViewBatch) -> None:
        self._apply_rewrites(curs, batch)
        for rewrite in batch.bodies:
            self._apply_body(curs, rewrite)
        for record in batch.records:
            self._apply_record(curs, record)
        self._apply_people(curs, batch)
        self._insert(
            curs, "history",
            [
                (h.position, h.unit_id, h.version, h.type, h.effective_date,
                 h.recorded_at, h.actor, h.change_id, h.name, h.kind, _json(h.data))
                for h in batch.history
            ],
        )
        self._insert(
            curs, "changes",
            [
                (c.change_id, c.position, c.type, c.effective_date, c.recorded_at,
                 c.actor, _json(c.authority) if c.authority else None,
                 _json(c.created_unit_ids), _json(c.affected_unit_ids), None, None, None,
                 c.source)
                for c in batch.changes
            ],
        )
        for retraction in batch.retractions:
            curs.execute(
                self._sql(
                    "UPDATE {changes} SET retracted_at = %s, retracted_by = %s, "
                    "retraction_reason = %s WHERE change_id = %s"
                ),
                (retraction.retracted_at, retraction.retraction_id, retraction.reason,
                 retraction.change_id),
            )
        self._insert(
            curs, "lineage",
            [
                (e.predecessor_id, e.predecessor_name, e.predecessor_kind,
                 e.successor_id, e.successor_name, e.successor_kind, e.change_id,
                 e.change_type, e.effective_date, e.recorded_at, int(e.group),
                 e.predecessor_tenant, e.successor_tenant)
                for e in batch.lineage
            ],
        )

    def _track(self, curs: Any, batch: ViewBatch) -> None:
        """The views hold every event up to the batch's last: in the rows' transaction."""
        self._insert_tracking(  # type: ignore[attr-defined]
            curs, Tracking(self.application_name, batch.last_position)
        )

    def _apply_rewrites(self, curs: Any, batch: ViewBatch) -> None:
        rows: list[tuple[Any, ...]] = []
        for rewrite in batch.rewrites:
            if not rewrite.is_new:
                # Rows to close may be among those still waiting to be inserted.
                self._insert(curs, "units", rows)
                rows = []
                curs.execute(
                    self._sql(
                        "UPDATE {units} SET recorded_to = %s WHERE unit_id = %s "
                        "AND recorded_to = %s"
                    ),
                    (rewrite.recorded_at, rewrite.unit_id, STILL_BELIEVED),
                )
            for segment in rewrite.segments:
                facts = segment.facts
                population = facts.population
                rows.append((
                    rewrite.unit_id, facts.kind.value, facts.code, facts.status,
                    facts.name, facts.parent_id, facts.federation_id, facts.plan_id,
                    population.households if population else None,
                    population.residents if population else None,
                    population.floating if population else None,
                    facts.established_on, facts.ceased_on,
                    segment.valid_from, segment.valid_to,
                    rewrite.recorded_at, STILL_BELIEVED,
                ))
        self._insert(curs, "units", rows)

    def _apply_body(self, curs: Any, rewrite: BodyRewrite) -> None:
        close = "UPDATE {%s} SET recorded_to = %%s WHERE %s = %%s AND recorded_to = %%s"
        body = rewrite.body
        if rewrite.body_changed:
            if not rewrite.is_new:
                curs.execute(self._sql(close % ("bodies", "body_id")),
                             (rewrite.recorded_at, rewrite.body_id, STILL_BELIEVED))
            if body is not None:
                self._insert(curs, "bodies", [(
                    rewrite.body_id, body.unit_id, body.type, body.name, _json(body.attributes),
                    body.established_on, body.abolished_on, body.established_on,
                    body.valid_to, rewrite.recorded_at, STILL_BELIEVED,
                )])
        rows = []
        for post_id, post in rewrite.posts.items():
            curs.execute(self._sql(close % ("posts", "post_id")),
                         (rewrite.recorded_at, post_id, STILL_BELIEVED))
            if post is not None and body is not None:
                rows.append((
                    post.post_id, rewrite.body_id, body.unit_id, post.person_id, post.role.value,
                    int(post.full_time), int(post.concurrent), post.since, post.valid_to,
                    rewrite.recorded_at, STILL_BELIEVED,
                ))
        self._insert(curs, "posts", rows)

    def _apply_record(self, curs: Any, record: RecordRewrite) -> None:
        key = COLUMNS[record.table][0][0]
        curs.execute(
            self._sql(f"UPDATE {{{record.table}}} SET recorded_to = %s WHERE {key} = %s "
                      "AND recorded_to = %s"),
            (record.recorded_at, record.record_id, STILL_BELIEVED))
        self._insert(curs, record.table, [
            (*(_json(v) if isinstance(v, (list, dict)) else v for v in row),
             record.recorded_at, STILL_BELIEVED)
            for row in record.rows])

    def _apply_people(self, curs: Any, batch: ViewBatch) -> None:
        for person in batch.people:
            if person.erased_at is None:
                self._insert(curs, "people", [(
                    person.person_id, person.name, person.rank, person.source,
                    person.registered_at, None,
                )])
            else:
                self.dialect.before_erasing(curs)
                curs.execute(
                    self._sql("UPDATE {people} SET name = NULL, erased_at = %s "
                              "WHERE person_id = %s"),
                    (person.erased_at, person.person_id),
                )

    # -- Reading -----------------------------------------------------------

    def _unit_row(self, row: dict[str, Any]) -> dict[str, Any]:
        d = self.dialect
        row["unit_id"] = d.uuid(row["unit_id"])
        for key in ("parent_id", "federation_id", "plan_id"):
            row[key] = d.uuid(row[key])
        for key in ("established_on", "ceased_on", "valid_from", "valid_to"):
            row[key] = d.date(row[key])
        return row

    def units_on(
        self,
        moment: Moment,
        *,
        statuses: Sequence[str] | None = ("active",),
        kind: str | None = None,
        parent_id: UUID | None = None,
        name_contains: str | None = None,
        after_id: UUID | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        where = [CURRENT]
        params: list[Any] = list(moment.params())
        if statuses:
            where.append("status IN (" + ", ".join(["%s"] * len(statuses)) + ")")
            params.extend(statuses)
        if kind:
            where.append("kind = %s")
            params.append(kind)
        if parent_id:
            where.append("parent_id = %s")
            params.append(parent_id)
        if name_contains:
            where.append("name LIKE %s ESCAPE '\\'")
            params.append(f"%{_escape_like(name_contains)}%")
        if after_id:
            where.append("unit_id > %s")
            params.append(after_id)
        template = f"SELECT {UNIT_COLUMNS} FROM {{units}} WHERE " + " AND ".join(where)
        template += " ORDER BY unit_id"
        if limit is not None:
            template += " LIMIT %s"
            params.append(limit)
        with self._reading() as curs:
            rows = [self._unit_row(r) for r in self._rows(curs, template, params)]
            self._attach_members(curs, rows, moment)
        bodies = self.bodies_on([r["unit_id"] for r in rows], moment)
        for row in rows:
            row["bodies"] = bodies[row["unit_id"]]
        return rows

    def _attach_members(self, curs: Any, rows: list[dict[str, Any]], moment: Moment) -> None:
        """Give each federation among the rows its member villages on the date (one query)."""
        federations = {row["unit_id"]: row for row in rows if row["kind"] == "federation"}
        if not federations:
            return
        for row in federations.values():
            row["member_ids"], row["members"] = [], []
        among, ids = _among("federation_id", list(federations))
        members = self._rows(
            curs,
            "SELECT unit_id, federation_id, households, residents, floating FROM {units} "
            f"WHERE {CURRENT} AND federation_id IS NOT NULL{among} ORDER BY unit_id",
            (*moment.params(), *ids),
        )
        for member in members:
            federation = federations.get(self.dialect.uuid(member["federation_id"]))  # type: ignore[arg-type]
            if federation is None:
                continue
            federation["member_ids"].append(self.dialect.uuid(member["unit_id"]))
            federation["members"].append(member)

    def tree_rows(self, moment: Moment) -> list[tuple[Any, ...]]:
        """(id, kind, name, parent_id, code, federation_id) of every unit active on
        the date, lean and fast: ids come back as text, ready for JSON; in no
        particular order."""
        with self._reading(tuples=True) as curs:
            curs.execute(
                self._sql(
                    "SELECT CAST(unit_id AS TEXT), kind, name, CAST(parent_id AS TEXT), code, "
                    "CAST(federation_id AS TEXT) "
                    f"FROM {{units}} WHERE {CURRENT} AND status = 'active'"
                ),
                moment.params(),
            )
            return curs.fetchall()

    def held_rows(self, moment: Moment) -> list[tuple[UUID, str, str | None, str, UUID | None]]:
        """(id, kind, code, name, parent_id) of every unit active on the date: what a
        reconciliation compares with a release, and nothing more."""
        with self._reading(tuples=True) as curs:
            curs.execute(
                self._sql(
                    "SELECT unit_id, kind, code, name, parent_id "
                    f"FROM {{units}} WHERE {CURRENT} AND status = 'active'"
                ),
                moment.params(),
            )
            d = self.dialect
            return [(d.uuid(r[0]), r[1], r[2], r[3], d.uuid(r[4]))  # type: ignore[misc]
                    for r in curs.fetchall()]

    def begun_or_ceased_on(self, moment: Moment) -> list[tuple[UUID, str, str, str]]:
        """(id, kind, name, status) of every unit established or ceased on the date."""
        with self._reading(tuples=True) as curs:
            curs.execute(
                self._sql(
                    "SELECT unit_id, kind, name, status FROM {units} "
                    f"WHERE {CURRENT} AND (established_on = %s OR ceased_on = %s)"
                ),
                (*moment.params(), moment.as_of, moment.as_of),
            )
            return [(self.dialect.uuid(r[0]), r[1], r[2], r[3])  # type: ignore[misc]
                    for r in curs.fetchall()]

    def unit_on(self, unit_id: UUID, moment: Moment) -> dict[str, Any] | None:
        with self._reading() as curs:
            rows = self._rows(
                curs,
                f"SELECT {UNIT_COLUMNS}, (SELECT MAX(version) FROM {{history}} "
                "WHERE unit_id = %s AND recorded_at <= %s) AS version "
                f"FROM {{units}} WHERE unit_id = %s AND {CURRENT}",
                (unit_id, moment.known_at, unit_id, *moment.params()),
            )
            if not rows:
                return None
            unit = self._unit_row(rows[0])
            self._attach_members(curs, [unit], moment)
        unit["bodies"] = self.bodies_on([unit_id], moment)[unit_id]
        return unit

    def children_after(self, unit_id: UUID, day: date) -> list[UUID]:
        rows = self._query(
            "SELECT DISTINCT unit_id FROM {units} WHERE parent_id = %s "
            "AND recorded_to = %s AND status = 'active' AND valid_to > %s",
            (unit_id, STILL_BELIEVED, day),
        )
        return [self.dialect.uuid(r["unit_id"]) for r in rows]  # type: ignore[misc]

    def history(self, unit_id: UUID, known_at: datetime) -> list[dict[str, Any]]:
        rows = self._query(
            "SELECT position, type, effective_date, recorded_at, actor, change_id, data "
            "FROM {history} WHERE unit_id = %s AND recorded_at <= %s ORDER BY position",
            (unit_id, known_at),
        )
        return [self._history_row(r) for r in rows]

    def _history_row(self, row: dict[str, Any]) -> dict[str, Any]:
        d = self.dialect
        row["effective_date"] = d.date(row["effective_date"])
        row["recorded_at"] = d.timestamp(row["recorded_at"])
        row["change_id"] = d.uuid(row["change_id"])
        if "unit_id" in row:
            row["unit_id"] = d.uuid(row["unit_id"])
        if "data" in row:
            row["data"] = json.loads(row["data"])
        return row

    def events_between(
        self, after: date, until: date, types: Sequence[str], known_at: datetime
    ) -> list[dict[str, Any]]:
        """History entries of these types effective after ``after``, up to ``until``."""
        marks = ", ".join(["%s"] * len(types))
        rows = self._query(
            "SELECT unit_id, type, name, kind, effective_date, change_id, recorded_at, actor "
            "FROM {history} WHERE effective_date > %s AND effective_date <= %s "
            f"AND recorded_at <= %s AND type IN ({marks}) AND {still_applies('history')} "
            "ORDER BY effective_date, position",
            (after, until, known_at, *types, known_at),
        )
        return [self._history_row(r) for r in rows]

    def changes(
        self,
        *,
        after: date | None,
        until: date | None,
        change_type: str | None,
        after_position: int | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        where, params = ["1 = 1"], []
        if after is not None:
            where.append("effective_date > %s")
            params.append(after)
        if until is not None:
            where.append("effective_date <= %s")
            params.append(until)
        if change_type:
            where.append("type = %s")
            params.append(change_type)
        if after_position is not None:
            where.append("position > %s")
            params.append(after_position)
        params.append(limit)
        rows = self._query(
            "SELECT * FROM {changes} WHERE " + " AND ".join(where)
            + " ORDER BY position LIMIT %s",
            params,
        )
        return [self._change_row(r) for r in rows]

    def change(self, change_id: UUID) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM {changes} WHERE change_id = %s", (change_id,))
        return self._change_row(rows[0]) if rows else None

    def _change_row(self, row: dict[str, Any]) -> dict[str, Any]:
        d = self.dialect
        row["change_id"] = d.uuid(row["change_id"])
        row["effective_date"] = d.date(row["effective_date"])
        row["recorded_at"] = d.timestamp(row["recorded_at"])
        row["authority"] = json.loads(row["authority"]) if row["authority"] else None
        row["created_unit_ids"] = json.loads(row["created_unit_ids"])
        row["affected_unit_ids"] = json.loads(row["affected_unit_ids"])
        row["retracted_by"] = d.uuid(row["retracted_by"])
        if row["retracted_at"] is not None:
            row["retracted_at"] = d.timestamp(row["retracted_at"])
        return row

    def lineage(self, unit_id: UUID, moment: Moment) -> dict[str, list[dict[str, Any]]]:
        """Predecessors and successors of a unit, transitively, through the
        conversions and mergers effective by ``as_of`` and known at ``known_at``."""
        result: dict[str, list[dict[str, Any]]] = {"predecessors": [], "successors": []}
        with self._reading() as curs:
            for direction, this, other in (
                ("predecessors", "successor", "predecessor"),
                ("successors", "predecessor", "successor"),
            ):
                seen, frontier = {unit_id}, [unit_id]
                while frontier:
                    marks = ", ".join(["%s"] * len(frontier))
                    rows = self._rows(
                        curs,
                        f"SELECT {other}_id AS unit_id, {other}_name AS name, "
                        f"{other}_kind AS kind, change_id, change_type, effective_date, grp, "
                        f"{other}_tenant AS tenant "
                        f"FROM {{lineage}} WHERE {this}_id IN ({marks}) "
                        f"AND effective_date <= %s AND recorded_at <= %s "
                        f"AND {still_applies('lineage')} ORDER BY effective_date",
                        (*frontier, moment.as_of, moment.known_at, moment.known_at),
                    )
                    frontier = []
                    for row in rows:
                        row["unit_id"] = self.dialect.uuid(row["unit_id"])
                        row["change_id"] = self.dialect.uuid(row["change_id"])
                        row["effective_date"] = self.dialect.date(row["effective_date"])
                        row["lineage"] = "group" if row.pop("grp") else "exact"
                        if row["unit_id"] not in seen:
                            seen.add(row["unit_id"])
                            if row["tenant"] is None:  # another county's: not walked here
                                frontier.append(row["unit_id"])
                            result[direction].append(row)
        return result

    def lineage_edges(self, moment: Moment) -> set[tuple[UUID, UUID, UUID]]:
        """Every (predecessor, successor, change) of the county on ``as_of``, known at ``known_at``."""
        rows = self._query(
            "SELECT predecessor_id, successor_id, change_id FROM {lineage} "
            f"WHERE effective_date <= %s AND recorded_at <= %s AND {still_applies('lineage')}",
            (moment.as_of, moment.known_at, moment.known_at),
        )
        uuid = self.dialect.uuid
        return {(uuid(r["predecessor_id"]), uuid(r["successor_id"]), uuid(r["change_id"]))  # type: ignore[misc]
                for r in rows}

    # -- Bodies, posts and people ---------------------------------------------

    def bodies_on(self, unit_ids: Sequence[UUID], moment: Moment) -> dict[UUID, list[dict[str, Any]]]:
        """The bodies of these units existing on the date, by unit (one query)."""
        found: dict[UUID, list[dict[str, Any]]] = {u: [] for u in unit_ids}
        if not unit_ids:
            return found
        among, ids = _among("unit_id", list(unit_ids))
        rows = self._query(
            "SELECT body_id, unit_id, type, name, attributes, established_on, abolished_on "
            f"FROM {{bodies}} WHERE {CURRENT}{among} ORDER BY type, name",
            (*moment.params(), *ids),
        )
        for row in rows:
            bodies = found.get(self.dialect.uuid(row["unit_id"]))  # type: ignore[arg-type]
            if bodies is not None:
                bodies.append(self._body_row(row))
        return found

    def _body_row(self, row: dict[str, Any]) -> dict[str, Any]:
        d = self.dialect
        return {
            "id": d.uuid(row["body_id"]), "unit_id": d.uuid(row["unit_id"]),
            "type": row["type"], "name": row["name"],
            "attributes": json.loads(row["attributes"]),
            "established_on": d.date(row["established_on"]),
            "abolished_on": d.date(row["abolished_on"]),
        }

    def body_on(self, body_id: UUID, moment: Moment) -> dict[str, Any] | None:
        """A body known at ``known_at`` (whatever its state on ``as_of``), with the
        posts held in it on ``as_of``."""
        rows = self._query(
            "SELECT body_id, unit_id, type, name, attributes, established_on, abolished_on "
            "FROM {bodies} WHERE body_id = %s AND recorded_from <= %s AND %s < recorded_to",
            (body_id, moment.known_at, moment.known_at),
        )
        if not rows:
            return None
        body = self._body_row(rows[0])
        body["posts"] = self._posts_on("body_id", body_id, moment)
        return body

    def roster(self, unit_id: UUID, moment: Moment) -> list[dict[str, Any]]:
        """The unit's bodies on the date, each with the posts held in it then."""
        bodies = self.bodies_on([unit_id], moment)[unit_id]
        posts: dict[UUID, list[dict[str, Any]]] = {b["id"]: [] for b in bodies}
        for post in self._posts_on("unit_id", unit_id, moment):
            posts.get(post.pop("body_id"), []).append(post)
        for body in bodies:
            body["posts"] = posts[body["id"]]
        return bodies

    def person_posts(self, person_id: UUID, moment: Moment) -> list[dict[str, Any]]:
        return self._posts_on("person_id", person_id, moment)

    def _posts_on(self, column: str, value: UUID, moment: Moment) -> list[dict[str, Any]]:
        """Posts held on the date with ``column = value``, with the holder's name."""
        with self._reading(tuples=True) as curs:
            curs.execute(
                self._sql(
                    "SELECT p.post_id, p.body_id, p.unit_id, p.person_id, e.name, "
                    "e.erased_at, p.role, p.full_time, p.concurrent, p.valid_from, p.valid_to "
                    "FROM {posts} AS p LEFT JOIN {people} AS e ON e.person_id = p.person_id "
                    f"WHERE p.{column} = %s AND p.recorded_from <= %s AND %s < p.recorded_to "
                    "AND p.valid_from <= %s AND %s < p.valid_to ORDER BY p.valid_from, p.post_id"
                ),
                (value, *moment.params()),
            )
            rows = curs.fetchall()
        d = self.dialect
        return [
            {"id": d.uuid(r[0]), "body_id": d.uuid(r[1]), "unit_id": d.uuid(r[2]),
             "person_id": d.uuid(r[3]), "person_name": r[4], "person_erased": r[5] is not None,
             "role": r[6], "full_time": bool(r[7]), "concurrent": bool(r[8]),
             "since": d.date(r[9]), "until": None if d.date(r[10]) == END else d.date(r[10])}
            for r in rows
        ]

    def staffing_on(self, moment: Moment) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
        """Every body existing on the date and every post held then, as the audit
        compares them (``application.audit.BODY_FIELDS`` and ``POST_FIELDS``)."""
        d = self.dialect
        with self._reading(tuples=True) as curs:
            curs.execute(self._sql(
                f"SELECT body_id, unit_id, type, name FROM {{bodies}} WHERE {CURRENT}"),
                moment.params())
            bodies = {(d.uuid(r[0]), d.uuid(r[1]), r[2], r[3]) for r in curs.fetchall()}
            curs.execute(self._sql(
                "SELECT post_id, body_id, person_id, role, full_time, concurrent, valid_from, "
                f"valid_to FROM {{posts}} WHERE {CURRENT}"), moment.params())
            posts = {(d.uuid(r[0]), d.uuid(r[1]), d.uuid(r[2]), r[3], bool(r[4]), bool(r[5]),
                      d.date(r[6]), None if d.date(r[7]) == END else d.date(r[7]))
                     for r in curs.fetchall()}
        return bodies, posts

    # -- What the reports read --------------------------------------------------

    def report_facts(self, moment: Moment) -> tuple[list[UnitFacts], list[BodyFacts],
                                                    list[PostFacts], list[ArrangementFacts],
                                                    list[CatalogueFacts]]:
        """Everything the reports need on a date, as known at a time: five lean queries."""
        d, params = self.dialect, moment.params()
        with self._reading(tuples=True) as curs:
            curs.execute(self._sql(
                "SELECT unit_id, kind, name, federation_id, households, floating FROM {units} "
                f"WHERE {CURRENT} AND status = 'active'"), params)
            units = [UnitFacts(d.uuid(r[0]), r[1], r[2], d.uuid(r[3]), r[4], r[5])  # type: ignore[arg-type]
                     for r in curs.fetchall()]
            curs.execute(self._sql(
                f"SELECT body_id, unit_id, type, name, attributes FROM {{bodies}} WHERE {CURRENT}"),
                params)
            bodies = [BodyFacts(d.uuid(r[0]), d.uuid(r[1]), r[2], r[3], json.loads(r[4]))  # type: ignore[arg-type]
                      for r in curs.fetchall()]
            curs.execute(self._sql(
                "SELECT p.body_id, p.person_id, p.role, p.full_time, p.concurrent, e.rank, "
                "e.source FROM {posts} AS p LEFT JOIN {people} AS e ON e.person_id = p.person_id "
                "WHERE p.recorded_from <= %s AND %s < p.recorded_to AND p.valid_from <= %s "
                "AND %s < p.valid_to"), params)
            posts = [PostFacts(d.uuid(r[0]), d.uuid(r[1]), r[2], bool(r[3]), bool(r[4]),  # type: ignore[arg-type]
                               r[5], r[6]) for r in curs.fetchall()]
            curs.execute(self._sql(
                "SELECT arrangement_id, zone_id, other_id, mode FROM {arrangements} "
                f"WHERE {CURRENT}"), params)
            arrangements = [ArrangementFacts(d.uuid(r[0]), d.uuid(r[1]), d.uuid(r[2]), r[3])  # type: ignore[arg-type]
                            for r in curs.fetchall()]
            curs.execute(self._sql(
                f"SELECT town_id, year, items FROM {{catalogues}} WHERE {CURRENT} AND year = %s"),
                (*params, moment.as_of.year))
            catalogues = [CatalogueFacts(d.uuid(r[0]), r[1],  # type: ignore[arg-type]
                                         [Item.from_dict(i) for i in json.loads(r[2])])
                          for r in curs.fetchall()]
        return units, bodies, posts, arrangements, catalogues

    def arrangements_of(self, zone_id: UUID) -> list[UUID]:
        rows = self._query("SELECT DISTINCT arrangement_id FROM {arrangements} "
                           "WHERE zone_id = %s AND recorded_to = %s", (zone_id, STILL_BELIEVED))
        return sorted((self.dialect.uuid(r["arrangement_id"]) for r in rows), key=str)  # type: ignore[arg-type, return-value]

    def catalogue_on(self, town_id: UUID, year: int, moment: Moment) -> dict[str, Any] | None:
        rows = self._query(
            "SELECT catalogue_id, town_id, year, items, valid_from FROM {catalogues} "
            f"WHERE town_id = %s AND year = %s AND {CURRENT}",
            (town_id, year, *moment.params()))
        if not rows:
            return None
        row, d = rows[0], self.dialect
        return {"id": d.uuid(row["catalogue_id"]), "town_id": d.uuid(row["town_id"]),
                "year": row["year"], "since": d.date(row["valid_from"]),
                "items": json.loads(row["items"])}

    def bodies_of(self, unit_id: UUID) -> list[UUID]:
        rows = self._query(
            "SELECT DISTINCT body_id FROM {bodies} WHERE unit_id = %s AND recorded_to = %s",
            (unit_id, STILL_BELIEVED),
        )
        return sorted((self.dialect.uuid(r["body_id"]) for r in rows), key=str)  # type: ignore[arg-type, return-value]

    def body_of_post(self, post_id: UUID) -> UUID | None:
        rows = self._query("SELECT body_id FROM {posts} WHERE post_id = %s AND recorded_to = %s "
                           "LIMIT 1", (post_id, STILL_BELIEVED))
        return self.dialect.uuid(rows[0]["body_id"]) if rows else None

    def person(self, person_id: UUID) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM {people} WHERE person_id = %s", (person_id,))
        if not rows:
            return None
        row, d = rows[0], self.dialect
        return {"id": d.uuid(row["person_id"]), "name": row["name"], "rank": row["rank"],
                "source": row["source"], "erased": row["erased_at"] is not None,
                "registered_at": d.timestamp(row["registered_at"]),
                "erased_at": d.timestamp(row["erased_at"]) if row["erased_at"] else None}

    def unit_codes(self) -> set[str]:
        rows = self._query(
            "SELECT DISTINCT code FROM {units} WHERE code IS NOT NULL AND recorded_to = %s",
            (STILL_BELIEVED,),
        )
        return {r["code"] for r in rows}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_jsonable, sort_keys=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (UUID, date, datetime)):
        return str(value) if isinstance(value, UUID) else value.isoformat()
    raise TypeError(f"not JSON: {value!r}")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
