"""From a county's events to what its read views show: one handler per event type.

``ViewProjection`` dispatches each event to its handler (the library's
``singledispatchmethod``, as its ``Projection.process_event``); a handler takes
the event's aggregate as it stands after the event and reports what changed to
a target: ``ViewRows`` makes the views' rows of it, the replay
(``application.replay``) keeps the aggregates. The same handlers serve three paths:

- *inline*: a command's own save carries the rows made from its aggregates in
  memory (``pending_batch``), and the recorder writes them in the events'
  transaction when the views are up to date — so a writer reads its own writes
  at no cost;
- *catch-up*: anything not yet projected (events written by another path, or
  while the views lagged) is folded from the stored events (``catch_up``);
  rows and tracking position commit together, exactly once;
- *replay*: the audit folds every event into aggregates, with no view involved.

Why the catch-up is not the library's ``ProjectionRunner``: decision 17.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Notification
from eventsourcing.system import NotificationLogReader

from application.view_batch import ViewBatch, ViewRows
from domain.arrangements import Arrangement
from domain.assessment import AssessmentCatalogue
from domain.bodies import Body
from domain.changes import Change
from domain.people import Person
from domain.units import Unit

if TYPE_CHECKING:  # the ledger saves through this module's pending_batch
    from application.ledger import CountyLedger

BATCH = 500


class ViewTarget(Protocol):
    """What the handlers report; each target keeps what it needs of it."""

    def unit(self, unit: Unit, event: Unit.Event, position: int) -> None: ...

    def crossing(self, event: Unit.Crossed, unit: Unit) -> None: ...

    def body(self, body: Body, event: Body.Event, posts: Iterable[UUID], itself: bool) -> None:
        """``posts``: the posts the event touched; ``itself``: it changed the body's own row."""

    def arrangement(self, arrangement: Arrangement, event: Arrangement.Event) -> None: ...

    def catalogue(self, catalogue: AssessmentCatalogue,
                  event: AssessmentCatalogue.Event) -> None: ...

    def person(self, person: Person, event: Person.Registered | Person.Erased) -> None: ...

    def change(self, event: Change.Recorded, position: int) -> None: ...

    def retraction(self, event: Change.Retracted) -> None: ...


class Aggregates(Protocol):
    def after(self, event: Any, cls: type[Aggregate]) -> Any:
        """The event's aggregate (of class ``cls``) as it stands after the event."""


class ViewProjection:
    """One handler per event type: what the event changes in what the views show."""

    def __init__(self, target: ViewTarget, aggregates: Aggregates):
        self.target = target
        self.aggregates = aggregates

    @singledispatchmethod
    def process(self, event: Any, position: int) -> None:
        """Plans, policies and the rest of a person's events: no view of their own."""

    @process.register
    def _unit(self, event: Unit.Event, position: int) -> None:
        self.target.unit(self.aggregates.after(event, Unit), event, position)

    @process.register
    def _crossed(self, event: Unit.Crossed, position: int) -> None:
        unit = self.aggregates.after(event, Unit)
        self.target.unit(unit, event, position)
        self.target.crossing(event, unit)

    @process.register
    def _body(self, event: Body.Event, position: int) -> None:
        """Established, abolished …: the body's own row."""
        self.target.body(self.aggregates.after(event, Body), event, (), True)

    @process.register
    def _post(self, event: Body.PostStarted | Body.PostEnded, position: int) -> None:
        self.target.body(self.aggregates.after(event, Body), event, (event.post_id,), False)

    @process.register
    def _body_retracted(self, event: Body.Retracted, position: int) -> None:
        """The body's row, and the posts the retracted change had made."""
        body = self.aggregates.after(event, Body)
        self.target.body(body, event, body.withdrawn.get(event.retracted_change_id, []), True)

    @process.register
    def _arrangement(self, event: Arrangement.Event, position: int) -> None:
        self.target.arrangement(self.aggregates.after(event, Arrangement), event)

    @process.register
    def _catalogue(self, event: AssessmentCatalogue.Event, position: int) -> None:
        self.target.catalogue(self.aggregates.after(event, AssessmentCatalogue), event)

    @process.register
    def _person(self, event: Person.Registered | Person.Erased, position: int) -> None:
        self.target.person(self.aggregates.after(event, Person), event)

    @process.register
    def _change(self, event: Change.Recorded, position: int) -> None:
        self.target.change(event, position)

    @process.register
    def _retracted(self, event: Change.Retracted, position: int) -> None:
        self.target.retraction(event)


