"""The releases shipped with the ledger, and release files with broken rows."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from domain.releases import RELEASES
from infra.releases import SHIPPED, ReleaseFileError, ReleaseFiles
from interfaces.cli import main

CUT = Path(__file__).parents[1] / "data" / "releases"


def test_the_manifest_counts_what_the_files_hold() -> None:
    manifest = json.loads((SHIPPED / "manifest.json").read_text())
    files = ReleaseFiles()
    assert files.years() == sorted(RELEASES)
    for year in files.years():
        counted = {}
        for part, name in (("areas", "counties"), ("streets", "towns"),
                           ("villages", "villages")):
            with gzip.open(files.paths[(year, part)], "rt", encoding="utf-8-sig") as text:
                counted[name] = sum(1 for _ in text) - 1
        assert manifest[str(year)] == counted == files.counts(year)


@pytest.mark.parametrize("year, villages, others", [(2016, 910, 48), (2018, 908, 51),
                                                     (2019, 421, 101), (2023, 412, 103)])
def test_one_county_is_read_from_a_whole_release(year: int, villages: int, others: int) -> None:
    """data/README.md: Rui'an's 村委会 and other village-level units."""
    ruian = ReleaseFiles().county(year, "330381")
    assert ruian is not None and ruian.name == "瑞安市" and ruian.city_code == "3303"
    kinds = [r.kind.value for r in ruian.villages]
    assert len(kinds) == villages + others
    assert all(r.town_code in {t.code for t in ruian.towns} for r in ruian.villages)


def test_a_county_the_release_does_not_list_is_none() -> None:
    assert ReleaseFiles().county(2016, "330383") is None  # 龙港市 begins in 2019
    assert ReleaseFiles().county(2019, "330383") is not None


@pytest.mark.parametrize("line, complaint", [
    ('33039910220,"短码村委会",330399102,33,3303,330399', "is not 12 digits"),
    ('330399102299,"",330399102,33,3303,330399', "has no name"),
    ('330399102299,"多一列村委会",330399102,33,3303,330399,x', "7 fields"),
    ('330399999299,"无镇村委会",330399999,33,3303,330399', "names no town"),
])
def test_a_broken_row_is_named_and_nothing_is_imported(
        tmp_path: Path, store_url: str, line: str, complaint: str) -> None:
    folder = tmp_path / "releases"
    shutil.copytree(CUT, folder)
    villages = folder / "cn-divisions-2018-villages.csv"
    villages.write_text(villages.read_text() + line + "\n")
    with pytest.raises(ReleaseFileError) as broken:
        ReleaseFiles(folder).county(2018, "330399")
    assert complaint in str(broken.value) and "line 21" in str(broken.value)

    env = {"GRASSROOTS_DATABASE_URL": store_url, "GRASSROOTS_RELEASES": str(folder)}
    result = CliRunner().invoke(main, ["import-divisions", "--county", "330399", "--release",
                                       "2018", "--quiet"], env=env)
    assert result.exit_code != 0 and complaint in result.output
    listed = CliRunner().invoke(main, ["tenants", "list"], env=env)
    assert "330399" not in listed.output


def test_an_unknown_release_year_is_a_cli_error(store_url: str) -> None:
    result = CliRunner().invoke(main, ["import-divisions", "--county", "330381", "--release",
                                       "2015"], env={"GRASSROOTS_DATABASE_URL": store_url})
    assert result.exit_code == 2 and "2015" in result.output
