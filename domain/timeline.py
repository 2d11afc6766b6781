"""Dated facts: values that hold from an effective date until the next one.

A unit's name, parent, population and plan placement are each a list of
``Dated`` entries ordered by effective date; for entries of the same date the
one recorded last wins. Federation membership is a list of ``Membership``
intervals. Both keep the change that set them, so a contradiction can name it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, NamedTuple, TypeVar
from uuid import UUID

T = TypeVar("T")

# Open ends of the valid-time axis, so every unit has a row for every date.
BEGINNING = date(1, 1, 1)
END = date(9999, 12, 31)


class Dated(NamedTuple, Generic[T]):
    """A value in force from ``since``, set by a change. A named tuple rather than
    a frozen dataclass: a unit is created holding four, and a county's replay
    creates them by the hundred thousand, in half a dataclass's time."""

    since: date
    value: T
    change_id: UUID


def place(entries: list[Dated[Any]], entry: Dated[Any]) -> None:
    """Insert ``entry`` after every entry effective on or before its date."""
    index = bisect.bisect_right([e.since for e in entries], entry.since)
    entries.insert(index, entry)


def value_on(entries: list[Dated[T]], day: date) -> T | None:
    """The value in force on ``day`` (the first one before it starts)."""
    current = entries[0].value if entries else None
    for entry in entries:
        if entry.since > day:
            break
        current = entry.value
    return current


def entry_on(entries: list[Dated[T]], day: date) -> Dated[T] | None:
    found = None
    for entry in entries:
        if entry.since > day:
            break
        found = entry
    return found


@dataclass(frozen=True)
class Membership:
    """A village in a federation (联居) from ``since`` until ``until`` (exclusive).
    Frozen, as every value an aggregate holds (``StampedAggregate.__deepcopy__``)."""

    other_id: UUID
    since: date
    until: date | None
    joined_by: UUID
    left_by: UUID | None = None

    def holds_on(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day < self.until)

    def overlaps_from(self, day: date) -> bool:
        """True when the membership holds on ``day`` or on any later date."""
        return self.until is None or day < self.until
