"""Recording a reconciliation's items as ordinary changes, all or nothing.

Each item becomes one ``Change`` (``source: release:<year>``) with the unit
events it causes; every item of one apply is checked against the units as the
items before it left them (one in-memory copy of each aggregate) and all of
them are saved in one transaction. H3 (plan first) does not apply to what the
statistical bureau reports; every other rule does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain import restructuring
from domain.bodies import FOUNDING_BODIES, Body
from domain.changes import Authority, Change, Succession, release_source
from domain.kinds import Level
from domain.names import kind_class
from domain.reconciliation import GROUP, Held, Item, ItemType
from domain.releases import Row
from domain.rules import Conflict
from domain.stamped import Stamp
from domain.units import Unit

if TYPE_CHECKING:
    from application.ledger import CountyLedger


@dataclass
class Step:
    """What one item did: the aggregates it touched, the units it created, its lineage."""

    aggregates: list[Aggregate] = field(default_factory=list)
    created: list[UUID] = field(default_factory=list)
    lineage: list[Succession] = field(default_factory=list)


class ReleaseRecording:
    """One apply of a reconciliation in one county's ledger."""

    def __init__(self, ledger: CountyLedger, held_towns: Sequence[Held], year: int,
                 effective_date: date, actor: str, authority: Authority | None,
                 recorded_at: datetime):
        self.ledger = ledger
        self.year = year
        self.day = effective_date
        self.actor = actor
        self.authority = authority
        self.recorded_at = recorded_at
        self.units: dict[UUID, Unit] = {}
        self.bodies: dict[UUID, Body] = {}
        self.touched: list[Aggregate] = []  # every aggregate the items changed, once
        # The town that holds each release town code, as the items go.
        self.towns: dict[str, UUID] = {h.code: h.unit_id for h in held_towns if h.code}
        self.steps: dict[str, Callable[[Item, Stamp], Step]] = {
            **dict.fromkeys(ItemType.IDENTITY, self._identity),
            ItemType.CONVERSION: self._conversion,
            ItemType.MERGER: self._merger,
            ItemType.VILLAGE_MERGER: self._village_merger,
            ItemType.CONSOLIDATION: self._consolidation,
            ItemType.ESTABLISHMENT: self._establishment,
            ItemType.TOWN_ESTABLISHMENT: self._establishment,
            ItemType.DISSOLUTION: self._dissolution,
            ItemType.TOWN_DISSOLUTION: self._dissolution,
            ItemType.TOWN_MERGER: self._dissolution,
        }

    def record(self, items: Sequence[Item]) -> list[Change]:
        """The items (in ``ItemType.ORDER``) as changes; nothing is saved here."""
        changes: list[Change] = []
        touched: dict[UUID, Aggregate] = {}
        for item in items:
            stamp = Stamp(self.day, uuid4(), self.actor, self.recorded_at)
            step = self.steps[item.type](item, stamp)
            changes.append(self.ledger.change_record(
                stamp, item.type, self.authority, step.aggregates, step.created, step.lineage,
                source=release_source(self.year)))
            touched.update((a.id, a) for a in step.aggregates)
        self.touched = list(touched.values())
        return changes

    # -- The aggregates, each loaded once ------------------------------------------

    def unit(self, unit_id: UUID) -> Unit:
        if unit_id not in self.units:
            self.units[unit_id] = self.ledger.unit(unit_id)
        return self.units[unit_id]

    def town(self, row: Row) -> Unit:
        assert row.town_code is not None
        town_id = self.towns.get(row.town_code)
        if town_id is None:
            raise Conflict("H4", f"{row.name} ({row.code}) needs town {row.town_code}, which "
                                 "the ledger does not hold: apply its town_establishment too")
        return self.unit(town_id)

    def _new(self, units: Sequence[Unit]) -> list[UUID]:
        for unit in units:
            self.units[unit.id] = unit
            if unit.level is Level.TOWN and unit.code_on(self.day):
                self.towns[unit.code_on(self.day)] = unit.id  # type: ignore[index]
        return [u.id for u in units]

    # -- Steps -----------------------------------------------------------------

    def _identity(self, item: Item, stamp: Stamp) -> Step:
        """The same unit goes on with the row's code, name, kind (towns) and town."""
        [unit_id], [row] = item.unit_ids, item.release_rows
        unit = self.unit(unit_id)
        if unit.code_on(self.day) != row.code:
            unit.recode(row.code, stamp)
            if row.is_town:
                self.towns[row.code] = unit.id
        if unit.name_on(self.day) != row.name:
            unit.rename(row.name, stamp)
        if row.is_town and kind_class(unit.kind_on(self.day)) != row.kind_class:
            unit.reclassify(row.kind, stamp)
        if not row.is_town:
            town = self.town(row)
            if unit.parent_on(self.day) != town.id:
                unit.move(town, stamp)
        return Step([unit])

    def _conversion(self, item: Item, stamp: Stamp) -> Step:
        return self._into_community(restructuring.convert, item, stamp)

    def _merger(self, item: Item, stamp: Stamp) -> Step:
        return self._into_community(restructuring.merge, item, stamp)

    def _into_community(self, change: Callable[..., Unit], item: Item, stamp: Stamp) -> Step:
        """转 or 并 as the opinion has them, but what the bureau reports needs no plan (H3)."""
        [row] = item.release_rows
        villages = [self.unit(u) for u in item.unit_ids]
        created = change(villages, name=row.name, code=row.code, parent=self.town(row),
                         stamp=stamp, plans_required=False)
        return self._succeeded(villages, [created], stamp, group=False)

    def _village_merger(self, item: Item, stamp: Stamp) -> Step:
        [row] = item.release_rows
        villages = [self.unit(u) for u in item.unit_ids]
        created = restructuring.merge_villages(villages, self._successor(row), stamp=stamp)
        return self._succeeded(villages, [created], stamp, group=False)

    def _consolidation(self, item: Item, stamp: Stamp) -> Step:
        units = [self.unit(u) for u in item.unit_ids]
        created = restructuring.consolidate(
            units, [self._successor(r) for r in item.release_rows], stamp=stamp)
        return self._succeeded(units, created, stamp, group=item.lineage == GROUP)

    def _successor(self, row: Row) -> restructuring.Successor:
        return restructuring.Successor(row.kind, row.name, row.code, self.town(row))

    def _succeeded(self, ceased: list[Unit], created: list[Unit], stamp: Stamp, *,
                   group: bool) -> Step:
        founded = [Body.establish(type=body_type, unit=unit, name=None, attributes={},
                                  stamp=stamp)
                   for unit in created if not group
                   for body_type in FOUNDING_BODIES.get(unit.kind, ())]
        return Step(
            [*created, *ceased, *founded, *self._wind_up(ceased, stamp)],
            self._new(created),
            [Succession(c.id, n.id, group) for c in ceased for n in created],
        )

    def _establishment(self, item: Item, stamp: Stamp) -> Step:
        [row] = item.release_rows
        unit = Unit.establish(
            kind=row.kind, name=row.name, code=row.code,
            parent=None if row.is_town else self.town(row), stamp=stamp)
        return Step([unit], self._new([unit]))

    def _dissolution(self, item: Item, stamp: Stamp) -> Step:
        """Dissolved, or (a town) merged into the town its villages went to, once
        they have gone: what still hangs under it refuses (H4)."""
        [unit_id] = item.unit_ids
        unit = self.unit(unit_id)
        staying = [c for c in self.ledger.lookups.children_after(unit_id, self.day)
                   if self._still_under(c, unit_id)]
        if staying:
            raise Conflict("H4", f"{unit.name_on(self.day)} still has {len(staying)} units "
                                 f"under it on {self.day}: apply their moves too")
        unit.cease("dissolution", stamp)
        # A town merged into another: lineage to the town its villages went to.
        receivers = [self.unit(self.towns[r.code]) for r in item.release_rows]
        lineage = [Succession(unit.id, r.id) for r in receivers]
        return Step([unit, *receivers, *self._wind_up([unit], stamp)], [], lineage)

    def _still_under(self, child_id: UUID, town_id: UUID) -> bool:
        child = self.units.get(child_id)
        if child is None:
            return True
        return child.status_on(self.day) == "active" and child.parent_on(self.day) == town_id

    def _wind_up(self, ceasing: Sequence[Unit], stamp: Stamp) -> list[Body]:
        bodies = []
        for unit in ceasing:
            for body_id in unit.hosted_bodies:
                body = self.bodies.get(body_id) or self.ledger.body(body_id)
                self.bodies[body_id] = body
                if not body.is_void and (body.abolished_on is None
                                         or body.abolished_on > stamp.effective_date):
                    body.wind_up(stamp)
                    bodies.append(body)
        return bodies
