"""``grassroots import-divisions`` on a cut of the national division codes, on both stores."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_OID, uuid5

import pytest
from click.testing import CliRunner

import infra.postgres
from application import attempts, ledger
from application.ledger import BaselineUnit
from conftest import county_code, stored_rows
from infra.releases import ReleaseFiles
from infra.storage import Settings, Storage, open_storage
from infra.views.schema import Moment
from interfaces.cli import main

DATA = Path(__file__).parents[1] / "data"
FILES = [str(DATA / name) for name in ("areas.csv", "streets.csv", "villages.csv")]


def _import(url: str, *options: str) -> str:
    result = CliRunner().invoke(
        main, ["import-divisions", *FILES, *options, "--quiet"],
        env={"GRASSROOTS_DATABASE_URL": url}, catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.output


def _counts(output: str) -> tuple[int, int]:
    found = re.search(r"imported (\d+) units, (\d+) already present", output)
    assert found, output
    return int(found[1]), int(found[2])


def test_importing_a_county_twice_adds_it_once(store_url: str) -> None:
    first = _import(store_url, "--county", "330305", "--effective-date", "2023-01-01")
    assert _counts(first) == (8 + 94, 0)
    assert "onboarded 330305" in first
    assert _counts(_import(store_url, "--county", "330305")) == (0, 102)
    # The whole city: only what is missing (龙港市) is added.
    assert _counts(_import(store_url, "--city", "3303")) == (1 + 103, 102)

    storage = open_storage(Settings(database_url=store_url))
    try:
        county = storage.county("330305")
        county.catch_up()
        now = datetime.now(timezone.utc)
        rows = county.structure.units_on(Moment(date(2023, 1, 1), now))
        kinds = {}
        for row in rows:
            kinds[row.kind] = kinds.get(row.kind, 0) + 1
        villages = sum(1 for line in (DATA / "villages.csv").read_text().splitlines()
                       if "330305" in line.split(",")[-1] and line.split(",")[1].endswith('村委会"'))
        assert kinds["village"] == villages
        assert kinds["subdistrict"] == 6 and kinds["town"] == 1 and kinds["township"] == 1
        assert kinds["village"] + kinds["urban_community"] == 94
        assert county.structure.units_on(Moment(date(2022, 12, 31), now)) == []
        towns = {r.unit_id for r in rows if r.parent_id is None}
        assert all(r.parent_id in towns for r in rows if r.parent_id is not None)
        assert {r.code for r in rows if r.name == "北岙街道"} == {"330305001"}
    finally:
        storage.close()


def test_an_unknown_county_is_refused(store_url: str) -> None:
    result = CliRunner().invoke(main, ["import-divisions", *FILES, "--county", "999999"],
                                env={"GRASSROOTS_DATABASE_URL": store_url})
    assert result.exit_code != 0
    assert "999999" in result.output


@pytest.mark.parametrize("option", [[], ["--county", "33030"]])
def test_a_county_must_be_chosen(store_url: str, option: list[str]) -> None:
    result = CliRunner().invoke(main, ["import-divisions", *FILES, *option],
                                env={"GRASSROOTS_DATABASE_URL": store_url})
    assert result.exit_code != 0


# -- A county's import is one save of hundreds of events ----------------------------

DAY = date(2023, 1, 1)
RECORDED = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc)


def _baseline(county: str) -> list[BaselineUnit]:
    """A county of the shipped 2023 release, with ids of its codes: the same units
    again make the same events."""
    release = ReleaseFiles().select(2023, {county})[0]
    ids = {row.code: uuid5(NAMESPACE_OID, row.code) for row in (*release.towns, *release.villages)}
    return [BaselineUnit(ids[row.code], row.kind, row.name, row.code) for row in release.towns] + [
        BaselineUnit(ids[row.code], row.kind, row.name, row.code, ids[str(row.town_code)])
        for row in release.villages]


def _import_baseline(storage: Storage, code: str, units: list[BaselineUnit]) -> None:
    """The county onboarded and its towns imported, then its villages (one change each)."""
    storage.onboard_tenant(code, f"县{code}", code[:4], unlisted=True)
    for change, part in (("towns", [u for u in units if u.parent_id is None]),
                         ("villages", [u for u in units if u.parent_id is not None])):
        with _planned(change):
            storage.county(code).ledger.import_baseline(part, DAY, "import")


@contextmanager
def _planned(change: str) -> Iterator[None]:
    """The change recorded meanwhile has an id of its name: the same again is the same."""
    token = attempts.current.set(attempts.Attempt(uuid5(NAMESPACE_OID, change), lambda _r: None))
    try:
        yield
    finally:
        attempts.current.reset(token)


def test_a_large_import_is_chained_and_replays_to_its_views(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rui'an's 538 units, its villages in one save (on PostgreSQL, copied in:
    infra.postgres.COPY_FROM): the chain verifies and a replay of the events finds
    every view row."""
    units = _baseline("330381")
    assert len(units) > infra.postgres.COPY_FROM
    monkeypatch.setattr(ledger, "_now", lambda: RECORDED)
    storage = open_storage(Settings(database_url=store_url))
    try:
        storage.create_tables()
        code = county_code()
        _import_baseline(storage, code, units)
        county = storage.county(code)
        verification = county.verify_chain()
        assert verification.ok and verification.events_checked == len(units) + 2
        report = county.audit_replay(Moment(DAY, datetime.now(timezone.utc)))
        assert report.matches and report.units_compared == len(units), report.differences[:3]
        assert len(county.changelog.history(units[-1].id, datetime.now(timezone.utc))) == 1
    finally:
        storage.close()


