"""Reports on the norms of the opinion for a date: coverage (N6), staffing (N3),
the zone–sub-district arrangements (N7) and compliance (every finding).

The facts come from the read views, for one ``as_of`` and ``known_at``
(``CountyOnDate``); the policy is the one in force on that date as known then.
Everything here is a pure function of those facts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from application.rows import ArrangementInForce, CatalogueInForce
from domain.arrangements import (
    LEADING_ROLES,
    MODES,
    OTHER_LEADING_BODIES,
    ZONE_LEADING_BODIES,
    leadership_in_place,
)
from domain.assessment import h7_findings
from domain.bodies import (
    DESIGN_UNIFICATIONS,
    LEADING_PARTY_BODIES,
    MAX_SOCIAL_WORK_STAFF,
    SOCIAL_WORK_LEADERS,
    BodyType,
    Role,
)
from domain.kinds import UnitKind
from domain.people import Rank, Source
from domain.policy import staff_quota
from domain.rulebook import FEDERATION_BODY_SIZE, MIN_HALL_AREA, SERVICE_WINDOWS, Finding

# N1: the ranks a federation's party secretary should hold.
SECRETARY_RANKS = frozenset({Rank.DEPUTY_SECTION.value, Rank.DEPUTY_SECTION_RESERVE.value})
# N4: where a federation's full-time staff should come from.
STAFF_SOURCES = frozenset({Source.TOWNSHIP_CADRE.value, Source.STATION_STAFF.value,
                           Source.COLLEGE_GRADUATE_VILLAGE_OFFICIAL.value,
                           Source.VILLAGE_CADRE.value})


@dataclass(frozen=True)
class UnitFacts:
    unit_id: UUID
    kind: str
    name: str
    federation_id: UUID | None
    households: int | None
    floating: int | None


@dataclass(frozen=True)
class BodyFacts:
    body_id: UUID
    unit_id: UUID
    type: str
    name: str
    attributes: dict[str, Any]


@dataclass(frozen=True)
class PostFacts:
    body_id: UUID
    person_id: UUID
    role: str
    full_time: bool
    concurrent: bool
    rank: str | None
    source: str | None


@dataclass
class CountyOnDate:
    """What the read views hold for one county on one date, as known at one time."""

    as_of: date
    settings: dict[str, Any]
    units: list[UnitFacts]
    bodies: list[BodyFacts] = field(default_factory=list)
    posts: list[PostFacts] = field(default_factory=list)
    arrangements: list[ArrangementInForce] = field(default_factory=list)
    catalogues: list[CatalogueInForce] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.unit = {u.unit_id: u for u in self.units}
        self.members_of: dict[UUID, list[UnitFacts]] = defaultdict(list)
        for unit in self.units:
            if unit.federation_id is not None:
                self.members_of[unit.federation_id].append(unit)
        self.posts_of: dict[UUID, list[PostFacts]] = defaultdict(list)
        for post in self.posts:
            self.posts_of[post.body_id].append(post)
        self.bodies_of: dict[UUID, dict[str, list[BodyFacts]]] = defaultdict(
            lambda: defaultdict(list))
        for body in self.bodies:
            self.bodies_of[body.unit_id][body.type].append(body)

    def of_kind(self, kind: UnitKind) -> list[UnitFacts]:
        return [u for u in self.units if u.kind == kind.value]

    def posts_in(self, unit_id: UUID, *types: BodyType) -> list[PostFacts]:
        return [post for body_type in types
                for body in self.bodies_of[unit_id][body_type.value]
                for post in self.posts_of[body.body_id]]


# -- Coverage (N6) -------------------------------------------------------------


def coverage(county: CountyOnDate) -> dict[str, Any]:
    """Villages covered by each kind of community on the date, and the target."""
    villages = county.of_kind(UnitKind.VILLAGE)
    federated = sum(1 for v in villages if v.federation_id is not None)
    urban = len(county.of_kind(UnitKind.URBAN_COMMUNITY))
    rural = len(county.of_kind(UnitKind.RURAL_COMMUNITY))
    federations = len(county.of_kind(UnitKind.FEDERATION))
    whole = urban + rural + len(villages)
    return {
        "as_of": county.as_of,
        "villages": len(villages),
        "covered": {"urban_community": urban, "rural_community": rural, "federation": federated},
        "uncovered": len(villages) - federated,
        "coverage_ratio": (urban + rural + federated) / whole if whole else 1.0,
        "rural_communities": rural + federations,
        "target": county.settings["coverage_target"],
    }


def city_coverage(counties: list[dict[str, Any]]) -> dict[str, Any]:
    """A city's coverage: its counties' figures summed, the ratio over the sums."""
    total = {key: sum(c[key] for c in counties)
             for key in ("villages", "uncovered", "rural_communities", "target")}
    covered = {kind: sum(c["covered"][kind] for c in counties)
               for kind in ("urban_community", "rural_community", "federation")}
    whole = covered["urban_community"] + covered["rural_community"] + total["villages"]
    communities = covered["urban_community"] + covered["rural_community"]
    return {**total, "covered": covered,
            "coverage_ratio": (communities + covered["federation"]) / whole if whole else 1.0}


def _coverage_findings(county: CountyOnDate) -> list[Finding]:
    figures = coverage(county)
    findings = []
    if figures["uncovered"]:
        findings.append(Finding(
            "N6", None,
            f"{figures['uncovered']} of {figures['villages']} villages are covered by no "
            f"community or federation (coverage {figures['coverage_ratio']:.1%})",
            f"{figures['uncovered']}个建制村未纳入社区或联居（覆盖率{figures['coverage_ratio']:.1%}）",
            {k: figures[k] for k in ("villages", "uncovered", "coverage_ratio")}))
    if figures["rural_communities"] < figures["target"]:
        findings.append(Finding(
            "N6", None,
            f"{figures['rural_communities']} rural new communities against a target of "
            f"{figures['target']}",
            f"农村新社区{figures['rural_communities']}个，目标{figures['target']}个",
            {k: figures[k] for k in ("rural_communities", "target")}))
    return findings


# -- Staffing (N3) ---------------------------------------------------------------

FEDERATION_BODIES = (BodyType.PARTY_ORGANISATION, BodyType.FEDERATION_MANAGEMENT_COMMITTEE)


def _sum(values: Iterable[int | None]) -> int:
    return sum(v for v in values if v is not None)


def staffing(county: CountyOnDate) -> list[dict[str, Any]]:
    """Each federation's households and floating population (summed over its member
    villages), its N3 quota, its full-time staff and the shortfall."""
    items = []
    for federation in sorted(county.of_kind(UnitKind.FEDERATION), key=lambda u: u.name):
        members = county.members_of[federation.unit_id]
        households = _sum(m.households for m in members)
        floating = _sum(m.floating for m in members)
        quota = staff_quota(households, floating, county.settings)
        staff = sum(1 for p in county.posts_in(federation.unit_id, *FEDERATION_BODIES)
                    if p.full_time)
        items.append({"federation_id": federation.unit_id, "name": federation.name,
                      "households": households, "floating": floating, "quota": quota,
                      "full_time_staff": staff, "shortfall": max(0, quota - staff)})
    return items


def _federation_findings(county: CountyOnDate) -> list[Finding]:
    findings = []
    low, high = FEDERATION_BODY_SIZE
    for item in staffing(county):
        unit_id, name = item["federation_id"], item["name"]
        if item["shortfall"]:
            findings.append(Finding(
                "N3", unit_id,
                f"{name} has {item['full_time_staff']} full-time staff; {item['households']} "
                f"households and {item['floating']} floating residents call for {item['quota']}",
                f"{name}专职工作人员{item['full_time_staff']}人，按{item['households']}户、"
                f"流动人口{item['floating']}人应配{item['quota']}人",
                {k: item[k] for k in ("households", "floating", "quota", "full_time_staff",
                                      "shortfall")}))
        for rule, body_type, label in (("N1", BodyType.PARTY_ORGANISATION, "党组织"),
                                       ("N2", BodyType.FEDERATION_MANAGEMENT_COMMITTEE, "管委会")):
            members = len(county.posts_in(unit_id, body_type))
            if not low <= members <= high:
                findings.append(Finding(
                    rule, unit_id,
                    f"{name}'s {body_type.value.replace('_', ' ')} has {members} members, "
                    f"not {low}–{high}",
                    f"{name}{label}{members}人，应为{low}—{high}人",
                    {"members": members, "minimum": low, "maximum": high}))
        secretaries = [p for p in county.posts_in(unit_id, BodyType.PARTY_ORGANISATION)
                       if p.role == Role.SECRETARY.value]
        if not secretaries or not any(p.rank in SECRETARY_RANKS for p in secretaries):
            ranks = sorted(str(p.rank) for p in secretaries)
            findings.append(Finding(
                "N1", unit_id,
                f"{name}'s party secretary is not of deputy-section rank or a reserve cadre "
                f"({', '.join(ranks) or 'no secretary'})",
                f"{name}党组织书记非副科级领导干部或副科级后备干部",
                {"secretary_ranks": ranks}))
        staff = [p for p in county.posts_in(unit_id, *FEDERATION_BODIES) if p.full_time]
        others = sorted(str(p.source) for p in staff if p.source not in STAFF_SOURCES)
        if others:
            findings.append(Finding(
                "N4", unit_id,
                f"{len(others)} of {name}'s full-time staff come from elsewhere than township "
                "cadres, station staff, college-graduate village officials or village cadres",
                f"{name}有{len(others)}名专职工作人员不是从乡镇干部、基层站所工作人员、"
                "大学生村官和村干部中选配",
                {"staff": len(staff), "from_elsewhere": len(others), "sources": others}))
    return findings


# -- Service centres (N5) and social work committees (H5) ------------------------


def _service_centre_findings(county: CountyOnDate) -> list[Finding]:
    findings = []
    for body in county.bodies:
        if body.type != BodyType.SERVICE_CENTRE.value:
            continue
        attributes = body.attributes
        area = attributes.get("hall_area")
        missing_windows = [w for w in SERVICE_WINDOWS if w not in attributes.get("windows", [])]
        missing_design = [u for u in DESIGN_UNIFICATIONS
                          if u not in attributes.get("unifications", [])]
        if area is None or area < MIN_HALL_AREA:
            findings.append(Finding(
                "N5", body.unit_id,
                f"{body.name}'s hall is {area if area is not None else 'of unknown size'} m², "
                f"less than {MIN_HALL_AREA}",
                f"{body.name}大厅面积{area if area is not None else '未登记'}平方米，"
                f"少于{MIN_HALL_AREA}平方米",
                {"hall_area": area, "minimum": MIN_HALL_AREA}))
        if missing_windows:
            findings.append(Finding(
                "N5", body.unit_id, f"{body.name} lacks {len(missing_windows)} windows",
                f"{body.name}未设立{'、'.join(missing_windows)}窗口",
                {"missing_windows": missing_windows}))
        if missing_design:
            findings.append(Finding(
                "N5", body.unit_id,
                f"{body.name} lacks {len(missing_design)} of the five unifications of design",
                f"{body.name}未实现{'、'.join(missing_design)}统一",
                {"missing_unifications": missing_design}))
    return findings


def _social_work_findings(county: CountyOnDate) -> list[Finding]:
    """H5 after the fact: the staff count, and leaders who no longer lead the party body."""
    findings = []
    for body in county.bodies:
        if body.type != BodyType.SOCIAL_WORK_COMMITTEE.value:
            continue
        posts = county.posts_of[body.body_id]
        staff = sum(1 for p in posts if p.full_time)
        if not 1 <= staff <= MAX_SOCIAL_WORK_STAFF:
            findings.append(Finding(
                "H5", body.unit_id,
                f"{body.name} has {staff} full-time staff, not 1–{MAX_SOCIAL_WORK_STAFF}",
                f"{body.name}专职工作人员{staff}人，应为1—{MAX_SOCIAL_WORK_STAFF}人",
                {"full_time_staff": staff, "maximum": MAX_SOCIAL_WORK_STAFF}))
        party = county.posts_in(body.unit_id, *LEADING_PARTY_BODIES)
        for post in posts:
            needed = SOCIAL_WORK_LEADERS.get(Role(post.role))
            if needed is not None and not any(
                    p.person_id == post.person_id and p.role == needed.value for p in party):
                findings.append(Finding(
                    "H5", body.unit_id,
                    f"{body.name}'s {post.role.replace('_', ' ')} is not the unit's party "
                    f"{needed.value.replace('_', ' ')} on this date",
                    f"{body.name}{'主任' if needed is Role.SECRETARY else '办公室主任'}"
                    f"未由党委{'书记' if needed is Role.SECRETARY else '副书记'}兼任",
                    {"role": post.role, "must_hold": needed.value}))
    return findings


# -- Zones and sub-districts (N7) -------------------------------------------------


def arrangements(county: CountyOnDate) -> list[dict[str, Any]]:
    """Each zone–sub-district arrangement in force: its mode and whether the
    leadership that mode requires is in place."""
    items = []
    for arrangement in county.arrangements:
        if arrangement.zone_id not in county.unit or arrangement.subdistrict_id not in county.unit:
            continue  # a side ceased (or was retracted): nothing runs together any more
        zone = {p.person_id for p in county.posts_in(arrangement.zone_id, *ZONE_LEADING_BODIES)
                if Role(p.role) in LEADING_ROLES}
        other = {p.person_id for p in county.posts_in(arrangement.subdistrict_id,
                                                       *OTHER_LEADING_BODIES)
                 if Role(p.role) in LEADING_ROLES}
        in_place, figures = leadership_in_place(arrangement.mode, zone, other)
        items.append({"arrangement_id": arrangement.arrangement_id,
                      "zone_id": arrangement.zone_id, "subdistrict_id": arrangement.subdistrict_id,
                      "mode": arrangement.mode, "label": MODES[arrangement.mode],
                      "leadership_in_place": in_place, "figures": figures})
    return items


def _arrangement_findings(county: CountyOnDate) -> list[Finding]:
    return [Finding(
        "N7", item["zone_id"],
        f"the {item['mode'].replace('_', ' ')} arrangement ({item['label']}) lacks the "
        "leadership it requires: "
        + ("the same leaders on both sides" if item["mode"] == "one_team"
           else "leaders cross-appointed"),
        f"{item['label']}所要求的领导配备未到位", item["figures"])
        for item in arrangements(county) if not item["leadership_in_place"]]


# -- Assessment catalogues (H7) -----------------------------------------------------


def _catalogue_findings(county: CountyOnDate) -> list[Finding]:
    findings = []
    for catalogue in county.catalogues:
        town = county.unit.get(catalogue.town_id)
        if town is None:
            continue
        cap = county.settings["max_veto_items"]
        for problem in h7_findings(catalogue.items, UnitKind(town.kind), cap):
            findings.append(Finding(
                "H7", catalogue.town_id, f"{town.name}'s {catalogue.year} catalogue: {problem}",
                f"{town.name}{catalogue.year}年度考核目录：{problem}",
                {"year": catalogue.year, "veto_items": sum(1 for i in catalogue.items if i.veto),
                 "max_veto_items": cap}))
    return findings


# -- Compliance ---------------------------------------------------------------------


def compliance(county: CountyOnDate) -> list[Finding]:
    """Every finding on the date: norms unmet and hard rules broken after the fact."""
    return [
        *_social_work_findings(county),
        *_catalogue_findings(county),
        *_federation_findings(county),
        *_service_centre_findings(county),
        *_coverage_findings(county),
        *_arrangement_findings(county),
    ]
