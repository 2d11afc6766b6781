"""The hard rules H1–H7 through the ledger's commands, on the library's in-memory store.

Each rule refuses where it should — the refusal's type (``RuleRefused``: wrong on its
own terms, ``Conflict``: against recorded history) and its rule id — and allows the
case just beside it. A refused command records nothing: the county's notification
log is where it was. The ledger answers its own look-ups from its events
(``application.memory``), so the rules that need them (H4 on dissolution, H5's
party secretary, H6 on removal) run as they do in service.
"""

from __future__ import annotations

from uuid import UUID

import pytest
from ledgers import ACTOR, START, County, created, day, made

from application.ledger import CommunitySpec
from application.memory import in_memory_ledger
from domain.assessment import Item
from domain.bodies import (
    COMBINED_HORIZONTAL_PRIMARY,
    VERTICAL_PRIMARY,
    BodyType,
    Role,
)
from domain.kinds import UnitKind
from domain.rules import Conflict, RuleRefused

CONSENT = {"document_no": "瑞委〔2012〕7号"}


@pytest.fixture
def county() -> County:
    return County(in_memory_ledger("330381"))


@pytest.fixture
def town(county: County) -> UUID:
    return county.unit(UnitKind.TOWN)


# -- H1: a village belongs to at most one community or federation -------------------


def test_h1_a_federated_village_joins_another_federation_only_from_the_day_it_left(
    county: County, town: UUID,
) -> None:
    a, b, c, d = county.villages(town, 4)
    first = county.federate([a, b], "2011-01-01")
    second = county.federate([c, d], "2011-01-01")
    county.ledger.leave_federation(federation_id=first, village_id=a,
                                   effective_date=day("2013-01-01"), actor=ACTOR)
    with county.refuses(Conflict, "H1"):
        county.ledger.join_federation(federation_id=second, village_id=a,
                                      effective_date=day("2012-12-31"), actor=ACTOR)
    county.ledger.join_federation(federation_id=second, village_id=a,
                                  effective_date=day("2013-01-01"), actor=ACTOR)
    village = county.ledger.unit(a)
    assert village.facts_on(day("2012-12-31")).federation_id == first
    assert village.facts_on(day("2013-01-01")).federation_id == second


def test_h1_a_converted_village_takes_no_change_from_its_conversion_on(
    county: County, town: UUID,
) -> None:
    [village] = county.villages(town, 1)
    county.plan(UnitKind.URBAN_COMMUNITY, [village], "2011-01-01")
    conversion = county.convert(village, "2012-01-01")
    with county.refuses(Conflict, "H1"):
        county.ledger.rename(village, "新名", day("2012-01-01"), ACTOR)
    county.ledger.rename(village, "新名", day("2011-12-31"), ACTOR)
    assert county.ledger.unit(village).name_on(day("2011-12-31")) == "新名"
    assert county.ledger.unit(village).ceased_by == conversion.change_id


def test_h1_a_merged_village_is_not_merged_again(county: County, town: UUID) -> None:
    a, b, c = county.villages(town, 3)
    county.plan(UnitKind.RURAL_COMMUNITY, [a, b, c], "2011-01-01")
    county.merge([a, b], "2012-01-01")
    with county.refuses(Conflict, "H1"):
        county.merge([b, c], "2012-06-01")
    assert county.ledger.unit(c).ceased_on is None


def test_h1_a_federated_village_is_dissolved_only_after_it_left(
    county: County, town: UUID,
) -> None:
    a, b = county.villages(town, 2)
    federation = county.federate([a, b], "2011-01-01")
    with county.refuses(Conflict, "H1"):
        county.ledger.dissolve(a, day("2012-06-01"), ACTOR)
    county.ledger.leave_federation(federation_id=federation, village_id=a,
                                   effective_date=day("2013-01-01"), actor=ACTOR)
    county.ledger.dissolve(a, day("2013-01-02"), ACTOR)
    assert county.ledger.unit(a).ceased_on == day("2013-01-02")


def test_h1_a_village_leaves_only_a_federation_it_has_joined_before(
    county: County, town: UUID,
) -> None:
    a, b, outsider = county.villages(town, 3)
    federation = county.federate([a, b], "2011-01-01")
    with county.refuses(Conflict, "H1"):
        county.ledger.leave_federation(federation_id=federation, village_id=outsider,
                                       effective_date=day("2012-01-01"), actor=ACTOR)
    with county.refuses(Conflict, "H1"):  # it joins only on that day
        county.ledger.leave_federation(federation_id=federation, village_id=a,
                                       effective_date=day("2011-01-01"), actor=ACTOR)
    county.ledger.leave_federation(federation_id=federation, village_id=a,
                                   effective_date=day("2011-01-02"), actor=ACTOR)
    assert county.ledger.unit(a).facts_on(day("2011-01-02")).federation_id is None


