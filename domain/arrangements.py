"""How a functional zone runs with its sub-district (区街合一 / 区街统分), N7.

The opinion (三(一)) names two operating modes of a zone and a sub-district:

- 区街合一 ("one_team"): "功能区党工委、管委会与街道党工委、办事处实行'一套班子、两块牌子'
  运作" — the same leaders behind two nameplates;
- 区街统分 ("coordinated"): "功能区党工委、管委会与街道党工委、办事处的部分领导干部实行交叉
  任职", the zone unifying leadership, planning, coordination, development and
  management (五统一) and the sub-district handling social management and public
  services on that basis.

"都市型功能区与镇(乡)的运行模式参照执行": a town may stand in for the sub-district.

An ``Arrangement`` records which mode two units run in, from when until when.
N7 is a norm, so nothing here blocks a roster that fails the mode:
``leadership_in_place`` answers, for a report, whether the leaders the mode asks
for are in place on a date. The refusals of ``make`` are of malformed
arrangements (wrong kinds of unit, unknown mode), which no hard rule of
DOMAIN.md §6 names, so they carry no rule (``rule is None``); a unit not open
on the date is refused as H4 by ``Unit.require_open_on``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.bodies import BodyType, Role
from domain.kinds import UnitKind
from domain.rules import Conflict, RuleRefused
from domain.stamped import Stamp, StampedAggregate
from domain.timeline import END
from domain.units import Unit

ONE_TEAM = "one_team"  # 区街合一: 一套班子、两块牌子
COORDINATED = "coordinated"  # 区街统分: 部分领导干部实行交叉任职

MODES: dict[str, str] = {
    ONE_TEAM: "区街合一",
    COORDINATED: "区街统分",
}

# The first party is a zone; the second a sub-district, or a town (参照执行).
ZONE_KINDS = frozenset({UnitKind.FUNCTIONAL_ZONE})
OTHER_KINDS = frozenset(
    {UnitKind.SUBDISTRICT, UnitKind.CENTRAL_TOWN, UnitKind.TOWN, UnitKind.TOWNSHIP})

# The leading posts (领导干部) that make up each side's team.
LEADING_ROLES = frozenset(
    {Role.SECRETARY, Role.DEPUTY_SECRETARY, Role.DIRECTOR, Role.DEPUTY_DIRECTOR})

# The leading bodies of each side: 功能区党工委、管委会 / 街道党工委、办事处 (镇党委、政府).
ZONE_LEADING_BODIES = frozenset(
    {BodyType.PARTY_WORKING_COMMITTEE, BodyType.ZONE_MANAGEMENT_COMMITTEE})
OTHER_LEADING_BODIES = frozenset(
    {BodyType.PARTY_WORKING_COMMITTEE, BodyType.GOVERNMENT, BodyType.PARTY_COMMITTEE})


def _require_mode(mode: str) -> None:
    if mode not in MODES:
        raise RuleRefused(None, f"unknown operating mode {mode!r}: one of "
                                f"{', '.join(f'{m} ({label})' for m, label in MODES.items())}")


class Arrangement(StampedAggregate):
    """A zone and a sub-district (or town) running in one mode over a period."""

    class Event(StampedAggregate.Event):
        """A fact of the arrangement."""

    @classmethod
    def make(cls, *, zone: Unit, subdistrict: Unit, mode: str, stamp: Stamp) -> Arrangement:
        if zone.kind not in ZONE_KINDS:
            raise RuleRefused(
                None, f"the first party of a zone arrangement is a functional_zone, "
                      f"not a {zone.kind.value}")
        if subdistrict.kind not in OTHER_KINDS:
            kinds = ", ".join(sorted(k.value for k in OTHER_KINDS))
            raise RuleRefused(
                None, f"a zone runs with a sub-district or town ({kinds}), "
                      f"not a {subdistrict.kind.value}")
        _require_mode(mode)
        day = stamp.effective_date
        for unit in (zone, subdistrict):
            unit.require_not_void()
            unit.require_open_on(day, f"make a {MODES[mode]} arrangement with")
        arrangement = cls._create_stamped(
            cls.Made, stamp, zone_id=zone.id, subdistrict_id=subdistrict.id, mode=mode)
        zone.host_arrangement(arrangement.id, mode, stamp)
        return arrangement

    class Made(Aggregate.Created, Event):
        zone_id: UUID
        subdistrict_id: UUID
        mode: str

    def __init__(
        self, effective_date: date, change_id: UUID, actor: str, zone_id: UUID,
        subdistrict_id: UUID, mode: str,
    ):
        self.zone_id = zone_id
        self.subdistrict_id = subdistrict_id
        self.mode = mode
        self.made_on = effective_date
        self.made_by = change_id
        self.ended_on: date | None = None
        self.ended_by: UUID | None = None

    def end(self, stamp: Stamp) -> None:
        if self.ended_on is not None:
            raise Conflict(None, f"the arrangement already ends on {self.ended_on}",
                           [self.ended_by] if self.ended_by else [])
        if stamp.effective_date <= self.made_on:
            raise Conflict(None, f"the arrangement starts only on {self.made_on}; it can end "
                                 "no earlier than the day after", [self.made_by])
        self._record(self.Ended, stamp)

    class Ended(Event):
        """The first day the arrangement is no longer in force."""

        def apply(self, arrangement: Arrangement) -> None:
            arrangement.ended_on = self.effective_date
            arrangement.ended_by = self.change_id

    # -- Reading -------------------------------------------------------------

    @property
    def valid_to(self) -> date:
        return self.ended_on or END

    def overlaps(self, since: date, until: date | None = None) -> bool:
        """In force on some day of [since, until)."""
        return self.made_on < (until or END) and since < self.valid_to


def require_no_overlap(
    existing: Iterable[Arrangement], *, zone_id: UUID, subdistrict_id: UUID, since: date,
) -> None:
    """A new, open-ended arrangement of the same two units from ``since`` may not
    overlap one already recorded (whatever its mode): end that one first."""
    clashes = [a.made_by for a in existing
               if a.zone_id == zone_id and a.subdistrict_id == subdistrict_id
               and a.overlaps(since)]
    if clashes:
        raise Conflict(None, "the zone and the sub-district already have an arrangement "
                             f"in force on or after {since}; end it first", clashes)


def leadership_in_place(
    mode: str, zone_leaders: set[UUID], other_leaders: set[UUID],
) -> tuple[bool, dict[str, Any]]:
    """Whether the leadership ``mode`` asks for is in place, and the figures behind it.

    ``one_team`` (一套班子): both sides are led by the same people, and someone.
    ``coordinated`` (交叉任职): at least one person leads on both sides.
    The figures are counts only (people are personal data).
    """
    _require_mode(mode)
    shared = zone_leaders & other_leaders
    if mode == ONE_TEAM:
        in_place = bool(zone_leaders) and zone_leaders == other_leaders
    else:
        in_place = bool(shared)
    return in_place, {
        "mode": mode,
        "label": MODES[mode],
        "zone_leaders": len(zone_leaders),
        "other_leaders": len(other_leaders),
        "cross_appointed": len(shared),
        "zone_only": len(zone_leaders - other_leaders),
        "other_only": len(other_leaders - zone_leaders),
    }
