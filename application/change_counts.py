"""How many changes of each type a county (or a city) recorded in a window of
effective dates, per year and per town: the numbers behind a consolidation."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
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
