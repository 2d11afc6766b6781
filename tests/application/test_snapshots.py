"""Snapshots of bodies: a body is loaded from its latest snapshot and the events
since, and is then the body its events alone make — retracted posts included —
on both stores; a county made before snapshots gets their table at start-up."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import project_aggregate

from application.ledger import BODY_SNAPSHOT_INTERVAL, CountyLedger
from conftest import county_code, started_again
from domain.bodies import Appointment, Body, BodyType, Role
from domain.kinds import UnitKind
from domain.people import Rank, Source
from infra.storage import PostgresStorage, Storage

FOUNDED = date(2010, 1, 1)


def _body_with_history(ledger: CountyLedger) -> tuple[UUID, list[UUID]]:
    """A body whose posts begin, end and are retracted across several snapshots:
    its id and the changes that appointed its holders."""
    town = ledger.establish_unit(kind=UnitKind.TOWN, name="试点镇", code=None, parent_id=None,
                                 effective_date=FOUNDED, actor="test").id
    body = ledger.establish_body(unit_id=town, body_type=BodyType.GOVERNMENT, name=None,
                                 attributes={"note": "镇政府"}, effective_date=FOUNDED,
                                 actor="test").id
    appointed = []
    for n in range(2 * BODY_SNAPSHOT_INTERVAL + 5):
        person = ledger.register_person(name=f"王{n}", rank=Rank.NONE, source=Source.OTHER).id
        receipt = ledger.appoint(body_id=body, appointment=Appointment(person, Role.MEMBER),
                                 effective_date=FOUNDED + timedelta(days=n + 1), actor="test")
        appointed.append(receipt.change_id)
        if n % 7 == 3:
            ledger.end_post(post_id=receipt.id, effective_date=date(2020, 1, 1),  # type: ignore[arg-type]
                            reason="任期届满", consent=None, actor="test")
        if n == BODY_SNAPSHOT_INTERVAL + 2:  # after the first snapshot, before the second
            ledger.retract(appointed[2], "recorded by mistake", "test")
    return body, appointed


def _replayed(ledger: CountyLedger, body_id: UUID) -> Body:
    """The body from its events alone, no snapshot."""
    body = project_aggregate(None, ledger.events.get(body_id))
    assert isinstance(body, Body)
    return body


def _state(body: Body) -> dict[str, Any]:
    return {**vars(body), "changes": list(body.changes.items())}


def test_a_body_loaded_from_its_snapshot_is_the_body_its_events_make(storage: Storage) -> None:
    code = county_code()
    storage.onboard(code)
    ledger = storage.county(code).ledger
    body_id, appointed = _body_with_history(ledger)

    snapshots = list(ledger.snapshots.get(body_id))  # type: ignore[union-attr]
    body = ledger.body(body_id)
    assert len(snapshots) == 1  # the latest: it replaced the ones before (decision 23)
    assert snapshots[-1].originator_version % BODY_SNAPSHOT_INTERVAL == 0
    assert body.version - snapshots[-1].originator_version < BODY_SNAPSHOT_INTERVAL
    assert _state(body) == _state(_replayed(ledger, body_id))
    # The latest snapshot alone holds what the retraction withdrew.
    restored = snapshots[-1].mutate(None)
    assert appointed[2] in restored.retracted and len(restored.withdrawn[appointed[2]]) == 1
    assert restored.withdrawn[appointed[2]][0] not in restored.posts

    # Snapshots are no events: not in the county's log (nor its feed or views).
    topics = {n.topic for n in ledger.recorder.select_notifications(start=0, limit=10_000)}
    assert not any("Snapshot" in topic for topic in topics)

    # Retraction still works on a body loaded from a snapshot, and still refuses
    # what later changes build on.
    ledger.retract(appointed[-1], "recorded by mistake", "test")
    body = ledger.body(body_id)
    assert appointed[-1] in body.retracted
    assert _state(body) == _state(_replayed(ledger, body_id))


def test_a_county_made_before_snapshots_gets_their_table_at_start_up(storage: Storage) -> None:
    code = county_code()
    storage.onboard_tenant(code, "测试县", "6501", unlisted=True)
    table = f"t{code}_snapshots" if isinstance(storage, PostgresStorage) else "stored_snapshots"
    with started_again(storage, code, 4, f"DROP TABLE {table}") as reopened:
        ledger = reopened.county(code).ledger
        body_id, _appointed = _body_with_history(ledger)
        assert list(ledger.snapshots.get(body_id))  # type: ignore[union-attr]


def test_a_body_loads_as_it_was_before_its_latest_snapshot(storage: Storage) -> None:
    """A catch-up loads a body as it was before the event it folds; the snapshots of
    that time are gone (decision 23), so it comes from the events."""
    code = county_code()
    storage.onboard(code)
    ledger = storage.county(code).ledger
    body_id, _appointed = _body_with_history(ledger)
    earlier = BODY_SNAPSHOT_INTERVAL + 3
    loaded = ledger.load(Body, body_id, version=earlier)
    replayed = project_aggregate(None, ledger.events.get(body_id, lte=earlier))
    assert isinstance(replayed, Body) and loaded.version == earlier
    assert _state(loaded) == _state(replayed)
