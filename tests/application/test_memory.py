"""The ledger's look-ups answered from its own events (``application.memory``) are
the answers the read views give, retractions included."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest
from ledgers import ACTOR, County, created, day, made

from application.memory import OwnEvents, in_memory_ledger
from domain.bodies import Appointment, BodyType, Role
from domain.kinds import UnitKind
from domain.people import Person, Rank, Source
from infra.storage import County as StoredCounty
from infra.storage import Settings, open_storage


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[StoredCounty]:
    storage = open_storage(Settings(database_url=f"sqlite:///{tmp_path}"))
    storage.create_tables()
    yield storage.onboard("330381")
    storage.close()


def history(county: County) -> tuple[list[UUID], list[UUID]]:
    """Moves, a dissolution, a conversion that winds bodies up, posts ended and
    reassigned, an arrangement, and retracted units, bodies and posts; the units
    and posts it made."""
    ledger = county.ledger
    town, other = county.unit(UnitKind.CENTRAL_TOWN), county.unit(UnitKind.SUBDISTRICT)
    zone = county.unit(UnitKind.FUNCTIONAL_ZONE)
    a, b, c = county.villages(town, 3)
    ledger.move(b, other, day("2012-01-01"), ACTOR)
    ledger.dissolve(c, day("2013-01-01"), ACTOR)
    county.plan(UnitKind.URBAN_COMMUNITY, [a], "2011-01-01")
    party = county.body(BodyType.PARTY_ORGANISATION, a)
    member = county.appoint(party, Role.MEMBER, "2011-01-01", county.person())
    community = created(county.convert(a, "2014-01-01"))
    committee = county.body(BodyType.PARTY_COMMITTEE, town)
    government = county.body(BodyType.GOVERNMENT, other)
    secretary = county.appoint(committee, Role.SECRETARY, "2011-01-01", county.person())
    ended = county.appoint(committee, Role.MEMBER, "2011-01-01", county.person())
    county.end_post(ended, "2012-01-01")
    moved = made(ledger.reassign(post_id=secretary, to_body_id=government, role=Role.SECRETARY,
                                 effective_date=day("2015-01-01"), actor=ACTOR))
    mistake = Appointment(county.person(), Role.MEMBER)
    mistaken = ledger.appoint(body_id=committee, appointment=mistake,
                              effective_date=day("2015-01-01"), actor=ACTOR)
    ledger.retract(mistaken.change_id, "recorded by mistake", ACTOR)
    void_body = ledger.establish_body(unit_id=other, body_type=BodyType.SERVICE_CENTRE,
                                      name=None, attributes={},
                                      effective_date=day("2015-01-01"), actor=ACTOR)
    ledger.retract(void_body.change_id, "recorded by mistake", ACTOR)
    void_unit = ledger.establish_unit(kind=UnitKind.VILLAGE, name="误", code=None,
                                      parent_id=other, effective_date=day("2015-01-01"),
                                      actor=ACTOR)
    ledger.retract(void_unit.change_id, "recorded by mistake", ACTOR)
    ledger.make_arrangement(zone_id=zone, subdistrict_id=other, mode="one_team",
                            effective_date=day("2012-01-01"), actor=ACTOR)
    units = [town, other, zone, a, b, c, community, made(void_unit)]
    return units, [secretary, member, ended, moved, made(mistaken)]


def answers(lookups: StoredCounty | OwnEvents, units: list[UUID],
            posts: list[UUID]) -> list[object]:
    days = [day("2009-12-31") + timedelta(days=365 * n) for n in range(8)]
    return [
        *([sorted(lookups.children_after(u, d), key=str) for d in days] for u in units),
        *(lookups.arrangements_of(u) for u in units),
        *(lookups.body_of_post(p) for p in posts),
    ]


def test_the_answers_from_the_events_are_the_read_views_answers(
    stored: StoredCounty,
) -> None:
    units, posts = history(County(stored.ledger))
    expected = answers(stored, units, posts)
    assert answers(OwnEvents(stored.ledger), units, posts) == expected
    assert any(any(children) for children in expected[:len(units)])
    assert expected[-1] is None  # the retracted appointment's post


def test_an_in_memory_ledger_answers_as_it_goes() -> None:
    """Each answer counts every event committed before it, on the in-memory store."""
    county = County(in_memory_ledger("330381"))
    town = county.unit(UnitKind.TOWN)
    assert county.ledger.lookups.children_after(town, day("2010-01-01")) == []
    village = county.unit(UnitKind.VILLAGE, town)
    assert county.ledger.lookups.children_after(town, day("2010-01-01")) == [village]
    body = county.body(BodyType.PARTY_ORGANISATION, village)
    post = county.appoint(body, Role.SECRETARY, "2011-01-01", county.person())
    assert county.ledger.lookups.body_of_post(post) == body


def test_an_erased_person_s_name_no_longer_opens_in_memory() -> None:
    ledger = in_memory_ledger("330381")
    person = ledger.register_person(name="张三", rank=Rank.NONE, source=Source.VILLAGE_CADRE)
    [stored] = ledger.recorder.select_events(person.id)

    def registered() -> Person.Registered:
        event = ledger.mapper.to_domain_event(stored)
        assert isinstance(event, Person.Registered)
        return event

    assert registered().name == "张三"
    ledger.erase_person(person.id, ACTOR)
    assert registered().name is None
