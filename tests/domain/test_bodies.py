"""Bodies, posts and people, in memory: the rules of DOMAIN.md §3, §4 and H5/H6.

No storage and no application: units, bodies and people are built as
aggregates and their commands are called directly.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest
from aggregates import day, stamp, unit

from domain.bodies import (
    Appointment,
    Body,
    BodyType,
    Role,
    require_social_work_leadership,
)
from domain.kinds import UnitKind
from domain.people import Person, Rank, Source
from domain.rules import Conflict, DomainError, RuleRefused
from domain.units import Stamp, Unit

CONSENT = {"document_no": "瑞委〔2012〕7号"}
COMBINED = {"assessment_mode": "combined_horizontal_primary"}


# -- Helpers ------------------------------------------------------------------


def town(kind: UnitKind = UnitKind.TOWN, on: str = "2010-01-01") -> Unit:
    return unit(kind, on=on)


def body(type_: BodyType, in_unit: Unit, on: str = "2011-01-01",
         attributes: dict[str, Any] | None = None) -> Body:
    return Body.establish(type=type_, unit=in_unit, name=None,
                          attributes=attributes or {}, stamp=stamp(on))


def appoint(in_body: Body, role: Role, on: str, *, person: UUID | None = None,
            **how: Any) -> tuple[UUID, Stamp]:
    """Appoint ``person`` (a new one by default); the new post's id and its stamp."""
    post_id, s = uuid4(), stamp(on)
    in_body.appoint(Appointment(person or uuid4(), role, **how), post_id, s)
    return post_id, s


def social_work_committee(on: str = "2011-01-01") -> Body:
    return body(BodyType.SOCIAL_WORK_COMMITTEE, town(UnitKind.CENTRAL_TOWN), on=on)


def staff(committee: Body, on: str, count: int = 1) -> list[UUID]:
    return [appoint(committee, Role.FULL_TIME_STAFF, on, full_time=True)[0]
            for _ in range(count)]


# -- Where bodies are found (§3, H4, H5) ----------------------------------------


@pytest.mark.parametrize(("type_", "kind"), [
    (BodyType.VILLAGE_COMMITTEE, UnitKind.TOWN),
    (BodyType.PARTY_COMMITTEE, UnitKind.SUBDISTRICT),
    (BodyType.ZONE_MANAGEMENT_COMMITTEE, UnitKind.CENTRAL_TOWN),
    (BodyType.SOCIAL_AFFAIRS_OFFICE, UnitKind.FUNCTIONAL_ZONE),
])
def test_a_body_on_a_kind_of_town_it_is_not_found_on_is_refused_h4(
        type_: BodyType, kind: UnitKind) -> None:
    with pytest.raises(RuleRefused) as refused:
        body(type_, town(kind))
    assert refused.value.rule == "H4"


@pytest.mark.parametrize("type_", [
    BodyType.RESIDENTS_COMMITTEE, BodyType.GOVERNMENT, BodyType.FEDERATION_MANAGEMENT_COMMITTEE,
])
def test_a_village_hosts_only_village_bodies_h4(type_: BodyType) -> None:
    village = unit(UnitKind.VILLAGE, "甲村", parent=town())
    with pytest.raises(RuleRefused) as refused:
        body(type_, village)
    assert refused.value.rule == "H4"
    assert body(BodyType.VILLAGE_COMMITTEE, village).unit_id == village.id


@pytest.mark.parametrize("kind", [UnitKind.TOWN, UnitKind.TOWNSHIP])
def test_a_social_work_committee_outside_central_towns_subdistricts_and_zones_is_refused_h5(
        kind: UnitKind) -> None:
    with pytest.raises(RuleRefused) as refused:
        body(BodyType.SOCIAL_WORK_COMMITTEE, town(kind))
    assert refused.value.rule == "H5"


@pytest.mark.parametrize(
    "kind", [UnitKind.CENTRAL_TOWN, UnitKind.SUBDISTRICT, UnitKind.FUNCTIONAL_ZONE])