class Saved:
    """A save's aggregates in memory: each already as its pending events leave it."""

    def __init__(self, aggregates: Iterable[Aggregate]):
        self.by_id = {a.id: a for a in aggregates}

    def after(self, event: Any, cls: type[Aggregate]) -> Any:
        return self.by_id[event.originator_id]

    def unit(self, unit_id: UUID) -> Unit:
        unit = self.by_id[unit_id]
        assert isinstance(unit, Unit)
        return unit


# An aggregate of a class as stored, at a version (None: the latest).
Load = Callable[[type[Aggregate], UUID, int | None], Any]


class Fold:
    """Stored events folded into aggregates, in recorded order: each event's
    aggregate from the one before it (kept from an earlier event, or, with
    ``load``, loaded at that version: a catch-up starts in the middle of the log)."""

    def __init__(self, load: Load | None = None):
        self.aggregates: dict[UUID, Any] = {}
        self.load = load

    def after(self, event: Any, cls: type[Aggregate]) -> Any:
        if event.originator_version == Aggregate.INITIAL_VERSION:
            before = None  # the event creates the aggregate
        else:
            before = self.aggregates.get(event.originator_id)
            if self.load is not None and (
                    before is None or before.version != event.originator_version - 1):
                before = self.load(cls, event.originator_id, event.originator_version - 1)
        aggregate = event.mutate(before)
        self.aggregates[event.originator_id] = aggregate
        return aggregate

    def unit(self, unit_id: UUID) -> Unit:
        """A unit as folded so far, or as stored (one the change names but whose
        events come after the change's in the log)."""
        unit = self.aggregates.get(unit_id)
        if unit is None and self.load is not None:
            unit = self.load(Unit, unit_id, None)
        assert isinstance(unit, Unit)
        return unit


def pending_batch(aggregates: Iterable[Aggregate]) -> ViewBatch:
    """The rows a save of these aggregates will add, made from them in memory.

    Events are numbered in the order ``Application.save`` collects them: each
    aggregate's pending events, aggregate by aggregate.
    """
    saved = Saved(aggregates)
    rows = ViewRows(last_position=-1, unit=saved.unit)
    process = ViewProjection(rows, saved).process
    events = (event for aggregate in saved.by_id.values() for event in aggregate.pending_events)
    for position, event in enumerate(events):
        process(event, position)
    return rows.rows()


def domain_event(ledger: Application[UUID], notification: Notification) -> Aggregate.Event:
    """A stored event, decoded: every event of a county is an aggregate's, with its
    recorded time."""
    event = ledger.mapper.to_domain_event(notification)
    assert isinstance(event, Aggregate.Event)
    return event


def stored_batch(ledger: Application[UUID], fold: Fold,
                 notifications: Sequence[Notification]) -> ViewBatch:
    """The rows stored events add, folded into the aggregates of ``fold``: the
    catch-up's batch. A rewrite per aggregate and recorded time: the events of a
    change share their time."""
    rows = ViewRows(last_position=notifications[-1].id, unit=fold.unit)
    process = ViewProjection(rows, fold).process
    moment = None
    for notification in notifications:
        event = domain_event(ledger, notification)
        if (event.originator_id, event.timestamp) != moment:
            rows.settle()  # before the next event changes the aggregate
            moment = (event.originator_id, event.timestamp)
        process(event, notification.id)
    return rows.rows()


def read_log(ledger: Application[UUID], after: int, page: int,
             topics: Sequence[str] = ()) -> Iterator[Sequence[Notification]]:
    """The ledger's notifications after a position, a page at a time (the
    library's reader of its notification log)."""
    reader = NotificationLogReader(ledger.notification_log, section_size=page)
    return reader.select(start=after, topics=topics, inclusive_of_start=False)


class StructureViews(Protocol):
    """The store of a county's read views, as the projection writes them."""

    def tracked_position(self) -> int: ...

    def apply(self, batch: ViewBatch, after: int) -> bool:
        """Write the batch and track its last position, in one transaction.

        Answers False, writing nothing, when the tracked position is no longer
        ``after`` (another process caught up first).
        """


def catch_up(ledger: CountyLedger, views: StructureViews, until: int | None = None) -> int:
    """Bring the views up to the ledger's last event (or at least ``until``).

    Safe to run from many processes at once: a batch is written only if the
    tracked position is still the one it was read after; when another process
    got further first, the catch-up goes on from where that one got to.
    """
    tracked = views.tracked_position()
    while until is None or tracked < until:
        fold = Fold(ledger.load)
        for notifications in read_log(ledger, tracked, BATCH):
            batch = stored_batch(ledger, fold, notifications)
            if not views.apply(batch, after=tracked):
                break
            tracked = batch.last_position
            if until is not None and tracked >= until:
                return tracked
        else:
            return tracked
        tracked = views.tracked_position()
    return tracked