# -- H2: conversion takes one village; merger and federation two or more -------------


def test_h2_a_merger_takes_two_villages_or_more(county: County, town: UUID) -> None:
    a, b = county.villages(town, 2)
    county.plan(UnitKind.RURAL_COMMUNITY, [a, b], "2011-01-01")
    with county.refuses(RuleRefused, "H2"):
        county.merge([a], "2012-01-01")
    with county.refuses(RuleRefused, "H2"):
        county.merge([a, a], "2012-01-01")
    community = created(county.merge([a, b], "2012-01-01"))
    assert county.ledger.unit(community).kind is UnitKind.RURAL_COMMUNITY
    assert county.ledger.unit(b).cease_reason == "merger"


def test_h2_only_an_administrative_village_is_converted(county: County, town: UUID) -> None:
    community = county.unit(UnitKind.URBAN_COMMUNITY, town)
    [village] = county.villages(town, 1)
    county.plan(UnitKind.URBAN_COMMUNITY, [village], "2011-01-01")
    with county.refuses(RuleRefused, "H2"):
        county.convert(community, "2012-01-01")
    receipt = county.convert(village, "2012-01-01")
    assert county.ledger.unit(created(receipt)).kind is UnitKind.URBAN_COMMUNITY


def test_h2_a_federation_takes_villages_not_already_federated(
    county: County, town: UUID,
) -> None:
    a, b, c = county.villages(town, 3)
    first = county.federate([a, b], "2011-01-01")
    county.plan(UnitKind.FEDERATION, [a, c], "2012-01-01")
    with county.refuses(Conflict, "H2"):
        county.ledger.federate(village_ids=[a, c], federation=CommunitySpec("联居"),
                               effective_date=day("2012-01-01"), actor=ACTOR)
    county.ledger.leave_federation(federation_id=first, village_id=a,
                                   effective_date=day("2012-01-01"), actor=ACTOR)
    second = county.federate([a, c], "2012-01-01")
    assert county.ledger.unit(a).facts_on(day("2012-01-01")).federation_id == second


# -- H3: plan first (先规划后落实) ------------------------------------------------------


def test_h3_a_conversion_waits_for_its_plan(county: County, town: UUID) -> None:
    [village] = county.villages(town, 1)
    with county.refuses(RuleRefused, "H3"):
        county.convert(village, "2012-01-01")
    county.plan(UnitKind.URBAN_COMMUNITY, [village], "2012-01-01")
    with county.refuses(RuleRefused, "H3"):  # the day before the plan is in force
        county.convert(village, "2011-12-31")
    county.convert(village, "2012-01-02")
    assert county.ledger.unit(village).ceased_on == day("2012-01-02")


def test_h3_the_plan_in_force_is_of_the_change_s_kind(county: County, town: UUID) -> None:
    a, b = county.villages(town, 2)
    county.plan(UnitKind.URBAN_COMMUNITY, [a, b], "2011-01-01")
    with county.refuses(RuleRefused, "H3"):
        county.merge([a, b], "2012-01-01")
    county.plan(UnitKind.RURAL_COMMUNITY, [a, b], "2012-01-01")
    assert county.merge([a, b], "2012-01-02").type == "merger"


def test_h3_merged_villages_sit_in_one_plan(county: County, town: UUID) -> None:
    a, b = county.villages(town, 2)
    county.plan(UnitKind.RURAL_COMMUNITY, [a], "2011-01-01")
    county.plan(UnitKind.RURAL_COMMUNITY, [b], "2011-01-01")
    with county.refuses(RuleRefused, "H3"):
        county.merge([a, b], "2012-01-01")
    county.plan(UnitKind.RURAL_COMMUNITY, [a, b], "2012-01-01")
    assert county.merge([a, b], "2012-01-02").type == "merger"


def test_h3_a_plan_places_villages_in_a_community_area(county: County, town: UUID) -> None:
    [village] = county.villages(town, 1)
    with county.refuses(RuleRefused, "H3"):
        county.plan(UnitKind.TOWN, [village], "2011-01-01")
    with county.refuses(RuleRefused, "H3"):
        county.plan(UnitKind.FEDERATION, [town], "2011-01-01")
    county.plan(UnitKind.FEDERATION, [village], "2011-01-01")
    placement = county.ledger.unit(village).plan_on(day("2011-01-01"))
    assert placement is not None and placement.area_type is UnitKind.FEDERATION