def test_a_social_work_committee_is_found_on_central_towns_subdistricts_and_zones(
        kind: UnitKind) -> None:
    host = town(kind)
    committee = body(BodyType.SOCIAL_WORK_COMMITTEE, host)
    assert committee.type is BodyType.SOCIAL_WORK_COMMITTEE
    assert committee.unit_id == host.id
    assert committee.name == "安阳镇社会工作委员会"  # the unit's name and the type's label
    assert committee.exists_on(day("2011-01-01"))
    assert not committee.exists_on(day("2010-12-31"))


# -- A body lives within its unit's life (H4) -------------------------------------


def test_a_unit_knows_the_bodies_established_in_it_until_their_change_is_retracted() -> None:
    host = town()
    committee = body(BodyType.PARTY_COMMITTEE, host)
    centre = body(BodyType.SERVICE_CENTRE, host, on="2012-01-01")
    assert list(host.hosted_bodies) == [committee.id, centre.id]
    host.retract(host.hosted_bodies[centre.id], stamp("2013-01-01"))
    assert list(host.hosted_bodies) == [committee.id]


def test_a_body_cannot_be_established_before_its_unit() -> None:
    host = town(on="2010-01-01")
    with pytest.raises(Conflict, match="established only on") as refused:
        body(BodyType.GOVERNMENT, host, on="2009-12-31")
    assert refused.value.conflicts == [host.established_by]


def test_a_body_cannot_be_established_on_or_after_its_unit_ceased() -> None:
    host = town()
    ceasing = stamp("2015-01-01")
    host.cease("dissolution", ceasing)
    for on in ("2015-01-01", "2016-06-01"):
        with pytest.raises(Conflict, match="ceased on") as refused:
            body(BodyType.GOVERNMENT, host, on=on)
        assert refused.value.conflicts == [ceasing.change_id]


def test_a_body_cannot_be_established_in_a_unit_that_ceases_later_h4() -> None:
    host = town()
    ceasing = stamp("2015-01-01")
    host.cease("dissolution", ceasing)
    with pytest.raises(Conflict, match="outlive") as refused:
        body(BodyType.GOVERNMENT, host, on="2012-01-01")
    assert refused.value.rule == "H4"
    assert refused.value.conflicts == [ceasing.change_id]


# -- Posts (§4) ------------------------------------------------------------------


def test_a_post_is_held_from_its_first_day_until_its_end_exclusive() -> None:
    committee = body(BodyType.PARTY_COMMITTEE, town())
    person = uuid4()
    post_id, _ = appoint(committee, Role.SECRETARY, "2012-03-01", person=person)
    assert committee.posts_on(day("2012-02-29")) == []
    assert [p.post_id for p in committee.posts_on(day("2012-03-01"))] == [post_id]
    assert not committee.holds(person, Role.SECRETARY, day("2012-02-29"))
    assert committee.holds(person, Role.SECRETARY, day("2012-03-01"))
    assert not committee.holds(person, Role.DEPUTY_SECRETARY, day("2012-03-01"))
    assert not committee.holds(uuid4(), Role.SECRETARY, day("2012-03-01"))

    ending = stamp("2013-01-01")
    ended = committee.end_post(post_id, ending, reason="retired", consent=None)
    assert (ended.until, ended.ended_by, ended.end_reason) == (
        day("2013-01-01"), ending.change_id, "retired")
    assert committee.holds(person, Role.SECRETARY, day("2012-12-31"))
    assert not committee.holds(person, Role.SECRETARY, day("2013-01-01"))
    assert committee.posts_on(day("2013-01-01")) == []


def test_no_post_before_the_body_is_established_or_of_an_unknown_id() -> None:
    committee = body(BodyType.PARTY_COMMITTEE, town(), on="2011-01-01")
    with pytest.raises(Conflict, match="established only on"):
        appoint(committee, Role.MEMBER, "2010-12-31")
    with pytest.raises(Conflict, match="is not a post of"):
        committee.end_post(uuid4(), stamp("2012-01-01"), reason=None, consent=None)


