"""From a county's events to the rows of its read views.

A unit event rewrites the unit's rows: the rows believed until then are closed
at the event's recorded time and the unit's whole timeline (``segments()``) is
inserted as believed from that time. One mechanism serves ordinary,
back-dated and future-dated changes. Events also write the unit's history,
the change log and the lineage.

Rows reach the views in two ways, both exactly once through the tracking
position that commits with them:

- *inline*: a command's own save carries the rows made from its aggregates
  (``pending_batch``), and the recorder writes them in the events' transaction
  when the views are up to date — so a writer reads its own writes at no cost;
- *catch-up*: anything not yet projected (events written by another path, or
  while the views lagged) is folded from the stored events (``catch_up``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper, Notification

from domain.arrangements import Arrangement
from domain.assessment import AssessmentCatalogue
from domain.bodies import Body, Post
from domain.changes import Change
from domain.people import Person
from domain.timeline import END
from domain.units import Segment, Unit

BATCH = 500
# Aggregates kept in the views as small records of interval rows.
RECORDS = (Arrangement, AssessmentCatalogue)


@dataclass(frozen=True)
class UnitRewrite:
    """The unit's whole timeline, believed from ``recorded_at`` on."""

    unit_id: UUID
    recorded_at: datetime
    segments: list[Segment]
    is_new: bool  # nothing to close: the unit's first rows


@dataclass(frozen=True)
class BodyState:
    """A body's own facts, as its row in the bodies view shows them."""

    unit_id: UUID
    type: str
    name: str
    attributes: dict[str, Any]
    established_on: date
    abolished_on: date | None
    valid_to: date


@dataclass(frozen=True)
class BodyRewrite:
    """A body's interval and the posts an event touched, believed from ``recorded_at``.

    Only the touched posts are rewritten: a body of 2,000 posts costs one row
    per appointment, not 2,000. The facts are copied when the rewrite is made:
    the catch-up path folds later events into the same aggregate.
    """

    body_id: UUID
    recorded_at: datetime
    is_new: bool
    body_changed: bool  # established, abolished or retracted: its own row is rewritten
    body: BodyState | None  # None when the body is void (its establishment retracted)
    posts: dict[UUID, Post | None]  # the touched posts; None: withdrawn by a retraction


@dataclass(frozen=True)
class RecordRewrite:
    """A small record's whole set of interval rows (an arrangement, a catalogue's
    versions), believed from ``recorded_at``: ``rows`` in the table's column order,
    without the two recorded times."""

    table: str
    record_id: UUID
    recorded_at: datetime
    rows: list[tuple[Any, ...]]


def _record_rewrite(aggregate: Arrangement | AssessmentCatalogue,
                    recorded_at: datetime) -> RecordRewrite:
    if isinstance(aggregate, Arrangement):
        return RecordRewrite("arrangements", aggregate.id, recorded_at, [(
            aggregate.id, aggregate.zone_id, aggregate.subdistrict_id, aggregate.mode,
            aggregate.made_on, aggregate.valid_to)])
    versions = aggregate.versions
    ends = [v.since for v in versions[1:]] + [END]
    return RecordRewrite("catalogues", aggregate.id, recorded_at, [
        (aggregate.id, aggregate.town_id, aggregate.year,
         [item.to_dict() for item in version.items], version.since, until)
        for version, until in zip(versions, ends, strict=True) if version.since < until])


@dataclass(frozen=True)
class PersonEntry:
    """A person as the people view shows them: their name until erased."""

    person_id: UUID
    name: str | None
    rank: str
    source: str
    registered_at: datetime
    erased_at: datetime | None


@dataclass(frozen=True)
class HistoryEntry:
    position: int
    unit_id: UUID
    version: int
    type: str
    effective_date: date
    recorded_at: datetime
    actor: str
    change_id: UUID
    name: str
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True)
class ChangeEntry:
    position: int
    change_id: UUID
    type: str
    effective_date: date
    recorded_at: datetime
    actor: str
    authority: dict[str, Any] | None
    created_unit_ids: list[UUID]
    affected_unit_ids: list[UUID]
    source: str | None


