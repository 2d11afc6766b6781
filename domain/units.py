"""The organisational unit (组织单元) as an aggregate that holds its own timeline.

Every fact about a unit is dated by its effective date; the aggregate keeps all
of them, including those effective later than a new command's date, so every
command is checked against the unit's whole history (H1, H4) right here, where
the invariants live. ``facts_on(day)`` answers what the unit was on a date and
``segments()`` cuts the timeline into the intervals the read views store.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kinds import AREA_TYPES, Level, UnitKind
from domain.rules import Conflict, RuleRefused
from domain.stamped import Retractable, Stamp, StampedAggregate
from domain.timeline import (
    BEGINNING,
    END,
    Dated,
    Membership,
    entry_on,
    place,
    value_on,
)

# How a unit ceases (the reason on ``Ceased``), as the verb of a refusal message.
CEASING_VERBS = {"dissolution": "dissolve", "conversion": "convert", "merger": "merge",
                 "consolidation": "consolidate"}

ACTIVE = "active"
PLANNED = "planned"
CEASED = "ceased"


@dataclass(frozen=True)
class Population:
    """常住户数, 常住人口 and 流动人口 on a date."""

    households: int
    residents: int | None
    floating: int


@dataclass(frozen=True)
class Placement:
    """A village's place in a plan: which plan, for which kind of community."""

    plan_id: UUID
    area_type: UnitKind


class Facts(NamedTuple):
    """What a unit is during one interval of its timeline. A named tuple: every
    write asks it of each interval of a unit's timeline, and the replay audit of
    every unit of a county, where a frozen dataclass took twice the time to build."""

    status: str
    established_on: date
    ceased_on: date | None
    name: str
    code: str | None
    kind: UnitKind
    parent_id: UUID | None
    federation_id: UUID | None
    plan_id: UUID | None
    population: Population | None


@dataclass(frozen=True)
class Crossing:
    """A unit of another county this one continues, or that continues this one."""

    direction: str  # "to": this unit went on there; "from": it came from there
    tenant: str
    other_id: UUID
    other_name: str
    other_kind: str


@dataclass(frozen=True)
class Segment:
    valid_from: date
    valid_to: date
    facts: Facts


