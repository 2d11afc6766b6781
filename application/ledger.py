"""One county's ledger (台账): the service boundary for its structural commands.

Each command loads the aggregates it touches, lets the domain decide, and
saves every aggregate with the change record in one ``save()`` — one
transaction, with optimistic concurrency on each aggregate, so a racing
writer loses cleanly with a ``Conflict`` and nothing is half-applied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from typing import Any, ClassVar, Protocol, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    ProjectorFunction,
    Repository,
    project_aggregate,
)
from eventsourcing.domain import Aggregate, DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    Mapper,
    Recording,
    Transcoding,
)

from application import attempts
from application.collector import collector_paused
from application.personal_data import PersonalDataMapper, PersonalKeys
from application.projection import pending_batch
from application.release_changes import ReleaseRecording
from domain import restructuring
from domain.arrangements import Arrangement, require_no_overlap
from domain.assessment import AssessmentCatalogue, Item, catalogue_id
from domain.bodies import (
    FOUNDING_BODIES,
    LEADING_PARTY_BODIES,
    Appointment,
    Body,
    BodyType,
    Role,
    require_social_work_leadership,
)
from domain.changes import Authority, Change, ChangeType, Succession, release_source
from domain.kinds import UnitKind
from domain.people import Person, Rank, Source
from domain.plans import Plan
from domain.policy import POLICY_ID, Policy
from domain.reconciliation import Held
from domain.reconciliation import Item as ReleaseItem
from domain.rules import Conflict, NotFound
from domain.stamped import Stamp
from domain.units import Crossing, Population, Unit

A = TypeVar("A", bound=Aggregate)

# A body's posts grow without bound: it is loaded from its latest snapshot, taken
# every this many of its events, and the events since (decision 15).
BODY_SNAPSHOT_INTERVAL = 20
# How many aggregates each repository of a county's ledger (its bodies', the
# others') keeps in its cache (LRU), in each process. A command's load reads only
# the events stored since the cached version, so the writes of other processes
# count; it gets a copy, never the cached aggregate, which holds stored events only
# (decision 15). ``AGGREGATE_CACHE_MAXSIZE`` in the environment overrides it.
AGGREGATE_CACHE_MAXSIZE = 256


class DateAsISO(Transcoding):
    """Effective dates travel in events as ``YYYY-MM-DD``."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True)
class CommunitySpec:
    """The community or federation a conversion, merger or federation creates."""

    name: str
    code: str | None = None
    parent_id: UUID | None = None


@dataclass(frozen=True)
class Receipt:
    """What a write answers: the change it recorded and where it landed."""

    change_id: UUID
    type: str
    effective_date: date | None
    recorded_at: datetime
    created_unit_ids: list[UUID] = field(default_factory=list)
    affected_unit_ids: list[UUID] = field(default_factory=list)
    id: UUID | None = None
    position: int | None = None
    views_current: bool = False  # the read views already show it


@dataclass(frozen=True)
class BaselineUnit:
    """A unit of the national division codes, as the import establishes it."""

    id: UUID
    kind: UnitKind
    name: str
    code: str | None
    parent_id: UUID | None = None


class Lookups(Protocol):
    """What the ledger asks the read views (brought up to date first) to find the
    aggregates a command touches; wired in by the composition root."""

    def children_after(self, unit_id: UUID, day: date) -> list[UUID]:
        """Units under ``unit_id`` on or after ``day`` (H4 on dissolution)."""

    def body_of_post(self, post_id: UUID) -> UUID | None: ...

    def arrangements_of(self, zone_id: UUID) -> list[UUID]:
        """Every arrangement ever made for the zone."""


