"""feed: reading a county's events through REST, verifying its chain, replaying it.

Setup: county 659903 is onboarded through the API and given a history of
200,000 events (``--quick``: 20,000): baselines of towns and villages imported
with ``ledger.import_baseline`` (two events per village: its establishment and
the change's record of it, in batches).
Figures, each in events/s:
- the feed through REST (``GET …/events?after=&limit=1000``, one client, paging
  to the end) against the library's own notification select of the same pages
  (``recorder.select_notifications`` + the mapper's decoding, in this process)
  — target ≥ 40 %;
- verification of the hash chain (``County.verify_chain``) and a replay audit
  (``County.audit_replay``: every event folded into aggregates, every unit's
  facts compared with the views), with the baseline the same library select —
  the audit's target ≥ 50 %.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timezone
from uuid import uuid4

from application.ledger import BaselineUnit
from bench.common import Client, Context, Row, note
from domain.kinds import UnitKind
from infra.views.schema import Moment

COUNTY = "659903"
PAGE = 1000
TARGET = 0.40
REPLAY_TARGET = 0.50
VILLAGES_PER_TOWN = 500


def run(ctx: Context) -> list[Row]:
    events = 20_000 if ctx.quick else 200_000
    key = ctx.onboard(COUNTY, "审计县", "9999")
    county = ctx.storage().county(COUNTY)
    began = time.perf_counter()
    while (county.ledger.recorder.max_notification_id() or 0) < events:
        town = BaselineUnit(uuid4(), UnitKind.TOWN, "镇", None)
        villages = [BaselineUnit(uuid4(), UnitKind.VILLAGE, f"村{i}", None, town.id)
                    for i in range(VILLAGES_PER_TOWN)]
        county.ledger.import_baseline([town, *villages], date(2020, 1, 1), "bench")
    stored = county.ledger.recorder.max_notification_id() or 0
    note("feed", f"{stored:,} events stored in {time.perf_counter() - began:.0f} s")

    library = _library_select(county)
    rest = _rest_feed(Client(ctx.base_url(), key), stored)
    began = time.perf_counter()
    verification = county.verify_chain()
    verify_rate = verification.events_checked / (time.perf_counter() - began)
    assert verification.ok, verification
    began = time.perf_counter()
    report = county.audit_replay(Moment(date(2021, 1, 1), datetime.now(timezone.utc)))
    replay_rate = report.events_replayed / (time.perf_counter() - began)
    assert report.matches, report.differences[:3]
    return [
        Row("feed", "REST feed events/s", rest, "/s", "library select+decode events/s", library,
            f">= {TARGET:.0%}", rest / library >= TARGET),
        Row("feed", "chain verification events/s", verify_rate, "/s",
            "library select+decode events/s", library),
        Row("feed", "replay audit events/s", replay_rate, "/s",
            "library select+decode events/s", library, f">= {REPLAY_TARGET:.0%}",
            replay_rate / library >= REPLAY_TARGET),
    ]


def _library_select(county: object) -> float:
    ledger = county.ledger  # type: ignore[attr-defined]
    began, after, count = time.perf_counter(), 0, 0
    while True:
        page = ledger.recorder.select_notifications(start=after, limit=PAGE, inclusive_of_start=False)
        if not page:
            return count / (time.perf_counter() - began)
        for notification in page:
            ledger.mapper.to_domain_event(notification)
        count += len(page)
        after = page[-1].id


def _rest_feed(client: Client, stored: int) -> float:
    began, after, count = time.perf_counter(), 0, 0
    while True:
        page = client.get(f"/v1/tenants/{COUNTY}/events", after=str(after), limit=str(PAGE))
        if not page["items"]:
            client.close()
            assert count == stored, f"the feed gave {count} events, {stored} are stored"
            return count / (time.perf_counter() - began)
        count += len(page["items"])
        after = page["next_after"]