class Unit(Retractable):
    """A town, sub-district, zone, village, community or federation."""

    noun = "unit"
    void_rule = "H4"

    class Event(Retractable.Event):
        """A fact of the unit."""

    # -- Establishment ---------------------------------------------------------

    @classmethod
    def establish(
        cls,
        *,
        kind: UnitKind,
        name: str,
        code: str | None,
        parent: Unit | None,
        stamp: Stamp,
        unit_id: UUID | None = None,
    ) -> Unit:
        if code is not None and len(code) != kind.code_length:
            raise RuleRefused(
                "H4",
                f"a {kind.level.value}-level statistical code has "
                f"{kind.code_length} digits, not {len(code)}",
            )
        if kind.level is Level.TOWN and parent is not None:
            raise RuleRefused(
                "H4", f"a {kind.value} hangs directly under the county (no parent)"
            )
        if kind.level is Level.VILLAGE:
            if parent is None:
                raise RuleRefused("H4", f"a {kind.value} needs a town-level parent")
            parent.require_hosts_child(kind, stamp.effective_date)
        extra: dict[str, Any] = {"id": unit_id} if unit_id is not None else {}
        return cls._create_stamped(
            cls.Established,
            stamp,
            kind=kind.value,
            name=name,
            code=code,
            parent_id=parent.id if parent else None,
            **extra,
        )

    class Established(Aggregate.Created, Event):
        kind: str
        name: str
        code: str | None
        parent_id: UUID | None

    def __init__(
        self,
        effective_date: date,
        change_id: UUID,
        actor: str,
        kind: str,
        name: str,
        code: str | None,
        parent_id: UUID | None,
    ):
        super().__init__(effective_date, change_id)
        self.kind = UnitKind(kind)  # the latest: a town may be reclassified (撤镇设街道)
        self.kinds: list[Dated[UnitKind]] = [Dated(effective_date, self.kind, change_id)]
        # The statistical code is dated too: a unit keeps its identity when it is
        # re-coded, and a code may later be given to another unit.
        self.codes: list[Dated[str | None]] = [Dated(effective_date, code, change_id)]
        self.ceased_on: date | None = None
        self.ceased_by: UUID | None = None
        self.cease_reason: str | None = None
        self.names: list[Dated[str]] = [Dated(effective_date, name, change_id)]
        self.parents: list[Dated[UUID | None]] = [
            Dated(effective_date, parent_id, change_id)
        ]
        self.populations: list[Dated[Population]] = []
        self.placements: list[Dated[Placement]] = []
        # Villages: the federations they belong to; federations: their villages.
        self.memberships: list[Membership] = []
        # Changes that only established a body here: nothing of the unit builds on them.
        self.body_changes: set[UUID] = set()
        # The bodies (机构) established here, each with the change that did: what a
        # cessation winds up, found without asking the read views.
        self.hosted_bodies: dict[UUID, UUID] = {}

    # -- Reading the timeline ----------------------------------------------

    @property
    def level(self) -> Level:
        return self.kind.level

    def status_on(self, day: date) -> str:
        if day < self.established_on:
            return PLANNED
        if self.ceased_on is not None and day >= self.ceased_on:
            return CEASED
        return ACTIVE

    def name_on(self, day: date) -> str:
        name = value_on(self.names, day)
        assert name is not None
        return name

    def code_on(self, day: date) -> str | None:
        return value_on(self.codes, day)

    def kind_on(self, day: date) -> UnitKind:
        kind = value_on(self.kinds, day)
        assert kind is not None
        return kind

    def parent_on(self, day: date) -> UUID | None:
        return value_on(self.parents, day)

    def population_on(self, day: date) -> Population | None:
        """The figures last recorded on or before ``day``; none before the first record."""
        entry = entry_on(self.populations, day)
        return entry.value if entry else None

    def membership_on(self, day: date) -> Membership | None:
        for membership in self.memberships:
            if membership.holds_on(day):
                return membership
        return None

    def open_membership(self, other_id: UUID) -> Membership:
        for membership in self.memberships:
            if membership.other_id == other_id and membership.until is None:
                return membership
        raise LookupError(other_id)

    def close_membership(self, other_id: UUID, until: date, change_id: UUID) -> None:
        """The open membership with ``other_id`` ends on ``until`` (replaced: it is frozen)."""
        ending = self.open_membership(other_id)
        self.memberships = [replace(m, until=until, left_by=change_id) if m is ending else m
                            for m in self.memberships]

    def plan_on(self, day: date) -> Placement | None:
        """The plan (规划) that places this village on ``day``."""
        entry = entry_on(self.placements, day)
        return entry.value if entry else None

    def facts_on(self, day: date) -> Facts:
        status = self.status_on(day)
        membership = self.membership_on(day) if self.kind is UnitKind.VILLAGE else None
        placement = entry_on(self.placements, day)
        return Facts(
            status=status,
            established_on=self.established_on,
            ceased_on=self.ceased_on,
            name=self.name_on(day),
            code=self.code_on(day),
            kind=self.kind_on(day),
            parent_id=self.parent_on(day),
            federation_id=membership.other_id if membership else None,
            plan_id=placement.value.plan_id if placement else None,
            population=self.population_on(day) if status == ACTIVE else None,
        )

    def _dated(self) -> tuple[list[Dated[Any]], ...]:
        """Every dated timeline of the unit but its memberships."""
        return (self.names, self.parents, self.populations, self.placements, self.codes,
                self.kinds)

    def boundaries(self) -> list[date]:
        """Every date on which some fact of the unit changes."""
        days = {self.established_on}
        if self.ceased_on is not None:
            days.add(self.ceased_on)
        for entries in self._dated():
            days.update(e.since for e in entries)
        for membership in self.memberships:
            days.add(membership.since)
            if membership.until is not None:
                days.add(membership.until)
        return sorted(days)

    def segments(self) -> list[Segment]:
        """The whole timeline as consecutive intervals of unchanged facts."""
        if self.is_void:
            return []
        starts = [BEGINNING, *self.boundaries()]
        segments: list[Segment] = []
        for start, stop in zip(starts, [*starts[1:], END], strict=True):
            if start == stop:
                continue
            facts = self.facts_on(start)
            if segments and segments[-1].facts == facts:
                segments[-1] = Segment(segments[-1].valid_from, stop, facts)
            else:
                segments.append(Segment(start, stop, facts))
        return segments

    # -- Checks against the whole timeline ---------------------------------

    def require_open_on(self, day: date, what: str) -> None:
        """H4: nothing changes a unit before it began or after it ceased."""
        if day < self.established_on:
            raise Conflict(
                "H4",
                f"cannot {what} {self.name_on(day)} on {day}: "
                f"it is established only on {self.established_on}",
                [self.established_by],
            )
        if self.ceased_on is not None and day >= self.ceased_on:
            # A village converted or merged went into a community: H1, as a user reads it.
            absorbed = self.cease_reason in ("conversion", "merger")
            raise Conflict(
                "H1" if absorbed else "H4",
                f"cannot {what} {self.name_on(day)} on {day}: "
                + (f"it already belongs to a community ({self.cease_reason} on "
                   f"{self.ceased_on})" if absorbed
                   else f"it ceased on {self.ceased_on} ({self.cease_reason})"),
                [self.ceased_by] if self.ceased_by else [],
            )

    def require_village(self, rule: str, what: str) -> None:
        if self.kind is not UnitKind.VILLAGE:
            raise RuleRefused(
                rule, f"{what} takes administrative villages; {self.id} is a {self.kind.value}"
            )

    def require_hosts_child(self, child_kind: UnitKind, since: date) -> None:
        """H4: a village-level unit hangs under a town-level unit for its whole life."""
        if self.level is not Level.TOWN:
            raise RuleRefused(
                "H4",
                f"a {child_kind.value} must hang under a town-level unit, "
                f"not under a {self.kind.value}",
            )
        self.require_open_on(since, f"place a {child_kind.value} under")
        if self.ceased_on is not None:
            raise Conflict(
                "H4",
                f"{self.name_on(since)} ceases on {self.ceased_on}; "
                "a unit under it would outlive it",
                [self.ceased_by] if self.ceased_by else [],
            )

    def later_facts(self, day: date) -> list[UUID]:
        """Changes already recorded that take effect on or after ``day``."""
        changes: list[UUID] = []
        for entries in self._dated():
            changes.extend(e.change_id for e in entries if e.since >= day)
        for membership in self.memberships:
            if membership.since >= day:
                changes.append(membership.joined_by)
            elif membership.until is not None and membership.until >= day:
                assert membership.left_by is not None
                changes.append(membership.left_by)
        return [c for c in changes if c != self.established_by]

    # -- Commands and the events they record ------------------------------------

    def _record(self, event_class: type[StampedAggregate.Event], stamp: Stamp, **facts: Any) -> None:
        self.require_not_void()
        super()._record(event_class, stamp, **facts)

    def rename(self, name: str, stamp: Stamp) -> None:
        self.require_open_on(stamp.effective_date, "rename")
        self._record(self.Renamed, stamp, name=name)

    class Renamed(Event):
        name: str

        def apply(self, unit: Unit) -> None:
            place(unit.names, Dated(self.effective_date, self.name, self.change_id))

    def move(self, parent: Unit, stamp: Stamp) -> None:
        if self.level is Level.TOWN:
            raise RuleRefused("H4", "a town-level unit hangs under the county and cannot move")
        if parent.id == self.id:
            raise RuleRefused("H4", "a unit cannot be its own parent")
        self.require_open_on(stamp.effective_date, "move")
        parent.require_hosts_child(self.kind, stamp.effective_date)
        self._record(self.Moved, stamp, parent_id=parent.id)

    class Moved(Event):
        parent_id: UUID

        def apply(self, unit: Unit) -> None:
            place(
                unit.parents, Dated(self.effective_date, self.parent_id, self.change_id)
            )

    def recode(self, code: str | None, stamp: Stamp) -> None:
        """重新编码: the same unit under a new statistical code."""
        if code is not None and len(code) != self.kind.code_length:
            raise RuleRefused(
                "H4", f"a {self.level.value}-level statistical code has "
                      f"{self.kind.code_length} digits, not {len(code)}")
        self.require_open_on(stamp.effective_date, "re-code")
        self._record(self.Recoded, stamp, code=code)

    class Recoded(Event):
        """The unit keeps its identity under a new statistical code (重新编码)."""

        code: str | None

        def apply(self, unit: Unit) -> None:
            place(unit.codes, Dated(self.effective_date, self.code, self.change_id))

    def reclassify(self, kind: UnitKind, stamp: Stamp) -> None:
        """A town-level unit becomes a town-level unit of another kind (撤镇设街道)."""
        if self.level is not Level.TOWN or kind.level is not Level.TOWN:
            raise RuleRefused(
                "H4", f"only a town-level unit changes kind in place; a {self.kind.value} "
                      "is converted or merged into a new unit")
        self.require_open_on(stamp.effective_date, "reclassify")
        self._record(self.Reclassified, stamp, kind=kind.value)

    class Reclassified(Event):
        """A town-level unit becomes another town-level kind (撤乡设镇, 撤镇设街道)."""

        kind: str

        def apply(self, unit: Unit) -> None:
            place(unit.kinds, Dated(self.effective_date, UnitKind(self.kind), self.change_id))
            unit.kind = unit.kinds[-1].value

    def record_population(self, population: Population, stamp: Stamp) -> None:
        if self.kind is UnitKind.FEDERATION:
            raise RuleRefused(
                "H4",
                "a federation's population is the sum over its member villages; "
                "record it on the villages",
            )
        self.require_open_on(stamp.effective_date, "record the population of")
        self._record(
            self.PopulationRecorded,
            stamp,
            households=population.households,
            residents=population.residents,
            floating=population.floating,
        )

    class PopulationRecorded(Event):
        households: int
        residents: int | None
        floating: int

        def apply(self, unit: Unit) -> None:
            figures = Population(self.households, self.residents, self.floating)
            place(unit.populations, Dated(self.effective_date, figures, self.change_id))

    def place_in_plan(self, plan_id: UUID, area_type: UnitKind, stamp: Stamp) -> None:
        assert area_type in AREA_TYPES
        self.require_village("H3", "a plan")
        self.require_open_on(stamp.effective_date, "plan")
        self._record(self.PlacedInPlan, stamp, plan_id=plan_id, area_type=area_type.value)

    class PlacedInPlan(Event):
        plan_id: UUID
        area_type: str

        def apply(self, unit: Unit) -> None:
            placement = Placement(self.plan_id, UnitKind(self.area_type))
            place(unit.placements, Dated(self.effective_date, placement, self.change_id))

    def join_federation(self, federation: Unit, stamp: Stamp) -> None:
        day = stamp.effective_date
        self.require_village("H2", "a federation")
        self.require_open_on(day, "federate")
        clash = next((m for m in self.memberships if m.overlaps_from(day)), None)
        if clash is not None:
            raise Conflict(
                "H1",
                f"{self.name_on(day)} already belongs to a federation from {clash.since}",
                [clash.joined_by],
            )
        if self.ceased_on is not None:
            raise Conflict(
                "H1",
                f"{self.name_on(day)} ceases on {self.ceased_on} and cannot stay federated",
                [self.ceased_by] if self.ceased_by else [],
            )
        federation.admit(self, stamp)
        self._record(self.JoinedFederation, stamp, federation_id=federation.id)

    class JoinedFederation(Event):
        """A village began to work under a federation (联)."""

        federation_id: UUID

        def apply(self, unit: Unit) -> None:
            unit.memberships.append(
                Membership(self.federation_id, self.effective_date, None, self.change_id)
            )

    def admit(self, village: Unit, stamp: Stamp) -> None:
        if self.kind is not UnitKind.FEDERATION:
            raise RuleRefused("H2", f"{self.id} is a {self.kind.value}, not a federation")
        self.require_open_on(stamp.effective_date, "admit a village into")
        if self.ceased_on is not None:
            raise Conflict(
                "H4",
                f"the federation ceases on {self.ceased_on}",
                [self.ceased_by] if self.ceased_by else [],
            )
        self._record(self.MemberAdmitted, stamp, village_id=village.id)

    class MemberAdmitted(Event):
        """A federation took a village under its leadership."""

        village_id: UUID

        def apply(self, unit: Unit) -> None:
            unit.memberships.append(
                Membership(self.village_id, self.effective_date, None, self.change_id)
            )

    def leave_federation(self, federation: Unit, stamp: Stamp) -> None:
        """The village leaves (``LeftFederation``) and the federation releases it
        (``MemberReleased``), in one change."""
        day = stamp.effective_date
        self.require_village("H2", "leaving a federation")
        try:
            membership = self.open_membership(federation.id)
        except LookupError:
            raise Conflict(
                "H1", f"{self.name_on(day)} is not a member of federation {federation.id}"
            ) from None
        if day <= membership.since:
            raise Conflict(
                "H1",
                f"{self.name_on(day)} joins the federation only on {membership.since}",
                [membership.joined_by],
            )
        self._record(self.LeftFederation, stamp, federation_id=federation.id)
        federation._record(self.MemberReleased, stamp, village_id=self.id)

    class LeftFederation(Event):
        federation_id: UUID

        def apply(self, unit: Unit) -> None:
            unit.close_membership(self.federation_id, self.effective_date, self.change_id)

    class MemberReleased(Event):
        village_id: UUID

        def apply(self, unit: Unit) -> None:
            unit.close_membership(self.village_id, self.effective_date, self.change_id)

    def host_body(self, body_id: UUID, body_type: str, stamp: Stamp) -> None:
        self._record(self.BodyEstablished, stamp, body_id=body_id, body_type=body_type)

    class BodyEstablished(Event):
        """A body (机构) was established in the unit. Recorded on the unit too, so
        that the body and a concurrent change to the unit (its cessation) cannot
        both be recorded: one of them meets the other's version."""

        body_id: UUID
        body_type: str

        def apply(self, unit: Unit) -> None:
            unit.hosted_bodies[self.body_id] = self.change_id
            if self.change_id != unit.established_by:
                unit.body_changes.add(self.change_id)

    def host_arrangement(self, arrangement_id: UUID, mode: str, stamp: Stamp) -> None:
        self._record(self.ArrangementMade, stamp, arrangement_id=arrangement_id, mode=mode)

    class ArrangementMade(Event):
        """A functional zone began to run with a sub-district or town (区街合一 or
        区街统分); recorded on the zone so that two cannot be made at once."""

        # An arrangement is corrected forward, never retracted: nothing builds on it.
        counts_as_change = False
        arrangement_id: UUID
        mode: str

        def apply(self, unit: Unit) -> None:
            """Nothing of the unit's timeline: the event is there for its version."""

    def record_crossing(self, crossing: Crossing, stamp: Stamp) -> None:
        """Lineage to (or from) a unit of another county, as the releases show it:
        this unit ceased where that one began, or the other way round."""
        day = stamp.effective_date
        if crossing.direction == "to" and self.ceased_on != day:
            raise RuleRefused("H4", f"{self.name_on(day)} does not cease on {day}: "
                                    "it cannot go on in another county then")
        if crossing.direction == "from" and self.established_on != day:
            raise RuleRefused("H4", f"{self.name_on(day)} does not begin on {day}: "
                                    "it cannot come from another county then")
        self._record(self.Crossed, stamp, direction=crossing.direction,
                     tenant=crossing.tenant, other_id=crossing.other_id,
                     other_name=crossing.other_name, other_kind=crossing.other_kind)

    class Crossed(Event):
        """The unit went on in another county (``direction`` "to"), or came from one
        ("from"): lineage across tenants, naming the other county's unit."""

        direction: str
        tenant: str
        other_id: UUID
        other_name: str
        other_kind: str

        def apply(self, unit: Unit) -> None:
            """Nothing of the unit's timeline: the lineage is read from the event."""

    def cease(self, reason: str, stamp: Stamp) -> None:
        day = stamp.effective_date
        self.require_open_on(day, CEASING_VERBS[reason])
        membership = next((m for m in self.memberships if m.overlaps_from(day)), None)
        if membership is not None:
            raise Conflict(
                "H1",
                f"{self.name_on(day)} is federated from {membership.since}; "
                "it must leave (or release its villages) first",
                [membership.joined_by],
            )
        if self.ceased_on is not None:
            raise Conflict(
                "H4",
                f"{self.name_on(day)} already ceases on {self.ceased_on} ({self.cease_reason})",
                [self.ceased_by] if self.ceased_by else [],
            )
        later = self.later_facts(day)
        if later:
            raise Conflict(
                "H4",
                f"{self.name_on(day)} cannot cease on {day}: "
                "changes effective on or after that date are recorded",
                later,
            )
        self._record(self.Ceased, stamp, reason=reason)

    class Ceased(Event):
        """The unit's first day gone: dissolved, converted (转) or merged (并)."""

        reason: str

        def apply(self, unit: Unit) -> None:
            unit.ceased_on = self.effective_date
            unit.ceased_by = self.change_id
            unit.cease_reason = self.reason

    # -- Retraction (``Retractable.retract``) -------------------------------------

    class Retracted(Retractable.Retracted, Event):
        """A change recorded by mistake no longer applies to this unit (撤销).

        Its facts leave the timeline; the events that recorded them stay, so
        what the ledger believed before the retraction is still answerable.
        """

    @property
    def title(self) -> str:
        return self.name_on(self.established_on)

    def withdraw(self, change_id: UUID) -> None:
        """Take a retracted change's facts out of the timeline."""
        for entries in self._dated():
            entries[:] = [e for e in entries if e.change_id != change_id]
        self.kind = self.kinds[-1].value
        self.memberships = [replace(m, until=None, left_by=None) if m.left_by == change_id else m
                            for m in self.memberships if m.joined_by != change_id]
        if self.ceased_by == change_id:
            self.ceased_on = self.ceased_by = self.cease_reason = None
        self.hosted_bodies = {body: by for body, by in self.hosted_bodies.items() if by != change_id}

    def _building_on(self, change_id: UUID, later: list[UUID]) -> list[UUID]:
        """Those effective on or after it; none if it only established a body here."""
        if change_id in self.body_changes:
            return []
        since = self.changes[change_id]
        return [c for c in later if self.changes[c] >= since]
