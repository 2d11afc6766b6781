"""compliance: server time of the compliance report of Rui'an (330381).

The county is onboarded through the API and imported with ``grassroots
import-divisions`` (towns, villages and communities of the 2023 codes); then,
in this process through its ledger, plans are switched off and villages of
each town are federated in pairs (60 federations; ``--quick``: 15), their
population recorded, and each federation staffed: a party organisation and a
management committee of five posts each, full-time staff among them, by
people of different sources and ranks — so the report has findings of N1–N4
and N6 to compute. Two clients at once then ask for the compliance report
``as_of`` a date after all that; the baseline is the same clients asking for
the county's ``as_of`` tree on the same date, in the same rounds.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timezone
from uuid import UUID

from application.ledger import CommunitySpec
from bench.common import (
    Client,
    Context,
    Row,
    import_county,
    note,
    percentile,
    server_times,
)
from domain.bodies import Appointment, Role
from domain.people import Rank, Source
from domain.units import Population
from infra.storage import County
from infra.views.schema import Moment

COUNTY = "330381"
FEDERATED = date(2024, 3, 1)
AS_OF = "2024-06-01"
CLIENTS = 2
TARGET_MS = 100.0
ACTOR = "bench"
ROLES = (Role.SECRETARY, Role.DEPUTY_SECRETARY, Role.MEMBER, Role.FULL_TIME_STAFF,
         Role.FULL_TIME_STAFF)
SOURCES = list(Source)
RANKS = list(Rank)


def run(ctx: Context) -> list[Row]:
    federations = 15 if ctx.quick else 60
    per_client = 30 if ctx.quick else 100
    key = ctx.admin_key(COUNTY, "瑞安市", "3303")
    units = import_county(ctx.database_url, COUNTY)  # adds nothing if already imported
    place = ctx.storage().county(COUNTY)
    began = time.perf_counter()
    made = _federate_and_staff(place, federations)
    note("compliance", f"imported {units} units; federated and staffed {made} federations "
                       f"in {time.perf_counter() - began:.0f} s")

    report, tree = f"/v1/tenants/{COUNTY}/reports/compliance", f"/v1/tenants/{COUNTY}/tree"
    params = {"as_of": AS_OF}
    for _ in range(10):  # fresh connections, so every worker builds the county first
        warm = Client(ctx.base_url(), key)
        findings = warm.get(report, **params)["findings"]
        rules = {f["rule"] for f in findings}
        assert {"N3", "N6"} <= rules, f"the report lacks N3 or N6 findings: {sorted(rules)}"
        warm.get(tree, **params)
        warm.close()
    note("compliance", f"{len(findings)} findings on {AS_OF}: "
                       + ", ".join(f"{r} {sum(1 for f in findings if f['rule'] == r)}"
                                   for r in sorted(rules)))
    clients = [Client(ctx.base_url(), key) for _ in range(CLIENTS)]

    (times, baseline), failures = server_times(clients, [(report, params), (tree, params)],
                                               per_client)
    for client in clients:
        client.close()
    failed = f"{len(failures)}/{2 * CLIENTS * per_client} requests failed" if failures else ""
    if failures:
        note("compliance", f"{failed}; first: {failures[0]}")
    p50 = percentile(times, 50)
    return [
        Row("compliance", "p50 server time", p50, "ms", "as_of tree p50",
            percentile(baseline, 50), f"<= {TARGET_MS:g} ms", p50 <= TARGET_MS and not failures,
            failed),
        Row("compliance", "p99 server time", percentile(times, 99), "ms", "as_of tree p99",
            percentile(baseline, 99)),
    ]


def _federate_and_staff(place: County, count: int) -> int:
    """Federate pairs of villages of each town, record their population and staff the
    federations' two bodies; how many federations it made."""
    ledger = place.ledger
    ledger.amend_policy({"plans_required": False}, date(2000, 1, 1), ACTOR)
    moment = Moment(FEDERATED, datetime.now(timezone.utc))
    villages_by_town: dict[UUID, list[UUID]] = {}
    for row in place.structure.units_on(moment, kind="village"):
        villages_by_town.setdefault(row.parent_id, []).append(row.unit_id)
    pairs = [(town, villages[i:i + 2]) for town, villages in sorted(villages_by_town.items())
             for i in range(0, len(villages) - 1, 2)]
    made = 0
    for n, (_town, pair) in enumerate(pairs[:count]):
        for i, village in enumerate(pair):
            ledger.record_population(village, Population(300 + 97 * n + 50 * i, None,
                                                         800 * (n % 5)), date(2023, 1, 1), ACTOR)
        federation = ledger.federate(village_ids=pair, federation=CommunitySpec(f"联居{n}"),
                                     effective_date=FEDERATED, actor=ACTOR).created_unit_ids[0]
        bodies = place.staffing.bodies_on(
            [federation], Moment(FEDERATED, datetime.now(timezone.utc)))[federation]
        for body in bodies:
            for k, role in enumerate(ROLES[: 4 + (n % 3)]):
                person = ledger.register_person(name=f"工作人员{n}-{k}", rank=RANKS[(n + k) % 4],
                                                source=SOURCES[(n + k) % len(SOURCES)])
                ledger.appoint(body_id=body.id, appointment=Appointment(
                    person.id, role, full_time=role is Role.FULL_TIME_STAFF or k % 2 == 0),
                    effective_date=FEDERATED, actor=ACTOR)
        made += 1
    return made


