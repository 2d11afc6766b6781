"""What the replay audit reads of the units view on a date, as known at a time:
each unit's audited facts as a plain tuple, shaped as ``application.audit``
compares them — a county's every unit in one lean query (no listing's ordering,
bodies or members). The rest it compares it reads as the other views' readers do."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from infra.views.schema import CURRENT, Moment
from infra.views.structure import FACTS, unit_columns
from infra.views.tables import ViewTables


class AuditQueries:
    def __init__(self, tables: ViewTables):
        self.tables = tables

    def unit_facts(self, moment: Moment) -> dict[UUID, tuple[Any, ...]]:
        """Every unit in the view on the date (any status): its id, and the rest of its
        row in column order (``application.audit.FIELDS``)."""
        d = self.tables.dialect
        with self.tables.reading(tuples=True) as curs:
            curs.execute(self.tables.sql(f"SELECT {FACTS} FROM {{units}} WHERE {CURRENT}"),
                         moment.params())
            rows = curs.fetchall()
        if d.reads_typed:
            # The store gives ids and dates typed (PostgreSQL): a county's units, as they are.
            return {r[0]: r[1:] for r in rows}
        return {columns[0]: columns[1:] for columns in (unit_columns(d, r) for r in rows)}