def test_h3_a_county_that_drops_plans_converts_without_one_from_that_day(
    county: County, town: UUID,
) -> None:
    [village] = county.villages(town, 1)
    county.ledger.amend_policy({"plans_required": False}, day("2012-01-01"), ACTOR)
    with county.refuses(RuleRefused, "H3"):
        county.convert(village, "2011-12-31")
    county.convert(village, "2012-01-01")
    assert county.ledger.unit(village).cease_reason == "conversion"


# -- H4: units hang under units of the right kind, within their life span ------------


def test_h4_a_village_hangs_under_a_town_level_unit(county: County, town: UUID) -> None:
    [village] = county.villages(town, 1)
    with county.refuses(RuleRefused, "H4"):
        county.unit(UnitKind.VILLAGE)
    with county.refuses(RuleRefused, "H4"):
        county.unit(UnitKind.VILLAGE, village)
    with county.refuses(RuleRefused, "H4"):
        county.unit(UnitKind.TOWN, town)
    assert county.ledger.unit(village).parent_on(day(START)) == town


def test_h4_a_unit_hangs_under_a_parent_only_from_the_day_the_parent_begins(
    county: County,
) -> None:
    later = county.unit(UnitKind.TOWN, on="2012-01-01")
    with county.refuses(Conflict, "H4"):
        county.unit(UnitKind.VILLAGE, later, on="2011-12-31")
    village = county.unit(UnitKind.VILLAGE, later, on="2012-01-01")
    assert county.ledger.unit(village).established_on == day("2012-01-01")


def test_h4_a_town_is_dissolved_once_nothing_hangs_under_it(
    county: County, town: UUID,
) -> None:
    other = county.unit(UnitKind.TOWN)
    [village] = county.villages(town, 1)
    government = county.body(BodyType.GOVERNMENT, town)
    county.ledger.move(village, other, day("2013-01-01"), ACTOR)
    with county.refuses(Conflict, "H4"):  # the village is still under it that day
        county.ledger.dissolve(town, day("2012-12-31"), ACTOR)
    county.ledger.dissolve(town, day("2013-01-01"), ACTOR)
    assert county.ledger.unit(town).ceased_on == day("2013-01-01")
    assert county.ledger.body(government).abolished_on == day("2013-01-01")  # wound up


def test_h4_nothing_changes_a_unit_after_it_ceased(county: County, town: UUID) -> None:
    [village] = county.villages(town, 1)
    county.ledger.dissolve(village, day("2012-01-01"), ACTOR)
    with county.refuses(Conflict, "H4"):
        county.ledger.rename(village, "新名", day("2012-01-01"), ACTOR)
    with county.refuses(Conflict, "H4"):
        county.body(BodyType.PARTY_ORGANISATION, village, on="2011-06-01")  # would outlive it
    county.ledger.rename(village, "新名", day("2011-12-31"), ACTOR)
    assert county.ledger.unit(village).name_on(day("2011-12-31")) == "新名"


def test_h4_a_body_is_of_a_type_found_on_its_unit(county: County, town: UUID) -> None:
    with county.refuses(RuleRefused, "H4"):
        county.body(BodyType.VILLAGE_COMMITTEE, town)
    body = county.body(BodyType.PARTY_COMMITTEE, town)
    assert county.ledger.body(body).unit_id == town


def test_h4_a_town_level_unit_does_not_move(county: County, town: UUID) -> None:
    other = county.unit(UnitKind.TOWN)
    [village] = county.villages(town, 1)
    with county.refuses(RuleRefused, "H4"):
        county.ledger.move(town, other, day("2012-01-01"), ACTOR)
    county.ledger.move(village, other, day("2012-01-01"), ACTOR)
    assert county.ledger.unit(village).parent_on(day("2012-01-01")) == other


# -- H5: the social work committee ------------------------------------------------------


@pytest.mark.parametrize("kind", [UnitKind.CENTRAL_TOWN, UnitKind.SUBDISTRICT,
                                  UnitKind.FUNCTIONAL_ZONE])
def test_h5_a_social_work_committee_only_in_central_towns_sub_districts_and_zones(
    county: County, town: UUID, kind: UnitKind,
) -> None:
    with county.refuses(RuleRefused, "H5"):
        county.body(BodyType.SOCIAL_WORK_COMMITTEE, town)
    host = county.unit(kind)
    committee = county.body(BodyType.SOCIAL_WORK_COMMITTEE, host)
    assert county.ledger.body(committee).type is BodyType.SOCIAL_WORK_COMMITTEE


