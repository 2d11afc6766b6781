"""Assessment catalogues (H7) and zone arrangements (N7), in memory.

No storage and no application: units, bodies, catalogues and arrangements are
built as aggregates and their commands are called directly.
"""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from aggregates import day, stamp, unit

from domain.arrangements import (
    COORDINATED,
    LEADING_ROLES,
    MODES,
    ONE_TEAM,
    OTHER_LEADING_BODIES,
    ZONE_LEADING_BODIES,
    Arrangement,
    leadership_in_place,
    require_no_overlap,
)
from domain.assessment import (
    TOWN_FUNCTIONS,
    ZONE_FUNCTIONS,
    AssessmentCatalogue,
    Item,
    catalogue_id,
    functions_of,
    h7_findings,
)
from domain.bodies import BodyType, Role
from domain.kinds import UnitKind
from domain.rules import Conflict, RuleRefused
from domain.timeline import END
from domain.units import Unit

CAP = 3

# -- Helpers ------------------------------------------------------------------


def town(kind: UnitKind = UnitKind.CENTRAL_TOWN, on: str = "2010-01-01") -> Unit:
    return unit(kind, on=on)


def items(*titles: str, function: str = "social_management", veto: int = 0) -> list[Item]:
    """One item per title, the first ``veto`` of them one-vote-veto items."""
    return [Item(title, function, veto=i < veto) for i, title in enumerate(titles)]


GOOD = [
    Item("招商引资", "economic_development"),
    Item("平安建设", "social_management", veto=True),
    Item("便民服务", "public_services"),
    Item("村务公开", "grassroots_democracy"),
]


def adopt(host: Unit | None = None, year: int = 2012, on: str = "2012-01-01",
          catalogue: list[Item] | None = None, cap: int = CAP) -> AssessmentCatalogue:
    return AssessmentCatalogue.adopt(town=host or town(), year=year,
                                     items=GOOD if catalogue is None else catalogue,
                                     max_veto_items=cap, stamp=stamp(on))


def vetoes(catalogue: AssessmentCatalogue) -> int:
    """How many one-vote-veto items the latest version has."""
    return sum(item.veto for item in catalogue.items)


def in_force(catalogue: AssessmentCatalogue, on: str) -> list[Item] | None:
    """The items in force on ``on`` (those of the last version from on or before
    it); None before the catalogue was adopted."""
    version = next((v for v in reversed(catalogue.versions) if v.since <= day(on)), None)
    return None if version is None else list(version.items)


def refused_h7(**kwargs: object) -> RuleRefused:
    with pytest.raises(RuleRefused) as refused:
        adopt(**kwargs)  # type: ignore[arg-type]
    assert refused.value.rule == "H7"
    return refused.value


# -- The functions of town-level units ------------------------------------------


@pytest.mark.parametrize("kind", [
    UnitKind.CENTRAL_TOWN, UnitKind.TOWN, UnitKind.TOWNSHIP, UnitKind.SUBDISTRICT])
def test_towns_and_subdistricts_have_the_four_functions_of_a_central_town(
        kind: UnitKind) -> None:
    assert functions_of(kind) == frozenset(
        {"economic_development", "social_management", "public_services",
         "grassroots_democracy"})
    assert TOWN_FUNCTIONS["grassroots_democracy"] == "推进基层民主"


def test_a_functional_zone_has_its_own_three_functions() -> None:
    assert functions_of(UnitKind.FUNCTIONAL_ZONE) == frozenset(
        {"economic_development", "urban_construction", "coordination"})
    assert ZONE_FUNCTIONS["coordination"] == "统筹协调"


@pytest.mark.parametrize("kind", [UnitKind.VILLAGE, UnitKind.FEDERATION])
def test_a_village_level_unit_has_no_town_functions(kind: UnitKind) -> None:
    assert functions_of(kind) == frozenset()


def test_the_catalogue_id_is_derived_from_the_town_and_the_year() -> None:
    town_id = uuid4()
    assert catalogue_id(town_id, 2012) == catalogue_id(town_id, 2012)
    assert catalogue_id(town_id, 2012) != catalogue_id(town_id, 2013)
    assert catalogue_id(town_id, 2012) != catalogue_id(uuid4(), 2012)


# -- H7: adopting a catalogue --------------------------------------------------------


