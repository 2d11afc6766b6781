"""The structure rebuilt from the events alone, with no read view involved.

Auditors (and the tests) compare the read views with this: every unit, body,
arrangement and catalogue folded from the events recorded up to ``known_at``,
then asked for its state on a date; and the successions (lineage) that
conversions, mergers and crossings recorded. The events reach it through the
projection's own handlers (``ViewProjection``): the replay is one more target,
which keeps the aggregates where the views keep rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar
from uuid import UUID

from application.ledger import CountyLedger
from application.projection import Fold, ViewProjection, domain_event, read_log
from domain.arrangements import Arrangement
from domain.assessment import AssessmentCatalogue
from domain.bodies import Body
from domain.changes import Change
from domain.people import Person
from domain.units import Unit

PAGE = 1000
T = TypeVar("T")


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
    """The aggregates the events make, and the lineage they record (a
    ``projection.ViewTarget``)."""

    units: dict[UUID, Unit] = field(default_factory=dict)
    bodies: dict[UUID, Body] = field(default_factory=dict)
    arrangements: dict[UUID, Arrangement] = field(default_factory=dict)
    catalogues: dict[UUID, AssessmentCatalogue] = field(default_factory=dict)
    successions: list[Succession] = field(default_factory=list)
    retracted: set[UUID] = field(default_factory=set)
    events: int = 0

    def existing_units(self) -> Iterator[Unit]:
        """A unit whose establishment was retracted never existed."""
        return (unit for unit in self.units.values() if not unit.is_void)

    def lineage_on(self, day: date) -> set[Succession]:
        return {s for s in self.successions
                if s.change_id not in self.retracted and s.effective_date <= day}

    def unit(self, unit: Unit, event: Unit.Event, position: int) -> None:
        self.units[unit.id] = unit

    def crossing(self, event: Unit.Crossed, unit: Unit) -> None:
        ends = (unit.id, event.other_id)
        before, after = ends if event.direction == "to" else ends[::-1]
        self.successions.append(Succession(
            before, after, event.change_id, event.effective_date, False))

    def body(self, body: Body, event: Body.Event, posts: Iterable[UUID], itself: bool) -> None:
        self.bodies[body.id] = body

    def arrangement(self, arrangement: Arrangement, event: Arrangement.Event) -> None:
        self.arrangements[arrangement.id] = arrangement

    def catalogue(self, catalogue: AssessmentCatalogue,
                  event: AssessmentCatalogue.Event) -> None:
        self.catalogues[catalogue.id] = catalogue

    def person(self, person: Person, event: Person.Registered | Person.Erased) -> None:
        """The audit compares no people."""

    def change(self, event: Change.Recorded, position: int) -> None:
        self.successions.extend(
            Succession(p, s, event.originator_id, event.effective_date, bool(group))
            for p, s, group in event.lineage
        )

    def retraction(self, event: Change.Retracted) -> None:
        self.retracted.add(event.originator_id)


def replay(
    ledger: CountyLedger, known_at: datetime, on_page: Callable[[int], None] | None = None
) -> Replayed:
    """Fold every event recorded up to ``known_at``, in recorded order (a caller
    folding a whole county pauses the collector around it: ``collector_paused``)."""
    replayed = Replayed()
    process = ViewProjection(replayed, Fold()).process
    for notifications in read_ahead(read_log(ledger, 0, PAGE)):
        for notification in notifications:
            event = domain_event(ledger, notification)
            if event.timestamp <= known_at:
                replayed.events += 1
                process(event, notification.id)
        if on_page is not None:
            on_page(len(notifications))
    return replayed


def read_ahead(pages: Iterator[T]) -> Iterator[T]:
    """Each page read from the store while the one before is folded: the replay
    no longer waits on the database between pages."""
    with ThreadPoolExecutor(max_workers=1) as reader:
        following = reader.submit(next, pages, None)
        while (page := following.result()) is not None:
            following = reader.submit(next, pages, None)
            yield page
