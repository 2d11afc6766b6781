"""Reconciliation through REST, on both stores, with the committed cut of three
releases (tests/data/releases) rewritten for a county of this test's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import OPERATOR_KEY, Client, county_code
from infra.storage import Settings, Storage, open_storage
from interfaces.cli import main
from interfaces.http import create_app

CUT = Path(__file__).parents[1] / "data" / "releases"
CUT_COUNTY = "330399"


@pytest.fixture
def releases_folder(tmp_path: Path) -> tuple[Path, str]:
    """The cut, as the releases of a county code no other test uses."""
    code = county_code()
    folder = tmp_path / "releases"
    folder.mkdir()
    for path in CUT.iterdir():
        (folder / path.name).write_text(path.read_text().replace(CUT_COUNTY, code))
    return folder, code


@pytest.fixture
def settings(store_url: str, releases_folder: tuple[Path, str]) -> Settings:
    return Settings(database_url=store_url, operator_key=OPERATOR_KEY, rate_per_address=0,
                    releases_folder=str(releases_folder[0]))


@pytest.fixture
def release_storage(settings: Settings) -> Iterator[Storage]:
    storage = open_storage(settings)
    storage.create_tables()
    yield storage
    storage.close()


def cli(settings: Settings, *args: str) -> Any:
    env = {"GRASSROOTS_DATABASE_URL": settings.database_url or "",
           "GRASSROOTS_RELEASES": settings.releases_folder or ""}
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture
def office(release_storage: Storage, settings: Settings,
           releases_folder: tuple[Path, str]) -> Client:
    """The county with the 2018 release imported as its baseline, seen by its admin key."""
    code = releases_folder[1]
    app = create_app(settings, release_storage, create_tables=False)
    operator = Client(app.test_client(), OPERATOR_KEY, "")
    created = operator.ok(operator.post("/v1/tenants", {"code": code, "name": "测试市",
                                                        "city_code": "3303", "unlisted": True}))
    result = cli(settings, "import-divisions", "--county", code, "--release", "2018", "--quiet")
    assert result.exit_code == 0, result.output
    assert "imported 23 units" in result.output
    return Client(operator.http, created["admin_key"], code)


def units_by_name(office: Client, as_of: str) -> dict[str, dict[str, Any]]:
    listed = office.ok(office.get("units", as_of=as_of, limit=1000), 200)["items"]
    return {u["name"]: u for u in listed}


def item_of(proposal: dict[str, Any], type_: str) -> dict[str, Any]:
    return next(i for i in proposal["items"] if i["type"] == type_)


def test_releases_are_listed_for_any_key(office: Client) -> None:
    listed = office.ok(office.get("/v1/releases"), 200)["items"]
    assert [r["year"] for r in listed] == [2018, 2019, 2020]
    assert listed[1]["as_of"] == "2019-10-31" and listed[1]["published"] == "2020-02-25"
    assert listed[0]["villages"] == 19 and listed[0]["towns"] == 4


def test_a_proposal_explains_itself_and_records_nothing(office: Client) -> None:
    before = office.ok(office.get("changes"), 200)["items"]
    proposal = office.ok(office.post("reconciliations", {"release": 2019}))
    assert proposal["status"] == "proposed" and proposal["effective_date"] == "2019-10-31"
    assert proposal["summary"] == {"name_form": 1, "rename": 1, "conversion": 1, "recode": 4,
                                   "move": 3, "village_merger": 1, "merger": 1,
                                   "consolidation": 1, "establishment": 1, "town_merger": 1}
    group = item_of(proposal, "consolidation")
    assert group["lineage"] == "group" and len(group["unit_ids"]) == 5
    assert {r["name"] for r in group["release_rows"]} == {"荣桥村委会", "金潮村委会"}
    assert group["evidence"] and 0 < group["confidence"] < 1
    assert office.ok(office.get("changes"), 200)["items"] == before
    assert office.ok(office.get(f"reconciliations/{proposal['id']}"), 200) == proposal
    assert [p["id"] for p in office.ok(office.get("reconciliations"), 200)["items"]] == \
        [proposal["id"]]


def test_applying_makes_the_ledger_equal_the_release(office: Client) -> None:
    check = office.ok(office.get("releases/2019/check"), 200)
    assert check["matches"] is False and check["as_of"] == "2019-10-31"
    proposal = office.ok(office.post("reconciliations", {"release": 2019}))
    result = office.ok(office.post(f"reconciliations/{proposal['id']}/apply"))
    assert result["matches_release"] is True and result["differences"] == []
    assert len(result["change_ids"]) == len(proposal["items"])
    assert office.ok(office.get("releases/2019/check"), 200)["matches"] is True
    assert office.ok(office.get("releases/2018/check"), 200)["matches"] is True

    # Ordinary changes, sourced from the release, with the release as their authority.
    change = office.ok(office.get(f"changes/{result['change_ids'][0]}"), 200)
    assert change["effective_date"] == "2019-10-31" and change["source"] == "release:2019"
    assert "2019" in change["authority"]["document_no"]

    # The tree before and after the cut-off date.
    before, after = units_by_name(office, "2019-10-30"), units_by_name(office, "2019-10-31")
    assert "沙洲村委会" in before and "沙洲村委会" not in after
    assert "荣桥村委会" in after and "荣桥村委会" not in before
    assert after["东山社区"]["id"] == before["东山社区居委会"]["id"]  # the same unit
    assert after["后街社区居委会"]["code"] == "%s001005" % office.code
    assert before["后街社区居委会"]["code"] == "%s001004" % office.code
    assert after["海安村委会"]["parent_id"] == after["安阳街道"]["id"]
    assert "湖岭镇" in before and "湖岭镇" not in after
    assert after["湖岭村委会"]["parent_id"] == after["陶山镇"]["id"]

    # Lineage: every new village of the group has the whole group as predecessors.
    lineage = office.ok(office.get(f"units/{after['荣桥村委会']['id']}/lineage"), 200)
    assert len(lineage["predecessors"]) == 5
    assert {p["lineage"] for p in lineage["predecessors"]} == {"group"}
    merged = office.ok(office.get(f"units/{after['陈雅山村委会']['id']}/lineage"), 200)
    assert {p["name"] for p in merged["predecessors"]} == {"陈雅山前村委会", "陈雅山后村委会"}
    assert {p["lineage"] for p in merged["predecessors"]} == {"exact"}
    history = office.ok(office.get(f"units/{after['鲍田村民委员会']['id']}/history"), 200)
    assert [h["type"] for h in history["items"]][-2:] == ["recoded", "renamed"]

    # The diff and the feed show the new kinds of change.
    diff = office.ok(office.get("diff", **{"from": "2019-10-30", "to": "2019-10-31"}), 200)
    assert {e["name"] for e in diff["recoded"]} >= {"鲍田村民委员会", "后街社区居委会", "北门社区居委会"}
    assert "沙洲村委会" in {e["name"] for e in diff["ceased"]}
    feed = office.ok(office.get("events", limit=1000), 200)["items"]
    types = {e["type"] for e in feed}
    assert {"unit.recoded", "unit.ceased", "change.recorded"} <= types, types

    # Applying again answers the same result and records nothing.
    again = office.post(f"reconciliations/{proposal['id']}/apply")
    assert again.status_code == 200 and again.get_json() == result

    # The replay audit finds the views follow from the events.
    auditor = Client(office.http, office.ok(office.post(
        f"/v1/tenants/{office.code}/keys", {"role": "auditor"}))["key"], office.code)
    replay = auditor.ok(auditor.post("audit/replays", {"as_of": "2019-10-31"}), 200)
    assert replay["matches"] is True, replay["differences"]


def test_a_mapping_makes_the_lineage_exact(office: Client) -> None:
    proposal = office.ok(office.post("reconciliations", {"release": 2019}))
    code = office.code
    mapping = (f"predecessor_code,successor_code\n{code}102201,{code}102210\n"
               f"{code}102202,{code}102210\n{code}102203,{code}102210\n"
               f"{code}102204,{code}102211\n{code}102205,{code}102211\n")
    response = office.http.put(office.url(f"reconciliations/{proposal['id']}/mapping"),
                               data=mapping.encode(), headers=office.headers(
                                   {"Content-Type": "text/csv"}))
    mapped = office.ok(response, 200)
    assert "consolidation" not in mapped["summary"]
    assert mapped["summary"]["village_merger"] == 3 and len(mapped["mapping"]) == 5
    office.ok(office.post(f"reconciliations/{proposal['id']}/apply"))
    after = units_by_name(office, "2019-10-31")
    lineage = office.ok(office.get(f"units/{after['金潮村委会']['id']}/lineage"), 200)
    assert {p["name"] for p in lineage["predecessors"]} == {"潮基村委会", "荣华村委会"}
    assert {p["lineage"] for p in lineage["predecessors"]} == {"exact"}


@pytest.mark.parametrize("lines, complaint", [
    ([("999999999999", "102210")], "is not a unit this proposal changes"),
    ([("102201", "102210"), ("102201", "102211")], "mapped twice"),
])
def test_a_bad_mapping_is_422_and_changes_nothing(office: Client, lines: list[tuple[str, str]],
                                                  complaint: str) -> None:
    proposal = office.ok(office.post("reconciliations", {"release": 2019}))
    body = [{"predecessor_code": p if len(p) == 12 else office.code + p,
             "successor_code": office.code + s} for p, s in lines]
    response = office.http.put(office.url(f"reconciliations/{proposal['id']}/mapping"),
                               json=body, headers=office.headers())
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert any(complaint in e for e in response.get_json()["errors"]["mapping"])
    assert office.ok(office.get(f"reconciliations/{proposal['id']}"), 200) == proposal


def test_an_excluded_item_is_left_out(office: Client) -> None:
    proposal = office.ok(office.post("reconciliations", {"release": 2019}))
    rename = item_of(proposal, "rename")
    item = office.ok(office.patch(f"reconciliations/{proposal['id']}/items/{rename['item_id']}",
                                  {"excluded": True}), 200)
    assert item["excluded"] is True
    result = office.ok(office.post(f"reconciliations/{proposal['id']}/apply"))
    assert result["matches_release"] is False
    [difference] = result["differences"]
    assert difference["expected"]["name"] == "西山湖社区居委会"
    assert difference["found"]["name"] == "西山社区居委会"


def test_excluding_everything_is_refused(office: Client) -> None:
    proposal = office.ok(office.post("reconciliations", {"release": 2019}))
    for item in proposal["items"]:
        office.ok(office.patch(f"reconciliations/{proposal['id']}/items/{item['item_id']}",
                               {"excluded": True}), 200)
    response = office.post(f"reconciliations/{proposal['id']}/apply")
    assert response.status_code == 422
    assert office.ok(office.get("releases/2019/check"), 200)["matches"] is False


def test_a_stale_proposal_is_409(office: Client) -> None:
    proposal = office.ok(office.post("reconciliations", {"release": 2019}))
    town = units_by_name(office, "2019-01-01")["安阳街道"]
    office.ok(office.post(f"units/{town['id']}/population",
                          {"effective_date": "2019-01-01", "households": 10, "floating": 0}))
    response = office.post(f"reconciliations/{proposal['id']}/apply")
    assert response.status_code == 409
    assert office.ok(office.get("releases/2019/check"), 200)["matches"] is False


@pytest.mark.parametrize("body", [{"release": 2015}, {"release": "2019"}, {},
                                  {"release": 2019, "effective_date": "2019-02-30"},
                                  {"release": 2019, "extra": 1}])
def test_a_bad_proposal_request_is_422(office: Client, body: dict[str, Any]) -> None:
    response = office.post("reconciliations", body)
    assert response.status_code == 422
    assert office.ok(office.get("reconciliations"), 200)["items"] == []


def test_unknown_release_and_proposal_are_404(office: Client) -> None:
    assert office.get("releases/2015/check").status_code == 404
    assert office.get("reconciliations/00000000-0000-0000-0000-000000000000").status_code == 404


def test_a_viewer_cannot_propose(office: Client) -> None:
    key = office.ok(office.post(f"/v1/tenants/{office.code}/keys", {"role": "viewer"}))["key"]
    viewer = Client(office.http, key, office.code)
    assert viewer.post("reconciliations", {"release": 2019}).status_code == 403
    assert viewer.ok(viewer.get("releases/2018/check"), 200)["matches"] is True


def test_a_release_change_can_be_retracted(office: Client) -> None:
    proposal = office.ok(office.post("reconciliations", {"release": 2019}))
    result = office.ok(office.post(f"reconciliations/{proposal['id']}/apply"))
    group = item_of(proposal, "consolidation")
    index = proposal["items"].index(group)
    office.ok(office.post(f"changes/{result['change_ids'][index]}/retraction",
                          {"reason": "the town's documents say otherwise"}))
    after = units_by_name(office, "2019-10-31")
    assert "沙洲村委会" in after and "荣桥村委会" not in after
    check = office.ok(office.get("releases/2019/check"), 200)
    assert check["matches"] is False and len(check["differences"]) == 7


def test_history_three_releases_and_the_change_report(office: Client, settings: Settings) -> None:
    first = cli(settings, "history", "build", "--county", office.code, "--from", "2018",
                "--quiet")
    assert first.exit_code == 0, first.output
    assert "2019: " in first.output and "does not match" not in first.output
    again = cli(settings, "history", "build", "--county", office.code, "--from", "2018",
                "--quiet")
    assert again.exit_code == 0 and "3 county releases already applied" in again.output
    checked = cli(settings, "releases", "check", "--county", office.code)
    assert checked.exit_code == 0, checked.output
    assert "2020: 1 of 1 counties match" in checked.output

    report = office.ok(office.get("reports/changes", **{"from": "2018-12-31",
                                                          "to": "2020-12-31"}), 200)
    assert report["by_type"]["consolidation"] == 1 and report["by_type"]["dissolution"] == 1
    assert [y["year"] for y in report["by_year"]] == [2019, 2020]
    towns = {t["name"]: t for t in report["by_town"]}
    assert towns["陶山镇"]["by_type"]["consolidation"] == 1
    assert report["total"] == sum(report["by_type"].values())

    # The city sums its counties' reports and reads none of their records.
    operator = Client(office.http, OPERATOR_KEY, "")
    city_key = operator.ok(operator.post("/v1/cities/3303/keys", {"label": "市"}))["key"]
    city = Client(office.http, city_key, "")
    window = {"from": "2018-12-31", "to": "2020-12-31"}
    summed = city.ok(city.get("/v1/cities/3303/reports/changes", **window), 200)
    counties = {c["code"]: c for c in summed["by_county"]}
    assert counties[office.code]["by_type"] == report["by_type"]
    totals = [operator.ok(operator.get(f"/v1/tenants/{code}/reports/changes", **window),
                          200)["total"] for code in counties]
    assert summed["total"] == sum(totals)
    assert city.get(f"/v1/tenants/{office.code}/reports/changes", **window).status_code == 404