def test_a_catalogue_within_the_towns_functions_is_adopted() -> None:
    host = town()
    catalogue = adopt(host)
    assert catalogue.id == catalogue_id(host.id, 2012)
    assert (catalogue.town_id, catalogue.year, catalogue.town_kind) == (
        host.id, 2012, UnitKind.CENTRAL_TOWN)
    assert catalogue.items == GOOD
    assert vetoes(catalogue) == 1
    assert catalogue.adopted_on == day("2012-01-01")
    (version,) = catalogue.versions
    assert (version.since, version.items) == (day("2012-01-01"), tuple(GOOD))
    assert version.change_id == catalogue.adopted_by
    assert h7_findings(catalogue.items, catalogue.town_kind, CAP) == []
    # The event carries plain, JSON-friendly dicts.
    (adopted,) = catalogue.collect_events()
    assert isinstance(adopted, AssessmentCatalogue.Adopted)
    assert adopted.items[1] == {"title": "平安建设", "function": "social_management",
                                "veto": True, "department": None}
    assert adopted.actor == "test"


def test_a_zone_catalogue_takes_zone_functions_and_refuses_town_ones() -> None:
    zone = town(UnitKind.FUNCTIONAL_ZONE)
    catalogue = adopt(zone, catalogue=[Item("重大基础设施建设", "urban_construction"),
                                       Item("区域规划编制", "coordination")])
    assert vetoes(catalogue) == 0
    refused = refused_h7(host=zone, catalogue=[Item("村务公开", "grassroots_democracy")])
    assert "「村务公开」" in refused.message


@pytest.mark.parametrize("kind", [UnitKind.VILLAGE, UnitKind.URBAN_COMMUNITY])
def test_only_a_town_level_unit_keeps_a_catalogue_h7(kind: UnitKind) -> None:
    village = unit(kind, "甲村", parent=town())
    refused = refused_h7(host=village)
    assert "not a town-level unit" in refused.message


def test_an_item_outside_the_towns_functions_is_refused_h7() -> None:
    refused = refused_h7(catalogue=[*GOOD, Item("城市建设", "urban_construction"),
                                    Item("计生指标", "family_planning")])
    assert "「城市建设」、「计生指标」" in refused.message
    assert "不属于中心镇职能范围的事项,不得列入考核" in refused.message
    assert "招商引资" not in refused.message


def test_an_item_of_a_county_departments_own_function_is_refused_h7() -> None:
    shifted = Item("土地执法", "economic_development", department="县国土资源局")
    refused = refused_h7(catalogue=[*GOOD, shifted])
    assert "「土地执法」" in refused.message
    assert "县国土资源局" in refused.message
    assert "不得转嫁到中心镇考核" in refused.message


def test_a_blank_department_is_no_department() -> None:
    assert adopt(catalogue=[Item("招商引资", "economic_development", department=" ")]).items


def test_veto_items_up_to_the_cap_are_adopted_and_one_more_is_refused_h7() -> None:
    assert vetoes(adopt(catalogue=items("甲", "乙", "丙", "丁", veto=3), cap=3)) == 3
    refused = refused_h7(catalogue=items("甲", "乙", "丙", "丁", veto=4), cap=3)
    assert "4 one-vote-veto items" in refused.message
    assert "「甲」、「乙」、「丙」、「丁」" in refused.message
    assert "一票否决" in refused.message


def test_a_cap_of_zero_refuses_every_veto_item_h7() -> None:
    assert vetoes(adopt(catalogue=items("甲"), cap=0)) == 0
    refused_h7(catalogue=items("甲", veto=1), cap=0)


def test_an_empty_catalogue_is_refused_h7() -> None:
    refused = refused_h7(catalogue=[])
    assert "at least one item" in refused.message


def test_a_title_listed_twice_is_refused_h7() -> None:
    refused = refused_h7(catalogue=[*GOOD, Item(" 招商引资", "public_services")])
    assert "「招商引资」 are listed more than once" in refused.message


def test_an_item_without_a_title_is_refused() -> None:
    with pytest.raises(RuleRefused, match="needs a title") as refused:
        adopt(catalogue=[Item("  ", "public_services")])
    assert refused.value.rule is None


