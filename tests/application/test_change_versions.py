"""Change.Recorded events stored by earlier versions still read: version 3 added the
change's source and its lineage, derived for conversions and mergers."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timezone
from uuid import uuid4

import pytest
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, UUIDAsHex

from application.ledger import CommunitySpec, DateAsISO
from conftest import county_code, started_again
from domain.changes import Change, Succession
from domain.kinds import UnitKind
from infra.storage import PostgresStorage, Storage
from infra.views.schema import Moment


def _mapper() -> Mapper:
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    transcoder.register(DateAsISO())
    return Mapper(transcoder=transcoder)


@pytest.mark.parametrize("change_type, lineage", [("merger", 2), ("federation", 0)])
def test_a_version_2_change_gets_its_lineage(change_type: str, lineage: int) -> None:
    villages, community = [uuid4(), uuid4()], uuid4()
    change = Change.record(
        change_id=uuid4(), type=change_type, effective_date=date(2012, 1, 1),
        recorded_at=datetime.now(timezone.utc), actor="test", authority=None,
        created_unit_ids=[community], affected_unit_ids=villages, body_ids=[],
        source="release:2019", lineage=[Succession(v, community) for v in villages])
    mapper = _mapper()
    stored = mapper.to_stored_event(change.pending_events[0])
    state = json.loads(stored.state)
    assert state["class_version"] == 3
    del state["source"], state["lineage"]
    state["class_version"] = 2
    old = replace(stored, state=json.dumps(state).encode())

    event = mapper.to_domain_event(old)
    assert event.source is None
    assert [(p, s) for p, s, _group in event.lineage] == \
        [(v, community) for v in villages][:lineage]
    assert all(group is False for *_ids, group in event.lineage)
    rebuilt = event.mutate(None)
    assert [s.predecessor_id for s in rebuilt.lineage] == villages[:lineage]


def test_a_version_1_change_reads_as_version_3() -> None:
    change = Change.record(
        change_id=uuid4(), type="conversion", effective_date=date(2012, 1, 1),
        recorded_at=datetime.now(timezone.utc), actor="test", authority=None,
        created_unit_ids=[uuid4()], affected_unit_ids=[uuid4()], body_ids=[])
    mapper = _mapper()
    stored = mapper.to_stored_event(change.pending_events[0])
    state = json.loads(stored.state)
    for field in ("body_ids", "source", "lineage", "class_version"):
        del state[field]
    event = mapper.to_domain_event(replace(stored, state=json.dumps(state).encode()))
    assert event.body_ids == [] and event.source is None
    assert len(event.lineage) == 1


def test_a_county_of_schema_3_is_brought_up_to_date(storage: Storage) -> None:
    """Start-up adds what version 4 added to the tables of a county made before it:
    the lineage's group flag and counties, and the change's source."""
    code = county_code()
    storage.onboard_tenant(code, "测试县", "3303", unlisted=True)
    names = {"sqlite": ("lineage", "changes"), "postgres": (f"t{code}_lineage", f"t{code}_changes")}
    lineage, changes = names["postgres" if isinstance(storage, PostgresStorage) else "sqlite"]
    with started_again(storage, code, 3,
                       *(f"ALTER TABLE {lineage} DROP COLUMN {column}"
                         for column in ("grp", "predecessor_tenant", "successor_tenant")),
                       f"ALTER TABLE {changes} DROP COLUMN source") as reopened:
        ledger = reopened.county(code).ledger
        town = ledger.establish_unit(kind=UnitKind.TOWN, name="镇", code=None, parent_id=None,
                                     effective_date=date(2012, 1, 1), actor="test").id
        village = ledger.establish_unit(kind=UnitKind.VILLAGE, name="村", code=None,
                                        parent_id=town, effective_date=date(2012, 1, 1),
                                        actor="test").id
        ledger.amend_policy({"plans_required": False}, date(1, 1, 1), "test")
        receipt = ledger.convert(village_id=village, community=CommunitySpec("社区"),
                                 effective_date=date(2013, 1, 1), actor="test")
        county = reopened.county(code)
        lineage_rows = county.changelog.lineage(receipt.created_unit_ids[0],
                                     Moment(date(2013, 1, 1), datetime.now(timezone.utc)))
        assert [p.lineage for p in lineage_rows.predecessors] == ["exact"]
        change = county.changelog.change(receipt.change_id)
        assert change is not None and change.source is None
