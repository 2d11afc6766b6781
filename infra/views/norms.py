"""What the reports on the norms read: every fact of the county on a date in
five lean queries, and the arrangements and assessment catalogues."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from application.reports import BodyFacts, PostFacts, UnitFacts
from application.rows import ArrangementInForce, CatalogueInForce, CatalogueRow
from domain.assessment import Item
from infra.views.schema import CURRENT, STILL_BELIEVED, Moment
from infra.views.tables import ViewTables


class NormsQueries:
    """The facts the reports read, and the arrangements and catalogues views."""

    def __init__(self, tables: ViewTables):
        self.tables = tables

    def report_facts(self, moment: Moment) -> tuple[list[UnitFacts], list[BodyFacts],
                                                    list[PostFacts], list[ArrangementInForce],
                                                    list[CatalogueInForce]]:
        """Everything the reports need on a date, as known at a time: five lean queries."""
        d, params = self.tables.dialect, moment.params()
        with self.tables.reading(tuples=True) as curs:
            curs.execute(self.tables.sql(
                "SELECT unit_id, kind, name, federation_id, households, floating FROM {units} "
                f"WHERE {CURRENT} AND status = 'active'"), params)
            units = [UnitFacts(d.uuid(r[0]), r[1], r[2], d.uuid(r[3]), r[4], r[5])
                     for r in curs.fetchall()]
            curs.execute(self.tables.sql(
                f"SELECT body_id, unit_id, type, name, attributes FROM {{bodies}} WHERE {CURRENT}"),
                params)
            bodies = [BodyFacts(d.uuid(r[0]), d.uuid(r[1]), r[2], r[3], json.loads(r[4]))
                      for r in curs.fetchall()]
            curs.execute(self.tables.sql(
                "SELECT p.body_id, p.person_id, p.role, p.full_time, p.concurrent, e.rank, "
                "e.source FROM {posts} AS p LEFT JOIN {people} AS e ON e.person_id = p.person_id "
                "WHERE p.recorded_from <= %s AND %s < p.recorded_to AND p.valid_from <= %s "
                "AND %s < p.valid_to"), params)
            posts = [PostFacts(d.uuid(r[0]), d.uuid(r[1]), r[2], bool(r[3]), bool(r[4]),
                               r[5], r[6]) for r in curs.fetchall()]
            arrangements, catalogues = self._records(curs, moment)
        return units, bodies, posts, arrangements, catalogues

    def records_on(self, moment: Moment) -> tuple[list[ArrangementInForce],
                                                  list[CatalogueInForce]]:
        """The arrangements in force on a date and the catalogues of its year then."""
        with self.tables.reading(tuples=True) as curs:
            return self._records(curs, moment)

    def _records(self, curs: Any, moment: Moment) -> tuple[list[ArrangementInForce],
                                                           list[CatalogueInForce]]:
        d, params = self.tables.dialect, moment.params()
        curs.execute(self.tables.sql(
            "SELECT arrangement_id, zone_id, other_id, mode FROM {arrangements} "
            f"WHERE {CURRENT}"), params)
        arrangements = [ArrangementInForce(d.uuid(r[0]), d.uuid(r[1]), d.uuid(r[2]), r[3])
                        for r in curs.fetchall()]
        curs.execute(self.tables.sql(
            f"SELECT town_id, year, items FROM {{catalogues}} WHERE {CURRENT} AND year = %s"),
            (*params, moment.as_of.year))
        catalogues = [CatalogueInForce(d.uuid(r[0]), r[1],
                                       tuple(Item.from_dict(i) for i in json.loads(r[2])))
                      for r in curs.fetchall()]
        return arrangements, catalogues

    def arrangements_of(self, zone_id: UUID) -> list[UUID]:
        rows = self.tables.query("SELECT DISTINCT arrangement_id FROM {arrangements} "
                           "WHERE zone_id = %s AND recorded_to = %s", (zone_id, STILL_BELIEVED))
        return sorted((self.tables.dialect.uuid(r["arrangement_id"]) for r in rows), key=str)

    def catalogue_on(self, town_id: UUID, year: int, moment: Moment) -> CatalogueRow | None:
        rows = self.tables.query(
            "SELECT catalogue_id, town_id, year, items, valid_from FROM {catalogues} "
            f"WHERE town_id = %s AND year = %s AND {CURRENT}",
            (town_id, year, *moment.params()))
        if not rows:
            return None
        row, d = rows[0], self.tables.dialect
        return CatalogueRow(d.uuid(row["catalogue_id"]), d.uuid(row["town_id"]), row["year"],
                            d.date(row["valid_from"]), json.loads(row["items"]))
