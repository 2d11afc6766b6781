"""Rui'an's (330381) whole history built from the eight real releases: exact on
every cut-off date, with its 2019 village consolidation as lineage."""

from __future__ import annotations

from datetime import date, datetime, timezone

from click.testing import CliRunner

from conftest import county_store_rows
from domain.releases import RELEASES
from infra.storage import Settings, open_storage
from infra.views.schema import Moment
from interfaces.cli import main


def test_ruian_from_2016_to_2023(store_url: str) -> None:
    env = {"GRASSROOTS_DATABASE_URL": store_url}
    built = CliRunner().invoke(main, ["history", "build", "--county", "330381", "--quiet"],
                               env=env)
    assert built.exit_code == 0, built.output
    assert "2016: imported 981 units" in built.output
    assert "does not match" not in built.output
    checked = CliRunner().invoke(main, ["releases", "check", "--county", "330381"], env=env)
    assert checked.exit_code == 0, checked.output
    assert all(f"{year}: 1 of 1 counties match" in checked.output for year in RELEASES)
    # The build leaves the planner statistics of what it wrote: reads need not wait
    # for the server to gather them.
    assert county_store_rows(
        store_url, "330381", sqlite="SELECT stat FROM sqlite_stat1 WHERE tbl = 'units'",
        postgres="SELECT attname FROM pg_stats WHERE tablename = 't330381_units'")

    storage = open_storage(Settings(database_url=store_url))
    try:
        ruian = storage.county("330381")
        now = datetime.now(timezone.utc)
        before = ruian.structure.units_on(Moment(date(2018, 10, 31), now))
        after = ruian.structure.units_on(Moment(date(2019, 10, 31), now))
        assert sum(u.parent_id is not None for u in before) == 908 + 51
        assert sum(u.parent_id is not None for u in after) == 421 + 101
        # Every village-level unit the 2019 release brought shows where it came from.
        new = [u for u in after if u.established_on == date(2019, 10, 31)]
        assert len(new) > 50
        for unit in new:  # 2019 brought no village without a predecessor
            lineage = ruian.changelog.lineage(unit.unit_id, Moment(date(2019, 10, 31), now))
            assert lineage.predecessors, unit.name
        groups = [u for u in new if any(
            p.lineage == "group" for p in ruian.changelog.lineage(
                u.unit_id, Moment(date(2019, 10, 31), now)).predecessors)]
        assert groups
    finally:
        storage.close()

    again = CliRunner().invoke(main, ["history", "build", "--county", "330381", "--quiet"],
                               env=env)
    assert again.exit_code == 0 and "8 county releases already applied" in again.output

