"""A post's rows carry its holder's name from the people view (decision 22): filled
whenever the rows are written — by a command, by the catch-up, by start-up in a county
made before — and blanked by erasure; on both stores."""

from __future__ import annotations

from datetime import date, datetime, timezone
from uuid import UUID

from application.ledger import CountyLedger
from conftest import county_code, started_again
from domain.bodies import Appointment, BodyType, Role
from domain.kinds import UnitKind
from domain.people import Rank, Source
from infra.storage import County, PostgresStorage, Storage
from infra.views.schema import Moment

FOUNDED = date(2010, 1, 1)


def _body(ledger: CountyLedger) -> UUID:
    town = ledger.establish_unit(kind=UnitKind.TOWN, name="试点镇", code=None, parent_id=None,
                                 effective_date=FOUNDED, actor="test").id
    return ledger.establish_body(unit_id=town, body_type=BodyType.GOVERNMENT, name=None,
                                 attributes={}, effective_date=FOUNDED, actor="test").id


def _appoint(ledger: CountyLedger, body: UUID, name: str) -> UUID:
    person = ledger.register_person(name=name, rank=Rank.NONE, source=Source.OTHER).id
    ledger.appoint(body_id=body, appointment=Appointment(person, Role.MEMBER),
                   effective_date=FOUNDED, actor="test")
    return person


def _holders(county: County, body: UUID) -> dict[str, tuple[str | None, bool]]:
    """Each post's holder as the body's posts show them: name and erased, by person."""
    staffed = county.staffing.body_on(body, Moment(FOUNDED, datetime.now(timezone.utc)))
    assert staffed is not None
    return {p.person_id: (p.person_name, p.person_erased) for p in staffed.posts}


def test_posts_caught_up_with_their_holder_s_registration_show_the_name(
    storage: Storage,
) -> None:
    """The catch-up writes a person's row before the posts that take its name, even
    when both come in the same batch."""
    county = storage.onboard(county_code())
    body = _body(county.ledger)
    policy = county.ledger.policy()
    policy.amend({"coverage_target": 3}, FOUNDED, "test", datetime.now(timezone.utc))
    county.ledger.save(policy)  # saved without its rows: what follows is left to the catch-up
    person = _appoint(county.ledger, body, "李四")
    assert county.views.tracked_position() < county.views.positions()[0]
    county.catch_up()
    assert _holders(county, body) == {str(person): ("李四", False)}


def test_erasure_blanks_the_holder_on_every_row_of_their_posts(storage: Storage) -> None:
    county = storage.onboard(county_code())
    body = _body(county.ledger)
    kept, erased = _appoint(county.ledger, body, "张三"), _appoint(county.ledger, body, "王五")
    county.ledger.erase_person(erased, "test")
    assert _holders(county, body) == {str(kept): ("张三", False), str(erased): (None, True)}
    rows = county.views.query("SELECT holder_name, holder_erased FROM {posts} WHERE person_id = %s",
                              (erased,))
    assert rows and all((r["holder_name"], r["holder_erased"]) == (None, 1) for r in rows)


def test_a_county_made_before_holders_on_posts_gets_them_at_start_up(storage: Storage) -> None:
    """…and the index that finds a body's posts."""
    code = county_code()
    storage.onboard_tenant(code, "测试县", "6501", unlisted=True)
    ledger = storage.county(code).ledger
    body = _body(ledger)
    kept, erased = _appoint(ledger, body, "张三"), _appoint(ledger, body, "王五")
    ledger.erase_person(erased, "test")
    on_postgres = isinstance(storage, PostgresStorage)
    posts, by_body = (f"t{code}_posts", f"t{code}_posts_by_body") if on_postgres else (
        "posts", "posts_by_body")
    with started_again(storage, code, 5, f"ALTER TABLE {posts} DROP COLUMN holder_name",
                       f"ALTER TABLE {posts} DROP COLUMN holder_erased",
                       f"DROP INDEX {by_body}") as reopened:
        county = reopened.county(code)
        assert _holders(county, body) == {str(kept): ("张三", False), str(erased): (None, True)}
        indexes = county.views.query(
            "SELECT indexname AS name FROM pg_indexes" if on_postgres
            else "SELECT name FROM sqlite_master WHERE type = 'index'")
        assert by_body in {row["name"] for row in indexes}
        later = _appoint(county.ledger, body, "赵六")
        assert _holders(county, body)[str(later)] == ("赵六", False)