def test_a_post_cannot_end_on_or_before_its_first_day() -> None:
    committee = body(BodyType.PARTY_COMMITTEE, town())
    post_id, started = appoint(committee, Role.MEMBER, "2012-03-01")
    for on in ("2012-03-01", "2012-02-01"):
        with pytest.raises(Conflict, match="starts only on") as refused:
            committee.end_post(post_id, stamp(on), reason=None, consent=None)
        assert refused.value.conflicts == [started.change_id]
    assert committee.post(post_id).until is None


def test_a_post_cannot_end_twice() -> None:
    committee = body(BodyType.PARTY_COMMITTEE, town())
    post_id, _ = appoint(committee, Role.MEMBER, "2012-03-01")
    first = stamp("2013-01-01")
    committee.end_post(post_id, first, reason=None, consent=None)
    with pytest.raises(Conflict, match="already ends") as refused:
        committee.end_post(post_id, stamp("2014-01-01"), reason=None, consent=None)
    assert refused.value.conflicts == [first.change_id]
    assert committee.post(post_id).until == day("2013-01-01")


def test_the_same_person_cannot_hold_the_same_role_twice_at_once() -> None:
    committee = body(BodyType.PARTY_COMMITTEE, town())
    person = uuid4()
    post_id, started = appoint(committee, Role.MEMBER, "2012-01-01", person=person)
    for on in ("2012-01-01", "2012-06-01"):
        with pytest.raises(Conflict, match="already holds") as refused:
            appoint(committee, Role.MEMBER, on, person=person)
        assert refused.value.conflicts == [started.change_id]
    # Another role, or another person in the same role, is no clash.
    appoint(committee, Role.SECRETARY, "2012-06-01", person=person)
    appoint(committee, Role.MEMBER, "2012-06-01")
    # Once the post has ended (until exclusive) the person may hold the role again.
    committee.end_post(post_id, stamp("2013-01-01"), reason=None, consent=None)
    appoint(committee, Role.MEMBER, "2013-01-01", person=person)
    assert committee.holds(person, Role.MEMBER, day("2013-01-01"))


def test_a_back_dated_appointment_overlapping_a_later_post_of_the_same_role_is_a_conflict() -> None:
    committee = body(BodyType.PARTY_COMMITTEE, town())
    person = uuid4()
    _, started = appoint(committee, Role.MEMBER, "2013-01-01", person=person)
    # The new post would start in 2012 and stay open, so in 2013 the person
    # would hold the member post twice.
    with pytest.raises(Conflict) as refused:
        appoint(committee, Role.MEMBER, "2012-01-01", person=person)
    assert refused.value.conflicts == [started.change_id]
    assert len(committee.posts_on(day("2013-06-01"))) == 1


# -- H5: 1–5 full-time staff of a social work committee -----------------------------


def test_a_social_work_committee_takes_five_full_time_staff_and_refuses_a_sixth() -> None:
    committee = social_work_committee()
    staff(committee, "2012-01-01", 5)
    assert committee.full_time_staff_on(day("2012-01-01")) == 5
    with pytest.raises(RuleRefused) as refused:
        staff(committee, "2012-01-01")
    assert refused.value.rule == "H5"
    with pytest.raises(RuleRefused) as refused:  # nor on any later day
        staff(committee, "2013-01-01")
    assert refused.value.rule == "H5"
    assert committee.full_time_staff_on(day("2013-01-01")) == 5


def test_posts_that_are_not_full_time_do_not_count_towards_h5() -> None:
    committee = social_work_committee()
    staff(committee, "2012-01-01", 5)
    appoint(committee, Role.DEPUTY_DIRECTOR, "2012-01-01", full_time=False)
    appoint(committee, Role.MEMBER, "2012-01-01")
    assert len(committee.posts_on(day("2012-01-01"))) == 7
    assert committee.full_time_staff_on(day("2012-01-01")) == 5