@dataclass(frozen=True)
class LineageEdge:
    """One step of succession: a village (predecessor) → the community that replaced it."""

    predecessor_id: UUID
    predecessor_name: str
    predecessor_kind: str
    successor_id: UUID
    successor_name: str
    successor_kind: str
    change_id: UUID
    change_type: str
    effective_date: date
    recorded_at: datetime
    group: bool  # group lineage: the source cannot say which went where
    # The county of a side that lives in another county (None: this one).
    predecessor_tenant: str | None = None
    successor_tenant: str | None = None


@dataclass(frozen=True)
class ChangeRetraction:
    change_id: UUID
    retraction_id: UUID
    reason: str
    retracted_at: datetime


@dataclass
class ViewBatch:
    """Rows for the views, and the position they bring the views up to.

    A batch made before its events are stored numbers them 0, 1, … in the
    order they will be stored; ``resolve`` puts in the positions the store gave.
    """

    last_position: int
    rewrites: list[UnitRewrite] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    changes: list[ChangeEntry] = field(default_factory=list)
    lineage: list[LineageEdge] = field(default_factory=list)
    retractions: list[ChangeRetraction] = field(default_factory=list)
    bodies: list[BodyRewrite] = field(default_factory=list)
    records: list[RecordRewrite] = field(default_factory=list)
    people: list[PersonEntry] = field(default_factory=list)
    # Keys to destroy in the events' own transaction, whether or not the views
    # are written with it: erasure does not wait for a catch-up.
    shredded: list[UUID] = field(default_factory=list)
    applied: bool = False  # set when the recorder wrote it with its events

    def resolve(self, positions: Sequence[int]) -> ViewBatch:
        return replace(
            self,
            last_position=positions[-1],
            history=[replace(h, position=positions[h.position]) for h in self.history],
            changes=[replace(c, position=positions[c.position]) for c in self.changes],
            applied=False,
        )


class StructureViews(Protocol):
    """The store of a county's read views, as the projection writes them."""

    def tracked_position(self) -> int: ...

    def apply(self, batch: ViewBatch, after: int) -> bool:
        """Write the batch and track its last position, in one transaction.

        Answers False, writing nothing, when the tracked position is no longer
        ``after`` (another process caught up first).
        """


def event_type(event: object) -> str:
    """``Unit.JoinedFederation`` → ``joined_federation``."""
    return snake_case(type(event).__name__)


@cache
def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic",
             "effective_date", "change_id", "actor"}


def _history(position: int, event: Unit.Event, unit: Unit) -> HistoryEntry:
    return HistoryEntry(
        position=position,
        unit_id=unit.id,
        version=event.originator_version,
        type=event_type(event),
        effective_date=event.effective_date,
        recorded_at=event.timestamp,
        actor=event.actor,
        change_id=event.change_id,
        name=unit.name_on(event.effective_date),
        kind=unit.kind.value,
        data={k: v for k, v in vars(event).items() if k not in _ENVELOPE},
    )


def _rewrite(unit: Unit, recorded_at: datetime, *, is_new: bool) -> UnitRewrite:
    return UnitRewrite(unit.id, recorded_at, unit.segments(), is_new)


def _change(position: int, event: Change.Recorded, unit: Callable[[UUID], Unit],
            batch: ViewBatch) -> None:
    batch.changes.append(ChangeEntry(
        position=position,
        change_id=event.originator_id,
        type=event.type,
        effective_date=event.effective_date,
        recorded_at=event.timestamp,
        actor=event.actor,
        authority=event.authority,
        created_unit_ids=event.created_unit_ids,
        affected_unit_ids=event.affected_unit_ids,
        source=event.source,
    ))
    day = event.effective_date
    for predecessor_id, successor_id, group in event.lineage:
        predecessor, successor = unit(predecessor_id), unit(successor_id)
        batch.lineage.append(LineageEdge(
            predecessor_id=predecessor.id,
            predecessor_name=predecessor.name_on(day - timedelta(days=1)),
            predecessor_kind=predecessor.kind_on(day - timedelta(days=1)).value,
            successor_id=successor.id,
            successor_name=successor.name_on(day),
            successor_kind=successor.kind_on(day).value,
            change_id=event.originator_id,
            change_type=event.type,
            effective_date=day,
            recorded_at=event.timestamp,
            group=bool(group),
        ))