class CountyLedger(Application[UUID]):
    """The event-sourced ledger of one county (tenant): 县/市/区 by its 6-digit code."""

    # The most notifications one read of the log may ask for (``notification_log``):
    # the largest page of the catch-up, the replay, the chain's check and the feed.
    log_section_size = 5_000
    lookups: Lookups
    env: ClassVar[dict[str, str]] = {
        Application.AGGREGATE_CACHE_MAXSIZE: str(AGGREGATE_CACHE_MAXSIZE)}
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Body: BODY_SNAPSHOT_INTERVAL}

    def __init__(self, county: str, env: dict[str, str] | None = None):
        # The library names tables and scopes settings after the application name.
        self.name = f"t{county}"
        self.county = county
        super().__init__(env)
        # Only bodies are snapshotted: every other aggregate is read from its events
        # alone, without first asking the snapshot table (a round trip per aggregate),
        # through a repository configured as the library's, with a cache of its own.
        self.unsnapshotted = self.construct_repository()
        self.unsnapshotted.snapshot_store = None
        # A person's name is personal data: people are read past every cache, so that
        # once one is erased no process keeps a readable copy (decision 6).
        self.uncached = Repository(event_store=self.events)

    def take_snapshot(
        self, aggregate_id: UUID, version: int | None = None,
        projector_func: ProjectorFunction[Any, Any] = project_aggregate,
    ) -> None:
        """Snapshot the aggregate at ``version`` from the cache when it holds that
        version (just saved, as a rule), not by loading it again: for a large body,
        loading cost as much as the rest of the save."""
        aggregate: Aggregate = self.repository.get(aggregate_id)
        if version is not None and aggregate.version != version:  # another writer's since
            super().take_snapshot(aggregate_id, version, projector_func)
        else:
            assert self.snapshots is not None
            self.snapshots.put([type(aggregate).Snapshot.take(aggregate)])

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """The library's save. Given aggregates alone, as the ledger always saves, it
        collects their pending events itself: the library checks each object against
        two runtime-checkable protocols first, which on Python 3.11 walks the protocols'
        attributes every time (about 15 µs an aggregate: 15 % of a county's import).
        The library's deprecated ``notify`` hook, which the ledger does not use, is
        not called."""
        aggregates = [obj for obj in objs if isinstance(obj, Aggregate)]
        if len(aggregates) < len(objs):
            return super().save(*objs, **kwargs)
        processing_event = ProcessingEvent[UUID]()
        for aggregate in aggregates:
            processing_event.events.extend(aggregate.collect_events())
            processing_event.aggregates[aggregate.id] = aggregate
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=PersonalDataMapper
        )

    @property
    def personal_keys(self) -> PersonalKeys:
        assert isinstance(self.mapper, PersonalDataMapper)
        return self.mapper.keys

    @personal_keys.setter
    def personal_keys(self, keys: PersonalKeys) -> None:
        assert isinstance(self.mapper, PersonalDataMapper)
        self.mapper.keys = keys

    # -- Units -------------------------------------------------------------

    def establish_unit(
        self,
        *,
        kind: UnitKind,
        name: str,
        code: str | None,
        parent_id: UUID | None,
        effective_date: date,
        actor: str,
        authority: Authority | None = None,
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        parent = self.unit(parent_id) if parent_id else None
        unit = Unit.establish(
            kind=kind,
            name=name,
            code=code,
            parent=parent,
            stamp=stamp,
        )
        return self._commit(
            stamp, ChangeType.ESTABLISHMENT, authority, [unit], created=[unit.id], made=unit.id
        )

    def rename(
        self, unit_id: UUID, name: str, effective_date: date, actor: str,
        authority: Authority | None = None,
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        unit = self.unit(unit_id)
        unit.rename(name, stamp)
        return self._commit(stamp, ChangeType.RENAME, authority, [unit])

    def move(
        self, unit_id: UUID, parent_id: UUID, effective_date: date, actor: str,
        authority: Authority | None = None,
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        unit, parent = self.unit(unit_id), self.unit(parent_id)
        unit.move(parent, stamp)
        return self._commit(stamp, ChangeType.MOVE, authority, [unit])

    def dissolve(
        self, unit_id: UUID, effective_date: date, actor: str,
        authority: Authority | None = None,
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        unit = self.unit(unit_id)
        children = self.lookups.children_after(unit_id, effective_date)
        if children:
            raise Conflict(
                "H4",
                f"{unit.name_on(effective_date)} still has {len(children)} units "
                f"under it on or after {effective_date}; move or dissolve them first",
            )
        unit.cease("dissolution", stamp)
        bodies = self._wind_up([unit], stamp)
        return self._commit(stamp, ChangeType.DISSOLUTION, authority, [unit, *bodies])

    def record_population(
        self, unit_id: UUID, population: Population, effective_date: date, actor: str
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        unit = self.unit(unit_id)
        unit.record_population(population, stamp)
        return self._commit(stamp, ChangeType.POPULATION, None, [unit])

    # -- Plans and the structural changes (转、并、联) ------------------------

    def adopt_plan(
        self,
        *,
        area_type: UnitKind,
        name: str,
        village_ids: Sequence[UUID],
        effective_date: date,
        actor: str,
        authority: Authority | None = None,
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        plan = Plan.adopt(
            area_type=area_type,
            name=name,
            village_ids=list(village_ids),
            effective_date=effective_date,
            change_id=stamp.change_id,
            recorded_at=stamp.recorded_at,
        )
        villages = self._units(village_ids)
        for village in villages:
            village.place_in_plan(plan.id, area_type, stamp)
        return self._commit(stamp, ChangeType.PLAN, authority, [plan, *villages], made=plan.id)

    def convert(
        self, *, village_id: UUID, community: CommunitySpec, effective_date: date,
        actor: str, authority: Authority | None = None,
    ) -> Receipt:
        """转: the village ceases; an urban community begins in its place."""
        return self._restructure(
            ChangeType.CONVERSION, [village_id], community, effective_date, actor, authority
        )

    def merge(
        self, *, village_ids: Sequence[UUID], community: CommunitySpec, effective_date: date,
        actor: str, authority: Authority | None = None,
    ) -> Receipt:
        """并: the villages cease; one rural community begins in their place."""
        return self._restructure(
            ChangeType.MERGER, village_ids, community, effective_date, actor, authority
        )

    def federate(
        self, *, village_ids: Sequence[UUID], federation: CommunitySpec, effective_date: date,
        actor: str, authority: Authority | None = None,
    ) -> Receipt:
        """联: the villages stay, under a new federation (联居)."""
        return self._restructure(
            ChangeType.FEDERATION, village_ids, federation, effective_date, actor, authority
        )

    def _restructure(
        self, change_type: str, village_ids: Sequence[UUID], spec: CommunitySpec,
        effective_date: date, actor: str, authority: Authority | None,
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        villages = self._units(village_ids)
        parent = self._parent_for(villages, spec, stamp)
        created = restructuring.CHANGES[change_type](
            villages,
            name=spec.name,
            code=spec.code,
            parent=parent,
            stamp=stamp,
            plans_required=self.policy().settings_on(effective_date)["plans_required"],
        )
        founded = [Body.establish(type=body_type, unit=created, name=None, attributes={},
                                  stamp=stamp)
                   for body_type in FOUNDING_BODIES[created.kind]]
        ceased = [v for v in villages if v.ceased_on == stamp.effective_date]
        wound_up = self._wind_up(ceased, stamp)
        return self._commit(
            stamp, change_type, authority, [created, *villages, *founded, *wound_up],
            created=[created.id], lineage=[Succession(v.id, created.id) for v in ceased],
        )

    def _wind_up(self, ceasing: Sequence[Unit], stamp: Stamp) -> list[Body]:
        """The bodies of units that cease: their posts end and they are abolished."""
        wound_up = []
        for unit in ceasing:
            for body in self._bodies(list(unit.hosted_bodies)):
                if not body.is_void and (body.abolished_on is None
                                         or body.abolished_on > stamp.effective_date):
                    body.wind_up(stamp)
                    wound_up.append(body)
        return wound_up

    def join_federation(
        self, *, federation_id: UUID, village_id: UUID, effective_date: date, actor: str,
        authority: Authority | None = None,
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        federation, village = self.unit(federation_id), self.unit(village_id)
        village.join_federation(federation, stamp)
        return self._commit(stamp, ChangeType.FEDERATION_JOIN, authority, [federation, village])

    def leave_federation(
        self, *, federation_id: UUID, village_id: UUID, effective_date: date, actor: str,
        authority: Authority | None = None,
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        federation, village = self.unit(federation_id), self.unit(village_id)
        village.leave_federation(federation, stamp)
        return self._commit(stamp, ChangeType.FEDERATION_LEAVE, authority, [federation, village])

    # -- Retraction ----------------------------------------------------------

    def retract(self, change_id: UUID, reason: str, actor: str) -> Receipt:
        """撤销: a change recorded by mistake no longer applies, from now on.

        Refused (409, naming them) while later changes build on it.
        """
        change = self.change(change_id)
        stamp = self._stamp(change.effective_date, actor)
        units = self._units(change.units)
        bodies = self._bodies(change.body_ids)
        dependents = {d for a in (*units, *bodies) for d in a.dependents(change_id)}
        for created in change.created_unit_ids:  # units that hang under a unit it created
            dependents.update(self.unit(child).established_by
                              for child in self.lookups.children_after(created, date.min))
        if dependents:
            raise Conflict(
                None, f"later changes build on change {change_id}; retract them first", dependents
            )
        change.retract(retraction_id=stamp.change_id, reason=reason, actor=actor,
                       recorded_at=stamp.recorded_at)
        for aggregate in (*units, *bodies):
            aggregate.retract(change_id, stamp)
        return self._commit(stamp, ChangeType.RETRACTION, None, [change, *units, *bodies])

    # -- Bodies, people and posts ---------------------------------------------

    def establish_body(
        self, *, unit_id: UUID, body_type: BodyType, name: str | None,
        attributes: dict[str, Any], effective_date: date, actor: str,
        authority: Authority | None = None,
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        unit = self.unit(unit_id)
        body = Body.establish(type=body_type, unit=unit, name=name, attributes=attributes,
                              stamp=stamp)
        return self._commit(stamp, ChangeType.BODY_ESTABLISHMENT, authority, [body, unit],
                            made=body.id)

    def abolish_body(
        self, body_id: UUID, effective_date: date, actor: str, authority: Authority | None = None,
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        body = self.body(body_id)
        body.abolish(stamp)
        return self._commit(stamp, ChangeType.BODY_ABOLITION, authority, [body])

    def register_person(self, *, name: str, rank: Rank, source: Source) -> Person:
        person = Person.register(name=name, rank=rank, source=source)
        # The key first, in its own transaction: a save that fails leaves an
        # unused key, never a sealed name without one.
        self.personal_keys.create(person.id)
        self._save(person)
        return person

    def person(self, person_id: UUID) -> Person:
        return self._get(person_id, Person, "person")

    def erase_person(self, person_id: UUID, actor: str) -> Person:
        """Erase a person's personal data (删除个人信息): the key that seals it is
        destroyed in the transaction that records the erasure."""
        person = self.person(person_id)
        if not person.erased:  # again: nothing to record (the store's cleanup may be redone)
            person.erase(actor)
            self._save(person)
        return person

    def appoint(
        self, *, body_id: UUID, appointment: Appointment, effective_date: date, actor: str,
        authority: Authority | None = None,
    ) -> Receipt:
        """任职: a person starts holding a post in a body."""
        stamp = self._stamp(effective_date, actor)
        body = self.body(body_id)
        post_id = self._start_post(body, appointment, stamp)
        return self._commit(stamp, ChangeType.APPOINTMENT, authority, [body], made=post_id)

    def end_post(
        self, *, post_id: UUID, effective_date: date, reason: str | None,
        consent: dict[str, Any] | None, actor: str, authority: Authority | None = None,
    ) -> Receipt:
        """免职: the effective date is the first day the post is no longer held."""
        stamp = self._stamp(effective_date, actor)
        body = self._body_of_post(post_id)
        body.end_post(post_id, stamp, reason, consent)
        return self._commit(stamp, ChangeType.POST_END, authority, [body])

    def reassign(
        self, *, post_id: UUID, to_body_id: UUID, role: Role, effective_date: date,
        actor: str, full_time: bool | None = None, concurrent: bool | None = None,
        consent: dict[str, Any] | None = None, authority: Authority | None = None,
    ) -> Receipt:
        """调任: one post ends and the next begins on the same date, in one change,
        so no date shows the person in both or in neither."""
        stamp = self._stamp(effective_date, actor)
        source = self._body_of_post(post_id)
        ended = source.end_post(post_id, stamp, "reassigned", consent)
        target = source if to_body_id == source.id else self.body(to_body_id)
        appointment = Appointment(
            person_id=ended.person_id, role=role,
            full_time=ended.full_time if full_time is None else full_time,
            concurrent=ended.concurrent if concurrent is None else concurrent,
            consent=consent,
        )
        new_post = self._start_post(target, appointment, stamp)
        bodies = [source] if target is source else [source, target]
        return self._commit(stamp, ChangeType.REASSIGNMENT, authority, bodies, made=new_post)

    def _start_post(self, body: Body, appointment: Appointment, stamp: Stamp) -> UUID:
        person = self.person(appointment.person_id)
        if person.erased:
            raise Conflict(None, f"person {person.id} is erased and cannot be appointed")
        require_social_work_leadership(
            body, appointment, stamp.effective_date,
            party_bodies=lambda: [b for b in self._bodies(list(self.unit(body.unit_id).hosted_bodies))
                                  if b.type in LEADING_PARTY_BODIES],
        )
        post_id = uuid4()
        body.appoint(appointment, post_id, stamp)
        return post_id

    def body(self, body_id: UUID) -> Body:
        return self._get(body_id, Body, "body")

    def _bodies(self, body_ids: Sequence[UUID]) -> list[Body]:
        return [self.body(b) for b in body_ids]

    def _body_of_post(self, post_id: UUID) -> Body:
        body_id = self.lookups.body_of_post(post_id)
        if body_id is None:
            raise NotFound("post", post_id)
        return self.body(body_id)

    # -- Assessment catalogues (H7) and zone arrangements (N7) --------------------

    def adopt_catalogue(
        self, *, town_id: UUID, year: int, items: Sequence[Item], effective_date: date,
        actor: str, authority: Authority | None = None,
    ) -> Receipt:
        """A town's assessment catalogue (考核目录) for a year; adopting it again revises it."""
        stamp = self._stamp(effective_date, actor)
        town = self.unit(town_id)
        cap = self.policy().settings_on(effective_date)["max_veto_items"]
        try:
            catalogue: AssessmentCatalogue = self.unsnapshotted.get(catalogue_id(town_id, year))
        except AggregateNotFoundError:
            catalogue = AssessmentCatalogue.adopt(town=town, year=year, items=list(items),
                                                  max_veto_items=cap, stamp=stamp)
        else:
            catalogue.revise(list(items), cap, stamp, town=town)
        return self._commit(stamp, ChangeType.ASSESSMENT_CATALOGUE, authority, [catalogue],
                            made=catalogue.id)

    def make_arrangement(
        self, *, zone_id: UUID, subdistrict_id: UUID, mode: str, effective_date: date,
        actor: str, authority: Authority | None = None,
    ) -> Receipt:
        """区街合一 or 区街统分 between a functional zone and a sub-district (or town)."""
        stamp = self._stamp(effective_date, actor)
        zone, other = self.unit(zone_id), self.unit(subdistrict_id)
        existing = [self._get(a, Arrangement, "arrangement")
                    for a in self.lookups.arrangements_of(zone_id)]
        require_no_overlap(existing, zone_id=zone_id, subdistrict_id=subdistrict_id,
                           since=effective_date)
        arrangement = Arrangement.make(zone=zone, subdistrict=other, mode=mode, stamp=stamp)
        return self._commit(stamp, ChangeType.ARRANGEMENT, authority, [arrangement, zone],
                            made=arrangement.id)

    def end_arrangement(
        self, arrangement_id: UUID, effective_date: date, actor: str,
        authority: Authority | None = None,
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        arrangement = self._get(arrangement_id, Arrangement, "arrangement")
        arrangement.end(stamp)
        return self._commit(stamp, ChangeType.ARRANGEMENT_END, authority, [arrangement])

    # -- Policy --------------------------------------------------------------

    def policy(self) -> Policy:
        try:
            return self.unsnapshotted.get(POLICY_ID)
        except AggregateNotFoundError:
            return Policy.adopt_defaults()

    def amend_policy(
        self, settings: dict[str, Any], effective_date: date, actor: str
    ) -> Policy:
        """Change the named settings from ``effective_date`` on."""
        policy = self.policy()
        if settings:
            policy.amend(settings, effective_date, actor, _now())
            self._save(policy)
        return policy

    # -- Baseline import -------------------------------------------------------

    def import_baseline(
        self, units: Sequence[BaselineUnit], effective_date: date, actor: str,
        on_unit: Callable[[], None] = lambda: None,
    ) -> Receipt:
        """Establish a county's baseline (towns before what hangs under them) in one
        change; ``on_unit`` after each unit is made (a progress bar's step)."""
        stamp = self._stamp(effective_date, actor)
        established: dict[UUID, Unit] = {}
        with collector_paused():  # every unit, event and row lives until the save
            for spec in units:
                parent = established.get(spec.parent_id) if spec.parent_id else None
                if spec.parent_id and parent is None:
                    parent = self.unit(spec.parent_id)
                established[spec.id] = Unit.establish(
                    kind=spec.kind,
                    name=spec.name,
                    code=spec.code,
                    parent=parent,
                    stamp=stamp,
                    unit_id=spec.id,
                )
                on_unit()
            return self._commit(
                stamp, ChangeType.IMPORT, None, list(established.values()),
                created=list(established),
            )

    # -- Statistical releases ------------------------------------------------------

    def record_release(
        self, items: Sequence[ReleaseItem], *, held_towns: Sequence[Held], year: int,
        effective_date: date, actor: str, authority: Authority | None = None,
    ) -> list[Receipt]:
        """A reconciliation's items as changes from the release, in one transaction."""
        recording = ReleaseRecording(self, held_towns, year, effective_date, actor, authority,
                                     _now())
        changes = recording.record(items)
        self._save(*changes, *recording.touched)
        return [self._receipt(change) for change in changes]

    def record_crossings(
        self, crossings: Sequence[tuple[UUID, Crossing]], *, year: int, effective_date: date,
        actor: str,
    ) -> Receipt:
        """Lineage across counties, as a release shows it: one change for all of them."""
        stamp = self._stamp(effective_date, actor)
        units = {unit_id: self.unit(unit_id) for unit_id, _crossing in crossings}
        for unit_id, crossing in crossings:
            units[unit_id].record_crossing(crossing, stamp)
        change = self.change_record(stamp, ChangeType.CROSSING, None, list(units.values()), (),
                                    (), source=release_source(year))
        position, views_current = self._save(change, *units.values())
        return replace(self._receipt(change), position=position, views_current=views_current)

    # -- Plumbing ------------------------------------------------------------

    def _stamp(self, effective_date: date, actor: str) -> Stamp:
        return Stamp(effective_date, attempts.new_change_id(), actor, _now())

    def _get(self, ident: UUID, cls: type[A], what: str) -> A:
        try:
            aggregate: Aggregate = self._repository_of(cls).get(ident)
        except AggregateNotFoundError:
            raise NotFound(what, ident) from None
        if not isinstance(aggregate, cls):
            raise NotFound(what, ident)
        return aggregate

    def load(self, cls: type[Aggregate], aggregate_id: UUID, version: int | None = None) -> Any:
        """An aggregate of class ``cls`` as stored, at ``version`` (None: the latest),
        through the repository for its class: the catch-up's fold loads this way."""
        return self._repository_of(cls).get(aggregate_id, version=version)

    def _repository_of(self, cls: type[Aggregate]) -> Repository[UUID]:
        if cls is Person:
            return self.uncached
        return self.repository if cls in self.snapshotting_intervals else self.unsnapshotted

    def unit(self, unit_id: UUID) -> Unit:
        return self._get(unit_id, Unit, "unit")

    def _units(self, unit_ids: Sequence[UUID]) -> list[Unit]:
        return [self.unit(u) for u in unit_ids]

    def change(self, change_id: UUID) -> Change:
        return self._get(change_id, Change, "change")

    def _parent_for(
        self, villages: Sequence[Unit], spec: CommunitySpec, stamp: Stamp
    ) -> Unit:
        parent_id = spec.parent_id or restructuring.default_parent_id(villages, stamp)
        return self.unit(parent_id)

    def _commit(
        self,
        stamp: Stamp,
        change_type: str,
        authority: Authority | None,
        aggregates: Sequence[Aggregate],
        *,
        created: Sequence[UUID] = (),
        made: UUID | None = None,
        lineage: Sequence[Succession] = (),
    ) -> Receipt:
        change = self.change_record(stamp, change_type, authority, aggregates, created,
                                     lineage, source=None)
        receipt = self._receipt(change, made=made)
        attempts.decided(receipt)  # a retry of this request may answer with it (decision 10)
        position, views_current = self._save(change, *aggregates)
        return replace(receipt, position=position, views_current=views_current)

    def change_record(
        self, stamp: Stamp, change_type: str, authority: Authority | None,
        aggregates: Sequence[Aggregate], created: Sequence[UUID],
        lineage: Sequence[Succession], source: str | None,
    ) -> Change:
        """The record of one write of these aggregates; the caller saves it with them."""
        new = set(created)
        affected = [a.id for a in aggregates if isinstance(a, Unit) and a.id not in new]
        bodies = [a.id for a in aggregates if isinstance(a, Body)]
        return Change.record(
            change_id=stamp.change_id,
            type=change_type,
            effective_date=stamp.effective_date,
            recorded_at=stamp.recorded_at,
            actor=stamp.actor,
            authority=authority,
            created_unit_ids=list(created),
            affected_unit_ids=affected,
            body_ids=bodies,
            source=source,
            lineage=lineage,
        )

    @staticmethod
    def _receipt(change: Change, *, made: UUID | None = None) -> Receipt:
        return Receipt(
            change_id=change.id,
            type=change.type,
            effective_date=change.effective_date,
            recorded_at=change.recorded_at,
            created_unit_ids=list(change.created_unit_ids),
            affected_unit_ids=list(change.affected_unit_ids),
            id=made,
        )

    def _save(self, *aggregates: Aggregate) -> tuple[int | None, bool]:
        """Save in one transaction, with the rows the read views gain from it;
        a concurrent writer's win becomes a Conflict. Answers the last position
        and whether the views were brought up to it in the same transaction."""
        batch = pending_batch(aggregates)
        try:
            recordings = self.save(*aggregates, views=batch)
        except IntegrityError:
            raise Conflict(
                None, "a concurrent change to the same units was recorded first; retry"
            ) from None
        return (recordings[-1].notification.id if recordings else None), batch.applied


def _now() -> datetime:
    return datetime.now(timezone.utc)