def test_every_breach_is_named_in_one_refusal() -> None:
    refused = refused_h7(catalogue=[
        Item("城市建设", "urban_construction"),
        Item("土地执法", "economic_development", department="县国土资源局"),
        *items("甲", "乙", veto=2),
    ], cap=1)
    for words in ("不得列入考核", "不得转嫁", "一票否决"):
        assert words in refused.message


def test_a_catalogue_needs_the_town_open_on_its_date() -> None:
    host = town(on="2012-06-01")
    with pytest.raises(Conflict, match="established only on") as refused:
        adopt(host, on="2012-01-01")
    assert refused.value.rule == "H4"
    assert refused.value.conflicts == [host.established_by]
    ceasing = stamp("2013-01-01")
    host.cease("dissolution", ceasing)
    with pytest.raises(Conflict, match="ceased on") as refused:
        adopt(host, year=2013, on="2013-01-01")
    assert refused.value.conflicts == [ceasing.change_id]
    assert adopt(host, on="2012-06-01").year == 2012


def test_a_retracted_town_keeps_no_catalogue() -> None:
    host = town()
    host.retract(host.established_by, stamp("2012-01-01"))
    with pytest.raises(Conflict, match="never existed"):
        adopt(host)


# -- Revising a catalogue ------------------------------------------------------------


def test_a_revision_replaces_the_items_from_its_date_on() -> None:
    catalogue = adopt(on="2012-01-01")
    revised = [*GOOD, Item("流动人口管理", "social_management", veto=True)]
    revising = stamp("2012-07-01")
    catalogue.revise(revised, CAP, revising)
    assert catalogue.items == revised
    assert vetoes(catalogue) == 2
    assert [(v.since, list(v.items)) for v in catalogue.versions] == [
        (day("2012-01-01"), GOOD), (day("2012-07-01"), revised)]
    assert in_force(catalogue, "2011-12-31") is None
    assert in_force(catalogue, "2012-06-30") == GOOD
    assert in_force(catalogue, "2012-07-01") == revised
    assert catalogue.versions[-1].change_id == revising.change_id


def test_a_revision_is_checked_against_h7_too() -> None:
    catalogue = adopt()
    for bad, cap in (([Item("城市建设", "urban_construction")], CAP),
                     ([Item("土地执法", "economic_development", department="县国土资源局")], CAP),
                     (items("甲", "乙", veto=2), 1),
                     ([], CAP),
                     (items("甲", "甲"), CAP)):
        with pytest.raises(RuleRefused) as refused:
            catalogue.revise(bad, cap, stamp("2012-07-01"))
        assert refused.value.rule == "H7"
    assert catalogue.items == GOOD


def test_a_zone_catalogue_is_revised_against_the_zones_functions() -> None:
    catalogue = adopt(town(UnitKind.FUNCTIONAL_ZONE),
                      catalogue=[Item("招商引资", "economic_development")])
    with pytest.raises(RuleRefused) as refused:
        catalogue.revise([Item("村务公开", "grassroots_democracy")], CAP, stamp("2012-07-01"))
    assert refused.value.rule == "H7"
    catalogue.revise([Item("重大设施", "urban_construction")], CAP, stamp("2012-07-01"))


def test_a_revision_cannot_precede_the_adoption_or_the_latest_revision() -> None:
    catalogue = adopt(on="2012-02-01")
    with pytest.raises(Conflict, match="adopted only on") as refused:
        catalogue.revise(GOOD, CAP, stamp("2012-01-31"))
    assert refused.value.conflicts == [catalogue.adopted_by]
    later = stamp("2012-09-01")
    catalogue.revise(GOOD[:2], CAP, later)
    with pytest.raises(Conflict, match="already revised") as refused:
        catalogue.revise(GOOD, CAP, stamp("2012-08-31"))
    assert refused.value.conflicts == [later.change_id]
    catalogue.revise(GOOD[:3], CAP, stamp("2012-09-01"))  # the same day: the later one wins
    assert [v.since for v in catalogue.versions] == [
        day("2012-02-01"), day("2012-09-01"), day("2012-09-01")]
    assert in_force(catalogue, "2012-09-01") == GOOD[:3]
    assert catalogue.items == GOOD[:3]