def test_the_cap_counts_full_time_posts_only_in_a_social_work_committee() -> None:
    office = body(BodyType.SOCIAL_AFFAIRS_OFFICE, town())
    staff(office, "2012-01-01", 6)
    assert office.full_time_staff_on(day("2012-01-01")) == 6


def test_ending_a_full_time_post_makes_room_from_its_end_date_on() -> None:
    committee = social_work_committee()
    first, *_ = staff(committee, "2012-01-01", 5)
    committee.end_post(first, stamp("2013-01-01"), reason=None, consent=None)
    with pytest.raises(RuleRefused) as refused:  # the post is still held on 2012-12-31
        staff(committee, "2012-12-31")
    assert refused.value.rule == "H5"
    staff(committee, "2013-01-01")
    assert committee.full_time_staff_on(day("2012-12-31")) == 5
    assert committee.full_time_staff_on(day("2013-01-01")) == 5


def test_a_back_dated_full_time_appointment_that_makes_six_on_a_later_day_is_refused() -> None:
    committee = social_work_committee()
    staff(committee, "2012-01-01", 3)
    staff(committee, "2013-01-01", 2)
    assert committee.full_time_staff_on(day("2012-06-01")) == 3
    with pytest.raises(RuleRefused) as refused:  # 4 in 2012, but 6 from 2013
        staff(committee, "2012-06-01")
    assert refused.value.rule == "H5"
    assert committee.full_time_staff_on(day("2013-01-01")) == 5


def test_a_back_dated_full_time_appointment_is_accepted_when_a_later_start_is_offset() -> None:
    committee = social_work_committee()
    first, *_ = staff(committee, "2012-01-01", 4)
    committee.end_post(first, stamp("2013-01-01"), reason=None, consent=None)
    staff(committee, "2013-01-01")  # 4 again from 2013
    staff(committee, "2012-06-01")  # 5 from 2012-06-01, still 5 from 2013
    assert committee.full_time_staff_on(day("2012-06-01")) == 5
    assert committee.full_time_staff_on(day("2013-01-01")) == 5


# -- H5: the committee's director and office director are party leaders -------------


class Leadership:
    """A central town's party committee and social work committee."""

    def __init__(self) -> None:
        host = town(UnitKind.CENTRAL_TOWN)
        self.party = body(BodyType.PARTY_COMMITTEE, host)
        self.committee = body(BodyType.SOCIAL_WORK_COMMITTEE, host)

    def check(self, role: Role, person: UUID, on: str, concurrent: bool = True) -> None:
        require_social_work_leadership(
            self.committee, Appointment(person, role, concurrent=concurrent), day(on),
            party_bodies=lambda: [self.party])


@pytest.fixture
def leaders() -> Leadership:
    return Leadership()


def refused_h5(check: Any, *args: Any, **kwargs: Any) -> None:
    with pytest.raises(RuleRefused) as refused:
        check(*args, **kwargs)
    assert refused.value.rule == "H5"


def test_the_director_is_the_party_secretary_held_concurrently(leaders: Leadership) -> None:
    secretary = uuid4()
    appoint(leaders.party, Role.SECRETARY, "2012-01-01", person=secretary)
    leaders.check(Role.DIRECTOR, secretary, "2012-01-01")
    leaders.check(Role.DIRECTOR, secretary, "2014-01-01")
    refused_h5(leaders.check, Role.DIRECTOR, secretary, "2012-01-01", concurrent=False)


