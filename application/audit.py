"""Replay audit: does every read view follow from the events alone?

The interfaces hand in what the views answer for a date and a recorded time;
this rebuilds the same from the events (``replay``) and lists each difference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from application.ledger import CountyLedger
from application.replay import replay
from application.rows import (
    UNIT_COLUMNS,
    ArrangementInForce,
    CatalogueInForce,
    ExistingBody,
    HeldPost,
    LineageEdge,
    UnitRow,
)
from domain.arrangements import Arrangement
from domain.assessment import AssessmentCatalogue
from domain.bodies import Body
from domain.units import Unit

# What the audit compares of a unit, view against replay: every column of its row
# in the units view but its id.
FIELDS = UNIT_COLUMNS[1:]


@dataclass(frozen=True)
class ReplayReport:
    events_replayed: int
    units_compared: int
    differences: list[dict[str, Any]]

    @property
    def matches(self) -> bool:
        return not self.differences


def replayed_facts(unit: Unit, day: date) -> UnitRow:
    """A unit's facts on a date, as the units view holds them."""
    return UnitRow.of(unit.id, unit.facts_on(day))


def replayed_row(unit: Unit, day: date) -> tuple[Any, ...]:
    """A unit's facts on a date, in ``FIELDS`` order: as the audit compares them."""
    return UnitRow.columns_of(unit.id, unit.facts_on(day))[1:]


def replayed_staffing(bodies: Iterable[Body], day: date) -> tuple[set[ExistingBody],
                                                                  set[HeldPost]]:
    """The bodies existing on a date and the posts held then."""
    existing = [b for b in bodies if b.exists_on(day)]
    return (
        {ExistingBody(b.id, b.unit_id, b.type.value, b.name) for b in existing},
        {HeldPost(p.post_id, b.id, p.person_id, p.role.value, p.full_time, p.concurrent, p.since,
                  p.until) for b in existing for p in b.posts_on(day)},
    )


def replayed_records(arrangements: Iterable[Arrangement],
                     catalogues: Iterable[AssessmentCatalogue], day: date
                     ) -> tuple[set[ArrangementInForce], set[CatalogueInForce]]:
    """The arrangements in force on a date and the catalogues of its year in force then."""
    in_force = {ArrangementInForce(a.id, a.zone_id, a.subdistrict_id, a.mode)
                for a in arrangements if a.made_on <= day < a.valid_to}
    versions = set()
    for catalogue in catalogues:
        held = [v for v in catalogue.versions if v.since <= day]
        if catalogue.year == day.year and held:
            versions.add(CatalogueInForce(catalogue.town_id, catalogue.year, tuple(held[-1].items)))
    return in_force, versions


Row = TypeVar("Row", ExistingBody, HeldPost, ArrangementInForce, CatalogueInForce)


def _compare(view: str, seen: set[Row], expected: set[Row]) -> list[dict[str, Any]]:
    return [{"view": view, "row": row._asdict(), "problem": problem}
            for rows, problem in ((expected - seen, "missing from the view"),
                                  (seen - expected, "not in the events"))
            for row in sorted(rows, key=str)]


def audit_replay(
    ledger: CountyLedger,
    as_of: date,
    known_at: datetime,
    view_units: Mapping[UUID, tuple[Any, ...]],
    view_lineage: Iterable[LineageEdge],
    view_staffing: tuple[set[ExistingBody], set[HeldPost]],
    view_records: tuple[set[ArrangementInForce], set[CatalogueInForce]],
    on_page: Callable[[int], None] | None = None,
) -> ReplayReport:
    """Compare the views' units (their ``FIELDS`` by id), lineage, bodies and posts
    on ``as_of`` (as known at ``known_at``) with the state rebuilt from the events
    recorded up to ``known_at``. A caller auditing a whole county reads the views
    and calls this with the collector paused (``collector.collector_paused``)."""
    replayed = replay(ledger, known_at, on_page)
    expected = {u.id: replayed_row(u, as_of) for u in replayed.existing_units()}
    differences: list[dict[str, Any]] = []
    # Whole rows first, in one comparison of the two; fields only where rows differ.
    differing = [] if expected == view_units else [
        uid for uid in expected.keys() | view_units.keys()
        if expected.get(uid) != view_units.get(uid)]
    for unit_id in sorted(differing, key=str):
        if unit_id not in view_units:
            differences.append({"view": "units", "unit_id": unit_id, "problem": "missing from the view"})
        elif unit_id not in expected:
            differences.append({"view": "units", "unit_id": unit_id, "problem": "not in the events"})
        else:
            differences += [
                {"view": "units", "unit_id": unit_id, "field": name, "in_view": seen,
                 "replayed": wanted}
                for name, seen, wanted in zip(FIELDS, view_units[unit_id], expected[unit_id],
                                              strict=True)
                if seen != wanted]
    replayed_edges = {LineageEdge(s.predecessor_id, s.successor_id, s.change_id)
                      for s in replayed.lineage_on(as_of)}
    viewed_edges = set(view_lineage)
    differences += [{"view": "lineage", "edge": edge, "problem": "missing from the view"}
                    for edge in sorted(replayed_edges - viewed_edges, key=str)]
    differences += [{"view": "lineage", "edge": edge, "problem": "not in the events"}
                    for edge in sorted(viewed_edges - replayed_edges, key=str)]
    bodies, posts = replayed_staffing(replayed.bodies.values(), as_of)
    differences += _compare("bodies", view_staffing[0], bodies)
    differences += _compare("posts", view_staffing[1], posts)
    arrangements, catalogues = replayed_records(
        replayed.arrangements.values(), replayed.catalogues.values(), as_of)
    differences += _compare("arrangements", view_records[0], arrangements)
    differences += _compare("catalogues", view_records[1], catalogues)
    return ReplayReport(replayed.events, len(expected), differences)
