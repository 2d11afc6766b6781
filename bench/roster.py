"""roster: server time of a town's roster ``as_of`` a past date (2,000 posts).

County 999911 is onboarded through the API; then, in this process through its
ledger, a central town with 60 villages (each with its party organisation and
village committee) and 20 bodies of the town's own, whose posts have a history:
2,000 held on ``AS_OF`` by as many people, some of them begun on that very day
or ended after it, others ended before it (or on it, the first day they are no
longer held) or begun after it, and reassignments between the town's bodies
before and after it. Two clients at once then ask for the town's roster on
``AS_OF``; the baseline is the same two clients listing the town's units on the
same date, in the same rounds (one request of each, alternately).

Appointing replays the body's events (no snapshots), so a body's appointments
grow slower with its posts: a probe body in another town, measured as it grows,
says how much, in a note above the table (the full run only).
"""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from application.ledger import CountyLedger
from bench.common import Client, Context, Row, in_threads, note, percentile, server_ms
from domain.bodies import DESIGN_UNIFICATIONS, VERTICAL_PRIMARY, Appointment, BodyType, Role
from domain.kinds import UnitKind
from domain.people import Person, Rank, Source

COUNTY = "999911"
AS_OF = date(2015, 6, 1)
FOUNDED = date(2010, 1, 1)
CLIENTS = 2
ACTOR = "bench"
POSTS = 2000  # held on AS_OF, by as many people
ENDED = 300  # posts over before AS_OF (some exactly on it: no longer held that day)
LATER = 300  # posts begun after AS_OF
LEAVING = 200  # of the POSTS, those that end after AS_OF
REASSIGNED = 40  # of the POSTS, moved to another of the town's bodies (half before AS_OF)
VILLAGES = 60
VILLAGE_BODIES = (BodyType.PARTY_ORGANISATION, BodyType.VILLAGE_COMMITTEE)
# The county departments that keep an agency in the town, and what it is called.
AGENCIES = {
    "县公安局": "派出所", "县司法局": "司法所", "县财政局": "财政所",
    "县市场监督管理局": "市场监管所", "县自然资源局": "自然资源所", "县税务局": "税务分局",
    "县农业农村局": "农业技术推广站", "县水利局": "水利站", "县林业局": "林业站",
    "县人力资源和社会保障局": "劳动保障所", "县卫生健康局": "卫生院",
    "县交通运输局": "交通管理站", "县生态环境局": "生态环境所", "县住房和城乡建设局": "规划建设所",
}
TOWN_BODIES: list[tuple[BodyType, str | None, dict[str, Any]]] = [
    (BodyType.PARTY_COMMITTEE, None, {}),
    (BodyType.GOVERNMENT, None, {}),
    (BodyType.SOCIAL_WORK_COMMITTEE, None, {}),
    (BodyType.SOCIAL_AFFAIRS_OFFICE, None, {}),
    (BodyType.SERVICE_CENTRE, None, {"hall_area": 800, "windows": ["综合受理", "社保", "民政"],
                                     "unifications": list(DESIGN_UNIFICATIONS)}),
    (BodyType.GOVERNANCE_CENTRE, None, {}),
    *((BodyType.DISPATCHED_AGENCY, f"城关{name}",
       {"department": department, "assessment_mode": VERTICAL_PRIMARY})
      for department, name in AGENCIES.items()),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志"
PROBE_AT = (100, 1000)  # posts in one body at which an appointment is timed
PROBE_SPAN = 10  # appointments timed around each size


def run(ctx: Context) -> list[Row]:
    per_client = 40 if ctx.quick else 150
    key = ctx.onboard(COUNTY, "名册县", "9999")
    ledger = ctx.storage().county(COUNTY).ledger
    began = time.perf_counter()
    town, timings = _build_town(ledger)
    note("roster", f"setup: {VILLAGES} villages, {len(TOWN_BODIES)} town bodies, "
                   f"{POSTS + ENDED + LATER:,} people and posts, {LEAVING} ends after "
                   f"{AS_OF}, {REASSIGNED} reassignments in {time.perf_counter() - began:.0f} s "
                   f"({_mean_ms(timings['register'])} per registration, "
                   f"{_mean_ms(timings['appoint'])} per appointment, "
                   f"{_mean_ms(timings['end'])} per post ended, "
                   f"{_mean_ms(timings['reassign'])} per reassignment)")
    if not ctx.quick:
        _probe(ledger)

    roster = f"/v1/tenants/{COUNTY}/units/{town}/roster"
    listing = f"/v1/tenants/{COUNTY}/units"
    roster_params = {"as_of": AS_OF.isoformat()}
    listing_params = {"parent_id": str(town), "as_of": AS_OF.isoformat(), "limit": "1000"}
    for _ in range(10):  # fresh connections, so every worker builds the county first
        warm = Client(ctx.base_url(), key)
        posts = sum(len(b["posts"]) for b in warm.get(roster, **roster_params)["bodies"])
        assert posts == POSTS, f"the roster holds {posts} posts on {AS_OF}, not {POSTS}"
        units = len(warm.get(listing, **listing_params)["items"])
        assert units == VILLAGES, f"the town has {units} units on {AS_OF}, not {VILLAGES}"
        warm.close()
    clients = [Client(ctx.base_url(), key) for _ in range(CLIENTS)]
    times, failures = _server_times(clients, [(roster, roster_params),
                                              (listing, listing_params)], per_client)
    for client in clients:
        client.close()
    failed = f"{len(failures)}/{2 * CLIENTS * per_client} requests failed" if failures else ""
    if failures:
        note("roster", f"{failed}; first: {failures[0]}")
    return [Row("roster", f"p{p} server time", percentile(times[0], p), "ms",
                f"units of the town p{p}", percentile(times[1], p), "—", None, failed)
            for p in (50, 99)]


def _build_town(ledger: CountyLedger) -> tuple[UUID, dict[str, list[float]]]:
    """The town, its villages and bodies, and its posts' history; the town's id and
    the time each kind of command took (seconds)."""
    timings: dict[str, list[float]] = {"register": [], "appoint": [], "end": [], "reassign": []}

    def timed(kind: str, command: Any, **arguments: Any) -> Any:
        began = time.perf_counter()
        result = command(**arguments)
        timings[kind].append(time.perf_counter() - began)
        return result

    town = ledger.establish_unit(kind=UnitKind.CENTRAL_TOWN, name="城关镇", code=None,
                                 parent_id=None, effective_date=FOUNDED, actor=ACTOR).id
    for i in range(VILLAGES):
        village = ledger.establish_unit(kind=UnitKind.VILLAGE, name=_village_name(i),
                                        code=None, parent_id=town, effective_date=FOUNDED,
                                        actor=ACTOR).id
        for body_type in VILLAGE_BODIES:
            ledger.establish_body(unit_id=village, body_type=body_type, name=None,
                                  attributes={}, effective_date=FOUNDED, actor=ACTOR)
    bodies = [ledger.establish_body(unit_id=town, body_type=body_type, name=name,
                                    attributes=attributes, effective_date=FOUNDED,
                                    actor=ACTOR).id
              for body_type, name, attributes in TOWN_BODIES]

    def appoint(i: int, since: date) -> UUID:
        person = timed("register", ledger.register_person, name=_name(i), rank=Rank.NONE,
                       source=Source.TOWNSHIP_CADRE)
        return timed("appoint", ledger.appoint, body_id=bodies[i % len(bodies)],
                     appointment=Appointment(person.id, Role.MEMBER, full_time=False),
                     effective_date=since, actor=ACTOR).id

    def end(post: UUID, on: date) -> None:
        timed("end", ledger.end_post, post_id=post, effective_date=on, reason="任期届满",
              consent=None, actor=ACTOR)

    spread = (AS_OF - FOUNDED).days
    # Held on AS_OF: begun on a day up to AS_OF itself (every 100th on it).
    held = [appoint(i, AS_OF if i % 100 == 0 else FOUNDED + timedelta(days=i % spread))
            for i in range(POSTS)]
    for n in range(ENDED):  # over by AS_OF; every 10th ends on it, its first day not held
        since = FOUNDED + timedelta(days=n % 600)
        end(appoint(POSTS + n, since),
            AS_OF if n % 10 == 0 else since + timedelta(days=365 + n % 600))
    for n in range(LATER):  # begun after AS_OF, the first of them the day after
        appoint(POSTS + ENDED + n, AS_OF + timedelta(days=1 + 3 * n))
    for n, post in enumerate(held[1:1 + LEAVING]):  # held on AS_OF, over after it
        end(post, AS_OF + timedelta(days=1 + 5 * n))
    moved = range(1 + LEAVING, 1 + LEAVING + REASSIGNED)  # begun in 2010
    for n, i in enumerate(moved):  # to the next body, on a date before or after AS_OF
        on = AS_OF + timedelta(days=30 + n) if n % 2 else AS_OF - timedelta(days=30 + n)
        timed("reassign", ledger.reassign, post_id=held[i],
              to_body_id=bodies[(i + 1) % len(bodies)],
              role=Role.DEPUTY_DIRECTOR, effective_date=on, actor=ACTOR)
    return town, timings


def _probe(ledger: CountyLedger) -> None:
    """Time appointments to one body as its posts grow, and loading it alone."""
    town = ledger.establish_unit(kind=UnitKind.TOWN, name="试点镇", code=None, parent_id=None,
                                 effective_date=FOUNDED, actor=ACTOR).id
    body = ledger.establish_body(unit_id=town, body_type=BodyType.GOVERNMENT, name=None,
                                 attributes={}, effective_date=FOUNDED, actor=ACTOR).id
    people = [ledger.register_person(name=_name(i), rank=Rank.NONE, source=Source.OTHER).id
              for i in range(max(PROBE_AT) + PROBE_SPAN)]
    appointments: list[float] = []
    loads: dict[int, list[float]] = {}
    for n, person in enumerate(people):
        if n in PROBE_AT:
            loads[n] = _seconds(lambda: ledger.body(body), 5)
        began = time.perf_counter()
        ledger.appoint(body_id=body, appointment=Appointment(person, Role.MEMBER),
                       effective_date=FOUNDED + timedelta(days=n), actor=ACTOR)
        appointments.append(time.perf_counter() - began)
    for n in PROBE_AT:
        note("roster", f"one body with {n:,} posts: appointing takes "
                       f"{_mean_ms(appointments[n - PROBE_SPAN:n + PROBE_SPAN])} "
                       f"(mean of {2 * PROBE_SPAN}), loading it alone "
                       f"{_mean_ms(loads[n])} (mean of {len(loads[n])})")


def _seconds(work: Any, times: int) -> list[float]:
    results = []
    for _ in range(times):
        began = time.perf_counter()
        work()
        results.append(time.perf_counter() - began)
    return results


def _mean_ms(seconds: list[float]) -> str:
    return f"{statistics.fmean(seconds) * 1000:.1f} ms" if seconds else "—"


def _village_name(i: int) -> str:
    """A village's name, distinct for i below 60 (the least common multiple of 20 and 30)."""
    return f"{SURNAMES[i % len(SURNAMES)]}{GIVEN[i % len(GIVEN)]}村"


def _name(i: int) -> str:
    """A person's name, distinct for i below 20 × 30 × 30 = 18,000."""
    s, g = len(SURNAMES), len(GIVEN)
    return SURNAMES[i % s] + GIVEN[i // s % g] + GIVEN[i // s // g % g]


def _server_times(clients: list[Client], requests: list[tuple[str, dict[str, str]]],
                  per_client: int) -> tuple[list[list[float]], list[str]]:
    """Each client asks every request in turn, ``per_client`` rounds: the server times
    (ms) of each request answered 200, and what went wrong with the others."""

    def ask(client: Client) -> tuple[list[list[float]], list[str]]:
        times: list[list[float]] = [[] for _ in requests]
        failures = []
        for _ in range(per_client):
            for i, (path, params) in enumerate(requests):
                try:
                    times[i].append(server_ms(client.call("GET", path, params=params)))
                except AssertionError as error:
                    failures.append(str(error))
        return times, failures

    results, _ = in_threads(len(clients), lambda i: ask(clients[i]))
    return ([[ms for times, _ in results for ms in times[i]] for i in range(len(requests))],
            [failure for _, failures in results for failure in failures])
