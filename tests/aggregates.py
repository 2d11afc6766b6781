"""Building aggregates in memory for the domain tests: dates, stamps, units."""

from __future__ import annotations

from datetime import date, datetime, timezone
from uuid import uuid4

from domain.kinds import UnitKind
from domain.units import Stamp, Unit


def day(iso: str) -> date:
    return date.fromisoformat(iso)


def stamp(iso: str) -> Stamp:
    """A new change, effective on ``iso``, recorded now."""
    return Stamp(day(iso), uuid4(), "test", datetime.now(timezone.utc))


def unit(kind: UnitKind, name: str = "安阳镇", parent: Unit | None = None,
         on: str = "2010-01-01") -> Unit:
    s = stamp(on)
    return Unit.establish(kind=kind, name=name, code=None, parent=parent, stamp=s)
