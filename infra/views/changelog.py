"""What happened, as known at a time: a unit's history, the change log, and the
lineage of units through conversions, mergers and crossings."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from application.rows import (
    ChangeRow,
    HistoryEntry,
    Lineage,
    LineageEdge,
    LineageEntry,
    UnitEvent,
)
from infra.views.schema import Moment, still_applies
from infra.views.tables import ViewTables


class ChangelogQueries:
    """The history, changes and lineage views of one county."""

    def __init__(self, tables: ViewTables):
        self.tables = tables

    def history(self, unit_id: UUID, known_at: datetime) -> list[HistoryEntry]:
        rows = self.tables.query(
            "SELECT position, type, effective_date, recorded_at, actor, change_id, data "
            "FROM {history} WHERE unit_id = %s AND recorded_at <= %s ORDER BY position",
            (unit_id, known_at),
        )
        d = self.tables.dialect
        return [HistoryEntry(r["position"], r["type"], d.date(r["effective_date"]),
                             d.timestamp(r["recorded_at"]), r["actor"], d.uuid(r["change_id"]),
                             json.loads(r["data"]))
                for r in rows]

    def events_between(
        self, after: date, until: date, types: Sequence[str], known_at: datetime
    ) -> list[UnitEvent]:
        """History entries of these types effective after ``after``, up to ``until``."""
        marks = ", ".join(["%s"] * len(types))
        rows = self.tables.query(
            "SELECT unit_id, type, name, kind, effective_date, change_id, recorded_at, actor "
            "FROM {history} WHERE effective_date > %s AND effective_date <= %s "
            f"AND recorded_at <= %s AND type IN ({marks}) AND {still_applies('history')} "
            "ORDER BY effective_date, position",
            (after, until, known_at, *types, known_at),
        )
        d = self.tables.dialect
        return [UnitEvent(d.uuid(r["unit_id"]), r["type"], r["name"], r["kind"],
                          d.date(r["effective_date"]), d.uuid(r["change_id"]),
                          d.timestamp(r["recorded_at"]), r["actor"])
                for r in rows]

    def changes(
        self,
        *,
        after: date | None,
        until: date | None,
        change_type: str | None,
        after_position: int | None,
        limit: int,
    ) -> list[ChangeRow]:
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
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
        rows = self.tables.query(
            "SELECT * FROM {changes} WHERE " + " AND ".join(where)
            + " ORDER BY position LIMIT %s",
            params,
        )
        return [self._change_row(r) for r in rows]

    def change(self, change_id: UUID) -> ChangeRow | None:
        rows = self.tables.query("SELECT * FROM {changes} WHERE change_id = %s", (change_id,))
        return self._change_row(rows[0]) if rows else None

    def _change_row(self, row: dict[str, Any]) -> ChangeRow:
        d = self.tables.dialect
        return ChangeRow(
            change_id=d.uuid(row["change_id"]),
            position=row["position"],
            type=row["type"],
            effective_date=d.date(row["effective_date"]),
            recorded_at=d.timestamp(row["recorded_at"]),
            actor=row["actor"],
            authority=json.loads(row["authority"]) if row["authority"] else None,
            created_unit_ids=json.loads(row["created_unit_ids"]),
            affected_unit_ids=json.loads(row["affected_unit_ids"]),
            retracted_at=(d.timestamp(row["retracted_at"])
                          if row["retracted_at"] is not None else None),
            retracted_by=d.uuid(row["retracted_by"]),
            retraction_reason=row["retraction_reason"],
            source=row["source"],
        )

    def lineage(self, unit_id: UUID, moment: Moment) -> Lineage:
        """Predecessors and successors of a unit, transitively, through the
        conversions and mergers effective by ``as_of`` and known at ``known_at``."""
        found: dict[str, list[LineageEntry]] = {"predecessors": [], "successors": []}
        d = self.tables.dialect
        with self.tables.reading() as curs:
            for direction, this, other in (
                ("predecessors", "successor", "predecessor"),
                ("successors", "predecessor", "successor"),
            ):
                seen, frontier = {unit_id}, [unit_id]
                while frontier:
                    marks = ", ".join(["%s"] * len(frontier))
                    rows = self.tables.rows(
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
                        entry = LineageEntry(
                            d.uuid(row["unit_id"]), row["name"], row["kind"],
                            d.uuid(row["change_id"]), row["change_type"],
                            d.date(row["effective_date"]), "group" if row["grp"] else "exact",
                            row["tenant"])
                        if entry.unit_id not in seen:
                            seen.add(entry.unit_id)
                            if entry.tenant is None:  # another county's: not walked here
                                frontier.append(entry.unit_id)
                            found[direction].append(entry)
        return Lineage(found["predecessors"], found["successors"])

    def lineage_edges(self, moment: Moment) -> set[LineageEdge]:
        """Every succession of the county on ``as_of``, known at ``known_at``."""
        rows = self.tables.query(
            "SELECT predecessor_id, successor_id, change_id FROM {lineage} "
            f"WHERE effective_date <= %s AND recorded_at <= %s AND {still_applies('lineage')}",
            (moment.as_of, moment.known_at, moment.known_at),
        )
        uuid = self.tables.dialect.uuid
        return {LineageEdge(uuid(r["predecessor_id"]), uuid(r["successor_id"]),
                            uuid(r["change_id"]))
                for r in rows}
