"""A batch's unit rewrites, their closes gathered into few statements
(``ViewWriter._apply_rewrites``), store the rows one rewrite at a time stores."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from uuid import NAMESPACE_OID, uuid5

from application.view_batch import UnitRewrite, ViewBatch
from conftest import county_code
from domain.kinds import UnitKind
from domain.units import Facts, Segment
from infra.storage import County, Storage
from infra.views.schema import UNIT_COLUMNS

X, Y, Z = (uuid5(NAMESPACE_OID, name) for name in "XYZ")
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
T1, T2, T3 = (T0 + timedelta(minutes=n) for n in (1, 2, 3))
END = date(9999, 12, 31)


def _segments(name: str, *starts: int) -> list[Segment]:
    """A village's timeline named ``name``: a segment from each year of ``starts`` on."""
    froms = [date(year, 1, 1) for year in starts]
    return [Segment(start, end, Facts("active", froms[0], None, f"{name}{i}", None,
                                      UnitKind.VILLAGE, None, None, None, None))
            for i, (start, end) in enumerate(zip(froms, [*froms[1:], END], strict=True))]


def _rewrite(unit: object, at: datetime, *segments: Segment, new: bool = False) -> UnitRewrite:
    return UnitRewrite(unit, at, list(segments), is_new=new)  # type: ignore[arg-type]


# Y and Z are in the views already. The batch rewrites X, new, then closes it again
# (its rows are still waiting when it does), closes Z with no rows to replace them,
# and closes Y and Z twice, at other times.
BEFORE = [_rewrite(Y, T0, *_segments("乙", 2000), new=True),
          _rewrite(Z, T0, *_segments("丙", 2000, 2005), new=True)]
BATCH = [
    _rewrite(X, T1, *_segments("甲", 2010), new=True),
    _rewrite(Y, T1, *_segments("乙", 2000, 2011)),
    _rewrite(X, T2, *_segments("甲", 2010, 2012)),
    _rewrite(Z, T2),
    _rewrite(Y, T3, *_segments("乙", 2000, 2013)),
    _rewrite(Z, T3, *_segments("丙", 2001)),
]


def _units(county: County) -> list[dict[str, object]]:
    return county.views.query(
        f"SELECT {UNIT_COLUMNS}, valid_from, valid_to, recorded_from, recorded_to FROM {{units}} "
        "ORDER BY unit_id, recorded_from, valid_from")


def test_closes_gathered_store_what_one_rewrite_at_a_time_stores(storage: Storage) -> None:
    gathered, in_turn = (storage.onboard(county_code()) for _ in range(2))
    for county in (gathered, in_turn):
        after = county.views.tracked_position()
        assert county.views.apply(ViewBatch(after + 1, rewrites=BEFORE), after)
    after = gathered.views.tracked_position()
    assert gathered.views.apply(ViewBatch(after + 1, rewrites=BATCH), after)
    for rewrite in BATCH:
        after = in_turn.views.tracked_position()
        assert in_turn.views.apply(ViewBatch(after + 1, rewrites=[rewrite]), after)
    rows = _units(gathered)
    assert rows == _units(in_turn)
    believed = [str(r["unit_id"]) for r in rows if str(r["recorded_to"]).startswith("9999")]
    assert sorted(believed) == sorted([str(X)] * 2 + [str(Y)] * 2 + [str(Z)])
