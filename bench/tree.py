"""tree: server time of the ``as_of`` tree of Pudong (310115, ~1,570 units).

The county is onboarded through the API, imported with ``grassroots
import-divisions``, then some of its villages are renamed (so that what the
ledger knows now differs from what it knew right after the import), then two
clients at once ask for its tree. Baselines: the same two clients asking for
``/healthz`` (the framework's floor) and the tree's SQL alone
(``structure.tree_rows``, in this process, one caller). The tree as known at a
past time (``known_at`` = right after the import) is measured against the
tree as known now, in the same run: the bitemporal read must cost about the same.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timezone
from typing import Any

from bench.common import (
    Client,
    Context,
    Row,
    import_county,
    note,
    percentile,
    server_times,
)
from infra.views.schema import Moment

COUNTY = "310115"
AS_OF = "2024-01-01"
CLIENTS = 2
# Issue 11: p99 at most 12 ms at 2 clients (a p50 target would be met whenever it is).
TARGETS: dict[int, float | None] = {50: None, 99: 12.0}
RENAMES = 150
KNOWN_AT_TARGET = 1.5  # p50 as known at a past time, at most this times p50 as known now


def run(ctx: Context) -> list[Row]:
    per_client = 40 if ctx.quick else 150
    key = ctx.onboard(COUNTY, "浦东新区", "3101")
    units = import_county(ctx.database_url, COUNTY)
    path = f"/v1/tenants/{COUNTY}/tree"
    for _ in range(10):  # fresh connections, so every worker builds the county first
        warm = Client(ctx.base_url(), key)
        nodes = _count(warm.get(path, as_of=AS_OF)["units"])
        assert nodes == units, f"the tree has {nodes} units, the import made {units}"
        warm.close()
    imported = datetime.now(timezone.utc).isoformat()
    _rename_villages(Client(ctx.base_url(), key), warm.get(path, as_of=AS_OF)["units"])
    clients = [Client(ctx.base_url(), key) for _ in range(CLIENTS)]
    [health], _ = server_times(clients, [("/healthz", {})], per_client)
    [tree], failures = server_times(clients, [(path, {"as_of": AS_OF})], per_client)
    [past], past_failures = server_times(clients, [(path, {"as_of": AS_OF, "known_at": imported})],
                                        per_client)
    for client in clients:
        client.close()
    sql = _sql_times(ctx, CLIENTS * per_client)
    failed = f"{len(failures)}/{CLIENTS * per_client} requests failed" if failures else ""
    if failures:
        note("tree", f"{failed}; first: {failures[0]}")
    rows = [Row("tree", f"p{p} server time", percentile(tree, p), "ms", f"/healthz p{p}",
                percentile(health, p), f"<= {limit:g} ms",
                percentile(tree, p) <= limit and not failures, failed)
            if limit is not None else
            Row("tree", f"p{p} server time", percentile(tree, p), "ms", f"/healthz p{p}",
                percentile(health, p))
            for p, limit in TARGETS.items()]
    rows.append(Row("tree", "p50 server time", percentile(tree, 50), "ms",
                    "tree_rows() SQL p50", percentile(sql, 50)))
    rows.append(Row("tree", "p50 known_at in the past", percentile(past, 50), "ms",
                    "p50 known now", percentile(tree, 50), f"<= {KNOWN_AT_TARGET:g}x",
                    percentile(past, 50) <= KNOWN_AT_TARGET * percentile(tree, 50)
                    and not past_failures))
    return rows


def _rename_villages(client: Client, towns: list[dict[str, Any]]) -> None:
    """Rename some villages after the import, so that the past and the present differ."""
    villages = [child for town in towns for child in town["children"]][:RENAMES]
    for village in villages:
        client.post(f"/v1/tenants/{COUNTY}/units/{village['id']}/renames",
                    {"name": village["name"] + "（新）", "effective_date": "2023-06-01"})
    client.close()


def _count(nodes: list[dict[str, Any]]) -> int:
    return sum(1 + _count(n["children"]) for n in nodes)


def _sql_times(ctx: Context, count: int) -> list[float]:
    structure = ctx.storage().county(COUNTY).structure
    moment = Moment(as_of=date.fromisoformat(AS_OF), known_at=datetime.now(timezone.utc))
    structure.tree_rows(moment)
    times = []
    for _ in range(count):
        began = time.perf_counter()
        structure.tree_rows(moment)
        times.append((time.perf_counter() - began) * 1000)
    return times
