"""The three structural changes of the opinion: 转 (conversion), 并 (merger), 联 (federation),
and the two a statistical release shows: 合并村 (village merger) and consolidation.

Each takes the units it touches and returns the new units;
the caller saves all of them with the change record in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from domain.changes import ChangeType
from domain.kinds import Level, UnitKind
from domain.rules import Conflict, RuleRefused
from domain.stamped import Stamp
from domain.units import Unit


def require_plan(villages: Sequence[Unit], area_type: UnitKind, stamp: Stamp) -> None:
    """H3 先规划后落实: every village sits in one plan of the right kind on the date."""
    day = stamp.effective_date
    plans = {v.id: v.plan_on(day) for v in villages}
    unplanned = [v for v in villages if (p := plans[v.id]) is None or p.area_type is not area_type]
    if unplanned:
        names = ", ".join(v.name_on(day) for v in unplanned)
        raise RuleRefused(
            "H3",
            f"no {area_type.value} plan in force on {day} places {names}; "
            "adopt a plan first (先规划后落实)",
        )
    if len({p.plan_id for p in plans.values() if p}) > 1:
        raise RuleRefused(
            "H3", f"the villages sit in different {area_type.value} plans on {day}"
        )


VERBS = {"conversion": "convert", "merger": "merge", "federation": "federate",
         "village_merger": "merge", "consolidation": "consolidate"}


def _require_active_villages(
    villages: Sequence[Unit], stamp: Stamp, *, at_least: int, what: str,
    villages_only: bool = True,
) -> None:
    day = stamp.effective_date
    if len({v.id for v in villages}) != len(villages):
        raise RuleRefused("H2", f"{what} names a village twice")
    if len(villages) < at_least:
        raise RuleRefused("H2", f"{what} takes at least {at_least} villages")
    for village in villages:
        if villages_only:
            village.require_village("H2", what)
        elif village.level is not Level.VILLAGE or village.kind is UnitKind.FEDERATION:
            raise RuleRefused("H2", f"{what} takes village-level units, not a "
                                    f"{village.kind.value}")
        village.require_open_on(day, VERBS[what])
        membership = next(
            (m for m in village.memberships if m.overlaps_from(day)), None
        )
        if membership is not None:
            raise Conflict(
                "H2",
                f"{village.name_on(day)} is federated from {membership.since}",
                [membership.joined_by],
            )


def convert(
    villages: Sequence[Unit],
    *,
    name: str,
    code: str | None,
    parent: Unit,
    stamp: Stamp,
    plans_required: bool,
) -> Unit:
    """转: the village ceases; an urban community begins in its place."""
    if len(villages) != 1:
        raise RuleRefused("H2", "a conversion takes exactly one village")
    _require_active_villages(villages, stamp, at_least=1, what="conversion")
    [village] = villages
    if plans_required:
        require_plan(villages, UnitKind.URBAN_COMMUNITY, stamp)
    village.cease("conversion", stamp)
    return _establish(UnitKind.URBAN_COMMUNITY, name, code, parent, stamp)


def merge(
    villages: Sequence[Unit],
    *,
    name: str,
    code: str | None,
    parent: Unit,
    stamp: Stamp,
    plans_required: bool,
) -> Unit:
    """并: the villages cease; one rural community begins in their place."""
    _require_active_villages(villages, stamp, at_least=2, what="merger")
    if plans_required:
        require_plan(villages, UnitKind.RURAL_COMMUNITY, stamp)
    for village in villages:
        village.cease("merger", stamp)
    return _establish(UnitKind.RURAL_COMMUNITY, name, code, parent, stamp)


def federate(
    villages: Sequence[Unit],
    *,
    name: str,
    code: str | None,
    parent: Unit,
    stamp: Stamp,
    plans_required: bool,
) -> Unit:
    """联: the villages remain but work under a new federation (联居)."""
    _require_active_villages(villages, stamp, at_least=2, what="federation")
    if plans_required:
        require_plan(villages, UnitKind.FEDERATION, stamp)
    federation = _establish(UnitKind.FEDERATION, name, code, parent, stamp)
    for village in villages:
        village.join_federation(federation, stamp)
    return federation


@dataclass(frozen=True)
class Successor:
    """A unit a merger or consolidation brings about."""

    kind: UnitKind
    name: str
    code: str | None
    parent: Unit


def merge_villages(villages: Sequence[Unit], successor: Successor, *, stamp: Stamp) -> Unit:
    """合并村: the villages cease; one new, larger village begins in their place."""
    _require_active_villages(villages, stamp, at_least=2, what="village_merger")
    if successor.kind is not UnitKind.VILLAGE:
        raise RuleRefused("H2", "a village merger makes a village; into a community is 并")
    for village in villages:
        village.cease("merger", stamp)
    return _establish(successor.kind, successor.name, successor.code, successor.parent, stamp)


def consolidate(units: Sequence[Unit], successors: Sequence[Successor], *,
                stamp: Stamp) -> list[Unit]:
    """A town's village-level units cease and new ones begin, where only the outcome is
    known (a statistical release): the new units' predecessors are the whole group."""
    _require_active_villages(units, stamp, at_least=1, what="consolidation",
                             villages_only=False)
    if not successors:
        raise RuleRefused("H2", "a consolidation brings about at least one unit")
    for unit in units:
        unit.cease("consolidation", stamp)
    return [_establish(s.kind, s.name, s.code, s.parent, stamp) for s in successors]


# The structural changes by their ChangeType, as the ledger runs them.
CHANGES: dict[str, Callable[..., Unit]] = {
    ChangeType.CONVERSION: convert,
    ChangeType.MERGER: merge,
    ChangeType.FEDERATION: federate,
}


def default_parent_id(villages: Sequence[Unit], stamp: Stamp) -> UUID:
    """The town a new community hangs under when the command names none."""
    for village in villages:
        village.require_village("H2", "a conversion, merger or federation")
    towns = {v.parent_on(stamp.effective_date) for v in villages}
    if len(towns) != 1:
        raise RuleRefused(
            "H4", "the villages are under different towns: name the parent_id"
        )
    town = towns.pop()
    assert town is not None
    return town


def _establish(
    kind: UnitKind, name: str, code: str | None, parent: Unit, stamp: Stamp
) -> Unit:
    return Unit.establish(
        kind=kind,
        name=name,
        code=code,
        parent=parent,
        stamp=stamp,
    )
