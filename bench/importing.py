"""import: all of Wenzhou (city 3303: 12 counties, ~3,900 units), in units/s.

The same loop as ``grassroots import-divisions --city 3303`` (each county onboarded,
ahead of the import, by ``divisions.onboarded``, then ``divisions.import_county``: one
change per county), driven in
this process so reading the shipped 2023 release (``ReleaseFiles.select``) is
timed apart.
Baseline: a raw batched INSERT of one JSON-encoded row per unit (psycopg
``executemany``, 1,000 rows per commit) into a plain table shaped like an
events table, run before and after the import and averaged.
"""

from __future__ import annotations

import json
import time
import uuid
from contextlib import closing
from datetime import date

import psycopg

from bench.common import Context, Row, note
from domain.releases import CountyRelease
from infra.releases import ReleaseFiles
from infra.storage import Storage
from infra.views.schema import STILL_BELIEVED
from infra.views.tables import ViewTables
from interfaces import divisions

CITY = "3303"
QUICK_COUNTIES = 3
YEAR = 2023
EFFECTIVE = date(2023, 1, 1)
ROWS_PER_COMMIT = 1000
TOPIC = "domain.units:Unit.Established"
TARGET = 0.25


def run(ctx: Context) -> list[Row]:
    began = time.perf_counter()
    files = ReleaseFiles()
    chosen = sorted(code for code, c in files.counties(YEAR).items() if c.city_code == CITY)
    chosen = chosen[:QUICK_COUNTIES] if ctx.quick else chosen
    releases = files.select(YEAR, set(chosen))
    parsing = time.perf_counter() - began
    units = [(r.code, r.name) for county in releases for r in (*county.towns, *county.villages)]

    storage = ctx.storage()
    raw_before = raw_insert(ctx.database_url, units)
    began = time.perf_counter()
    steps = _import(storage, releases)
    importing = time.perf_counter() - began
    raw = (raw_before + raw_insert(ctx.database_url, units)) / 2

    stored = sum(len(_codes_held(storage.county(code).views)) for code in chosen)
    assert stored == len(units), f"the views hold {stored} units, the release {len(units)}"
    note("import", f"{len(units)} units of {len(chosen)} counties; CSV parsing {parsing:.1f} s, "
                   f"import {importing:.1f} s (" + ", ".join(
                       f"{step} {seconds:.1f} s" for step, seconds in steps.items()) + ")")
    excluding = len(units) / importing
    including = len(units) / (parsing + importing)
    # For information: the import itself, without the waits for counties' tables (the
    # onboarding threads still run beside it, so this is a floor, not a separate run).
    importing_alone = len(units) / steps["import_county"]
    return [
        Row("import", "units/s excl. CSV parsing", excluding, "/s", "raw executemany rows/s",
            raw, f">= {TARGET:.0%}", excluding / raw >= TARGET),
        Row("import", "units/s incl. CSV parsing", including, "/s", "raw executemany rows/s",
            raw),
        Row("import", "units/s of import_county alone", importing_alone, "/s",
            "raw executemany rows/s", raw),
    ]


def _import(storage: Storage, releases: list[CountyRelease]) -> dict[str, float]:
    """Seconds spent in each step of the CLI's import loop (interfaces.cli.import_divisions):
    waiting for a county to be onboarded (its next counties are onboarded meanwhile, on
    threads of their own), and importing it."""
    spent = {"waiting for onboarding": 0.0, "import_county": 0.0}
    began = time.perf_counter()
    with closing(divisions.onboarded(storage, releases)) as counties:
        for county_release, county, _secret in counties:
            spent["waiting for onboarding"] += time.perf_counter() - began
            began = time.perf_counter()
            divisions.import_county(county, county_release, EFFECTIVE, "bench")
            spent["import_county"] += time.perf_counter() - began
            began = time.perf_counter()
    return spent


def raw_insert(database_url: str, units: list[tuple[str, str]]) -> float:
    """Rows per second of a raw batched INSERT of one JSON row per unit (code, name),
    into a fresh table shaped like an events table."""
    with psycopg.connect(database_url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw_events")
        conn.execute("CREATE TABLE bench_raw_events (originator_id uuid NOT NULL, "
                     "originator_version integer NOT NULL, topic text NOT NULL, "
                     "state bytea NOT NULL, PRIMARY KEY (originator_id, originator_version))")
        conn.commit()
        began = time.perf_counter()
        with conn.cursor() as curs:
            for start in range(0, len(units), ROWS_PER_COMMIT):
                curs.executemany(
                    "INSERT INTO bench_raw_events VALUES (%s, %s, %s, %s)",
                    [(uuid.uuid4(), 1, TOPIC, json.dumps(
                        {"kind": "village", "name": name, "code": code,
                         "parent_id": str(uuid.uuid4()), "effective_date": EFFECTIVE.isoformat()},
                        ensure_ascii=False).encode())
                     for code, name in units[start:start + ROWS_PER_COMMIT]])
                conn.commit()
        elapsed = time.perf_counter() - began
        conn.execute("DROP TABLE bench_raw_events")
    return len(units) / elapsed


def _codes_held(views: ViewTables) -> set[str]:
    """The codes of the units a county's views believe now (the import's check)."""
    rows = views.query("SELECT DISTINCT code FROM {units} WHERE code IS NOT NULL "
                       "AND recorded_to = %s", (STILL_BELIEVED,))
    return {r["code"] for r in rows}
