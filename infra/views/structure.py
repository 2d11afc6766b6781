"""The units on a date, as known at a time: listings, one unit, the tree, what
a reconciliation compares, and what the ledger's commands look up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from application.rows import (
    UNIT_COLUMNS,
    BegunOrCeased,
    HeldRow,
    Member,
    TreeRow,
    UnitOnDate,
    UnitRow,
)
from domain.kinds import UnitKind
from infra.views.schema import CURRENT, STILL_BELIEVED, Moment, among
from infra.views.staffing import StaffingQueries
from infra.views.tables import Dialect, Reads, ViewTables

# The columns of a unit's facts, in the order of ``UnitRow``'s fields.
FACTS = ", ".join(UNIT_COLUMNS)


def unit_columns(d: Dialect, r: Sequence[Any]) -> tuple[Any, ...]:
    """A unit's columns as ``FACTS`` names them, typed as ``UnitRow`` holds them: the
    one mapping from SQL."""
    return (d.uuid(r[0]), r[1], r[2], r[3], r[4], d.uuid(r[5]), d.uuid(r[6]), d.uuid(r[7]),
            r[8], r[9], r[10], d.date(r[11]), d.date(r[12]))


class StructureQueries:
    """The units view of one county."""

    def __init__(self, tables: ViewTables, staffing: StaffingQueries):
        self.tables = tables
        self.staffing = staffing

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
    ) -> list[UnitOnDate]:
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
        template = f"SELECT {FACTS} FROM {{units}} WHERE " + " AND ".join(where)
        template += " ORDER BY unit_id"
        if limit is not None:
            template += " LIMIT %s"
            params.append(limit)
        with self.tables.reading(tuples=True) as curs:
            curs.execute(self.tables.sql(template), params)
            rows = [self._unit_row(r) for r in curs.fetchall()]
            members = self._members(curs, rows, moment)
        bodies = self.staffing.bodies_on([r.unit_id for r in rows], moment)
        return [UnitOnDate(*row.columns(), bodies=bodies[row.unit_id],
                           members=members.get(row.unit_id)) for row in rows]

    def unit_on(self, reads: Reads, unit_id: UUID, moment: Moment) -> UnitOnDate | None:
        """One unit with its bodies, and its villages if it is a federation: three
        queries asked at once (``Reads``), the villages' before the unit's kind is known."""
        found = reads.ask(
            self.tables.sql(
                f"SELECT {FACTS}, (SELECT MAX(version) FROM {{history}} "
                "WHERE unit_id = %s AND recorded_at <= %s) AS version "
                f"FROM {{units}} WHERE unit_id = %s AND {CURRENT}"
            ),
            (unit_id, moment.known_at, unit_id, *moment.params()),
        )
        villages = reads.ask(self._members_sql(" AND federation_id = %s"),
                             (*moment.params(), unit_id))
        bodies = self.staffing.ask_bodies_on(reads, [unit_id], moment)
        rows = found()
        if not rows:
            return None
        row = self._unit_row(rows[0])
        members = [self._member(r) for r in villages()] if row.kind == UnitKind.FEDERATION.value else None
        return UnitOnDate(*row.columns(), bodies=bodies()[unit_id], members=members,
                          version=rows[0][len(UNIT_COLUMNS)])

    def ask_exists_on(self, reads: Reads, unit_id: UUID, moment: Moment) -> Callable[[], bool]:
        """Whether the unit has a row on the date, as known then (whatever its status)."""
        rows = reads.ask(self.tables.sql(f"SELECT 1 FROM {{units}} WHERE unit_id = %s AND {CURRENT}"),
                         (unit_id, *moment.params()))
        return lambda: bool(rows())

    def _unit_row(self, r: Sequence[Any]) -> UnitRow:
        return UnitRow(*unit_columns(self.tables.dialect, r))

    def _members(self, curs: Any, rows: list[UnitRow], moment: Moment) -> dict[UUID, list[Member]]:
        """The member villages on the date of each federation among the rows (one query)."""
        members: dict[UUID, list[Member]] = {
            row.unit_id: [] for row in rows if row.kind == UnitKind.FEDERATION.value}
        if not members:
            return members
        restrict, ids = among("federation_id", list(members))
        curs.execute(self._members_sql(restrict), (*moment.params(), *ids))
        for r in curs.fetchall():
            of = members.get(self.tables.dialect.uuid(r[1]))
            if of is not None:
                of.append(self._member(r))
        return members

    def _members_sql(self, restrict: str) -> Any:
        return self.tables.sql(
            "SELECT unit_id, federation_id, households, residents, floating FROM {units} "
            f"WHERE {CURRENT} AND federation_id IS NOT NULL{restrict} ORDER BY unit_id")

    def _member(self, r: Sequence[Any]) -> Member:
        return Member(self.tables.dialect.uuid(r[0]), r[2], r[3], r[4])

    def tree_rows(self, moment: Moment) -> list[TreeRow]:
        """Every unit active on the date, lean and fast: ids come back as text, ready
        for JSON; in no particular order."""
        with self.tables.reading(tuples=True) as curs:
            curs.execute(
                self.tables.sql(
                    "SELECT CAST(unit_id AS TEXT), kind, name, CAST(parent_id AS TEXT), code, "
                    "CAST(federation_id AS TEXT) "
                    f"FROM {{units}} WHERE {CURRENT} AND status = 'active'"
                ),
                moment.params(),
            )
            return list(map(TreeRow._make, curs.fetchall()))

    def held_rows(self, moment: Moment) -> list[HeldRow]:
        """Every unit active on the date, as a reconciliation compares it with a release."""
        with self.tables.reading(tuples=True) as curs:
            curs.execute(
                self.tables.sql(
                    "SELECT unit_id, kind, code, name, parent_id "
                    f"FROM {{units}} WHERE {CURRENT} AND status = 'active'"
                ),
                moment.params(),
            )
            d = self.tables.dialect
            return [HeldRow(d.uuid(r[0]), r[1], r[2], r[3], d.uuid(r[4])) for r in curs.fetchall()]

    def begun_or_ceased_on(self, moment: Moment) -> list[BegunOrCeased]:
        """Every unit established or ceased on the date."""
        with self.tables.reading(tuples=True) as curs:
            curs.execute(
                self.tables.sql(
                    "SELECT unit_id, kind, name, status FROM {units} "
                    f"WHERE {CURRENT} AND (established_on = %s OR ceased_on = %s)"
                ),
                (*moment.params(), moment.as_of, moment.as_of),
            )
            return [BegunOrCeased(self.tables.dialect.uuid(r[0]), r[1], r[2], r[3])
                    for r in curs.fetchall()]

    def children_after(self, unit_id: UUID, day: date) -> list[UUID]:
        rows = self.tables.query(
            "SELECT DISTINCT unit_id FROM {units} WHERE parent_id = %s "
            "AND recorded_to = %s AND status = 'active' AND valid_to > %s",
            (unit_id, STILL_BELIEVED, day),
        )
        return [self.tables.dialect.uuid(r["unit_id"]) for r in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
