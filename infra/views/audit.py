"""What the replay audit reads of the units view on a date, as known at a time:
each unit's audited facts as a plain tuple, shaped as ``application.audit``
compares them — a county's every unit in one lean query (no listing's ordering,
bodies or members). The rest it compares it reads as the other views' readers do."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application.audit import FIELDS
from infra.views.schema import CURRENT, Moment
from infra.views.tables import ViewTables


class AuditQueries:
    def __init__(self, tables: ViewTables):
        self.tables = tables

    def unit_facts(self, moment: Moment) -> dict[UUID, tuple[Any, ...]]:
        """Every unit in the view on the date (any status), its facts in ``FIELDS`` order."""
        d = self.tables.dialect
        with self.tables.reading(tuples=True) as curs:
            curs.execute(self.tables.sql(
                f"SELECT unit_id, {', '.join(FIELDS)} FROM {{units}} WHERE {CURRENT}"),
                moment.params())
            rows = curs.fetchall()
        if d.reads_typed:
            # The store gives ids and dates typed (PostgreSQL): a county's units, as they are.
            return {r[0]: r[1:] for r in rows}
        # In FIELDS order: kind, code, status, name, parent_id, federation_id,
        # established_on, ceased_on, households, residents, floating.
        return {d.uuid(r[0]): (r[1], r[2], r[3], r[4], d.uuid(r[5]), d.uuid(r[6]),
                               d.date(r[7]), d.date(r[8]), r[9], r[10], r[11]) for r in rows}
