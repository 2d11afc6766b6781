"""The unit's timeline and the 转/并/联 rules, in memory: no storage at all."""

from __future__ import annotations

from datetime import date, datetime, timezone
from uuid import uuid4

import pytest

from domain import restructuring
from domain.kinds import UnitKind
from domain.rules import Conflict, RuleRefused
from domain.timeline import BEGINNING, END
from domain.units import Population, Stamp, Unit


def stamp(day: str) -> Stamp:
    return Stamp(date.fromisoformat(day), uuid4(), "test", datetime.now(timezone.utc))


def establish(kind: UnitKind, name: str, parent: Unit | None = None, day: str = "2010-01-01") -> Unit:
    s = stamp(day)
    return Unit.establish(kind=kind, name=name, code=None, parent=parent, stamp=s)


@pytest.fixture
def town() -> Unit:
    return establish(UnitKind.TOWN, "镇")


def test_the_timeline_answers_each_date(town: Unit) -> None:
    village = establish(UnitKind.VILLAGE, "甲村", town)
    village.rename("甲新村", stamp("2012-01-01"))
    village.record_population(Population(420, None, 2100), stamp("2013-01-01"))
    assert village.facts_on(date(2009, 12, 31)).status == "planned"
    assert village.name_on(date(2011, 12, 31)) == "甲村"
    assert village.name_on(date(2012, 1, 1)) == "甲新村"
    assert village.population_on(date(2012, 12, 31)) is None
    assert village.population_on(date(2013, 1, 1)) == Population(420, None, 2100)
    segments = village.segments()
    assert [(s.valid_from, s.valid_to) for s in segments] == [
        (BEGINNING, date(2010, 1, 1)), (date(2010, 1, 1), date(2012, 1, 1)),
        (date(2012, 1, 1), date(2013, 1, 1)), (date(2013, 1, 1), END)]


def test_a_unit_cannot_cease_before_changes_already_recorded_after_that_date(town: Unit) -> None:
    village = establish(UnitKind.VILLAGE, "甲村", town)
    rename = stamp("2014-01-01")
    village.rename("甲新村", rename)
    with pytest.raises(Conflict) as refused:
        village.cease("dissolution", stamp("2013-01-01"))
    assert refused.value.rule == "H4" and refused.value.conflicts == [rename.change_id]


def test_nothing_changes_a_unit_outside_its_life(town: Unit) -> None:
    village = establish(UnitKind.VILLAGE, "甲村", town, day="2011-01-01")
    with pytest.raises(Conflict, match="established only on"):
        village.rename("x", stamp("2010-06-01"))
    village.cease("dissolution", stamp("2012-01-01"))
    with pytest.raises(Conflict, match="ceased on"):
        village.rename("x", stamp("2012-01-01"))


def test_a_village_needs_a_town_level_parent_that_outlives_it(town: Unit) -> None:
    with pytest.raises(RuleRefused) as refused:
        establish(UnitKind.VILLAGE, "甲村", None)
    assert refused.value.rule == "H4"
    village = establish(UnitKind.VILLAGE, "甲村", town)
    with pytest.raises(RuleRefused):
        establish(UnitKind.VILLAGE, "乙村", village)
    town.cease("dissolution", stamp("2015-01-01"))
    with pytest.raises(Conflict, match="outlive"):
        establish(UnitKind.VILLAGE, "丙村", town, day="2011-01-01")


def test_a_village_belongs_to_one_federation_at_a_time(town: Unit) -> None:
    villages = [establish(UnitKind.VILLAGE, n, town) for n in ("甲村", "乙村", "丙村")]
    federation = restructuring.federate(villages[:2], name="联居", code=None, parent=town,
                                        stamp=stamp("2012-01-01"), plans_required=False)
    assert [m.other_id for m in federation.memberships] == [villages[0].id, villages[1].id]
    other = restructuring.federate([villages[2], establish(UnitKind.VILLAGE, "丁村", town)],
                                   name="另一联居", code=None, parent=town,
                                   stamp=stamp("2012-01-01"), plans_required=False)
    with pytest.raises(Conflict) as refused:
        villages[0].join_federation(other, stamp("2013-01-01"))
    assert refused.value.rule == "H1"
    villages[0].leave_federation(federation, stamp("2013-01-01"))
    villages[0].join_federation(other, stamp("2013-01-01"))
    assert villages[0].membership_on(date(2012, 6, 1)).other_id == federation.id
    assert villages[0].membership_on(date(2013, 6, 1)).other_id == other.id
    with pytest.raises(Conflict):  # a federated village must leave before it is merged
        restructuring.merge(villages[:2], name="社区", code=None, parent=town,
                            stamp=stamp("2014-01-01"), plans_required=False)


def test_plans_come_first_when_the_policy_requires_them(town: Unit) -> None:
    villages = [establish(UnitKind.VILLAGE, n, town) for n in ("甲村", "乙村")]
    with pytest.raises(RuleRefused) as refused:
        restructuring.merge(villages, name="社区", code=None, parent=town,
                            stamp=stamp("2012-01-01"), plans_required=True)
    assert refused.value.rule == "H3"
    plan = uuid4()
    for village in villages:
        village.place_in_plan(plan, UnitKind.RURAL_COMMUNITY, stamp("2011-01-01"))
    community = restructuring.merge(villages, name="社区", code=None, parent=town,
                                    stamp=stamp("2012-01-01"), plans_required=True)
    assert community.kind is UnitKind.RURAL_COMMUNITY
    assert all(v.status_on(date(2012, 1, 1)) == "ceased" for v in villages)


def test_a_conversion_takes_exactly_one_village(town: Unit) -> None:
    villages = [establish(UnitKind.VILLAGE, n, town) for n in ("甲村", "乙村")]
    with pytest.raises(RuleRefused) as refused:
        restructuring.convert(villages, name="社区", code=None, parent=town,
                              stamp=stamp("2012-01-01"), plans_required=False)
    assert refused.value.rule == "H2"


def test_a_structural_change_of_a_town_is_refused_before_looking_for_its_parent(town: Unit) -> None:
    with pytest.raises(RuleRefused) as refused:
        restructuring.default_parent_id([town], stamp("2012-01-01"))
    assert refused.value.rule == "H2"