def test_a_revision_given_the_town_needs_it_to_be_the_catalogues_and_open() -> None:
    host = town()
    catalogue = adopt(host)
    with pytest.raises(RuleRefused, match="is not"):
        catalogue.revise(GOOD, CAP, stamp("2012-07-01"), town=town())
    host.cease("dissolution", stamp("2012-06-01"))
    with pytest.raises(Conflict, match="ceased on") as refused:
        catalogue.revise(GOOD, CAP, stamp("2012-07-01"), town=host)
    assert refused.value.rule == "H4"
    catalogue.revise(GOOD[:1], CAP, stamp("2012-05-01"), town=host)
    assert catalogue.items == GOOD[:1]


# -- H7 re-checked under a later policy, without refusing --------------------------------


def test_a_catalogue_adopted_under_one_cap_is_found_wanting_under_a_lower_one() -> None:
    catalogue = adopt(catalogue=items("甲", "乙", "丙", veto=3), cap=3)
    assert h7_findings(catalogue.items, catalogue.town_kind, 3) == []
    (finding,) = h7_findings(catalogue.items, catalogue.town_kind, 2)
    assert "3 one-vote-veto items" in finding
    assert "cap of 2" in finding
    # Nothing was refused: the catalogue stands as adopted.
    assert vetoes(catalogue) == 3
    assert len(catalogue.versions) == 1


def test_findings_on_a_date_use_the_items_then_in_force() -> None:
    catalogue = adopt(catalogue=items("甲", "乙", veto=2), on="2012-01-01")
    catalogue.revise(items("甲", "乙", veto=0), CAP, stamp("2012-07-01"))
    march, july = in_force(catalogue, "2012-03-01"), in_force(catalogue, "2012-07-01")
    assert march is not None and july is not None
    assert len(h7_findings(march, catalogue.town_kind, 1)) == 1
    assert h7_findings(july, catalogue.town_kind, 1) == []
    assert h7_findings(catalogue.items, catalogue.town_kind, 1) == []


def test_h7_findings_list_every_breach_and_nothing_for_a_good_catalogue() -> None:
    assert h7_findings(GOOD, UnitKind.TOWN, CAP) == []
    findings = h7_findings([
        Item("城市建设", "urban_construction", veto=True),
        Item("土地执法", "economic_development", department="县国土资源局"),
        Item("土地执法", "economic_development"),
    ], UnitKind.SUBDISTRICT, 0)
    assert len(findings) == 4
    assert any("「城市建设」" in f and "不得列入考核" in f for f in findings)
    assert any("县国土资源局" in f for f in findings)
    assert any("cap of 0" in f for f in findings)
    assert any("more than once" in f for f in findings)
    assert h7_findings([], UnitKind.TOWN, CAP) == ["an assessment catalogue has at least one item"]
    assert h7_findings(items("甲", veto=1), UnitKind.TOWN, -2) == h7_findings(
        items("甲", veto=1), UnitKind.TOWN, 0)
    (village,) = h7_findings(GOOD, UnitKind.VILLAGE, CAP)
    assert "not a town-level unit" in village


# -- N7: the zone arrangement --------------------------------------------------------------


def zone(on: str = "2010-01-01") -> Unit:
    return unit(UnitKind.FUNCTIONAL_ZONE, "滨海园区", on=on)


def subdistrict(on: str = "2010-01-01") -> Unit:
    return unit(UnitKind.SUBDISTRICT, "安阳街道", on=on)


def make(first: Unit | None = None, second: Unit | None = None, mode: str = ONE_TEAM,
         on: str = "2012-01-01") -> Arrangement:
    return Arrangement.make(zone=first or zone(), subdistrict=second or subdistrict(),
                            mode=mode, stamp=stamp(on))


def in_force_on(arrangement: Arrangement, on: str) -> bool:
    """In force on the one day ``on``: its first day counts, its end day does not."""
    return arrangement.made_on <= day(on) < arrangement.valid_to


@pytest.mark.parametrize("mode", [ONE_TEAM, COORDINATED])
def test_a_zone_and_a_subdistrict_make_an_arrangement(mode: str) -> None:
    z, s = zone(), subdistrict()
    made = stamp("2012-01-01")
    arrangement = Arrangement.make(zone=z, subdistrict=s, mode=mode, stamp=made)
    assert (arrangement.zone_id, arrangement.subdistrict_id, arrangement.mode) == (
        z.id, s.id, mode)
    assert (arrangement.made_on, arrangement.made_by) == (made.effective_date, made.change_id)
    assert arrangement.ended_on is None
    assert MODES[arrangement.mode] == {ONE_TEAM: "区街合一", COORDINATED: "区街统分"}[mode]
    (event,) = arrangement.collect_events()
    assert isinstance(event, Arrangement.Made)


