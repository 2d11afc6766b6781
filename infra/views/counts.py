"""The queries behind the change report: changes in force in a window of
effective dates, each with the town it happened in, and the towns' names."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from application.change_counts import Ceased, CountedChange, Town
from infra.views.schema import CURRENT, STILL_BELIEVED, Moment
from infra.views.tables import ViewTables

# What a release lists at the village level: every kind but the federation (联居).
LISTED_VILLAGE_KINDS = ("village", "urban_community", "rural_community")


def counted_changes(views: ViewTables, after: date, until: date,
                    known_at: datetime) -> list[CountedChange]:
    d = views.dialect
    rows = views.query(
        "SELECT c.change_id, c.type, c.effective_date, "
        "MIN(CAST(COALESCE(u.parent_id, u.unit_id) AS TEXT)) AS town_id "
        "FROM {changes} AS c JOIN {history} AS h ON h.change_id = c.change_id "
        "JOIN {units} AS u ON u.unit_id = h.unit_id AND u.recorded_to = %s "
        "AND u.valid_from <= c.effective_date AND c.effective_date < u.valid_to "
        "WHERE c.effective_date > %s AND c.effective_date <= %s AND c.recorded_at <= %s "
        "AND (c.retracted_at IS NULL OR c.retracted_at > %s) AND c.type <> 'retraction' "
        "GROUP BY c.change_id, c.type, c.effective_date",
        (STILL_BELIEVED, after, until, known_at, known_at),
    )
    return [CountedChange(d.uuid(r["change_id"]), r["type"], d.date(r["effective_date"]),
                          UUID(r["town_id"])) for r in rows]


def towns(views: ViewTables, town_ids: Sequence[UUID]) -> list[Town]:
    """Each town by its latest name and code."""
    if not town_ids:
        return []
    wanted = set(town_ids)
    rows = views.query(
        "SELECT unit_id, name, code FROM {units} WHERE parent_id IS NULL AND recorded_to = %s "
        "ORDER BY valid_from", (STILL_BELIEVED,))
    latest: dict[UUID, Town] = {}
    for r in rows:
        unit_id = views.dialect.uuid(r["unit_id"])
        if unit_id in wanted:
            latest[unit_id] = Town(unit_id, r["name"], r["code"])
    return list(latest.values())


def village_units_on(views: ViewTables, moment: Moment) -> int:
    """How many village-level units (as the releases count them) were active."""
    rows = views.query(
        f"SELECT COUNT(*) AS n FROM {{units}} WHERE {CURRENT} AND status = 'active' "
        "AND kind IN (%s, %s, %s)", (*moment.params(), *LISTED_VILLAGE_KINDS))
    return int(rows[0]["n"])


def ceased_units(views: ViewTables, after: date, until: date,
                 known_at: datetime) -> list[Ceased]:
    """Each village-level unit that ceased in the window, by changes still in force."""
    rows = views.query(
        "SELECT h.effective_date, c.type FROM {history} AS h "
        "JOIN {changes} AS c ON c.change_id = h.change_id "
        "WHERE h.type = 'ceased' AND h.kind IN (%s, %s, %s) "
        "AND h.effective_date > %s AND h.effective_date <= %s AND h.recorded_at <= %s "
        "AND (c.retracted_at IS NULL OR c.retracted_at > %s)",
        (*LISTED_VILLAGE_KINDS, after, until, known_at, known_at))
    return [Ceased(views.dialect.date(r["effective_date"]), r["type"]) for r in rows]
