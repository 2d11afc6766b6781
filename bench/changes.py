"""changes: structural changes per second through REST, against the library's save() loop.

One cycle, per client, under the client's own town: establish four villages,
rename one, merge two into a rural community, federate the other two — seven
writes, each followed by a GET of what it wrote (read-your-writes, checked).
The baseline builds the same aggregates in this process and times only
``ledger.save(change, *aggregates)`` of each of the seven writes. Beside it, for
information, the same seven commands through ``CountyLedger`` in this process, one
thread (loading, deciding, projecting the views' rows and saving: what a request
does but HTTP, authentication and the read).
"""

from __future__ import annotations

import time
from datetime import date, datetime, timezone
from typing import Any
from uuid import UUID, uuid4

from application.ledger import CommunitySpec, CountyLedger
from bench.common import Client, Context, Row, in_threads, median, note
from domain import restructuring
from domain.changes import Change, ChangeType
from domain.kinds import UnitKind
from domain.units import Stamp, Unit

CLIENTS = 4
WRITES_PER_CYCLE = 7
TARGET = 0.60
ESTABLISHED, RENAMED, RESTRUCTURED = "2020-01-01", "2021-01-01", "2022-01-01"


def run(ctx: Context) -> list[Row]:
    rounds, cycles = (1, 4) if ctx.quick else (3, 15)
    key = ctx.onboard("659901", "基准县", "9999")
    api = Client(ctx.base_url(), key)
    api.call("PATCH", "/v1/tenants/659901/policy",
             {"plans_required": False, "effective_date": "2000-01-01"})
    towns = [api.post("/v1/tenants/659901/units", {
        "kind": "town", "name": f"客户{i}镇", "effective_date": ESTABLISHED})["id"]
        for i in range(CLIENTS)]
    ledger = ctx.storage().onboard("659902").ledger
    baseline_town = Unit.establish(kind=UnitKind.TOWN, name="基准镇", code=None, parent=None,
                                   stamp=_stamp(ESTABLISHED))
    ledger.save(baseline_town)
    commanded = ctx.storage().onboard("659904").ledger
    commanded.amend_policy({"plans_required": False}, date(2000, 1, 1), "bench")
    commands_town = commanded.establish_unit(
        kind=UnitKind.TOWN, name="命令镇", code=None, parent_id=None,
        effective_date=date.fromisoformat(ESTABLISHED), actor="bench").id

    rest_rates, save_rates, command_rates, failures = [], [], [], []
    for r in range(rounds):  # alternate, so drift on a noisy machine hits both alike
        save_rates.append(_save_loop(ledger, baseline_town, CLIENTS * cycles, r))
        command_rates.append(_command_loop(commanded, commands_town, CLIENTS * cycles, r))
        clients = [Client(api.base, key) for _ in range(CLIENTS)]
        # the round and its clients are bound now: the threads run before the loop moves on anyway
        results, elapsed = in_threads(CLIENTS, lambda i, clients=clients, r=r: _rest_client(
            clients[i], towns[i], f"{r}-{i}", cycles))
        rest_rates.append(sum(c.writes for c in clients) / elapsed)
        failures += [failure for result in results for failure in result]
        for client in clients:
            client.close()
    api.close()
    rest, saves, commands = median(rest_rates), median(save_rates), median(command_rates)
    failed = f"{len(failures)}/{rounds * CLIENTS * cycles} cycles failed" if failures else ""
    if failures:
        note("changes", f"{failed}; first: {failures[0]}")
    return [Row("changes", f"REST writes/s ({CLIENTS} clients, read-your-writes)", rest, "/s",
                "save() loop", saves, f">= {TARGET:.0%}",
                rest / saves >= TARGET and not failures, failed),
            Row("changes", f"REST writes/s ({CLIENTS} clients, read-your-writes)", rest, "/s",
                "ledger commands loop", commands)]


# -- Through the API ---------------------------------------------------------


def _rest_client(api: Client, town: str, tag: str, cycles: int) -> list[str]:
    """Run the cycles; what went wrong in those that failed (a failure ends its cycle)."""
    failures = []
    for c in range(cycles):
        try:
            _rest_cycle(api, town, f"{tag}-{c}")
        except AssertionError as error:
            failures.append(str(error))
    return failures