@pytest.mark.parametrize("kind", [UnitKind.CENTRAL_TOWN, UnitKind.TOWN, UnitKind.TOWNSHIP])
def test_a_zone_may_run_with_a_town_instead_of_a_subdistrict(kind: UnitKind) -> None:
    assert make(second=town(kind), mode=COORDINATED).mode == COORDINATED


@pytest.mark.parametrize("kind", [UnitKind.SUBDISTRICT, UnitKind.CENTRAL_TOWN])
def test_the_first_party_must_be_a_functional_zone(kind: UnitKind) -> None:
    with pytest.raises(RuleRefused, match="functional_zone") as refused:
        make(first=unit(kind))
    assert refused.value.rule is None


@pytest.mark.parametrize("kind", [UnitKind.FUNCTIONAL_ZONE, UnitKind.VILLAGE])
def test_the_second_party_must_be_a_subdistrict_or_a_town(kind: UnitKind) -> None:
    other = unit(kind, parent=town()) if kind is UnitKind.VILLAGE else unit(kind)
    with pytest.raises(RuleRefused, match=f"not a {kind.value}") as refused:
        make(second=other)
    assert refused.value.rule is None


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(RuleRefused, match="unknown operating mode") as refused:
        make(mode="merged")
    assert refused.value.rule is None


@pytest.mark.parametrize("which", ["zone", "subdistrict"])
def test_both_units_must_be_open_on_the_date(which: str) -> None:
    late = zone(on="2013-01-01") if which == "zone" else subdistrict(on="2013-01-01")
    parties = {"first": late} if which == "zone" else {"second": late}
    with pytest.raises(Conflict, match="established only on") as refused:
        make(**parties, on="2012-01-01")  # type: ignore[arg-type]
    assert refused.value.rule == "H4"
    ceased = zone() if which == "zone" else subdistrict()
    ceased.cease("dissolution", stamp("2012-01-01"))
    parties = {"first": ceased} if which == "zone" else {"second": ceased}
    with pytest.raises(Conflict, match="ceased on"):
        make(**parties, on="2012-01-01")  # type: ignore[arg-type]
    assert make(**parties, on="2011-12-31").made_on == day("2011-12-31")  # type: ignore[arg-type]


def test_an_arrangement_is_in_force_from_its_first_day_until_its_end_exclusive() -> None:
    arrangement = make(on="2012-01-01")
    assert (arrangement.made_on, arrangement.valid_to) == (day("2012-01-01"), END)
    assert not in_force_on(arrangement, "2011-12-31")
    assert in_force_on(arrangement, "2012-01-01")
    assert in_force_on(arrangement, "2999-01-01")
    ending = stamp("2014-01-01")
    arrangement.end(ending)
    assert (arrangement.ended_on, arrangement.ended_by) == (day("2014-01-01"), ending.change_id)
    assert arrangement.valid_to == day("2014-01-01")
    assert in_force_on(arrangement, "2013-12-31")
    assert not in_force_on(arrangement, "2014-01-01")
    # Over a period: in force on some day of [since, until).
    assert arrangement.overlaps(day("2011-01-01"), day("2012-01-02"))
    assert not arrangement.overlaps(day("2011-01-01"), day("2012-01-01"))
    assert arrangement.overlaps(day("2013-12-31"))
    assert not arrangement.overlaps(day("2014-01-01"))


def test_an_arrangement_cannot_end_on_or_before_its_first_day() -> None:
    arrangement = make(on="2012-01-01")
    for on in ("2012-01-01", "2011-06-01"):
        with pytest.raises(Conflict, match="starts only on") as refused:
            arrangement.end(stamp(on))
        assert refused.value.conflicts == [arrangement.made_by]
    arrangement.end(stamp("2012-01-02"))
    assert in_force_on(arrangement, "2012-01-01")
    assert not in_force_on(arrangement, "2012-01-02")


