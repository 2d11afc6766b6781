"""The units on a date, as known at a time: listings, one unit, the tree, what
a reconciliation compares, and what the ledger's commands look up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from infra.views.schema import CURRENT, STILL_BELIEVED, UNIT_COLUMNS, Moment, among
from infra.views.staffing import StaffingQueries
from infra.views.tables import ViewTables


class StructureQueries:
    """The units view of one county."""

    def __init__(self, tables: ViewTables, staffing: StaffingQueries):
        self.tables = tables
        self.staffing = staffing

    def _unit_row(self, row: dict[str, Any]) -> dict[str, Any]:
        d = self.tables.dialect
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
        with self.tables.reading() as curs:
            rows = [self._unit_row(r) for r in self.tables.rows(curs, template, params)]
            self._attach_members(curs, rows, moment)
        bodies = self.staffing.bodies_on([r["unit_id"] for r in rows], moment)
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
        restrict, ids = among("federation_id", list(federations))
        members = self.tables.rows(
            curs,
            "SELECT unit_id, federation_id, households, residents, floating FROM {units} "
            f"WHERE {CURRENT} AND federation_id IS NOT NULL{restrict} ORDER BY unit_id",
            (*moment.params(), *ids),
        )
        for member in members:
            federation = federations.get(self.tables.dialect.uuid(member["federation_id"]))  # type: ignore[arg-type]
            if federation is None:
                continue
            federation["member_ids"].append(self.tables.dialect.uuid(member["unit_id"]))
            federation["members"].append(member)

    def tree_rows(self, moment: Moment) -> list[tuple[Any, ...]]:
        """(id, kind, name, parent_id, code, federation_id) of every unit active on
        the date, lean and fast: ids come back as text, ready for JSON; in no
        particular order."""
        with self.tables.reading(tuples=True) as curs:
            curs.execute(
                self.tables.sql(
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
        with self.tables.reading(tuples=True) as curs:
            curs.execute(
                self.tables.sql(
                    "SELECT unit_id, kind, code, name, parent_id "
                    f"FROM {{units}} WHERE {CURRENT} AND status = 'active'"
                ),
                moment.params(),
            )
            d = self.tables.dialect
            return [(d.uuid(r[0]), r[1], r[2], r[3], d.uuid(r[4]))  # type: ignore[misc]
                    for r in curs.fetchall()]

    def begun_or_ceased_on(self, moment: Moment) -> list[tuple[UUID, str, str, str]]:
        """(id, kind, name, status) of every unit established or ceased on the date."""
        with self.tables.reading(tuples=True) as curs:
            curs.execute(
                self.tables.sql(
                    "SELECT unit_id, kind, name, status FROM {units} "
                    f"WHERE {CURRENT} AND (established_on = %s OR ceased_on = %s)"
                ),
                (*moment.params(), moment.as_of, moment.as_of),
            )
            return [(self.tables.dialect.uuid(r[0]), r[1], r[2], r[3])  # type: ignore[misc]
                    for r in curs.fetchall()]

    def unit_on(self, unit_id: UUID, moment: Moment) -> dict[str, Any] | None:
        with self.tables.reading() as curs:
            rows = self.tables.rows(
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
        unit["bodies"] = self.staffing.bodies_on([unit_id], moment)[unit_id]
        return unit

    def children_after(self, unit_id: UUID, day: date) -> list[UUID]:
        rows = self.tables.query(
            "SELECT DISTINCT unit_id FROM {units} WHERE parent_id = %s "
            "AND recorded_to = %s AND status = 'active' AND valid_to > %s",
            (unit_id, STILL_BELIEVED, day),
        )
        return [self.tables.dialect.uuid(r["unit_id"]) for r in rows]  # type: ignore[misc]

    def unit_codes(self) -> set[str]:
        rows = self.tables.query(
            "SELECT DISTINCT code FROM {units} WHERE code IS NOT NULL AND recorded_to = %s",
            (STILL_BELIEVED,),
        )
        return {r["code"] for r in rows}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
