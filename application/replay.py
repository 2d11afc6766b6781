"""The structure rebuilt from the events alone, with no read view involved.

Auditors (and the tests) compare the read views with this: every unit, body,
arrangement and catalogue folded from the events recorded up to ``known_at``, then asked for its
state on a date; and the successions (lineage) that conversions and mergers
recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from application.ledger import CountyLedger
from domain.arrangements import Arrangement
from domain.assessment import AssessmentCatalogue
from domain.bodies import Body
from domain.changes import Change
from domain.units import Unit

PAGE = 1000


@dataclass(frozen=True)
class Succession:
    """A village (predecessor) → the community that replaced it, by one change."""

    predecessor_id: UUID
    successor_id: UUID
    change_id: UUID
    effective_date: date
    group: bool


@dataclass
class Replayed:
    units: dict[UUID, Unit] = field(default_factory=dict)
    bodies: dict[UUID, Body] = field(default_factory=dict)
    arrangements: dict[UUID, Arrangement] = field(default_factory=dict)
    catalogues: dict[UUID, AssessmentCatalogue] = field(default_factory=dict)
    successions: list[Succession] = field(default_factory=list)
    retracted: set[UUID] = field(default_factory=set)
    events: int = 0

    def existing_units(self) -> dict[UUID, Unit]:
        """A unit whose establishment was retracted never existed."""
        return {unit_id: unit for unit_id, unit in self.units.items() if not unit.is_void}

    def lineage_on(self, day: date) -> set[Succession]:
        return {s for s in self.successions
                if s.change_id not in self.retracted and s.effective_date <= day}


def replay(
    ledger: CountyLedger, known_at: datetime, on_page: Callable[[int], None] | None = None
) -> Replayed:
    """Fold every event recorded up to ``known_at``, in recorded order."""
    replayed = Replayed()
    position = 0
    while True:
        notifications = ledger.recorder.select_notifications(
            start=position, limit=PAGE, inclusive_of_start=False
        )
        if not notifications:
            return replayed
        for notification in notifications:
            event = ledger.mapper.to_domain_event(notification)
            if event.timestamp > known_at:
                continue
            replayed.events += 1
            if isinstance(event, Unit.Event):
                unit = event.mutate(replayed.units.get(event.originator_id))
                assert isinstance(unit, Unit)
                replayed.units[unit.id] = unit
                if isinstance(event, Unit.Crossed):
                    ends = (unit.id, event.other_id)
                    before, after = ends if event.direction == "to" else ends[::-1]
                    replayed.successions.append(Succession(
                        before, after, event.change_id, event.effective_date, False))
            elif isinstance(event, Body.Event):
                _fold(replayed.bodies, event)
            elif isinstance(event, Arrangement.Event):
                _fold(replayed.arrangements, event)
            elif isinstance(event, AssessmentCatalogue.Event):
                _fold(replayed.catalogues, event)
            elif isinstance(event, Change.Recorded):
                replayed.successions.extend(
                    Succession(p, s, event.originator_id, event.effective_date, bool(group))
                    for p, s, group in event.lineage
                )
            elif isinstance(event, Change.Retracted):
                replayed.retracted.add(event.originator_id)
        position = notifications[-1].id
        if on_page is not None:
            on_page(len(notifications))


def _fold(aggregates: dict[UUID, Any], event: Any) -> None:
    aggregate = event.mutate(aggregates.get(event.originator_id))
    aggregates[aggregate.id] = aggregate
