"""Bodies (机构) attached to units, and the posts (职务) people hold in them.

A ``Body`` is the consistency boundary of its posts: appointing, ending and
reassigning are events of the body, so the rules that count a body's posts
(H5's 1–5 full-time staff of a social work committee) hold under concurrent
writers — two racing appointments conflict on the body's version.

Like a unit, a body keeps its whole dated timeline and every command is
checked against it, later-effective facts included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kinds import TOWN_LEVEL, UnitKind
from domain.rules import Conflict, RuleRefused
from domain.stamped import Retractable, Stamp
from domain.timeline import END
from domain.units import Unit

TOWNS = frozenset({UnitKind.CENTRAL_TOWN, UnitKind.TOWN, UnitKind.TOWNSHIP})
COMMUNITIES = frozenset({UnitKind.URBAN_COMMUNITY, UnitKind.RURAL_COMMUNITY})
VILLAGE_LEVEL = frozenset({UnitKind.VILLAGE, *COMMUNITIES, UnitKind.FEDERATION})


class BodyType(str, Enum):
    PARTY_COMMITTEE = "party_committee"  # 党委
    PARTY_WORKING_COMMITTEE = "party_working_committee"  # 党工委
    GOVERNMENT = "government"  # 镇(乡)政府 / 街道办事处
    ZONE_MANAGEMENT_COMMITTEE = "zone_management_committee"  # 功能区管委会
    PARTY_ORGANISATION = "party_organisation"  # 党组织 (党委/党总支/党支部)
    RESIDENTS_COMMITTEE = "residents_committee"  # 居委会
    VILLAGE_COMMITTEE = "village_committee"  # 村委会
    FEDERATION_MANAGEMENT_COMMITTEE = "federation_management_committee"  # 联居管委会
    ECONOMIC_COOPERATIVE = "economic_cooperative"  # 村经济合作社
    SOCIAL_WORK_COMMITTEE = "social_work_committee"  # 社会工作委员会
    SOCIAL_AFFAIRS_OFFICE = "social_affairs_office"  # 社会事务管理办公室
    SERVICE_CENTRE = "service_centre"  # 便民服务中心
    GOVERNANCE_CENTRE = "governance_centre"  # 综治中心
    DISPATCHED_AGENCY = "dispatched_agency"  # (县职能部门)派驻机构

    @property
    def label(self) -> str:
        """The Chinese word a body of this type is named with by default."""
        return LABELS[self]


LABELS = {
    BodyType.PARTY_COMMITTEE: "党委",
    BodyType.PARTY_WORKING_COMMITTEE: "党工委",
    BodyType.GOVERNMENT: "人民政府",
    BodyType.ZONE_MANAGEMENT_COMMITTEE: "管委会",
    BodyType.PARTY_ORGANISATION: "党组织",
    BodyType.RESIDENTS_COMMITTEE: "居委会",
    BodyType.VILLAGE_COMMITTEE: "村委会",
    BodyType.FEDERATION_MANAGEMENT_COMMITTEE: "管委会",  # of 乙丙联居: 乙丙联居管委会
    BodyType.ECONOMIC_COOPERATIVE: "经济合作社",
    BodyType.SOCIAL_WORK_COMMITTEE: "社会工作委员会",
    BodyType.SOCIAL_AFFAIRS_OFFICE: "社会事务管理办公室",
    BodyType.SERVICE_CENTRE: "便民服务中心",
    BodyType.GOVERNANCE_CENTRE: "综治中心",
    BodyType.DISPATCHED_AGENCY: "派驻机构",
}

# DOMAIN.md §3: the kinds of unit each type of body is found on.
FOUND_ON: dict[BodyType, frozenset[UnitKind]] = {
    BodyType.PARTY_COMMITTEE: TOWNS,
    BodyType.PARTY_WORKING_COMMITTEE: frozenset(
        {UnitKind.SUBDISTRICT, UnitKind.FUNCTIONAL_ZONE}),
    BodyType.GOVERNMENT: frozenset({*TOWNS, UnitKind.SUBDISTRICT}),
    BodyType.ZONE_MANAGEMENT_COMMITTEE: frozenset({UnitKind.FUNCTIONAL_ZONE}),
    BodyType.PARTY_ORGANISATION: VILLAGE_LEVEL,
    BodyType.RESIDENTS_COMMITTEE: COMMUNITIES,
    BodyType.VILLAGE_COMMITTEE: frozenset({UnitKind.VILLAGE}),
    BodyType.FEDERATION_MANAGEMENT_COMMITTEE: frozenset({UnitKind.FEDERATION}),
    BodyType.ECONOMIC_COOPERATIVE: frozenset({UnitKind.VILLAGE}),
    # H5: only central towns, sub-districts and functional zones.
    BodyType.SOCIAL_WORK_COMMITTEE: frozenset(
        {UnitKind.CENTRAL_TOWN, UnitKind.SUBDISTRICT, UnitKind.FUNCTIONAL_ZONE}),
    BodyType.SOCIAL_AFFAIRS_OFFICE: TOWNS,
    BodyType.SERVICE_CENTRE: frozenset({*TOWNS, UnitKind.SUBDISTRICT}),
    BodyType.GOVERNANCE_CENTRE: frozenset({*TOWNS, UnitKind.SUBDISTRICT}),
    BodyType.DISPATCHED_AGENCY: TOWN_LEVEL,
}

# The party body whose secretaries lead a town-level unit's social work committee (H5).
LEADING_PARTY_BODIES = (BodyType.PARTY_COMMITTEE, BodyType.PARTY_WORKING_COMMITTEE)

# The bodies a conversion, merger or federation founds with its community (§5).
FOUNDING_BODIES: dict[UnitKind, tuple[BodyType, ...]] = {
    UnitKind.URBAN_COMMUNITY: (BodyType.PARTY_ORGANISATION, BodyType.RESIDENTS_COMMITTEE),
    UnitKind.RURAL_COMMUNITY: (BodyType.PARTY_ORGANISATION, BodyType.RESIDENTS_COMMITTEE),
    UnitKind.FEDERATION: (BodyType.PARTY_ORGANISATION,
                          BodyType.FEDERATION_MANAGEMENT_COMMITTEE),
}

# H5: a social work committee may be staffed with 1–5 full-time staff (可配备1—5名).
MAX_SOCIAL_WORK_STAFF = 5

# How a county department's dispatched agency is assessed. H6: under the first,
# the host town's party committee must consent to its head's appointment.
COMBINED_HORIZONTAL_PRIMARY = "combined_horizontal_primary"  # 条块结合、以块为主
VERTICAL_PRIMARY = "vertical_primary"  # 以条为主
ASSESSMENT_MODES = (COMBINED_HORIZONTAL_PRIMARY, VERTICAL_PRIMARY)

# N5: the "five unifications" (五统一) of a service centre's design.
DESIGN_UNIFICATIONS = ("外观设计", "内部装修", "整体风格", "柜台设计", "窗口布局")


class Role(str, Enum):
    SECRETARY = "secretary"  # 书记
    DEPUTY_SECRETARY = "deputy_secretary"  # 副书记
    MEMBER = "member"  # 委员
    DIRECTOR = "director"  # 主任
    DEPUTY_DIRECTOR = "deputy_director"  # 副主任
    OFFICE_DIRECTOR = "office_director"  # 办公室主任
    FULL_TIME_STAFF = "full_time_staff"  # 专职工作人员
    HEAD = "head"  # 负责人


ROLES = {role.value: role for role in Role}  # faster than Role(value) on a long snapshot

# H5: the social work committee's leaders and the party posts they must hold.
SOCIAL_WORK_LEADERS = {
    Role.DIRECTOR: Role.SECRETARY,
    Role.OFFICE_DIRECTOR: Role.DEPUTY_SECRETARY,
}


@dataclass(frozen=True, slots=True)
class Post:
    """A person holding a role in a body from ``since`` until ``until`` (exclusive).

    Frozen: an end or its retraction replaces the post, so a copy of a body shares
    its posts with the original (``StampedAggregate.__deepcopy__``)."""

    post_id: UUID
    person_id: UUID
    role: Role
    full_time: bool
    concurrent: bool
    since: date
    until: date | None
    started_by: UUID
    ended_by: UUID | None = None
    end_reason: str | None = None

    def holds_on(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day < self.until)

    def stored(self) -> list[Any]:
        """The post as a row of plain values (a snapshot of its body holds it so)."""
        return [self.post_id.int, self.person_id.int, self.role.value, self.full_time,
                self.concurrent, self.since.isoformat(), _iso(self.until),
                self.started_by.int, self.ended_by.int if self.ended_by else None,
                self.end_reason]

    @classmethod
    def restored(cls, row: list[Any], changes: dict[int, UUID]) -> Post:
        """The post of a ``stored`` row; ``changes`` gives the ids of its body's changes."""
        post_id, person_id, role, full_time, concurrent, since, until, started, ended, reason = row
        return cls(UUID(int=post_id), UUID(int=person_id), ROLES[role], full_time, concurrent,
                   date.fromisoformat(since), date.fromisoformat(until) if until else None,
                   changes[started], changes[ended] if ended else None, reason)

    @property
    def valid_to(self) -> date:
        return self.until or END


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