def test_the_director_must_hold_the_secretary_post_on_that_day(leaders: Leadership) -> None:
    deputy, later, former = uuid4(), uuid4(), uuid4()
    appoint(leaders.party, Role.DEPUTY_SECRETARY, "2012-01-01", person=deputy)
    appoint(leaders.party, Role.SECRETARY, "2013-01-01", person=later)
    post_id, _ = appoint(leaders.party, Role.SECRETARY, "2011-01-01", person=former)
    leaders.party.end_post(post_id, stamp("2012-01-01"), reason=None, consent=None)
    refused_h5(leaders.check, Role.DIRECTOR, uuid4(), "2012-06-01")  # holds no post
    refused_h5(leaders.check, Role.DIRECTOR, deputy, "2012-06-01")  # a deputy, not the secretary
    refused_h5(leaders.check, Role.DIRECTOR, later, "2012-06-01")  # secretary only from 2013
    refused_h5(leaders.check, Role.DIRECTOR, former, "2012-06-01")  # secretary until 2012
    leaders.check(Role.DIRECTOR, later, "2013-01-01")
    leaders.check(Role.DIRECTOR, former, "2011-12-31")


def test_the_office_director_is_a_deputy_party_secretary_held_concurrently(
        leaders: Leadership) -> None:
    deputy, secretary = uuid4(), uuid4()
    appoint(leaders.party, Role.DEPUTY_SECRETARY, "2012-01-01", person=deputy)
    appoint(leaders.party, Role.SECRETARY, "2012-01-01", person=secretary)
    leaders.check(Role.OFFICE_DIRECTOR, deputy, "2012-01-01")
    refused_h5(leaders.check, Role.OFFICE_DIRECTOR, deputy, "2012-01-01", concurrent=False)
    refused_h5(leaders.check, Role.OFFICE_DIRECTOR, deputy, "2011-12-31")
    refused_h5(leaders.check, Role.OFFICE_DIRECTOR, secretary, "2012-01-01")
    refused_h5(leaders.check, Role.OFFICE_DIRECTOR, uuid4(), "2012-01-01")


def test_a_party_body_abolished_by_then_does_not_lead(leaders: Leadership) -> None:
    secretary = uuid4()
    appoint(leaders.party, Role.SECRETARY, "2012-01-01", person=secretary)
    leaders.party.wind_up(stamp("2014-01-01"))
    leaders.check(Role.DIRECTOR, secretary, "2013-12-31")
    refused_h5(leaders.check, Role.DIRECTOR, secretary, "2014-01-01")


def test_other_roles_and_other_bodies_are_not_checked_for_leadership(leaders: Leadership) -> None:
    def no_party_bodies() -> list[Body]:
        raise AssertionError("party bodies looked up")

    for role in (Role.DEPUTY_DIRECTOR, Role.FULL_TIME_STAFF, Role.MEMBER):
        require_social_work_leadership(
            leaders.committee, Appointment(uuid4(), role), day("2012-01-01"),
            party_bodies=no_party_bodies)
    office = body(BodyType.SOCIAL_AFFAIRS_OFFICE, town())
    require_social_work_leadership(
        office, Appointment(uuid4(), Role.DIRECTOR), day("2012-01-01"),
        party_bodies=no_party_bodies)


# -- H6: the host's consent for the head of a combined, horizontal-primary agency ------


def agency(attributes: dict[str, Any] = COMBINED) -> Body:
    return body(BodyType.DISPATCHED_AGENCY, town(), attributes=dict(attributes))


def test_the_head_of_a_combined_agency_is_appointed_only_with_consent_h6() -> None:
    host = agency()
    for consent in (None, {}):
        with pytest.raises(RuleRefused) as refused:
            appoint(host, Role.HEAD, "2012-01-01", consent=consent)
        assert refused.value.rule == "H6"
    assert host.posts_on(day("2012-01-01")) == []
    post_id, _ = appoint(host, Role.HEAD, "2012-01-01", consent=CONSENT)
    assert [p.post_id for p in host.posts_on(day("2012-01-01"))] == [post_id]


def test_the_head_of_a_combined_agency_is_removed_only_with_consent_h6() -> None:
    host = agency()
    post_id, _ = appoint(host, Role.HEAD, "2012-01-01", consent=CONSENT)
    with pytest.raises(RuleRefused) as refused:
        host.end_post(post_id, stamp("2013-01-01"), reason=None, consent=None)
    assert refused.value.rule == "H6"
    assert host.post(post_id).until is None
    host.end_post(post_id, stamp("2013-01-01"), reason=None, consent=CONSENT)
    assert host.post(post_id).until == day("2013-01-01")


