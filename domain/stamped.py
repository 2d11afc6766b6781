"""The stamp every structural fact carries, and the aggregates that record such facts.

A fact takes effect on a date, by a change (变更), through someone's act, and is
recorded at a time: its ``Stamp``. ``StampedAggregate`` records its events so
stamped, in increasing recorded time. ``Retractable`` adds what a unit and a
body share: the changes that touched it in recorded order, which of them were
retracted (撤销), whether its own establishment was (``is_void``), and the
refusal of a retraction that later changes build on.

The event classes stay nested in the aggregates that record them: a stored
event is decoded by its topic (``domain.units:Unit.Renamed``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.domain import Snapshot as LibrarySnapshot

from domain.rules import Conflict, require_recorded_after

S = TypeVar("S", bound="StampedAggregate")


@dataclass(frozen=True)
class Stamp:
    """When and by whose act a fact takes effect: the change that records it."""

    effective_date: date
    change_id: UUID
    actor: str
    recorded_at: datetime


class StampedAggregate(Aggregate):
    """An aggregate each of whose events carries a ``Stamp``.

    Its attributes hold immutable values (frozen dataclasses, named tuples, ids,
    dates, text) or containers (dict, list, set) of them, one level deep: an event
    replaces a value, never changes one in place. ``__deepcopy__`` relies on that.
    """

    class Event(Aggregate.Event):
        effective_date: date
        change_id: UUID
        actor: str

    @classmethod
    def _create_stamped(cls: type[S], event_class: type[Aggregate.Created], stamp: Stamp,
                        **facts: Any) -> S:
        return cls._create(
            event_class, effective_date=stamp.effective_date, change_id=stamp.change_id,
            actor=stamp.actor, timestamp=stamp.recorded_at, **facts,
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        """A copy as independent of the original as ``deepcopy``'s, made by copying
        its containers alone (their values are immutable). The repository copies
        each aggregate it hands out from its cache (decision 15); ``deepcopy`` of a
        body of 1,000 posts would cost more than loading it.

        Another thread may be fast-forwarding the cached original meanwhile. An
        event's facts are applied before the version moves, so a copy of the
        attributes taken at one instant holds all of its version's facts, perhaps
        some of the next event's: those are stored already, so a command on the
        copy fails to save. A copy whose version moved while it was made is
        made again."""
        while True:
            state = vars(self).copy()
            copy = object.__new__(type(self))
            vars(copy).update({name: value.copy() if isinstance(value, (dict, list, set))
                               else value for name, value in state.items()})
            if (self.version, self.modified_on) == (copy.version, copy.modified_on):
                memo[id(self)] = copy
                return copy

    def _record(self, event_class: type[Event], stamp: Stamp, **facts: Any) -> None:
        require_recorded_after(self.modified_on, stamp.recorded_at)
        self.trigger_event(
            event_class, effective_date=stamp.effective_date, change_id=stamp.change_id,
            actor=stamp.actor, timestamp=stamp.recorded_at, **facts,
        )


class Retractable(StampedAggregate):
    """A stamped aggregate whose changes may be retracted: a unit, a body.

    A subclass names itself in refusals (``noun``, ``title``), takes a retracted
    change's facts out (``withdraw``) and says which later changes build on one
    (``_building_on``).
    """

    noun = "record"
    # The hard rule a command on it breaks once it is void, if one does.
    void_rule: str | None = None

    def __init__(self, effective_date: date, change_id: UUID):
        self.established_on = effective_date
        self.established_by = change_id
        # Every change that touched it, in recorded order, with its effective date.
        self.changes: dict[UUID, date] = {change_id: effective_date}
        self.retracted: set[UUID] = set()

    class Event(StampedAggregate.Event):
        # False on an event that is no change of the aggregate others could build on.
        counts_as_change = True

        def mutate(self, aggregate: Any) -> Any:
            # Before the version moves, as every fact of the event (``__deepcopy__``);
            # an aggregate being created (None here) starts with its change.
            if self.counts_as_change and aggregate is not None:
                aggregate.changes.setdefault(self.change_id, self.effective_date)
            return super().mutate(aggregate)

    @property
    def title(self) -> str:
        """What a refusal calls it."""
        raise NotImplementedError

    @property
    def is_void(self) -> bool:
        """Established by a change since retracted: it never existed."""
        return self.established_by in self.retracted

    def require_not_void(self) -> None:
        if self.is_void:
            raise Conflict(self.void_rule, f"{self.noun} {self.id} was retracted: it never existed",
                           [self.established_by])

    # -- Retraction ----------------------------------------------------------

    def retract(self, change_id: UUID, stamp: Stamp) -> None:
        if change_id not in self.changes or change_id in self.retracted:
            raise Conflict(None, f"change {change_id} does not apply to {self.noun} {self.id}")
        dependents = self.dependents(change_id)
        if dependents:
            raise Conflict(None, f"later changes to {self.title} build on change {change_id}; "
                                 "retract them first", dependents)
        self._record(self.Retracted, stamp, retracted_change_id=change_id)

    class Retracted(Event):
        """A change recorded by mistake no longer applies (撤销). Its facts leave the
        aggregate; the events that recorded them stay, so what the ledger believed
        before the retraction is still answerable."""

        counts_as_change = False
        retracted_change_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.retracted.add(self.retracted_change_id)
            if self.retracted_change_id != aggregate.established_by:  # else: ``is_void``
                aggregate.withdraw(self.retracted_change_id)

    def withdraw(self, change_id: UUID) -> None:
        """Take the facts a retracted change recorded out of the aggregate."""
        raise NotImplementedError

    def dependents(self, change_id: UUID) -> list[UUID]:
        """Changes recorded after ``change_id`` that build on what it did here: every
        later one if it established the aggregate, else those ``_building_on`` it."""
        order = list(self.changes)
        if change_id not in order:
            return []
        later = [c for c in order[order.index(change_id) + 1:] if c not in self.retracted]
        if change_id == self.established_by:
            return later
        return self._building_on(change_id, later)

    def _building_on(self, change_id: UUID, later: list[UUID]) -> list[UUID]:
        """Of the ``later`` changes (unretracted), those that build on ``change_id``."""
        raise NotImplementedError

    # -- Snapshots -----------------------------------------------------------

    class Snapshot(LibrarySnapshot):
        """The aggregate's state at a version, in plain values: ``stored_state``
        writes them, ``restore`` reads them back. Plain (ids as integers, dates as
        ISO text, rows as lists) because a snapshot is read on every load of a
        long history: the store's JSON decoder reads them at C speed, where typed
        values would cost a Python call each."""

        @classmethod
        def take(cls, aggregate: Any) -> Any:
            snapshot = super().take(aggregate)
            return replace(snapshot, state=aggregate.stored_state(snapshot.state))

        def mutate(self, _: None) -> Any:
            aggregate = super().mutate(None)
            assert isinstance(aggregate, Retractable)
            aggregate.restore(self.state)
            return aggregate

    def stored_state(self, state: dict[str, Any]) -> dict[str, Any]:
        """``state``, a copy of the attributes, with those the subclass holds in
        other than plain values converted (the changes and retractions here)."""
        return {**state, "changes": [[c.int, d.isoformat()] for c, d in self.changes.items()],
                "retracted": [c.int for c in self.retracted]}

    def restore(self, state: dict[str, Any]) -> None:
        """Set the attributes ``stored_state`` converted, from the stored ``state``."""
        self.changes = {UUID(int=c): date.fromisoformat(d) for c, d in state["changes"]}
        self.retracted = {UUID(int=c) for c in state["retracted"]}

    def _changes_by_int(self) -> dict[int, UUID]:
        """The ids of the changes by their stored form: a subclass restoring ids of
        its changes reuses these rather than building each again."""
        return {c.int: c for c in self.changes}
