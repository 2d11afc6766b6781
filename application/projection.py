"""From a county's events to the rows of its read views.

The projection folds each unit event into the unit's aggregate and answers
which interval rows of the unit's timeline stop being believed (closed) and
which start being believed (inserted) at the event's recorded time: one
mechanism for ordinary, back-dated and future-dated changes. It also writes
the unit's history, the change log and the lineage. The rows of a batch are
applied with the tracking position in one transaction (see ``catch_up``), so
each event reaches the views exactly once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Notification

from application.ledger import CountyLedger
from domain.changes import Change, ChangeType
from domain.units import Segment, Unit

BATCH = 500


@dataclass(frozen=True)
class UnitRewrite:
    """The unit's timeline rows that change belief at ``recorded_at``."""

    unit_id: UUID
    kind: str
    code: str | None
    recorded_at: datetime
    closed: list[date]  # valid_from of each current row no longer believed
    inserted: list[Segment]


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


@dataclass
class ViewBatch:
    last_position: int
    rewrites: list[UnitRewrite] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    changes: list[ChangeEntry] = field(default_factory=list)
    lineage: list[LineageEdge] = field(default_factory=list)


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
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


_ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic",
             "effective_date", "change_id", "actor"}


def event_data(event: object) -> dict[str, Any]:
    return {k: v for k, v in vars(event).items() if k not in _ENVELOPE}


class StructureProjection:
    """Translates a county's notifications into view rows."""

    def __init__(self, ledger: CountyLedger):
        self.ledger = ledger
        self.units: dict[UUID, Unit] = {}

    def translate(self, notifications: Sequence[Notification]) -> ViewBatch:
        batch = ViewBatch(last_position=notifications[-1].id)
        for notification in notifications:
            event = self.ledger.mapper.to_domain_event(notification)
            if isinstance(event, Unit.Event):
                self._unit_event(notification.id, event, batch)
            elif isinstance(event, Change.Recorded):
                self._change(notification.id, event, batch)
        return batch

    def _unit_before(self, event: Unit.Event) -> Unit | None:
        if event.originator_version == Unit.INITIAL_VERSION:
            return None
        unit = self.units.get(event.originator_id)
        if unit is None or unit.version != event.originator_version - 1:
            unit = self.ledger.repository.get(
                event.originator_id, version=event.originator_version - 1
            )
        return unit

    def _unit_event(self, position: int, event: Unit.Event, batch: ViewBatch) -> None:
        before = self._unit_before(event)
        old = before.segments() if before else []
        unit = event.mutate(before)
        assert isinstance(unit, Unit)
        self.units[unit.id] = unit
        new = unit.segments()
        batch.rewrites.append(
            UnitRewrite(
                unit_id=unit.id,
                kind=unit.kind.value,
                code=unit.code,
                recorded_at=event.timestamp,
                closed=[s.valid_from for s in old if s not in new],
                inserted=[s for s in new if s not in old],
            )
        )
        batch.history.append(
            HistoryEntry(
                position=position,
                unit_id=unit.id,
                version=unit.version,
                type=event_type(event),
                effective_date=event.effective_date,
                recorded_at=event.timestamp,
                actor=event.actor,
                change_id=event.change_id,
                name=unit.name_on(event.effective_date),
                kind=unit.kind.value,
                data=event_data(event),
            )
        )

    def _unit(self, unit_id: UUID) -> Unit:
        unit = self.units.get(unit_id)
        return unit if unit is not None else self.ledger.repository.get(unit_id)

    def _change(self, position: int, event: Change.Recorded, batch: ViewBatch) -> None:
        batch.changes.append(
            ChangeEntry(
                position=position,
                change_id=event.originator_id,
                type=event.type,
                effective_date=event.effective_date,
                recorded_at=event.timestamp,
                actor=event.actor,
                authority=event.authority,
                created_unit_ids=event.created_unit_ids,
                affected_unit_ids=event.affected_unit_ids,
            )
        )
        if event.type not in ChangeType.SUCCESSIONS:
            return
        day = event.effective_date
        for predecessor_id in event.affected_unit_ids:
            predecessor = self._unit(predecessor_id)
            for successor_id in event.created_unit_ids:
                successor = self._unit(successor_id)
                batch.lineage.append(
                    LineageEdge(
                        predecessor_id=predecessor.id,
                        predecessor_name=predecessor.name_on(day - timedelta(days=1)),
                        predecessor_kind=predecessor.kind.value,
                        successor_id=successor.id,
                        successor_name=successor.name_on(day),
                        successor_kind=successor.kind.value,
                        change_id=event.originator_id,
                        change_type=event.type,
                        effective_date=day,
                        recorded_at=event.timestamp,
                    )
                )


def catch_up(ledger: CountyLedger, views: StructureViews, until: int | None = None) -> int:
    """Bring the views up to the ledger's last event (or at least ``until``).

    Safe to run from many processes at once: a batch is written only if the
    tracked position is still the one it was read after, so each event is
    applied exactly once.
    """
    projection = StructureProjection(ledger)
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
            projection = StructureProjection(ledger)
