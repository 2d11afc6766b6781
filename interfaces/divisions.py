"""Reading the national statistical division codes (2023) into baseline units.

Files: ``areas`` (counties: code, name, cityCode, provinceCode), ``streets``
(town level: code, name, areaCode …) and ``villages`` (village level: code,
name, streetCode, …, areaCode), plain CSV or gzip. Names ending in 村委会 are
administrative villages; the others (社区, 居委会 …) are communities.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from uuid import NAMESPACE_URL, UUID, uuid5

from application.ledger import BaselineUnit
from domain.kinds import UnitKind
from infra.storage import County as Place


@dataclass(frozen=True)
class County:
    code: str
    name: str
    city_code: str


@dataclass
class Town:
    """One town-level unit with the village-level units under it."""

    unit: BaselineUnit
    villages: list[BaselineUnit] = field(default_factory=list)

    @property
    def units(self) -> list[BaselineUnit]:
        return [self.unit, *self.villages]


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open("rb") as raw:
        stream = gzip.open(raw) if path.suffix == ".gz" else raw
        with io.TextIOWrapper(stream, encoding="utf-8-sig", newline="") as text:
            yield from csv.DictReader(text)


def unit_id(county: str, code: str) -> UUID:
    """Stable ids, so importing again finds what is already there."""
    return uuid5(NAMESPACE_URL, f"grassroots-ledger:{county}:{code}")


def town_kind(name: str) -> UnitKind:
    if name.endswith("街道") or name.endswith("街道办事处"):
        return UnitKind.SUBDISTRICT
    if name.endswith("镇"):
        return UnitKind.TOWN
    if name.endswith("乡"):
        return UnitKind.TOWNSHIP
    # 开发区, 工业园区, 农场, 管委会 …: zones run by a management committee.
    return UnitKind.FUNCTIONAL_ZONE


def village_kind(name: str) -> UnitKind:
    if name.endswith("村委会") or name.endswith("村民委员会"):
        return UnitKind.VILLAGE
    return UnitKind.URBAN_COMMUNITY


def read_counties(areas: Path) -> dict[str, County]:
    return {
        row["code"]: County(row["code"], row["name"], row["cityCode"])
        for row in _rows(areas)
    }


def read_towns(streets: Path, villages: Path, counties: set[str]) -> dict[str, list[Town]]:
    """The towns of the given counties, each with its villages, by county code."""
    towns: dict[str, Town] = {}
    by_county: dict[str, list[Town]] = defaultdict(list)
    for row in _rows(streets):
        county = row["areaCode"]
        if county not in counties:
            continue
        town = Town(BaselineUnit(
            id=unit_id(county, row["code"]), kind=town_kind(row["name"]),
            name=row["name"], code=row["code"],
        ))
        towns[row["code"]] = town
        by_county[county].append(town)
    for row in _rows(villages):
        town = towns.get(row["streetCode"])
        if town is None:
            continue
        county = row["areaCode"]
        town.villages.append(BaselineUnit(
            id=unit_id(county, row["code"]), kind=village_kind(row["name"]),
            name=row["name"], code=row["code"], parent_id=town.unit.id,
        ))
    return dict(by_county)


def import_county(place: Place, towns: list[Town], day: date, actor: str) -> tuple[int, int]:
    """Establish what the county lacks of these towns and villages, in one change.

    Answers (imported, already present). Units are known by their statistical
    code, so running it again adds only what is missing.
    """
    place.catch_up()
    present = place.views.unit_codes()
    units = [u for town in towns for u in town.units]
    missing = [u for u in units if u.code not in present]
    if missing:
        place.ledger.import_baseline(missing, day, actor)
    return len(missing), len(units) - len(missing)
