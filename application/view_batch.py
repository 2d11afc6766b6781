"""What a batch of events adds to a county's read views: the rows, and the
position they bring the views up to (``ViewBatch``), made by ``ViewRows`` from
what the projection's handlers report.

A unit event rewrites the unit's rows: the rows believed until then are closed
at the event's recorded time and the unit's whole timeline (``segments()``) is
inserted as believed from that time. One mechanism serves ordinary,
back-dated and future-dated changes. Events also write the unit's history,
the change log and the lineage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.arrangements import Arrangement
from domain.assessment import AssessmentCatalogue
from domain.bodies import Body, Post
from domain.changes import Change
from domain.people import Person
from domain.timeline import END
from domain.units import Segment, Unit


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
    """A body's interval and the posts its events touched, believed from ``recorded_at``.

    Only the touched posts are rewritten: a body of 2,000 posts costs one row
    per appointment, not 2,000. Posts are immutable (a later event replaces a
    post in its body), so the rewrite holds the body's own.
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


@dataclass(frozen=True)
class PersonEntry:
    """A person as the people view shows them: their name until erased."""

    person_id: UUID
    name: str | None
    rank: str
    source: str
    registered_at: datetime
    erased_at: datetime | None


class HistoryRow(NamedTuple):
    """The history view's row of a unit's event: a named tuple, as rows that come by
    the thousand (decision 18): a county's import makes one a unit, and each is
    made again with its stored position."""

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
class LineageRow:
    """The lineage view's row of one step of succession: a village (predecessor) →
    the community that replaced it."""

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
    history: list[HistoryRow] = field(default_factory=list)
    changes: list[ChangeEntry] = field(default_factory=list)
    lineage: list[LineageRow] = field(default_factory=list)
    retractions: list[ChangeRetraction] = field(default_factory=list)
    bodies: list[BodyRewrite] = field(default_factory=list)
    records: list[RecordRewrite] = field(default_factory=list)
    people: list[PersonEntry] = field(default_factory=list)
    # Keys to destroy in the events' own transaction, whether or not the views
    # are written with it: erasure does not wait for a catch-up.
    shredded: list[UUID] = field(default_factory=list)
    applied: bool = False  # set when the recorder wrote it with its events

    @property
    def writes_in_bulk(self) -> bool:
        """Every row it writes goes in one statement a table: new units, their
        history, the changes and lineage. A unit rewritten, a body, a record, a
        person or a retraction is written with statements of its own."""
        return (all(rewrite.is_new for rewrite in self.rewrites) and not (
            self.bodies or self.records or self.people or self.retractions or self.shredded))

    def resolve(self, positions: Sequence[int]) -> ViewBatch:
        return replace(
            self,
            last_position=positions[-1],
            history=[h._replace(position=positions[h.position]) for h in self.history],
            changes=[replace(c, position=positions[c.position]) for c in self.changes],
            applied=False,
        )


def event_type(event: object) -> str:
    """``Unit.JoinedFederation`` → ``joined_federation``."""
    return snake_case(type(event).__name__)


@cache
def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic",
             "effective_date", "change_id", "actor"}


@dataclass
class _Moment:
    """The events of one aggregate at one recorded moment, whose rows are made
    (``rewrite``) once the moment is over: the aggregate is then as it stays."""

    aggregate: Any
    first: Aggregate.Event  # its first event then
    last: Aggregate.Event
    rewrite: Callable[[_Moment], None]  # makes the aggregate's rows
    posts: set[UUID] = field(default_factory=set)  # a body's posts its events touched
    body_changed: bool = False

    @property
    def recorded_at(self) -> datetime:
        return self.last.timestamp

    @property
    def is_new(self) -> bool:
        """Nothing to close: the aggregate's first rows."""
        return bool(self.first.originator_version == type(self.aggregate).INITIAL_VERSION)


