"""The ledger's aggregate cache (decision 15): each command gets a copy of the cached
aggregate, so a command refused halfway leaves nothing in the cache; a cached
aggregate takes in what another process recorded since, and a copy taken before
another process's write cannot be saved over it — on both stores."""

from __future__ import annotations

from datetime import datetime, timezone
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError
from ledgers import ACTOR, County, day

from application.memory import in_memory_ledger
from conftest import county_code
from domain.bodies import Appointment, BodyType, Role
from domain.kinds import UnitKind
from domain.people import Rank, Source
from domain.rules import Conflict
from domain.stamped import Stamp
from infra.storage import Storage, open_storage


def test_a_reassignment_refused_at_its_target_leaves_the_source_body_as_stored() -> None:
    county = County(in_memory_ledger("330381"))
    town = county.unit(UnitKind.TOWN)
    committee, government = (county.body(t, town) for t in (BodyType.PARTY_COMMITTEE,
                                                            BodyType.GOVERNMENT))
    person = county.person()
    post = county.appoint(committee, Role.MEMBER, "2011-01-01", person)
    county.appoint(government, Role.MEMBER, "2011-01-01", person)
    loaded = county.ledger.body(committee)
    assert county.ledger.repository.cache is not None
    assert county.ledger.body(committee) is not loaded  # a copy each time

    # The post ends in the source body, then the target refuses the person twice over.
    with county.refuses(Conflict, None):
        county.ledger.reassign(post_id=post, to_body_id=government, role=Role.MEMBER,
                               effective_date=day("2012-01-01"), actor=ACTOR)
    source = county.ledger.body(committee)
    assert source.posts[post].until is None and source.version == loaded.version
    county.end_post(post, "2012-01-01")
    assert county.ledger.body(committee).posts[post].until == day("2012-01-01")


def test_a_cached_body_takes_in_another_process_s_writes(storage: Storage) -> None:
    code = county_code()
    storage.onboard(code)
    here = County(storage.county(code).ledger)
    body = here.body(BodyType.GOVERNMENT, here.unit(UnitKind.TOWN))
    first = here.appoint(body, Role.MEMBER, "2011-01-01", here.person())
    elsewhere = open_storage(storage.settings)
    try:
        there = County(elsewhere.county(code).ledger)
        assert set(there.ledger.body(body).posts) == {first}  # now cached there too

        second = here.appoint(body, Role.MEMBER, "2011-02-01", here.person())
        stale = there.ledger.body(body)
        assert set(stale.posts) == {first, second}
        third = there.appoint(body, Role.MEMBER, "2011-03-01", there.person())
        assert set(here.ledger.body(body).posts) == {first, second, third}

        # A copy taken before the other process's write loses to it.
        stale.appoint(Appointment(there.person(), Role.MEMBER), uuid4(),
                      Stamp(day("2011-04-01"), uuid4(), ACTOR, datetime.now(timezone.utc)))
        with pytest.raises(IntegrityError):
            there.ledger.save(stale)
        assert set(there.ledger.body(body).posts) == {first, second, third}
    finally:
        elsewhere.close()


def test_people_are_never_cached_so_an_erased_name_stays_in_no_process() -> None:
    ledger = in_memory_ledger("330381")
    person = ledger.register_person(name="张三", rank=Rank.SECTION, source=Source.TOWNSHIP_CADRE)
    assert ledger.person(person.id).name == "张三"
    ledger.erase_person(person.id, ACTOR)
    caches = [ledger.repository.cache, ledger.unsnapshotted.cache]
    for cache in caches:
        assert cache is not None
        with pytest.raises(KeyError):
            cache.get(person.id)
