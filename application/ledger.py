"""One county's ledger (台账): the service boundary for its structural commands.

Each command loads the aggregates it touches, lets the domain decide, and
saves every aggregate with the change record in one ``save()`` — one
transaction, with optimistic concurrency on each aggregate, so a racing
writer loses cleanly with a ``Conflict`` and nothing is half-applied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from application.projection import pending_batch
from domain import restructuring
from domain.changes import Authority, Change, ChangeType
from domain.kinds import UnitKind
from domain.plans import Plan
from domain.policy import POLICY_ID, Policy
from domain.rules import Conflict, NotFound
from domain.units import Population, Stamp, Unit

A = TypeVar("A", bound=Aggregate)


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


class CountyLedger(Application):
    """The event-sourced ledger of one county (tenant): 县/市/区 by its 6-digit code."""

    def __init__(self, county: str, env: dict[str, str] | None = None):
        # The library names tables and scopes settings after the application name.
        self.name = f"t{county}"
        self.county = county
        # Reports whether a unit still has units under it after a date (H4 on
        # dissolution); the read views answer it, wired in by the composition root.
        self.children_after: Callable[[UUID, date], list[UUID]] = lambda _u, _d: []
        super().__init__(env)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

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
        parent = self._unit(parent_id) if parent_id else None
        unit = Unit.establish(
            kind=kind,
            name=name,
            code=code,
            parent=parent,
            effective_date=effective_date,
            change_id=stamp.change_id,
            actor=actor,
            recorded_at=stamp.recorded_at,
        )
        return self._commit(
            stamp, ChangeType.ESTABLISHMENT, authority, [unit], created=[unit.id], made=unit.id
        )

    def rename(
        self, unit_id: UUID, name: str, effective_date: date, actor: str,
        authority: Authority | None = None,
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        unit = self._unit(unit_id)
        unit.rename(name, stamp)
        return self._commit(stamp, ChangeType.RENAME, authority, [unit])

    def move(
        self, unit_id: UUID, parent_id: UUID, effective_date: date, actor: str,
        authority: Authority | None = None,
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        unit, parent = self._unit(unit_id), self._unit(parent_id)
        unit.move(parent, stamp)
        return self._commit(stamp, ChangeType.MOVE, authority, [unit])

    def dissolve(
        self, unit_id: UUID, effective_date: date, actor: str,
        authority: Authority | None = None,
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        unit = self._unit(unit_id)
        children = self.children_after(unit_id, effective_date)
        if children:
            raise Conflict(
                "H4",
                f"{unit.name_on(effective_date)} still has {len(children)} units "
                f"under it on or after {effective_date}; move or dissolve them first",
            )
        unit.cease("dissolution", stamp)
        return self._commit(stamp, ChangeType.DISSOLUTION, authority, [unit])

    def record_population(
        self, unit_id: UUID, population: Population, effective_date: date, actor: str
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        unit = self._unit(unit_id)
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
            plans_required=self.policy().plans_required,
        )
        return self._commit(
            stamp, change_type, authority, [created, *villages], created=[created.id]
        )

    def join_federation(
        self, *, federation_id: UUID, village_id: UUID, effective_date: date, actor: str,
        authority: Authority | None = None,
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        federation, village = self._unit(federation_id), self._unit(village_id)
        village.join_federation(federation, stamp)
        return self._commit(stamp, ChangeType.FEDERATION_JOIN, authority, [federation, village])

    def leave_federation(
        self, *, federation_id: UUID, village_id: UUID, effective_date: date, actor: str,
        authority: Authority | None = None,
    ) -> Receipt:
        stamp = self._stamp(effective_date, actor)
        federation, village = self._unit(federation_id), self._unit(village_id)
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
        dependents = {d for unit in units for d in unit.dependents(change_id)}
        for created in change.created_unit_ids:  # units that hang under a unit it created
            dependents.update(self._unit(child).established_by
                              for child in self.children_after(created, date.min))
        if dependents:
            raise Conflict(
                None, f"later changes build on change {change_id}; retract them first", dependents
            )
        change.retract(retraction_id=stamp.change_id, reason=reason, actor=actor,
                       recorded_at=stamp.recorded_at)
        for unit in units:
            unit.retract(change_id, stamp)
        return self._commit(stamp, ChangeType.RETRACTION, None, [change, *units])

    # -- Policy --------------------------------------------------------------

    def policy(self) -> Policy:
        try:
            return self.repository.get(POLICY_ID)
        except AggregateNotFoundError:
            return Policy.adopt_defaults()

    def amend_policy(self, settings: dict[str, Any], actor: str) -> Policy:
        policy = self.policy()
        if settings:
            policy.amend(settings, actor, _now())
            self._save(policy)
        return policy

    # -- Baseline import -------------------------------------------------------

    def import_baseline(
        self, units: Sequence[BaselineUnit], effective_date: date, actor: str
    ) -> Receipt:
        """Establish a county's baseline (towns before what hangs under them) in one change."""
        stamp = self._stamp(effective_date, actor)
        established: dict[UUID, Unit] = {}
        for spec in units:
            parent = established.get(spec.parent_id) if spec.parent_id else None
            if spec.parent_id and parent is None:
                parent = self._unit(spec.parent_id)
            established[spec.id] = Unit.establish(
                kind=spec.kind,
                name=spec.name,
                code=spec.code,
                parent=parent,
                effective_date=effective_date,
                change_id=stamp.change_id,
                actor=actor,
                recorded_at=stamp.recorded_at,
                unit_id=spec.id,
            )
        return self._commit(
            stamp, ChangeType.IMPORT, None, list(established.values()),
            created=list(established),
        )

    # -- Plumbing ------------------------------------------------------------

    def _stamp(self, effective_date: date, actor: str) -> Stamp:
        return Stamp(effective_date, uuid4(), actor, _now())

    def _get(self, ident: UUID, cls: type[A], what: str) -> A:
        try:
            aggregate = self.repository.get(ident)
        except AggregateNotFoundError:
            raise NotFound(what, ident) from None
        if not isinstance(aggregate, cls):
            raise NotFound(what, ident)
        return aggregate

    def _unit(self, unit_id: UUID) -> Unit:
        return self._get(unit_id, Unit, "unit")

    def _units(self, unit_ids: Sequence[UUID]) -> list[Unit]:
        return [self._unit(u) for u in unit_ids]

    def change(self, change_id: UUID) -> Change:
        return self._get(change_id, Change, "change")

    def _parent_for(
        self, villages: Sequence[Unit], spec: CommunitySpec, stamp: Stamp
    ) -> Unit:
        parent_id = spec.parent_id or restructuring.default_parent_id(villages, stamp)
        return self._unit(parent_id)

    def _commit(
        self,
        stamp: Stamp,
        change_type: str,
        authority: Authority | None,
        aggregates: Sequence[Aggregate],
        *,
        created: Sequence[UUID] = (),
        made: UUID | None = None,
    ) -> Receipt:
        new = set(created)
        affected = [a.id for a in aggregates if isinstance(a, Unit) and a.id not in new]
        change = Change.record(
            change_id=stamp.change_id,
            type=change_type,
            effective_date=stamp.effective_date,
            recorded_at=stamp.recorded_at,
            actor=stamp.actor,
            authority=authority,
            created_unit_ids=list(created),
            affected_unit_ids=affected,
        )
        position, views_current = self._save(change, *aggregates)
        return Receipt(
            change_id=change.id,
            type=change_type,
            effective_date=stamp.effective_date,
            recorded_at=stamp.recorded_at,
            created_unit_ids=list(created),
            affected_unit_ids=affected,
            id=made,
            position=position,
            views_current=views_current,
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
