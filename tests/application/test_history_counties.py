"""Counties change between releases: a committed cut of two releases (tests/data/
counties) where 甲县 becomes 甲区 under a new code (县改区), 乙县 ends and its
towns go to 丙区 and 甲区 (a town moving between counties), and 丁县 is new."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import _GIVEN, OPERATOR_KEY, Client
from infra.storage import Settings, open_storage
from interfaces.cli import main
from interfaces.http import create_app

CUT = Path(__file__).parents[1] / "data" / "counties"


@pytest.fixture
def city(tmp_path: Path) -> tuple[Path, str]:
    """The cut under a city code of this test's own (its counties CCCC01 … CCCC05), in
    a province no other test onboards counties in (they use 65 and the real 33)."""
    while True:
        prefix = f"63{random.SystemRandom().randrange(10, 100)}"
        codes = {f"{prefix}{n:02}" for n in range(1, 6)}
        if not codes & _GIVEN:
            _GIVEN.update(codes)
            break
    folder = tmp_path / "releases"
    folder.mkdir()
    for path in CUT.iterdir():
        (folder / path.name).write_text(path.read_text().replace("CCCC", prefix))
    return folder, prefix


def run(store_url: str, folder: Path, *args: str) -> Any:
    env = {"GRASSROOTS_DATABASE_URL": store_url, "GRASSROOTS_RELEASES": str(folder)}
    return CliRunner().invoke(main, list(args), env=env)


def test_counties_recoded_ended_and_new(store_url: str, city: tuple[Path, str]) -> None:
    folder, prefix = city
    built = run(store_url, folder, "history", "build", "--city", prefix, "--quiet")
    assert built.exit_code == 0, built.output
    assert f"{prefix}01 甲县 goes on as {prefix}05 甲区" in built.output
    assert f"{prefix}02 ends on 2017-10-31" in built.output
    assert "2017 counties: ended 1, new 1, recoded 1, units crossing 10" in built.output
    assert "does not match" not in built.output

    checked = run(store_url, folder, "releases", "check", "--all")
    assert "2016: 3 of 3 counties match" in checked.output, checked.output
    assert "2017: 3 of 3 counties match" in checked.output, checked.output

    again = run(store_url, folder, "history", "build", "--city", prefix, "--quiet")
    assert again.exit_code == 0 and "6 county releases already applied" in again.output
    assert "ends" not in again.output and "goes on" not in again.output

    settings = Settings(database_url=store_url, operator_key=OPERATOR_KEY, rate_per_address=0,
                        releases_folder=str(folder))
    storage = open_storage(settings)
    try:
        operator = Client(create_app(settings, storage, create_tables=False).test_client(),
                          OPERATOR_KEY, "")
        old, new = (operator.ok(operator.get(f"/v1/tenants/{prefix}0{n}"), 200) for n in (1, 5))
        assert old == new and new["code"] == f"{prefix}05" and new["name"] == "甲区"
        assert [(c["code"], c["name"], c["from"], c["to"]) for c in new["codes"]] == [
            (f"{prefix}01", "甲县", "2016-07-31", "2017-10-31"),
            (f"{prefix}05", "甲区", "2017-10-31", None)]
        assert new["status"] == "active"
        ended = operator.ok(operator.get(f"/v1/tenants/{prefix}02"), 200)
        assert (ended["status"], ended["ended_on"], ended["successor"]) == \
            ("ended", "2017-10-31", f"{prefix}03")

        # The old code answers with the county's whole history, a key of the county
        # reads it under either code.
        tree = operator.ok(operator.get(f"/v1/tenants/{prefix}05/tree", as_of="2016-12-31"), 200)
        assert {u["name"] for u in tree["units"]} == {"城关镇", "北山乡"}
        key = storage.directory.issue_key(role="viewer", label="t", tenant_code=f"{prefix}01")[1]
        viewer = Client(operator.http, key, f"{prefix}05")
        towns = viewer.ok(viewer.get("tree", as_of="2017-10-31"), 200)["units"]
        assert {u["name"] for u in towns} == {"城关街道", "北山乡", "南岸镇"}
        assert viewer.get(f"/v1/tenants/{prefix}03/tree").status_code == 404

        # The ended county's units cease on the cut-off date.
        before = operator.ok(operator.get(f"/v1/tenants/{prefix}02/units",
                                          as_of="2017-10-30"), 200)["items"]
        after = operator.ok(operator.get(f"/v1/tenants/{prefix}02/units",
                                         as_of="2017-10-31"), 200)["items"]
        assert len(before) == 5 and after == []
        created = operator.ok(operator.get(f"/v1/tenants/{prefix}04/units",
                                           as_of="2017-10-31"), 200)["items"]
        assert {u["name"] for u in created} == {"东湖镇", "东湖村委会"}
        assert operator.ok(operator.get(f"/v1/tenants/{prefix}04/units",
                                        as_of="2017-10-30"), 200)["items"] == []

        # A town that moved between counties: each side's lineage names the other's.
        moved = {u["name"]: u for u in operator.ok(operator.get(
            f"/v1/tenants/{prefix}05/units", as_of="2017-10-31", limit=1000), 200)["items"]}
        came = operator.ok(operator.get(
            f"/v1/tenants/{prefix}05/units/{moved['南岸镇']['id']}/lineage"), 200)
        [before] = came["predecessors"]
        assert (before["tenant"], before["name"], before["change_type"]) == \
            (f"{prefix}02", "南岸镇", "crossing")
        went = operator.ok(operator.get(
            f"/v1/tenants/{prefix}02/units/{before['unit_id']}/lineage",
            as_of="2017-10-31"), 200)
        assert [(s["tenant"], s["unit_id"]) for s in went["successors"]] == \
            [(f"{prefix}05", moved["南岸镇"]["id"])]
        auditor_key = storage.directory.issue_key(role="auditor", label="t",
                                                  tenant_code=f"{prefix}02")[1]
        auditor = Client(operator.http, auditor_key, f"{prefix}02")
        replay = auditor.ok(auditor.post("audit/replays", {"as_of": "2017-10-31"}), 200)
        assert replay["matches"] is True, replay["differences"]

        # The operator's province figures: units per release and what disappeared.
        figures = operator.ok(operator.get("/v1/provinces/63/reports/villages"), 200)["items"]
        assert [(f["release"], f["counties"], f["villages"], f["gone"]) for f in figures] \
            == [(2016, 3, 7, {}), (2017, 3, 8, {"dissolution": 3})]
        county_key = storage.directory.issue_key(role="admin", label="t",
                                                 tenant_code=f"{prefix}03")[1]
        office = Client(operator.http, county_key, f"{prefix}03")
        assert office.get("/v1/provinces/63/reports/villages").status_code == 403
    finally:
        storage.close()
