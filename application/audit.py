"""Replay audit: does every read view follow from the events alone?

The interfaces hand in what the views answer for a date and a recorded time;
this rebuilds the same from the events (``replay``) and lists each difference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from application.ledger import CountyLedger
from application.replay import collector_paused, replay
from domain.arrangements import Arrangement
from domain.assessment import AssessmentCatalogue
from domain.bodies import Body
from domain.units import Unit

# The facts of a unit that the views show, as the replay computes them.
FIELDS = ("kind", "code", "status", "name", "parent_id", "federation_id", "established_on",
          "ceased_on", "households", "residents", "floating")
# The rows of the bodies and posts views on a date, as the replay computes them.
BODY_FIELDS = ("body_id", "unit_id", "type", "name")
POST_FIELDS = ("post_id", "body_id", "person_id", "role", "full_time", "concurrent",
               "since", "until")
ARRANGEMENT_FIELDS = ("arrangement_id", "zone_id", "subdistrict_id", "mode")
CATALOGUE_FIELDS = ("town_id", "year", "items")


@dataclass(frozen=True)
class ReplayReport:
    events_replayed: int
    units_compared: int
    differences: list[dict[str, Any]]

    @property
    def matches(self) -> bool:
        return not self.differences


def replayed_row(unit: Unit, day: date) -> tuple[Any, ...]:
    """A unit's facts on a date, in ``FIELDS`` order: as a row of the units view."""
    facts = unit.facts_on(day)
    population = facts.population
    return (
        facts.kind.value, facts.code, facts.status, facts.name, facts.parent_id,
        facts.federation_id, facts.established_on, facts.ceased_on,
        population.households if population else None,
        population.residents if population else None,
        population.floating if population else None,
    )


def replayed_facts(unit: Unit, day: date) -> dict[str, Any]:
    """A unit's facts on a date, by field name."""
    return dict(zip(FIELDS, replayed_row(unit, day), strict=True))


def replayed_staffing(bodies: Iterable[Body], day: date) -> tuple[set[tuple[Any, ...]],
                                                                  set[tuple[Any, ...]]]:
    """The bodies existing on a date and the posts held then, shaped as
    ``BODY_FIELDS`` and ``POST_FIELDS``."""
    existing = [b for b in bodies if b.exists_on(day)]
    return (
        {(b.id, b.unit_id, b.type.value, b.name) for b in existing},
        {(p.post_id, b.id, p.person_id, p.role.value, p.full_time, p.concurrent, p.since,
          p.until) for b in existing for p in b.posts_on(day)},
    )


def replayed_records(arrangements: Iterable[Arrangement],
                     catalogues: Iterable[AssessmentCatalogue], day: date
                     ) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """The arrangements in force on a date and the catalogues of its year in force
    then, shaped as ``ARRANGEMENT_FIELDS`` and ``CATALOGUE_FIELDS``."""
    in_force = {(a.id, a.zone_id, a.subdistrict_id, a.mode) for a in arrangements
                if a.made_on <= day < a.valid_to}
    versions = set()
    for catalogue in catalogues:
        held = [v for v in catalogue.versions if v.since <= day]
        if catalogue.year == day.year and held:
            versions.add((catalogue.town_id, catalogue.year, tuple(held[-1].items)))
    return in_force, versions


def _compare(view: str, fields: Sequence[str], seen: set[tuple[Any, ...]],
             expected: set[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [{"view": view, "row": dict(zip(fields, row, strict=True)), "problem": problem}
            for rows, problem in ((expected - seen, "missing from the view"),
                                  (seen - expected, "not in the events"))
            for row in sorted(rows, key=str)]


def audit_replay(
    ledger: CountyLedger,
    as_of: date,
    known_at: datetime,
    view_units: Mapping[UUID, tuple[Any, ...]],
    view_lineage: Iterable[tuple[UUID, UUID, UUID]],
    view_staffing: tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]],
    view_records: tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]],
    on_page: Callable[[int], None] | None = None,
) -> ReplayReport:
    """Compare the views' units (their ``FIELDS`` by id), lineage, bodies and posts
    on ``as_of`` (as known at ``known_at``) with the state rebuilt from the events
    recorded up to ``known_at``."""
    with collector_paused():
        replayed = replay(ledger, known_at, on_page)
        expected = {uid: replayed_row(u, as_of) for uid, u in replayed.units.items()
                    if not u.is_void}  # a unit whose establishment was retracted never existed
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
    replayed_edges = {(s.predecessor_id, s.successor_id, s.change_id)
                      for s in replayed.lineage_on(as_of)}
    viewed_edges = set(view_lineage)
    differences += [{"view": "lineage", "edge": edge, "problem": "missing from the view"}
                    for edge in sorted(replayed_edges - viewed_edges, key=str)]
    differences += [{"view": "lineage", "edge": edge, "problem": "not in the events"}
                    for edge in sorted(viewed_edges - replayed_edges, key=str)]
    bodies, posts = replayed_staffing(replayed.bodies.values(), as_of)
    differences += _compare("bodies", BODY_FIELDS, view_staffing[0], bodies)
    differences += _compare("posts", POST_FIELDS, view_staffing[1], posts)
    arrangements, catalogues = replayed_records(
        replayed.arrangements.values(), replayed.catalogues.values(), as_of)
    differences += _compare("arrangements", ARRANGEMENT_FIELDS, view_records[0], arrangements)
    differences += _compare("catalogues", CATALOGUE_FIELDS, view_records[1], catalogues)
    return ReplayReport(replayed.events, len(expected), differences)
