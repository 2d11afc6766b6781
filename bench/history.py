"""history: Wenzhou's whole history (city 3303, 2016 → 2023) built from the releases.

The same loop as ``grassroots history build --city 3303``: the 2016 release
imported as each county's baseline, each later release proposed and applied
(``interfaces.history.HistoryBuilder``), counties new in a release (龙港市 2019)
onboarded from it — in a database of its own, driven in this process. The
figure is units imported plus changes recorded per second. Baseline: a raw
batched INSERT of one JSON row per unit and per change (the same number of
rows), as in the import benchmark. Then every county is checked against every
release.
"""

from __future__ import annotations

import time

from bench.common import Context, Row, note, temporary_database
from bench.importing import raw_insert
from infra.storage import Settings, open_storage
from interfaces.history import HistoryBuilder

CITY = "3303"
QUICK_YEARS = (2018, 2019)
TARGET_SECONDS = 60.0


def run(ctx: Context) -> list[Row]:
    server = ctx.database_url.rsplit("/", 1)[0]
    with temporary_database(server) as database_url:
        storage = open_storage(Settings(database_url=database_url))
        storage.create_tables()
        files = storage.releases  # as the CLI: one reader, its counties kept parsed
        years = list(QUICK_YEARS) if ctx.quick else files.years()
        try:
            builder = HistoryBuilder(storage, "bench")
            reading = 0.0
            began = time.perf_counter()
            for year in years:
                read = time.perf_counter()
                batch = files.select(year, {c for c, county in files.counties(year).items()
                                            if county.city_code == CITY})
                reading += time.perf_counter() - read
                for county in batch:
                    if storage.directory.tenant(county.county) is None:
                        storage.onboard_tenant(county.county, county.name, county.city_code)
                    builder.build(county)
            building = time.perf_counter() - began
            rows = sum(builder.imported.values()) + sum(builder.changes.values())
            matching = {year: sum(storage.county(c).reconciliation(files).check(year).matches
                                  for c in storage.directory.tenant_codes()
                                  if files.county(year, c) is not None)
                        for year in years}
        finally:
            storage.close()
        raw = raw_insert(database_url, [(str(n), "村") for n in range(rows)])
    note("history", f"{len(years)} releases, {sum(builder.imported.values())} units imported, "
                    f"{sum(builder.changes.values())} changes; {building:.1f} s "
                    f"(reading the releases {reading:.1f} s); counties matching per release: "
                    + ", ".join(f"{y} {n}" for y, n in matching.items()))
    for line in builder.summary():
        note("history", line)
    rate = rows / building
    return [
        Row("history", "Wenzhou 2016-2023, units+changes/s", rate, "/s",
            "raw executemany rows/s", raw),
        Row("history", "Wenzhou 2016-2023, seconds", building, "s", "target", TARGET_SECONDS,
            f"<= {TARGET_SECONDS:.0f} s", building <= TARGET_SECONDS),
    ]
