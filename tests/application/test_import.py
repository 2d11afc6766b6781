"""``grassroots import-divisions`` on a cut of the national division codes, on both stores."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from infra.storage import Settings, open_storage
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