def test_an_arrangement_cannot_end_twice() -> None:
    arrangement = make()
    first = stamp("2014-01-01")
    arrangement.end(first)
    with pytest.raises(Conflict, match="already ends") as refused:
        arrangement.end(stamp("2015-01-01"))
    assert refused.value.conflicts == [first.change_id]
    assert arrangement.ended_on == day("2014-01-01")


def test_the_same_two_units_have_one_arrangement_at_a_time() -> None:
    z, s = zone(), subdistrict()
    first = make(z, s, on="2012-01-01")
    for since in ("2011-01-01", "2013-01-01"):
        with pytest.raises(Conflict, match="end it first") as refused:
            require_no_overlap([first], zone_id=z.id, subdistrict_id=s.id, since=day(since))
        assert refused.value.conflicts == [first.made_by]
    first.end(stamp("2014-01-01"))
    require_no_overlap([first], zone_id=z.id, subdistrict_id=s.id, since=day("2014-01-01"))
    with pytest.raises(Conflict):
        require_no_overlap([first], zone_id=z.id, subdistrict_id=s.id, since=day("2013-12-31"))
    # Another pair is no clash.
    require_no_overlap([first], zone_id=z.id, subdistrict_id=uuid4(), since=day("2013-01-01"))


# -- N7: is the leadership the mode asks for in place? ----------------------------------------


def people(n: int) -> set[UUID]:
    return {uuid4() for _ in range(n)}


def test_one_team_needs_the_same_leaders_on_both_sides() -> None:
    team = people(3)
    in_place, figures = leadership_in_place(ONE_TEAM, set(team), set(team))
    assert in_place
    assert figures == {"mode": ONE_TEAM, "label": "区街合一", "zone_leaders": 3,
                       "other_leaders": 3, "cross_appointed": 3, "zone_only": 0,
                       "other_only": 0}


def test_one_team_is_not_in_place_when_the_leaders_differ() -> None:
    team = people(3)
    in_place, figures = leadership_in_place(ONE_TEAM, team | people(1), set(team))
    assert not in_place
    assert (figures["cross_appointed"], figures["zone_only"], figures["other_only"]) == (3, 1, 0)
    assert not leadership_in_place(ONE_TEAM, people(2), people(2))[0]


def test_one_team_of_nobody_is_not_in_place() -> None:
    in_place, figures = leadership_in_place(ONE_TEAM, set(), set())
    assert not in_place
    assert figures["zone_leaders"] == figures["other_leaders"] == 0
    assert not leadership_in_place(ONE_TEAM, people(2), set())[0]


def test_coordinated_needs_someone_cross_appointed_but_not_the_same_team() -> None:
    shared = people(1)
    in_place, figures = leadership_in_place(COORDINATED, shared | people(4), shared | people(2))
    assert in_place
    assert figures["label"] == "区街统分"
    assert (figures["zone_leaders"], figures["other_leaders"], figures["cross_appointed"],
            figures["zone_only"], figures["other_only"]) == (5, 3, 1, 4, 2)
    team = people(2)
    assert leadership_in_place(COORDINATED, set(team), set(team))[0]  # the same team is also fine


def test_coordinated_without_a_cross_appointment_is_not_in_place() -> None:
    in_place, figures = leadership_in_place(COORDINATED, people(3), people(3))
    assert not in_place
    assert figures["cross_appointed"] == 0
    assert not leadership_in_place(COORDINATED, set(), set())[0]
    assert not leadership_in_place(COORDINATED, people(1), set())[0]


def test_leadership_of_an_unknown_mode_is_refused() -> None:
    with pytest.raises(RuleRefused, match="unknown operating mode"):
        leadership_in_place("merged", people(1), people(1))


def test_the_leading_roles_and_bodies_of_each_side() -> None:
    assert LEADING_ROLES == {Role.SECRETARY, Role.DEPUTY_SECRETARY, Role.DIRECTOR,
                             Role.DEPUTY_DIRECTOR}
    assert ZONE_LEADING_BODIES == {BodyType.PARTY_WORKING_COMMITTEE,
                                   BodyType.ZONE_MANAGEMENT_COMMITTEE}
    assert OTHER_LEADING_BODIES == {BodyType.PARTY_WORKING_COMMITTEE, BodyType.GOVERNMENT,
                                    BodyType.PARTY_COMMITTEE}