class ViewRows:
    """Makes a ``ViewBatch`` of what the projection's handlers report.

    A unit, body, arrangement or catalogue gets one rewrite per recorded moment
    (``settle``): inline, the moment is the whole save (only the aggregates'
    state after it is in memory); in the catch-up, the events of one recorded
    time (the events of one change share it). ``unit`` names a unit of the
    county as the lineage shows it.
    """

    def __init__(self, last_position: int, unit: Callable[[UUID], Unit]):
        self.batch = ViewBatch(last_position)
        self._unit = unit
        self._moment: _Moment | None = None

    def rows(self) -> ViewBatch:
        self.settle()
        return self.batch

    def settle(self) -> None:
        """The aggregate of the last events is as their moment leaves it: its rows."""
        moment, self._moment = self._moment, None
        if moment is not None:
            moment.rewrite(moment)

    def _during(self, aggregate: Any, event: Any, rewrite: Callable[[_Moment], None]) -> _Moment:
        moment = self._moment
        if moment is None or moment.aggregate is not aggregate:
            self.settle()
            moment = self._moment = _Moment(aggregate, event, event, rewrite)
        moment.last = event
        return moment

    def _unit_rewrite(self, moment: _Moment) -> None:
        self.batch.rewrites.append(UnitRewrite(
            moment.aggregate.id, moment.recorded_at, moment.aggregate.segments(), moment.is_new))

    def _body_rewrite(self, moment: _Moment) -> None:
        self.batch.bodies.append(_body_rewrite(moment))

    def _arrangement_rewrite(self, moment: _Moment) -> None:
        arrangement = moment.aggregate
        self.batch.records.append(RecordRewrite("arrangements", arrangement.id, moment.recorded_at, [(
            arrangement.id, arrangement.zone_id, arrangement.subdistrict_id, arrangement.mode,
            arrangement.made_on, arrangement.valid_to)]))

    def _catalogue_rewrite(self, moment: _Moment) -> None:
        catalogue = moment.aggregate
        versions = catalogue.versions
        ends = [v.since for v in versions[1:]] + [END]
        self.batch.records.append(RecordRewrite("catalogues", catalogue.id, moment.recorded_at, [
            (catalogue.id, catalogue.town_id, catalogue.year,
             [item.to_dict() for item in version.items], version.since, until)
            for version, until in zip(versions, ends, strict=True) if version.since < until]))

    # -- What the handlers report (``projection.ViewTarget``) --------------------

    def unit(self, unit: Unit, event: Unit.Event, position: int) -> None:
        self._during(unit, event, self._unit_rewrite)
        self.batch.history.append(HistoryRow(
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
        ))

    def crossing(self, event: Unit.Crossed, unit: Unit) -> None:
        """Lineage across counties: the other side is named, not held, here."""
        here = (unit.id, unit.name_on(event.effective_date), unit.kind.value, None)
        there = (event.other_id, event.other_name, event.other_kind, event.tenant)
        before, after = (here, there) if event.direction == "to" else (there, here)
        self.batch.lineage.append(LineageRow(
            predecessor_id=before[0], predecessor_name=before[1], predecessor_kind=before[2],
            successor_id=after[0], successor_name=after[1], successor_kind=after[2],
            change_id=event.change_id, change_type="crossing",
            effective_date=event.effective_date, recorded_at=event.timestamp, group=False,
            predecessor_tenant=before[3], successor_tenant=after[3]))

    def body(self, body: Body, event: Body.Event, posts: Iterable[UUID], itself: bool) -> None:
        moment = self._during(body, event, self._body_rewrite)
        moment.posts.update(posts)
        moment.body_changed |= itself

    def arrangement(self, arrangement: Arrangement, event: Arrangement.Event) -> None:
        self._during(arrangement, event, self._arrangement_rewrite)

    def catalogue(self, catalogue: AssessmentCatalogue, event: AssessmentCatalogue.Event) -> None:
        self._during(catalogue, event, self._catalogue_rewrite)

    def person(self, person: Person, event: Person.Registered | Person.Erased) -> None:
        erased = isinstance(event, Person.Erased)
        if erased:
            self.batch.shredded.append(person.id)
        self.batch.people.append(PersonEntry(
            person_id=person.id, name=person.name, rank=person.rank.value,
            source=person.source.value, registered_at=person.created_on,
            erased_at=event.timestamp if erased else None,
        ))

    def change(self, event: Change.Recorded, position: int) -> None:
        self.batch.changes.append(ChangeEntry(
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
            predecessor, successor = self._unit(predecessor_id), self._unit(successor_id)
            self.batch.lineage.append(LineageRow(
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

    def retraction(self, event: Change.Retracted) -> None:
        self.batch.retractions.append(ChangeRetraction(
            event.originator_id, event.retraction_id, event.reason, event.timestamp))


def _body_rewrite(moment: _Moment) -> BodyRewrite:
    body = moment.aggregate
    state = None if body.is_void else BodyState(
        body.unit_id, body.type.value, body.name, dict(body.attributes), body.established_on,
        body.abolished_on, body.valid_to)
    return BodyRewrite(
        body_id=body.id,
        recorded_at=moment.recorded_at,
        is_new=moment.is_new,
        body_changed=moment.body_changed,
        body=state,
        posts={p: body.posts.get(p) for p in sorted(moment.posts, key=str)},
    )