def _crossing(event: Unit.Crossed, unit: Unit) -> LineageEdge:
    """Lineage across counties: the other side is named, not held, here."""
    here = (unit.id, unit.name_on(event.effective_date), unit.kind.value, None)
    there = (event.other_id, event.other_name, event.other_kind, event.tenant)
    before, after = (here, there) if event.direction == "to" else (there, here)
    return LineageEdge(
        predecessor_id=before[0], predecessor_name=before[1], predecessor_kind=before[2],
        successor_id=after[0], successor_name=after[1], successor_kind=after[2],
        change_id=event.change_id, change_type="crossing", effective_date=event.effective_date,
        recorded_at=event.timestamp, group=False, predecessor_tenant=before[3],
        successor_tenant=after[3])


def _body_rewrite(body: Body, events: Sequence[Body.Event]) -> BodyRewrite:
    """What a save's (or one recorded moment's) events of a body change in its rows."""
    touched: set[UUID] = set()
    body_changed = False
    for event in events:
        if isinstance(event, (Body.PostStarted, Body.PostEnded)):
            touched.add(event.post_id)
        elif isinstance(event, Body.Retracted):
            body_changed = True
            touched.update(body.withdrawn.get(event.retracted_change_id, []))
        else:
            body_changed = True
    state = None if body.is_void else BodyState(
        body.unit_id, body.type.value, body.name, dict(body.attributes), body.established_on,
        body.abolished_on, body.valid_to)
    posts = {p: body.posts.get(p) for p in sorted(touched, key=str)}
    return BodyRewrite(
        body_id=body.id,
        recorded_at=events[-1].timestamp,
        is_new=events[0].originator_version == Body.INITIAL_VERSION,
        body_changed=body_changed,
        body=state,
        posts={p: replace(post) if post else None for p, post in posts.items()},
    )


def _person(event: Person.Registered | Person.Erased, person: Person, batch: ViewBatch) -> None:
    if isinstance(event, Person.Erased):
        batch.shredded.append(person.id)
    batch.people.append(PersonEntry(
        person_id=person.id, name=person.name, rank=person.rank.value,
        source=person.source.value, registered_at=person.created_on,
        erased_at=event.timestamp if isinstance(event, Person.Erased) else None,
    ))


def _retraction(event: Change.Retracted, batch: ViewBatch) -> None:
    batch.retractions.append(ChangeRetraction(
        event.originator_id, event.retraction_id, event.reason, event.timestamp))


def pending_batch(aggregates: Iterable[Aggregate]) -> ViewBatch:
    """The rows a save of these aggregates will add, made from them in memory.

    Events are numbered in the order ``Application.save`` collects them: each
    aggregate's pending events, aggregate by aggregate.
    """
    aggregates = list(aggregates)
    units = {a.id: a for a in aggregates if isinstance(a, Unit)}
    batch = ViewBatch(last_position=-1)
    index = 0
    for aggregate in aggregates:
        events = aggregate.pending_events
        if isinstance(aggregate, Unit) and events:
            batch.rewrites.append(_rewrite(
                aggregate, events[-1].timestamp,
                is_new=events[0].originator_version == Unit.INITIAL_VERSION,
            ))
        if isinstance(aggregate, Body) and events:
            batch.bodies.append(_body_rewrite(aggregate, events))
        if isinstance(aggregate, RECORDS) and events:
            batch.records.append(_record_rewrite(aggregate, events[-1].timestamp))
        for event in events:
            if isinstance(event, Unit.Event):
                batch.history.append(_history(index, event, aggregate))
                if isinstance(event, Unit.Crossed):
                    batch.lineage.append(_crossing(event, aggregate))
            elif isinstance(event, (Person.Registered, Person.Erased)):
                _person(event, aggregate, batch)
            elif isinstance(event, Change.Recorded):
                _change(index, event, units.__getitem__, batch)
            elif isinstance(event, Change.Retracted):
                _retraction(event, batch)
            index += 1
    return batch


