"""china: reads over a ledger that holds China's history, built beforehand with
``grassroots history build --all`` (hours of work, so not part of ``make bench``).

``.venv/bin/python -m bench.china --database postgresql://…/grassroots_china``
starts gunicorn (2 workers) on that database and measures, at 2 clients:

- the ``as_of`` tree of 600 counties drawn at random, each on a random date
  between the first release's cut-off and the last built one's (server time,
  from the Server-Timing header), beside ``/healthz``;
- a city's change report over 2016–2023 (every city with built counties, in turn);

and prints the database's size and relation count. Targets (issue 10): tree
p50 ≤ 5 ms and p99 ≤ 12 ms, a city's change report ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import random
from datetime import date, timedelta

import psycopg

from bench.common import (
    OPERATOR_KEY,
    Client,
    Row,
    gunicorn,
    in_threads,
    note,
    percentile,
    print_table,
    server_ms,
)

CLIENTS = 2
COUNTIES = 600
FIRST = date(2016, 7, 31)
TARGETS = {50: 5.0, 99: 12.0}
CITY_TARGET = 200.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.china", description=__doc__)
    parser.add_argument("--database", required=True, help="the built database's URL")
    parser.add_argument("--until", type=date.fromisoformat, default=date(2023, 6, 30),
                        help="the last built release's cut-off date (default: %(default)s)")
    args = parser.parse_args(argv)
    counties, cities = _counties(args.database)
    rng = random.Random(2016)
    drawn = [(rng.choice(counties), FIRST + timedelta(days=rng.randrange(
        (args.until - FIRST).days + 1))) for _ in range(COUNTIES)]
    with gunicorn(args.database) as base:
        clients = [Client(base, OPERATOR_KEY) for _ in range(CLIENTS)]
        per_client = COUNTIES // CLIENTS

        def trees(i: int) -> list[float]:
            return [server_ms(clients[i].call("GET", f"/v1/tenants/{code}/tree",
                                              params={"as_of": day.isoformat()}))
                    for code, day in drawn[i * per_client:(i + 1) * per_client]]

        def health(i: int) -> list[float]:
            return [server_ms(clients[i].call("GET", "/healthz")) for _ in range(per_client)]

        in_threads(CLIENTS, trees)  # every worker builds its counties once, then measure
        tree = [t for times in in_threads(CLIENTS, trees)[0] for t in times]
        floor = [t for times in in_threads(CLIENTS, health)[0] for t in times]
        city = [server_ms(clients[0].call("GET", f"/v1/cities/{code}/reports/changes",
                                          params={"from": "2016-07-30", "to": "2023-06-30"}))
                for code in cities]
        for client in clients:
            client.close()
    size, relations = _size(args.database)
    note("china", f"{len(counties)} counties, {len(cities)} cities; database {size / 2**30:.1f} GiB, "
                  f"{relations:,} relations")
    rows = [Row("china", f"tree of a random county, p{p}", percentile(tree, p), "ms",
                f"/healthz p{p}", percentile(floor, p), f"<= {limit:g} ms",
                percentile(tree, p) <= limit) for p, limit in TARGETS.items()]
    rows.append(Row("china", "a city's change report 2016-2023, p99", percentile(city, 99), "ms",
                    "tree p99", percentile(tree, 99), f"<= {CITY_TARGET:g} ms",
                    percentile(city, 99) <= CITY_TARGET))
    print()
    print_table(rows)
    return 0 if all(r.met is not False for r in rows) else 1


def _counties(database: str) -> tuple[list[str], list[str]]:
    with psycopg.connect(database) as conn:
        counties = [r[0] for r in conn.execute("SELECT code FROM platform_tenants ORDER BY code")]
        cities = [r[0] for r in conn.execute(
            "SELECT DISTINCT city_code FROM platform_county_codes ORDER BY 1")]
    return counties, cities


def _size(database: str) -> tuple[int, int]:
    with psycopg.connect(database) as conn:
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        relations = conn.execute("SELECT COUNT(*) FROM pg_class").fetchone()
    assert size is not None and relations is not None
    return int(size[0]), int(relations[0])


if __name__ == "__main__":
    raise SystemExit(main())
