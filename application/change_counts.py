"""How many changes of each type a county (or a city) recorded in a window of
effective dates, per year and per town: the numbers behind a consolidation."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple
from uuid import UUID


@dataclass(frozen=True)
class CountedChange:
    """A change in force, with the town it happened in (a town's own change: itself)."""

    change_id: UUID
    type: str
    effective_date: date
    town_id: UUID


@dataclass(frozen=True)
class Town:
    unit_id: UUID
    name: str
    code: str | None


def count_changes(changes: Iterable[CountedChange], towns: Sequence[Town]) -> dict[str, Any]:
    by_type: Counter[str] = Counter()
    by_year: dict[int, Counter[str]] = defaultdict(Counter)
    by_town: dict[UUID, Counter[str]] = defaultdict(Counter)
    for change in changes:
        by_type[change.type] += 1
        by_year[change.effective_date.year][change.type] += 1
        by_town[change.town_id][change.type] += 1
    known = {t.unit_id: t for t in towns}
    return {
        "total": sum(by_type.values()),
        "by_type": dict(sorted(by_type.items())),
        "by_year": [{"year": year, "by_type": dict(sorted(counts.items()))}
                    for year, counts in sorted(by_year.items())],
        "by_town": [
            {"town_id": town_id, "name": known[town_id].name if town_id in known else None,
             "code": known[town_id].code if town_id in known else None,
             "total": sum(counts.values()), "by_type": dict(sorted(counts.items()))}
            for town_id, counts in sorted(by_town.items(), key=lambda kv: str(kv[0]))
        ],
    }


def sum_counts(counties: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A city's figures: its counties' summed, and each county's total."""
    by_type: Counter[str] = Counter()
    by_year: dict[int, Counter[str]] = defaultdict(Counter)
    for counts in counties.values():
        by_type.update(counts["by_type"])
        for year in counts["by_year"]:
            by_year[year["year"]].update(year["by_type"])
    return {
        "total": sum(by_type.values()),
        "by_type": dict(sorted(by_type.items())),
        "by_year": [{"year": year, "by_type": dict(sorted(counts.items()))}
                    for year, counts in sorted(by_year.items())],
        "by_county": [{"code": code, "total": counts["total"], "by_type": counts["by_type"]}
                      for code, counts in sorted(counties.items())],
    }


class Ceased(NamedTuple):
    """A village-level unit that ceased: when, and by which type of change."""

    effective_date: date
    change_type: str


@dataclass(frozen=True)
class CountyYears:
    """One county's village-level units on each release's date, and the units that
    ceased."""

    units_on: dict[int, int]
    ceased: list[Ceased]


def village_figures(releases: Sequence[tuple[int, date]],
                    counties: Iterable[CountyYears]) -> list[dict[str, Any]]:
    """Per release: village-level units, and how many disappeared since the previous
    release by merger, consolidation, conversion, dissolution …"""
    counties = list(counties)
    items = []
    after = date.min
    for year, as_of in releases:
        gone: Counter[str] = Counter(c.change_type for county in counties for c in county.ceased
                                     if after < c.effective_date <= as_of)
        items.append({
            "release": year, "as_of": as_of,
            "counties": sum(1 for c in counties if c.units_on.get(year)),
            "villages": sum(c.units_on.get(year, 0) for c in counties),
            "gone": dict(sorted(gone.items())), "gone_total": sum(gone.values()),
        })
        after = as_of
    return items