def test_h5_a_social_work_committee_has_at_most_five_full_time_staff(county: County) -> None:
    host = county.unit(UnitKind.CENTRAL_TOWN)
    committee = county.body(BodyType.SOCIAL_WORK_COMMITTEE, host)
    posts = [county.appoint(committee, Role.FULL_TIME_STAFF, "2011-01-01", county.person(),
                            full_time=True) for _ in range(5)]
    sixth = county.person()
    with county.refuses(RuleRefused, "H5"):
        county.appoint(committee, Role.FULL_TIME_STAFF, "2011-06-01", sixth, full_time=True)
    county.end_post(posts[0], "2012-01-01")
    with county.refuses(RuleRefused, "H5"):  # the first still holds the post that day
        county.appoint(committee, Role.FULL_TIME_STAFF, "2011-12-31", sixth, full_time=True)
    county.appoint(committee, Role.FULL_TIME_STAFF, "2012-01-01", sixth, full_time=True)
    assert county.ledger.body(committee).full_time_staff_on(day("2012-01-01")) == 5


def test_h5_the_director_is_the_party_secretary_concurrently(county: County) -> None:
    host = county.unit(UnitKind.CENTRAL_TOWN)
    party = county.body(BodyType.PARTY_COMMITTEE, host)
    committee = county.body(BodyType.SOCIAL_WORK_COMMITTEE, host)
    secretary, other = county.person(), county.person()
    post = county.appoint(party, Role.SECRETARY, "2011-01-01", secretary)
    county.end_post(post, "2013-01-01")
    with county.refuses(RuleRefused, "H5"):  # not held concurrently
        county.appoint(committee, Role.DIRECTOR, "2012-01-01", secretary)
    with county.refuses(RuleRefused, "H5"):  # not the party secretary
        county.appoint(committee, Role.DIRECTOR, "2012-01-01", other, concurrent=True)
    with county.refuses(RuleRefused, "H5"):  # no longer the party secretary that day
        county.appoint(committee, Role.DIRECTOR, "2013-01-01", secretary, concurrent=True)
    county.appoint(committee, Role.DIRECTOR, "2012-12-31", secretary, concurrent=True)
    assert county.ledger.body(committee).holds(secretary, Role.DIRECTOR, day("2012-12-31"))


def test_h5_the_office_director_is_a_deputy_party_secretary(county: County) -> None:
    host = county.unit(UnitKind.SUBDISTRICT)
    party = county.body(BodyType.PARTY_WORKING_COMMITTEE, host)
    committee = county.body(BodyType.SOCIAL_WORK_COMMITTEE, host)
    secretary, deputy = county.person(), county.person()
    county.appoint(party, Role.SECRETARY, "2011-01-01", secretary)
    county.appoint(party, Role.DEPUTY_SECRETARY, "2011-01-01", deputy)
    with county.refuses(RuleRefused, "H5"):
        county.appoint(committee, Role.OFFICE_DIRECTOR, "2012-01-01", secretary, concurrent=True)
    county.appoint(committee, Role.OFFICE_DIRECTOR, "2012-01-01", deputy, concurrent=True)
    assert county.ledger.body(committee).holds(deputy, Role.OFFICE_DIRECTOR, day("2012-01-01"))


# -- H6: the head of a combined, horizontal-primary dispatched agency -----------------


def agency(county: County, mode: str) -> UUID:
    host = county.unit(UnitKind.CENTRAL_TOWN)
    return county.body(BodyType.DISPATCHED_AGENCY, host, assessment_mode=mode)


def test_h6_the_head_is_appointed_with_the_host_party_committee_s_consent(
    county: County,
) -> None:
    combined = agency(county, COMBINED_HORIZONTAL_PRIMARY)
    head = county.person()
    with county.refuses(RuleRefused, "H6"):
        county.appoint(combined, Role.HEAD, "2011-01-01", head)
    post = county.appoint(combined, Role.HEAD, "2011-01-01", head, consent=CONSENT)
    assert county.ledger.body(combined).posts[post].role is Role.HEAD


def test_h6_a_vertical_primary_agency_s_head_needs_no_consent(county: County) -> None:
    vertical = agency(county, VERTICAL_PRIMARY)
    post = county.appoint(vertical, Role.HEAD, "2011-01-01", county.person())
    assert post in county.ledger.body(vertical).posts