# What an import and its retraction store: the events, their chain and tracking, the views.
STORED = ("events", "chain", "tracking", "units", "history", "changes")


def test_a_county_copied_in_is_stored_as_one_inserted(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same import copied in and inserted through the library's pipeline (below
    COPY_FROM) stores the same events at the same positions, the same chain and the
    same view rows; and so does the villages' retraction, whose events are copied in
    and whose rows (every village's, rewritten) go through the pipeline."""
    units = _baseline("330381")
    villages = sum(1 for u in units if u.parent_id is not None)
    assert villages > infra.postgres.COPY_FROM
    clock = [RECORDED]
    monkeypatch.setattr(ledger, "_now", lambda: clock[0])
    storage = open_storage(Settings(database_url=pg_url))
    try:
        storage.create_tables()
        stored: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
        for path in ("copied", "inserted"):
            if path == "inserted":
                monkeypatch.setattr(infra.postgres, "COPY_FROM", 2 * len(units))
            code = county_code()
            clock[0] = RECORDED
            _import_baseline(storage, code, units)
            stored[f"{path} import"] = stored_rows(storage, code, STORED)
            clock[0] = RECORDED + timedelta(minutes=1)
            with _planned("retraction"):
                storage.county(code).ledger.retract(uuid5(NAMESPACE_OID, "villages"), "误录",
                                                    "import")
            stored[f"{path} retraction"] = stored_rows(storage, code, STORED)
        imported, retracted = stored["copied import"], stored["copied retraction"]
        assert len(imported["events"]) == len(units) + 2 and len(imported["units"]) == 2 * len(units)
        assert sorted(row[-1] for row in imported["events"]) == list(range(1, len(units) + 3))
        assert imported["tracking"][-1][1:] == (len(units) + 2,)
        # Each village and the change retracted, and the retraction's own change.
        assert len(retracted["events"]) == len(units) + 2 + villages + 2
        assert retracted["tracking"][-1][1:] == (len(retracted["events"]),)
        for step in ("import", "retraction"):
            copied, inserted = stored[f"copied {step}"], stored[f"inserted {step}"]
            # The tracking table names its county; nothing else does.
            assert {t: rows for t, rows in copied.items() if t != "tracking"} == {
                t: rows for t, rows in inserted.items() if t != "tracking"}, step
    finally:
        storage.close()