def _rest_cycle(api: Client, town: str, tag: str) -> None:
    units = "/v1/tenants/659901/units"
    villages = []
    for n in range(4):
        name = f"村{tag}-{n}"
        made = api.post(units, {"kind": "village", "name": name, "parent_id": town,
                                "effective_date": ESTABLISHED})
        _check(api.get(f"{units}/{made['id']}"), name=name, status="active")
        villages.append(made["id"])
    renamed = f"新村{tag}"
    api.post(f"{units}/{villages[0]}/renames", {"name": renamed, "effective_date": RENAMED})
    _check(api.get(f"{units}/{villages[0]}"), name=renamed)
    merged = api.post("/v1/tenants/659901/changes", {
        "type": "merger", "effective_date": RESTRUCTURED, "village_ids": villages[:2],
        "community": {"name": f"社区{tag}"}})
    _check(api.get(f"{units}/{merged['created_unit_ids'][0]}"),
           kind="rural_community", status="active", parent_id=town)
    federated = api.post("/v1/tenants/659901/changes", {
        "type": "federation", "effective_date": RESTRUCTURED, "village_ids": villages[2:],
        "federation": {"name": f"联居{tag}"}})
    unit = api.get(f"{units}/{federated['created_unit_ids'][0]}")
    _check(unit, kind="federation", status="active")
    assert sorted(unit["member_ids"]) == sorted(villages[2:]), unit


def _check(unit: dict[str, Any], **expected: Any) -> None:
    wrong = {k: unit.get(k) for k, v in expected.items() if unit.get(k) != v}
    assert not wrong, f"read-your-writes failed for {unit.get('id')}: {wrong} != {expected}"


# -- The library's save() loop ---------------------------------------------


def _stamp(day: str) -> Stamp:
    return Stamp(date.fromisoformat(day), uuid4(), "bench", datetime.now(timezone.utc))


def _save_loop(ledger: CountyLedger, town: Unit, cycles: int, round_no: int) -> float:
    """Saves per second of the same seven writes per cycle, timing only ``save()``."""
    spent = 0.0

    def save(stamp: Stamp, change_type: str, aggregates: list[Any], created: list[UUID]) -> None:
        nonlocal spent
        change = Change.record(
            change_id=stamp.change_id, type=change_type, effective_date=stamp.effective_date,
            recorded_at=stamp.recorded_at, actor=stamp.actor, authority=None,
            created_unit_ids=created,
            affected_unit_ids=[a.id for a in aggregates if a.id not in created], body_ids=[])
        began = time.perf_counter()
        ledger.save(change, *aggregates)
        spent += time.perf_counter() - began

    for c in range(cycles):
        villages = []
        for n in range(4):
            stamp = _stamp(ESTABLISHED)
            village = Unit.establish(kind=UnitKind.VILLAGE, name=f"村{round_no}-{c}-{n}",
                                     code=None, parent=town, stamp=stamp)
            save(stamp, ChangeType.ESTABLISHMENT, [village], [village.id])
            villages.append(village)
        stamp = _stamp(RENAMED)
        villages[0].rename(f"新村{round_no}-{c}", stamp)
        save(stamp, ChangeType.RENAME, [villages[0]], [])
        stamp = _stamp(RESTRUCTURED)
        community = restructuring.merge(villages[:2], name=f"社区{c}", code=None, parent=town,
                                        stamp=stamp, plans_required=False)
        save(stamp, ChangeType.MERGER, [*villages[:2], community], [community.id])
        stamp = _stamp(RESTRUCTURED)
        federation = restructuring.federate(villages[2:], name=f"联居{c}", code=None,
                                            parent=town, stamp=stamp, plans_required=False)
        save(stamp, ChangeType.FEDERATION, [federation, *villages[2:]], [federation.id])
    return cycles * WRITES_PER_CYCLE / spent


# -- The same commands through the ledger ------------------------------------------


def _command_loop(ledger: CountyLedger, town: UUID, cycles: int, round_no: int) -> float:
    """Commands per second of the same seven commands per cycle through the ledger
    (each loads what it decides on, projects the views' rows and saves), one thread."""
    began = time.perf_counter()
    for c in range(cycles):
        tag = f"{round_no}-{c}"
        villages = [ledger.establish_unit(
            kind=UnitKind.VILLAGE, name=f"令村{tag}-{n}", code=None, parent_id=town,
            effective_date=date.fromisoformat(ESTABLISHED), actor="bench").id for n in range(4)]
        ledger.rename(villages[0], f"新令村{tag}", date.fromisoformat(RENAMED), "bench")
        ledger.merge(village_ids=villages[:2], community=CommunitySpec(f"令社区{tag}"),
                     effective_date=date.fromisoformat(RESTRUCTURED), actor="bench")
        ledger.federate(village_ids=villages[2:], federation=CommunitySpec(f"令联居{tag}"),
                        effective_date=date.fromisoformat(RESTRUCTURED), actor="bench")
    return cycles * WRITES_PER_CYCLE / (time.perf_counter() - began)