def test_h6_the_head_is_removed_or_reassigned_with_consent(county: County) -> None:
    combined = agency(county, COMBINED_HORIZONTAL_PRIMARY)
    government = county.body(BodyType.GOVERNMENT, county.ledger.body(combined).unit_id)
    post = county.appoint(combined, Role.HEAD, "2011-01-01", county.person(),
                          consent=CONSENT)
    with county.refuses(RuleRefused, "H6"):
        county.end_post(post, "2012-01-01")
    with county.refuses(RuleRefused, "H6"):
        county.ledger.reassign(post_id=post, to_body_id=government, role=Role.MEMBER,
                               effective_date=day("2012-01-01"), actor=ACTOR)
    county.end_post(post, "2012-01-01", consent=CONSENT)
    assert county.ledger.body(combined).posts[post].until == day("2012-01-01")


def test_h6_staff_other_than_the_head_leave_without_consent(county: County) -> None:
    combined = agency(county, COMBINED_HORIZONTAL_PRIMARY)
    post = county.appoint(combined, Role.FULL_TIME_STAFF, "2011-01-01", county.person())
    county.end_post(post, "2012-01-01")
    assert county.ledger.body(combined).posts[post].until == day("2012-01-01")


def test_h6_the_head_s_post_ends_without_consent_when_the_town_is_dissolved(
    county: County,
) -> None:
    combined = agency(county, COMBINED_HORIZONTAL_PRIMARY)
    host = county.ledger.body(combined).unit_id
    post = county.appoint(combined, Role.HEAD, "2011-01-01", county.person(),
                          consent=CONSENT)
    county.ledger.dissolve(host, day("2012-01-01"), ACTOR)
    assert county.ledger.body(combined).posts[post].until == day("2012-01-01")
    assert county.ledger.body(combined).abolished_on == day("2012-01-01")


# -- H7: a town's assessment catalogue -----------------------------------------------------


def veto(n: int) -> list[Item]:
    return [Item(f"否决{i}", "social_management", veto=True) for i in range(n)]


def test_h7_a_catalogue_holds_only_the_town_s_functions(county: County, town: UUID) -> None:
    with county.refuses(RuleRefused, "H7"):
        county.catalogue(town, [Item("城市建设", "urban_construction")])
    receipt = county.catalogue(town, [Item("招商引资", "economic_development")])
    assert county.ledger.repository.get(made(receipt)).items == [
        Item("招商引资", "economic_development")]


def test_h7_a_zone_is_assessed_on_a_zone_s_functions(county: County) -> None:
    zone = county.unit(UnitKind.FUNCTIONAL_ZONE)
    with county.refuses(RuleRefused, "H7"):
        county.catalogue(zone, [Item("便民服务", "public_services")])
    assert county.catalogue(zone, [Item("城市建设", "urban_construction")]).id is not None


def test_h7_no_county_department_s_function_is_shifted_to_the_town(
    county: County, town: UUID,
) -> None:
    with county.refuses(RuleRefused, "H7"):
        county.catalogue(town, [Item("土地执法", "social_management", department="县国土资源局")])
    county.catalogue(town, [Item("土地执法", "social_management", department=" ")])


def test_h7_one_vote_veto_items_are_capped(county: County, town: UUID) -> None:
    with county.refuses(RuleRefused, "H7"):
        county.catalogue(town, veto(4))
    receipt = county.catalogue(town, veto(3))
    assert len(county.ledger.repository.get(made(receipt)).items) == 3


def test_h7_the_cap_in_force_on_the_day_applies(county: County, town: UUID) -> None:
    county.ledger.amend_policy({"max_veto_items": 4}, day("2013-01-01"), ACTOR)
    with county.refuses(RuleRefused, "H7"):
        county.catalogue(town, veto(4), on="2012-12-31")
    receipt = county.catalogue(town, veto(4), on="2013-01-01")
    assert len(county.ledger.repository.get(made(receipt)).items) == 4


def test_h7_a_revision_is_held_to_the_rule_too(county: County, town: UUID) -> None:
    receipt = county.catalogue(town, veto(1))
    with county.refuses(RuleRefused, "H7"):
        county.catalogue(town, veto(4), on="2012-06-01")
    county.catalogue(town, veto(2), on="2012-06-01")
    assert len(county.ledger.repository.get(made(receipt)).items) == 2


def test_h7_only_a_town_level_unit_keeps_a_catalogue(county: County, town: UUID) -> None:
    [village] = county.villages(town, 1)
    with county.refuses(RuleRefused, "H7"):
        county.catalogue(village, veto(1))
    assert county.catalogue(town, veto(1)).type == "assessment_catalogue"
