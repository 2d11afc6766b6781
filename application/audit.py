"""Replay audit: does every read view follow from the events alone?

The interfaces hand in what the views answer for a date and a recorded time;
this rebuilds the same from the events (``replay``) and lists each difference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from application.ledger import CountyLedger
from application.replay import replay

# The facts of a unit that the views show, as the replay computes them.
FIELDS = ("kind", "status", "name", "parent_id", "federation_id", "established_on",
          "ceased_on", "households", "residents", "floating")


@dataclass(frozen=True)
class ReplayReport:
    events_replayed: int
    units_compared: int
    differences: list[dict[str, Any]]

    @property
    def matches(self) -> bool:
        return not self.differences


def replayed_facts(unit: Any, day: date) -> dict[str, Any]:
    """A unit's facts on a date, shaped as a row of the units view."""
    facts = unit.facts_on(day)
    population = facts.population
    return {
        "kind": unit.kind.value, "status": facts.status, "name": facts.name,
        "parent_id": facts.parent_id, "federation_id": facts.federation_id,
        "established_on": facts.established_on, "ceased_on": facts.ceased_on,
        "households": population.households if population else None,
        "residents": population.residents if population else None,
        "floating": population.floating if population else None,
    }


def audit_replay(
    ledger: CountyLedger,
    as_of: date,
    known_at: datetime,
    view_units: Iterable[dict[str, Any]],
    view_lineage: Iterable[tuple[UUID, UUID, UUID]],
    on_page: Callable[[int], None] | None = None,
) -> ReplayReport:
    """Compare the views' units and lineage on ``as_of`` (as known at ``known_at``)
    with the state rebuilt from the events recorded up to ``known_at``."""
    replayed = replay(ledger, known_at, on_page)
    expected = {uid: replayed_facts(u, as_of) for uid, u in replayed.existing_units().items()}
    seen = {row["unit_id"]: {f: row[f] for f in FIELDS} for row in view_units}
    differences: list[dict[str, Any]] = []
    for unit_id in sorted(expected.keys() | seen.keys(), key=str):
        if unit_id not in seen:
            differences.append({"view": "units", "unit_id": unit_id, "problem": "missing from the view"})
        elif unit_id not in expected:
            differences.append({"view": "units", "unit_id": unit_id, "problem": "not in the events"})
        else:
            for name in FIELDS:
                if seen[unit_id][name] != expected[unit_id][name]:
                    differences.append({
                        "view": "units", "unit_id": unit_id, "field": name,
                        "in_view": seen[unit_id][name], "replayed": expected[unit_id][name],
                    })
    replayed_edges = {(s.predecessor_id, s.successor_id, s.change_id)
                      for s in replayed.lineage_on(as_of)}
    viewed_edges = set(view_lineage)
    differences += [{"view": "lineage", "edge": edge, "problem": "missing from the view"}
                    for edge in sorted(replayed_edges - viewed_edges, key=str)]
    differences += [{"view": "lineage", "edge": edge, "problem": "not in the events"}
                    for edge in sorted(viewed_edges - replayed_edges, key=str)]
    return ReplayReport(replayed.events, len(expected), differences)