class StructureProjection:
    """Folds stored notifications into view rows (the catch-up path)."""

    def __init__(self, mapper: Mapper, get_aggregate: Callable[..., Any]):
        self.mapper = mapper
        self.get_aggregate = get_aggregate  # the repository's get(id, version=None)
        self.aggregates: dict[UUID, Any] = {}

    def translate(self, notifications: Sequence[Notification]) -> ViewBatch:
        batch = ViewBatch(last_position=notifications[-1].id)
        for notification in notifications:
            event = self.mapper.to_domain_event(notification)
            if isinstance(event, Unit.Event):
                unit = self._fold(event)
                is_new = event.originator_version == Unit.INITIAL_VERSION
                last = batch.rewrites[-1] if batch.rewrites else None
                if last and last.unit_id == unit.id and last.recorded_at == event.timestamp:
                    # Events of one save: only the unit's state after all of them
                    # was ever believed (as the inline path writes it).
                    is_new = batch.rewrites.pop().is_new
                batch.rewrites.append(_rewrite(unit, event.timestamp, is_new=is_new))
                batch.history.append(_history(notification.id, event, unit))
                if isinstance(event, Unit.Crossed):
                    batch.lineage.append(_crossing(event, unit))
            elif isinstance(event, Body.Event):
                body = self._fold(event)
                batch.bodies.append(_body_rewrite(body, [event]))
            elif isinstance(event, (Person.Registered, Person.Erased)):
                _person(event, self._fold(event), batch)
            elif isinstance(event, (Arrangement.Event, AssessmentCatalogue.Event)):
                batch.records.append(_record_rewrite(self._fold(event), event.timestamp))
            elif isinstance(event, Change.Recorded):
                _change(notification.id, event, self._unit, batch)
            elif isinstance(event, Change.Retracted):
                _retraction(event, batch)
        return batch

    def _fold(self, event: Any) -> Any:
        """The event's aggregate just after it, from the one before (kept from the
        previous event of the batch, or loaded at that version)."""
        before = self.aggregates.get(event.originator_id)
        if event.originator_version == Aggregate.INITIAL_VERSION:
            before = None
        elif before is None or before.version != event.originator_version - 1:
            before = self.get_aggregate(event.originator_id,
                                        version=event.originator_version - 1)
        aggregate = event.mutate(before)
        self.aggregates[aggregate.id] = aggregate
        return aggregate

    def _unit(self, unit_id: UUID) -> Unit:
        unit = self.aggregates.get(unit_id)
        return unit if unit is not None else self.get_aggregate(unit_id)


class Ledger(Protocol):
    mapper: Mapper
    recorder: Any
    repository: Any


def catch_up(ledger: Ledger, views: StructureViews, until: int | None = None) -> int:
    """Bring the views up to the ledger's last event (or at least ``until``).

    Safe to run from many processes at once: a batch is written only if the
    tracked position is still the one it was read after.
    """
    projection = StructureProjection(ledger.mapper, ledger.repository.get)
    while True:
        tracked = views.tracked_position()
        if until is not None and tracked >= until:
            return tracked
        notifications = ledger.recorder.select_notifications(
            start=tracked, limit=BATCH, inclusive_of_start=False
        )
        if not notifications:
            return tracked
        batch = projection.translate(notifications)
        if not views.apply(batch, after=tracked):
            projection = StructureProjection(ledger.mapper, ledger.repository.get)
