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
from interfaces.history import HistoryBuilder, scope

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
            builder = HistoryBuilder(storage, "bench", say=lambda _line: None)
            began = time.perf_counter()
            for year in years:
                builder.build_year(year, scope((), [CITY], (), False))
            builder.analyze()
            building = time.perf_counter() - began
            rows = sum(builder.imported.values()) + sum(builder.changes.values())
            matching = {year: sum(c.matches for c in builder.checks(
                year, storage.directory.tenant_codes()).values()) for year in years}
        finally:
            storage.close()
        raw = raw_insert(database_url, [(str(n), "村") for n in range(rows)])
    note("history", f"{len(years)} releases, {sum(builder.imported.values())} units imported, "
                    f"{sum(builder.changes.values())} changes; {building:.1f} s; "
                    "counties matching per release: "
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