@dataclass(frozen=True)
class Appointment:
    """What a new post is: who, which role, how held, and the consent behind it."""

    person_id: UUID
    role: Role
    full_time: bool = False
    concurrent: bool = False
    consent: dict[str, Any] | None = None  # H6: the host party committee's document


class Body(Retractable):
    """A party organisation, committee, centre or agency of one unit."""

    noun = "body"

    class Event(Retractable.Event):
        """A fact of the body or of one of its posts."""

    # -- Establishment ---------------------------------------------------------

    @classmethod
    def establish(
        cls, *, type: BodyType, unit: Unit, name: str | None,  # noqa: A002
        attributes: dict[str, Any], stamp: Stamp,
    ) -> Body:
        if unit.kind not in FOUND_ON[type]:
            rule = "H5" if type is BodyType.SOCIAL_WORK_COMMITTEE else "H4"
            kinds = ", ".join(sorted(k.value for k in FOUND_ON[type]))
            raise RuleRefused(
                rule, f"a {type.value} is found on {kinds}, not on a {unit.kind.value}")
        unit.require_not_void()
        unit.require_open_on(stamp.effective_date, f"establish a {type.value} in")
        if unit.ceased_on is not None:
            raise Conflict(
                "H4", f"{unit.name_on(stamp.effective_date)} ceases on {unit.ceased_on}; "
                      "a body in it would outlive it", [unit.ceased_by] if unit.ceased_by else [])
        body = cls._create_stamped(
            cls.Established, stamp,
            type=type.value,
            name=name or f"{unit.name_on(stamp.effective_date)}{type.label}",
            unit_id=unit.id,
            attributes=attributes,
        )
        unit.host_body(body.id, type.value, stamp)
        return body

    class Established(Aggregate.Created, Event):
        type: str
        name: str
        unit_id: UUID
        attributes: dict[str, Any]

    def __init__(
        self, effective_date: date, change_id: UUID, actor: str, type: str,  # noqa: A002
        name: str, unit_id: UUID, attributes: dict[str, Any],
    ):
        super().__init__(effective_date, change_id)
        self.type = BodyType(type)
        self.name = name
        self.unit_id = unit_id
        self.attributes = dict(attributes)
        self.abolished_on: date | None = None
        self.abolished_by: UUID | None = None
        self.posts: dict[UUID, Post] = {}
        # The posts each retracted change had started (now gone) or ended (now open).
        self.withdrawn: dict[UUID, list[UUID]] = {}

    # -- Reading the timeline ----------------------------------------------

    def exists_on(self, day: date) -> bool:
        return (not self.is_void and self.established_on <= day
                and (self.abolished_on is None or day < self.abolished_on))

    @property
    def valid_to(self) -> date:
        return self.abolished_on or END

    def posts_on(self, day: date) -> list[Post]:
        return [p for p in self.posts.values() if p.holds_on(day)]

    def holds(self, person_id: UUID, role: Role, day: date) -> bool:
        return any(p.person_id == person_id and p.role is role for p in self.posts_on(day))

    def full_time_staff_on(self, day: date) -> int:
        return sum(1 for p in self.posts_on(day) if p.full_time)

    def post(self, post_id: UUID) -> Post:
        try:
            return self.posts[post_id]
        except KeyError:
            raise Conflict(None, f"post {post_id} is not a post of body {self.id}") from None

    def require_open_on(self, day: date, what: str) -> None:
        """Nothing happens in a body before it was established or after it was abolished."""
        self.require_not_void()
        if day < self.established_on:
            raise Conflict(None, f"cannot {what} {self.name} on {day}: it is established "
                                 f"only on {self.established_on}", [self.established_by])
        if self.abolished_on is not None and day >= self.abolished_on:
            raise Conflict(None, f"cannot {what} {self.name} on {day}: it is abolished on "
                                 f"{self.abolished_on}",
                           [self.abolished_by] if self.abolished_by else [])

    def _require_consent(self, role: Role, consent: dict[str, Any] | None, verb: str) -> None:
        """H6: the head of a combined, horizontal-primary agency needs the host's consent."""
        if (self.type is BodyType.DISPATCHED_AGENCY and role is Role.HEAD
                and self.attributes.get("assessment_mode") == COMBINED_HORIZONTAL_PRIMARY
                and not consent):
            raise RuleRefused(
                "H6", f"the head of {self.name} (条块结合、以块为主) is {verb} only with the "
                      "written consent of the host town's party committee: name its document "
                      "in consent")

    def _require_room_for_full_time_staff(self, since: date) -> None:
        """H5: on no day from ``since`` on may a sixth full-time post be held."""
        days = {since, *(p.since for p in self.posts.values() if p.since > since)}
        for day in sorted(days):
            if self.full_time_staff_on(day) >= MAX_SOCIAL_WORK_STAFF:
                raise RuleRefused(
                    "H5", f"{self.name} has {MAX_SOCIAL_WORK_STAFF} full-time staff on {day}, "
                          f"the most a social work committee may have (可配备1—5名)")

    # -- Commands and the events they record ------------------------------------

    def appoint(self, appointment: Appointment, post_id: UUID, stamp: Stamp) -> None:
        """Start a post on ``stamp.effective_date`` (任职)."""
        day = stamp.effective_date
        self.require_open_on(day, "appoint to")
        self._require_consent(appointment.role, appointment.consent, "appointed")
        if self.abolished_on is not None:
            raise Conflict(None, f"{self.name} is abolished on {self.abolished_on}; a post "
                                 "begun in it would outlive it",
                           [self.abolished_by] if self.abolished_by else [])
        # The new post is open-ended: any post of the same person and role not
        # over by its first day overlaps it, including one that starts later.
        clash = next((p for p in self.posts.values()
                      if p.person_id == appointment.person_id and p.role is appointment.role
                      and (p.until is None or p.until > day)), None)
        if clash is not None:
            raise Conflict(None, f"the person already holds the {clash.role.value} post of "
                                 f"{self.name} from {clash.since}", [clash.started_by])
        if appointment.full_time and self.type is BodyType.SOCIAL_WORK_COMMITTEE:
            self._require_room_for_full_time_staff(day)
        self._record(
            self.PostStarted, stamp, post_id=post_id, person_id=appointment.person_id,
            role=appointment.role.value, full_time=appointment.full_time,
            concurrent=appointment.concurrent, consent=appointment.consent,
        )

    class PostStarted(Event):
        post_id: UUID
        person_id: UUID
        role: str
        full_time: bool
        concurrent: bool
        consent: dict[str, Any] | None

        def apply(self, body: Body) -> None:
            body.posts[self.post_id] = Post(
                self.post_id, self.person_id, Role(self.role), self.full_time,
                self.concurrent, self.effective_date, None, self.change_id,
            )

    def end_post(
        self, post_id: UUID, stamp: Stamp, reason: str | None, consent: dict[str, Any] | None,
        *, winding_up: bool = False,
    ) -> Post:
        """End a post: ``stamp.effective_date`` is the first day it is no longer held."""
        post = self.post(post_id)
        day = stamp.effective_date
        if post.until is not None:
            raise Conflict(None, f"post {post_id} already ends on {post.until}",
                           [post.ended_by] if post.ended_by else [])
        if day <= post.since:
            raise Conflict(None, f"post {post_id} starts only on {post.since}",
                           [post.started_by])
        self.require_open_on(day, "end a post of")
        if not winding_up:  # a post that ends with its body needs no consent (H6)
            self._require_consent(post.role, consent, "removed")
        self._record(self.PostEnded, stamp, post_id=post_id, reason=reason, consent=consent)
        return self.posts[post_id]

    class PostEnded(Event):
        post_id: UUID
        reason: str | None
        consent: dict[str, Any] | None

        def apply(self, body: Body) -> None:
            body.posts[self.post_id] = replace(
                body.posts[self.post_id], until=self.effective_date, ended_by=self.change_id,
                end_reason=self.reason)

    def abolish(self, stamp: Stamp) -> None:
        day = stamp.effective_date
        self.require_open_on(day, "abolish")
        if self.abolished_on is not None:
            raise Conflict(None, f"{self.name} is already abolished on {self.abolished_on}",
                           [self.abolished_by] if self.abolished_by else [])
        # A post still open is named by its appointment; one whose recorded end is
        # later than the date, by that end.
        held = [p.ended_by or p.started_by for p in self.posts.values()
                if p.until is None or p.until > day]
        if held:
            raise Conflict(None, f"{self.name} has posts held on or after {day}; end them first",
                           held)
        self._record(self.Abolished, stamp)

    class Abolished(Event):
        def apply(self, body: Body) -> None:
            body.abolished_on = self.effective_date
            body.abolished_by = self.change_id

    def wind_up(self, stamp: Stamp) -> None:
        """The unit ceases (转、并 or dissolution): its posts end and the body with it."""
        for post in list(self.posts.values()):  # each end replaces its post
            if post.until is None:
                self.end_post(post.post_id, stamp, reason="the unit ceased", consent=None,
                              winding_up=True)
        self.abolish(stamp)

    # -- Retraction (``Retractable.retract``) -------------------------------------

    class Retracted(Retractable.Retracted, Event):
        """A change recorded by mistake no longer applies to this body (撤销)."""

    @property
    def title(self) -> str:
        return self.name

    def withdraw(self, change_id: UUID) -> None:
        self.withdrawn[change_id] = [k for k, p in self.posts.items()
                                     if change_id in (p.started_by, p.ended_by)]
        self.posts = {k: replace(p, until=None, ended_by=None, end_reason=None)
                      if p.ended_by == change_id else p
                      for k, p in self.posts.items() if p.started_by != change_id}
        if self.abolished_by == change_id:
            self.abolished_on = self.abolished_by = None

    def _building_on(self, change_id: UUID, later: list[UUID]) -> list[UUID]:
        """The ends of the posts it started; and, if it ended a post or abolished the
        body, every later change effective on or after that date (a post or body it
        would bring back could clash with them: H5's staff cap, a later abolition)."""
        ends = {p.ended_by for p in self.posts.values() if p.started_by == change_id}
        if self.abolished_by == change_id or any(
                p.ended_by == change_id for p in self.posts.values()):
            since = self.changes[change_id]
            return [c for c in later if c in ends or self.changes[c] >= since]
        return [c for c in later if c in ends]

    # -- Snapshots (``Retractable.Snapshot``): a body's posts grow without bound ----

    def stored_state(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**super().stored_state(state), "type": self.type.value,
                "posts": [post.stored() for post in self.posts.values()],
                "withdrawn": [[c.int, [p.int for p in posts]]
                              for c, posts in self.withdrawn.items()]}

    def restore(self, state: dict[str, Any]) -> None:
        super().restore(state)
        changes = self._changes_by_int()
        self.type = BodyType(state["type"])
        self.posts = {post.post_id: post for post in
                      (Post.restored(row, changes) for row in state["posts"])}
        self.withdrawn = {changes[c]: [UUID(int=p) for p in posts]
                          for c, posts in state["withdrawn"]}


def require_social_work_leadership(
    committee: Body, appointment: Appointment, day: date,
    *, party_bodies: Callable[[], list[Body]],
) -> None:
    """H5: the committee's director is the unit's party secretary, its office director
    a deputy party secretary, held concurrently on the date of appointment."""
    needed = SOCIAL_WORK_LEADERS.get(appointment.role)
    if committee.type is not BodyType.SOCIAL_WORK_COMMITTEE or needed is None:
        return
    if not appointment.concurrent:
        raise RuleRefused(
            "H5", f"the {appointment.role.value} of a social work committee is held "
                  "concurrently (兼任) by a party leader: set concurrent")
    if not any(body.exists_on(day) and body.holds(appointment.person_id, needed, day)
               for body in party_bodies()):
        raise RuleRefused(
            "H5", f"the {appointment.role.value} of a social work committee must be the "
                  f"unit's party {needed.value.replace('_', ' ')} on {day}")
