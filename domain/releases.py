"""The statistical bureau's yearly division-code releases (统计用区划代码).

A release is the official record of every county's towns and village-level
units on its cut-off date (截止时间), published months later. The ledger ships
eight of them (2016–2023); what they contain is read by ``infra.releases``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.kinds import UnitKind
from domain.names import kind_class, kind_of, stem
from domain.rules import NotFound


@dataclass(frozen=True)
class Release:
    year: int
    as_of: date  # 截止时间: the state it records
    published: date  # 发布时间


RELEASES: dict[int, Release] = {
    r.year: r for r in (
        Release(2016, date(2016, 7, 31), date(2017, 5, 16)),
        Release(2017, date(2017, 10, 31), date(2018, 6, 20)),
        Release(2018, date(2018, 10, 31), date(2019, 1, 31)),
        Release(2019, date(2019, 10, 31), date(2020, 2, 25)),
        Release(2020, date(2020, 6, 30), date(2020, 11, 6)),
        Release(2021, date(2021, 10, 31), date(2021, 12, 30)),
        Release(2022, date(2022, 10, 31), date(2022, 12, 29)),
        Release(2023, date(2023, 6, 30), date(2023, 9, 11)),
    )
}
NEWEST = max(RELEASES)


def release(year: int) -> Release:
    try:
        return RELEASES[year]
    except KeyError:
        raise NotFound("release", year) from None


@dataclass(frozen=True)
class Row:
    """A town (``town_code`` None) or village-level unit as a release lists it."""

    code: str
    name: str
    town_code: str | None = None

    @property
    def is_town(self) -> bool:
        return self.town_code is None

    @property
    def kind(self) -> UnitKind:
        return kind_of(self.name, town=self.is_town)

    @property
    def kind_class(self) -> str:
        return kind_class(self.kind)

    @property
    def stem(self) -> str:
        return stem(self.name, town=self.is_town)


@dataclass(frozen=True)
class CountyRelease:
    """One county's towns and village-level units in one release."""

    year: int
    county: str
    name: str
    city_code: str
    towns: tuple[Row, ...]
    villages: tuple[Row, ...]

    @property
    def release(self) -> Release:
        return release(self.year)