@pytest.mark.parametrize("attributes", [{"assessment_mode": "vertical"}, {}])
def test_other_assessment_modes_need_no_consent(attributes: dict[str, Any]) -> None:
    host = agency(attributes)
    post_id, _ = appoint(host, Role.HEAD, "2012-01-01")
    host.end_post(post_id, stamp("2013-01-01"), reason=None, consent=None)
    assert host.post(post_id).until == day("2013-01-01")


def test_other_roles_of_a_combined_agency_need_no_consent() -> None:
    host = agency()
    post_id, _ = appoint(host, Role.DEPUTY_DIRECTOR, "2012-01-01")
    host.end_post(post_id, stamp("2013-01-01"), reason=None, consent=None)
    assert host.post(post_id).until == day("2013-01-01")


def test_winding_up_a_combined_agency_needs_no_consent() -> None:
    host = agency()
    post_id, _ = appoint(host, Role.HEAD, "2012-01-01", consent=CONSENT)
    host.wind_up(stamp("2014-01-01"))
    assert host.post(post_id).until == day("2014-01-01")
    assert host.abolished_on == day("2014-01-01")


# -- Abolition and winding up ----------------------------------------------------------


def test_a_body_with_posts_held_on_or_after_the_date_cannot_be_abolished() -> None:
    committee = body(BodyType.PARTY_COMMITTEE, town())
    _, open_post = appoint(committee, Role.SECRETARY, "2012-01-01")
    ending_late, _ = appoint(committee, Role.MEMBER, "2012-01-01")
    ends_late = stamp("2015-01-01")
    committee.end_post(ending_late, ends_late, reason=None, consent=None)
    ended_early, _ = appoint(committee, Role.MEMBER, "2012-01-01")
    committee.end_post(ended_early, stamp("2013-01-01"), reason=None, consent=None)
    with pytest.raises(Conflict, match="end them first") as refused:
        committee.abolish(stamp("2014-01-01"))
    # An open post is named by its appointment; one ending later, by that end.
    assert refused.value.conflicts == sorted([open_post.change_id, ends_late.change_id], key=str)
    assert committee.abolished_on is None


def test_a_body_whose_posts_have_ended_is_abolished() -> None:
    committee = body(BodyType.PARTY_COMMITTEE, town())
    post_id, _ = appoint(committee, Role.SECRETARY, "2012-01-01")
    committee.end_post(post_id, stamp("2014-01-01"), reason=None, consent=None)
    abolition = stamp("2014-01-01")
    committee.abolish(abolition)
    assert (committee.abolished_on, committee.abolished_by) == (
        day("2014-01-01"), abolition.change_id)
    assert committee.exists_on(day("2013-12-31"))
    assert not committee.exists_on(day("2014-01-01"))
    with pytest.raises(Conflict, match="abolished on"):
        appoint(committee, Role.MEMBER, "2014-01-01")


def test_winding_up_ends_the_open_posts_and_abolishes_the_body() -> None:
    committee = body(BodyType.PARTY_COMMITTEE, town())
    secretary, _ = appoint(committee, Role.SECRETARY, "2012-01-01")
    member, _ = appoint(committee, Role.MEMBER, "2012-01-01")
    member_end = stamp("2013-01-01")
    committee.end_post(member, member_end, reason="moved", consent=None)
    winding_up = stamp("2014-01-01")
    committee.wind_up(winding_up)
    post = committee.post(secretary)
    assert (post.until, post.ended_by, post.end_reason) == (
        day("2014-01-01"), winding_up.change_id, "the unit ceased")
    assert committee.post(member).ended_by == member_end.change_id  # untouched
    assert (committee.abolished_on, committee.abolished_by) == (
        day("2014-01-01"), winding_up.change_id)
    assert committee.posts_on(day("2013-12-31"))[0].post_id == secretary
    assert committee.posts_on(day("2014-01-01")) == []


