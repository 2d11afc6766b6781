"""roster: server time of a town's roster ``as_of`` a past date (2,000 posts).

County 659911 is onboarded through the API; then, in this process through its
ledger, a central town with 60 villages (each with its party organisation and
village committee) and 20 bodies of the town's own, whose posts have a history:
2,000 held on ``AS_OF`` (``--quick``: 500) by as many people, some of them
begun on that very day or ending after it, others over by then (some exactly on
it, the first day no longer held) or begun after it, and reassignments between
the town's bodies before and after it. Two clients at once then ask for the
town's roster on ``AS_OF``; the baseline is the same two clients listing the
town's units on the same date, in the same rounds (one of each, alternately).

Appointing loads the body (from the ledger's cache, or its latest snapshot and
the events since), whose posts grow with it: a probe body in another town is
timed as it grows (not with ``--quick``), and a row of the table sets
appointments into it at 1,000 posts beside appointments, alternately, into a
body of 10.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from application.ledger import CountyLedger
from bench.common import Client, Context, Row, note, percentile, server_times
from domain.bodies import DESIGN_UNIFICATIONS, VERTICAL_PRIMARY, Appointment, BodyType, Role
from domain.kinds import UnitKind
from domain.people import Rank, Source

COUNTY = "659911"
AS_OF = date(2015, 6, 1)
FOUNDED = date(2010, 1, 1)  # the town, its villages and bodies
CLIENTS = 2
ACTOR = "bench"
TARGET = 1.5  # issue 11: the roster's p50 at most this times the listing's


@dataclass(frozen=True)
class Sizes:
    posts: int  # held on AS_OF, each by a person of its own
    ended: int  # over by AS_OF (every 10th exactly on it: the first day no longer held)
    later: int  # begun after AS_OF
    leaving: int  # of the posts held on AS_OF, those that end after it
    reassigned: int  # of the posts held on AS_OF, moved to another body (half before it)


FULL = Sizes(posts=2000, ended=300, later=300, leaving=200, reassigned=40)
QUICK = Sizes(posts=500, ended=75, later=75, leaving=50, reassigned=10)
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
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国"
PROBE_AT = (10, 100, 1000)  # posts in one body at which appointing is timed
PROBE_SPAN = 10  # appointments timed on either side of each size (from the first, for 10)
# Rounds of an appointment into a body of 10 posts, then one into the body of 1,000:
# 20, so that each body takes exactly one snapshot among them.
PROBE_ROUNDS = 20
PROBE_TARGET = 2.0  # appointing into 1,000 posts costs at most this many times into 10


def run(ctx: Context) -> list[Row]:
    sizes = QUICK if ctx.quick else FULL
    per_client = 40 if ctx.quick else 150
    key = ctx.onboard(COUNTY, "名册县", "9999")
    ledger = ctx.storage().county(COUNTY).ledger
    began = time.perf_counter()
    town, timings = _build_town(ledger, sizes)
    note("roster", f"setup in {time.perf_counter() - began:.0f} s: {VILLAGES} villages, "
                   f"{len(TOWN_BODIES)} town bodies, {sizes.posts:,} posts held on {AS_OF} "
                   f"({sizes.leaving} of them ending after it), {sizes.ended} over by then, "
                   f"{sizes.later} begun after, {sizes.reassigned} reassignments; per command: "
                   + ", ".join(f"{kind} {_mean_ms(seconds)}" for kind, seconds in timings.items()))
    probe = [] if ctx.quick else [_probe(ledger)]

    roster = f"/v1/tenants/{COUNTY}/units/{town}/roster"
    listing = f"/v1/tenants/{COUNTY}/units"
    roster_params = {"as_of": AS_OF.isoformat()}
    listing_params = {"parent_id": str(town), "as_of": AS_OF.isoformat(), "limit": "1000"}
    for _ in range(10):  # fresh connections, so every worker builds the county first
        warm = Client(ctx.base_url(), key)
        posts = [p for b in warm.get(roster, **roster_params)["bodies"] for p in b["posts"]]
        assert len(posts) == sizes.posts, f"the roster has {len(posts)} posts, not {sizes.posts}"
        assert all(p["person_name"] for p in posts), "the roster lacks a holder's name"
        units = len(warm.get(listing, **listing_params)["items"])
        assert units == VILLAGES, f"the town has {units} units on {AS_OF}, not {VILLAGES}"
        warm.close()
    clients = [Client(ctx.base_url(), key) for _ in range(CLIENTS)]
    (times, baseline), failures = server_times(
        clients, [(roster, roster_params), (listing, listing_params)], per_client)
    for client in clients:
        client.close()
    failed = f"{len(failures)}/{2 * CLIENTS * per_client} requests failed" if failures else ""
    if failures:
        note("roster", f"{failed}; first: {failures[0]}")
    ratio = percentile(times, 50) / percentile(baseline, 50)
    return [Row("roster", "p50 server time", percentile(times, 50), "ms",
                "units of the town p50", percentile(baseline, 50), f"<= {TARGET:.0%}",
                ratio <= TARGET and not failures, failed),
            Row("roster", "p99 server time", percentile(times, 99), "ms",
                "units of the town p99", percentile(baseline, 99),
                met=False if failures else None, failed=failed),
            *probe]


def _build_town(ledger: CountyLedger, sizes: Sizes) -> tuple[UUID, dict[str, list[float]]]:
    """The town, its villages and bodies, and its posts' history: the town's id and
    the time (s) each command of the history took, by kind."""
    timings: dict[str, list[float]] = {"register": [], "appoint": [], "end": [], "reassign": []}

    def timed(kind: str, command: Callable[..., Any], **arguments: Any) -> Any:
        began = time.perf_counter()
        result = command(**arguments)
        timings[kind].append(time.perf_counter() - began)
        return result

    town = ledger.establish_unit(kind=UnitKind.CENTRAL_TOWN, name="城关镇", code=None,
                                 parent_id=None, effective_date=FOUNDED, actor=ACTOR).id
    for i in range(VILLAGES):
        village = ledger.establish_unit(kind=UnitKind.VILLAGE, name=_village_name(i), code=None,
                                        parent_id=town, effective_date=FOUNDED, actor=ACTOR).id
        for body_type in VILLAGE_BODIES:
            ledger.establish_body(unit_id=village, body_type=body_type, name=None,
                                  attributes={}, effective_date=FOUNDED, actor=ACTOR)
    bodies = [ledger.establish_body(unit_id=town, body_type=body_type, name=name,
                                    attributes=attributes, effective_date=FOUNDED,
                                    actor=ACTOR).id
              for body_type, name, attributes in TOWN_BODIES]

    def appoint(i: int, since: date) -> UUID:
        """A new person (the i-th) in a post of the (i mod 20)-th body from ``since``."""
        person = timed("register", ledger.register_person, name=_name(i), rank=Rank.NONE,
                       source=Source.TOWNSHIP_CADRE)
        return timed("appoint", ledger.appoint, body_id=bodies[i % len(bodies)],
                     appointment=Appointment(person.id, Role.MEMBER, full_time=False),
                     effective_date=since, actor=ACTOR).id

    def end(post: UUID, on: date) -> None:
        timed("end", ledger.end_post, post_id=post, effective_date=on, reason="任期届满",
              consent=None, actor=ACTOR)

    spread = (AS_OF - FOUNDED).days
    # Held on AS_OF: begun on some day up to it, every 100th on AS_OF itself.
    held = [appoint(i, AS_OF if i % 100 == 0 else FOUNDED + timedelta(days=i % spread))
            for i in range(sizes.posts)]
    for n in range(sizes.ended):  # begun in 2010–2011, over by AS_OF
        since = FOUNDED + timedelta(days=n % 600)
        end(appoint(sizes.posts + n, since),
            AS_OF if n % 10 == 0 else since + timedelta(days=365 + n % 600))
    for n in range(sizes.later):  # the first of them the day after AS_OF
        appoint(sizes.posts + sizes.ended + n, AS_OF + timedelta(days=1 + 3 * n))
    for n in range(sizes.leaving):
        end(held[1 + n], AS_OF + timedelta(days=1 + 5 * n))
    for n in range(sizes.reassigned):  # posts begun in 2010, moved to the next body
        i = 1 + sizes.leaving + n
        on = AS_OF + timedelta(days=30 + n) if n % 2 else AS_OF - timedelta(days=30 + n)
        timed("reassign", ledger.reassign, post_id=held[i],
              to_body_id=bodies[(i + 1) % len(bodies)], role=Role.DEPUTY_DIRECTOR,
              effective_date=on, actor=ACTOR)
    return town, timings


def _probe(ledger: CountyLedger) -> Row:
    """Time appointments to one body as its posts grow, and loading the body alone;
    then the row: appointments into it at 1,000 posts, alternately with appointments
    into a body of 10, so that both meet the same load of a shared machine."""
    began = time.perf_counter()
    town = ledger.establish_unit(kind=UnitKind.TOWN, name="试点镇", code=None, parent_id=None,
                                 effective_date=FOUNDED, actor=ACTOR).id
    large, small = (ledger.establish_body(unit_id=town, body_type=body_type, name=None,
                                          attributes={}, effective_date=FOUNDED, actor=ACTOR).id
                    for body_type in (BodyType.GOVERNMENT, BodyType.PARTY_COMMITTEE))
    people = iter([ledger.register_person(name=_name(i), rank=Rank.NONE, source=Source.OTHER).id
                   for i in range(max(PROBE_AT) + min(PROBE_AT) + 2 * PROBE_ROUNDS)])
    posts = {large: 0, small: 0}

    def appoint(body: UUID) -> float:
        posts[body] += 1
        return _seconds(ledger.appoint, body_id=body, appointment=Appointment(next(people),
                        Role.MEMBER), effective_date=FOUNDED + timedelta(days=posts[body]),
                        actor=ACTOR)

    appointments: list[float] = []
    loads: dict[int, list[float]] = {}
    for n in range(max(PROBE_AT)):
        if n in PROBE_AT:
            loads[n] = [_seconds(ledger.body, large) for _ in range(5)]
        appointments.append(appoint(large))
    loads[max(PROBE_AT)] = [_seconds(ledger.body, large) for _ in range(5)]
    for _ in range(min(PROBE_AT)):
        appoint(small)
    rounds = [(appoint(small), appoint(large)) for _ in range(PROBE_ROUNDS)]
    around = {n: appointments[max(0, n - PROBE_SPAN):][:2 * PROBE_SPAN] for n in PROBE_AT[:-1]}
    around[max(PROBE_AT)] = [seconds for _, seconds in rounds]
    for n in PROBE_AT:
        note("roster", f"one body with {n:,} posts: an appointment takes "
                       f"{_mean_ms(around[n])} (mean of {len(around[n])}), loading the body "
                       f"alone {_mean_ms(loads[n])}")
    note("roster", f"probe of {sum(posts.values()):,} appointments in "
                   f"{time.perf_counter() - began:.0f} s")
    beside, at_size = (statistics.fmean(times) * 1000 for times in zip(*rounds, strict=True))
    return Row("roster", f"appoint, body of {max(PROBE_AT):,} posts", at_size, "ms",
               f"body of {min(PROBE_AT)} posts", beside, f"<= {PROBE_TARGET:g}x",
               at_size <= PROBE_TARGET * beside)


def _seconds(work: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    began = time.perf_counter()
    work(*args, **kwargs)
    return time.perf_counter() - began


def _mean_ms(seconds: list[float]) -> str:
    return f"{statistics.fmean(seconds) * 1000:.1f} ms" if seconds else "—"


def _village_name(i: int) -> str:
    """Distinct for i below 60, the least common multiple of 20 surnames and 30 names."""
    return f"{SURNAMES[i % len(SURNAMES)]}{GIVEN[i % len(GIVEN)]}村"


def _name(i: int) -> str:
    s, g = len(SURNAMES), len(GIVEN)
    return SURNAMES[i % s] + GIVEN[i // s % g] + GIVEN[i // s // g % g]