# -- Retraction ---------------------------------------------------------------------------


def test_retracting_an_appointment_withdraws_its_post() -> None:
    committee = body(BodyType.PARTY_COMMITTEE, town())
    kept, _ = appoint(committee, Role.SECRETARY, "2012-01-01")
    post_id, mistaken = appoint(committee, Role.MEMBER, "2012-01-01")
    assert committee.dependents(mistaken.change_id) == []
    committee.retract(mistaken.change_id, stamp("2012-01-01"))
    assert [p.post_id for p in committee.posts_on(day("2012-06-01"))] == [kept]
    assert committee.withdrawn == {mistaken.change_id: [post_id]}
    assert mistaken.change_id in committee.retracted
    with pytest.raises(Conflict, match="does not apply"):  # not twice
        committee.retract(mistaken.change_id, stamp("2012-01-01"))


def test_an_appointment_whose_post_was_later_ended_is_retracted_only_after_the_end() -> None:
    committee = body(BodyType.PARTY_COMMITTEE, town())
    post_id, appointment = appoint(committee, Role.MEMBER, "2012-01-01")
    appoint(committee, Role.SECRETARY, "2012-06-01")  # unrelated: not a dependent
    ending = stamp("2013-01-01")
    committee.end_post(post_id, ending, reason=None, consent=None)
    assert committee.dependents(appointment.change_id) == [ending.change_id]
    with pytest.raises(Conflict, match="retract them first") as refused:
        committee.retract(appointment.change_id, stamp("2012-01-01"))
    assert refused.value.conflicts == [ending.change_id]
    assert committee.post(post_id).until == day("2013-01-01")

    committee.retract(ending.change_id, stamp("2013-01-01"))
    assert committee.post(post_id).until is None
    assert committee.withdrawn[ending.change_id] == [post_id]
    committee.retract(appointment.change_id, stamp("2012-01-01"))
    assert post_id not in committee.posts


def test_retracting_the_establishment_voids_the_body_once_nothing_builds_on_it() -> None:
    host = town()
    establishment = stamp("2011-01-01")
    committee = Body.establish(type=BodyType.PARTY_COMMITTEE, unit=host, name=None,
                               attributes={}, stamp=establishment)
    _, appointment = appoint(committee, Role.SECRETARY, "2012-01-01")
    with pytest.raises(Conflict, match="retract them first") as refused:
        committee.retract(establishment.change_id, stamp("2011-01-01"))
    assert refused.value.conflicts == [appointment.change_id]
    assert not committee.is_void

    committee.retract(appointment.change_id, stamp("2012-01-01"))
    committee.retract(establishment.change_id, stamp("2011-01-01"))
    assert committee.is_void
    assert not committee.exists_on(day("2012-01-01"))
    with pytest.raises(Conflict, match="never existed"):
        appoint(committee, Role.SECRETARY, "2012-01-01")


def test_a_change_that_never_touched_the_body_cannot_be_retracted_from_it() -> None:
    committee = body(BodyType.PARTY_COMMITTEE, town())
    with pytest.raises(Conflict, match="does not apply"):
        committee.retract(uuid4(), stamp("2012-01-01"))


def test_a_snapshot_restores_the_body_whole_withdrawn_posts_included() -> None:
    """What a snapshot stores (plain values) restores the very body, so a body
    loaded from one retracts, refuses and ends posts as the body replayed would."""
    committee = body(BodyType.DISPATCHED_AGENCY, town(), attributes=COMBINED)
    head, _ = appoint(committee, Role.HEAD, "2012-01-01", consent=CONSENT)
    ended, appointment = appoint(committee, Role.MEMBER, "2012-01-01", full_time=True)
    committee.end_post(ended, stamp("2013-01-01"), reason="调离", consent=None)
    _, mistaken = appoint(committee, Role.MEMBER, "2012-03-01")
    committee.retract(mistaken.change_id, stamp("2012-03-01"))

    restored = Body.Snapshot.take(committee).mutate(None)
    assert {**vars(restored), "_pending_events": None} == {
        **vars(committee), "_pending_events": None}
    assert list(restored.changes) == list(committee.changes)  # recorded order kept
    assert restored.type is BodyType.DISPATCHED_AGENCY
    assert restored.post(head).role is Role.HEAD
    assert restored.dependents(appointment.change_id) == committee.dependents(
        appointment.change_id) != []


# -- People (§4) -----------------------------------------------------------------------------


def test_a_person_is_registered_and_erased_once() -> None:
    person = Person.register(name="张三", rank=Rank.DEPUTY_SECTION, source=Source.TOWNSHIP_CADRE)
    assert (person.name, person.rank, person.source, person.erased) == (
        "张三", Rank.DEPUTY_SECTION, Source.TOWNSHIP_CADRE, False)
    person.erase("test")
    assert person.name is None
    assert person.erased is True
    assert (person.rank, person.source) == (Rank.DEPUTY_SECTION, Source.TOWNSHIP_CADRE)
    with pytest.raises(Conflict, match="already erased"):
        person.erase("test")
    assert [type(e).__name__ for e in person.collect_events()] == ["Registered", "Erased"]


# -- Gaps found while writing these tests ------------------------------------------------------


def test_a_back_dated_appointment_in_a_body_abolished_later_is_a_conflict() -> None:
    """A body cannot be established in a unit that ceases later (H4); likewise an
    open post cannot start in a body that is abolished later: it would outlive it."""
    committee = body(BodyType.PARTY_COMMITTEE, town())
    abolition = stamp("2014-01-01")
    committee.abolish(abolition)
    with pytest.raises(Conflict) as refused:
        appoint(committee, Role.SECRETARY, "2012-01-01")
    assert refused.value.conflicts == [abolition.change_id]
    assert committee.posts_on(day("2015-01-01")) == []


def test_retracting_a_post_end_is_refused_when_the_body_was_abolished_after_it() -> None:
    """Withdrawing the end would leave the post held after the body's abolition."""
    committee = body(BodyType.PARTY_COMMITTEE, town())
    post_id, _ = appoint(committee, Role.SECRETARY, "2012-01-01")
    ending = stamp("2013-01-01")
    committee.end_post(post_id, ending, reason=None, consent=None)
    abolition = stamp("2014-01-01")
    committee.abolish(abolition)
    with pytest.raises(Conflict) as refused:
        committee.retract(ending.change_id, stamp("2013-01-01"))
    assert abolition.change_id in refused.value.conflicts
    assert committee.posts_on(day("2015-01-01")) == []


def test_retracting_a_full_time_post_end_is_refused_when_it_would_make_six_h5() -> None:
    """Withdrawing the end would give the committee six full-time staff from 2013."""
    committee = social_work_committee()
    first, *_ = staff(committee, "2012-01-01", 5)
    ending = stamp("2013-01-01")
    committee.end_post(first, ending, reason=None, consent=None)
    staff(committee, "2013-01-01")
    with pytest.raises(DomainError):
        committee.retract(ending.change_id, stamp("2013-01-01"))
    assert committee.full_time_staff_on(day("2013-01-01")) == 5


def test_a_command_stamped_before_a_concurrent_change_was_recorded_loses() -> None:
    """Recorded times of one aggregate's events increase: a command stamped before
    another one to the same body committed must retry, not record in the past."""
    committee = body(BodyType.PARTY_COMMITTEE, town())
    late = stamp("2012-01-01")  # taken first ...
    committee.appoint(Appointment(uuid4(), Role.MEMBER), uuid4(), stamp("2012-01-01"))
    with pytest.raises(Conflict, match="meanwhile"):  # ... but another change came first
        committee.appoint(Appointment(uuid4(), Role.MEMBER), uuid4(), late)
