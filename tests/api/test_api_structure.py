"""The structure over REST on both stores: units, the three changes, reads as of a date."""

from __future__ import annotations

from conftest import Client


def town_with_villages(county: Client, *names: str) -> tuple[str, list[str]]:
    town = county.unit("town", "安阳镇")
    return town, [county.unit("village", name, town) for name in names]


def test_a_merger_ends_the_villages_and_begins_a_rural_community(county: Client) -> None:
    town, (a, b, c) = town_with_villages(county, "甲村", "乙村", "丙村")
    county.plan("rural_community", [a, b])
    receipt = county.ok(county.post("changes", {
        "type": "merger", "effective_date": "2011-06-01", "village_ids": [a, b],
        "community": {"name": "甲乙社区"},
        "authority": {"document_no": "温委办〔2011〕33号", "issued_by": "温州市委办公室"},
    }))
    [community] = receipt["created_unit_ids"]
    assert sorted(receipt["affected_unit_ids"]) == sorted([a, b])

    def children(as_of: str) -> list[str]:
        tree = county.ok(county.get("tree", as_of=as_of), 200)
        [only_town] = tree["units"]
        assert only_town["id"] == town
        return sorted(child["name"] for child in only_town["children"])

    assert children("2011-05-31") == ["丙村", "乙村", "甲村"]
    assert children("2011-06-01") == ["丙村", "甲乙社区"]

    village = county.ok(county.get(f"units/{a}", as_of="2011-06-01"), 200)
    assert (village["status"], village["ceased_on"]) == ("ceased", "2011-06-01")
    assert county.ok(county.get(f"units/{a}", as_of="2011-05-31"), 200)["status"] == "active"
    assert county.ok(county.get(f"units/{community}", as_of="2011-05-31"), 200)["status"] == "planned"

    lineage = county.ok(county.get(f"units/{community}/lineage"), 200)
    assert sorted(p["name"] for p in lineage["predecessors"]) == ["乙村", "甲村"]
    assert {p["change_id"] for p in lineage["predecessors"]} == {receipt["change_id"]}

    change = county.ok(county.get(f"changes/{receipt['change_id']}"), 200)
    assert change["authority"]["document_no"] == "温委办〔2011〕33号"


def test_conversion_federation_join_and_leave(county: Client) -> None:
    town, (a, b, c, d) = town_with_villages(county, "甲村", "乙村", "丙村", "丁村")
    county.plan("urban_community", [a])
    county.plan("federation", [b, c, d])
    converted = county.ok(county.post("changes", {
        "type": "conversion", "effective_date": "2012-01-01", "village_id": a,
        "community": {"name": "甲社区"},
    }))
    federation = county.ok(county.post("changes", {
        "type": "federation", "effective_date": "2012-03-01", "village_ids": [b, c],
        "federation": {"name": "乙丙联居"},
    }))["created_unit_ids"][0]
    county.ok(county.post("changes", {"type": "federation_join", "effective_date": "2013-01-01",
                                      "federation_id": federation, "village_id": d}))
    county.ok(county.post("changes", {"type": "federation_leave", "effective_date": "2014-01-01",
                                      "federation_id": federation, "village_id": b}))

    def members(as_of: str) -> list[str]:
        return sorted(county.ok(county.get(f"units/{federation}", as_of=as_of), 200)["member_ids"])

    assert members("2012-03-01") == sorted([b, c])
    assert members("2013-06-01") == sorted([b, c, d])
    assert members("2014-01-01") == sorted([c, d])
    assert county.ok(county.get(f"units/{b}", as_of="2013-06-01"), 200)["federation_id"] == federation
    assert county.ok(county.get(f"units/{b}", as_of="2014-06-01"), 200)["federation_id"] is None
    # Federated villages stay under their town in the tree.
    tree = county.ok(county.get("tree", as_of="2013-06-01"), 200)
    names = sorted(child["name"] for child in tree["units"][0]["children"])
    assert names == ["丁村", "丙村", "乙丙联居", "乙村", "甲社区"]
    federated = {child["name"] for child in tree["units"][0]["children"]
                 if child["federation_id"] == federation}
    assert federated == {"乙村", "丙村", "丁村"}
    assert [s["unit_id"] for s in county.ok(county.get(f"units/{a}/lineage"), 200)["successors"]] == [
        converted["created_unit_ids"][0]
    ]


def test_the_openapi_document_describes_the_contract(operator: Client) -> None:
    document = operator.ok(operator.http.get("/openapi.json"), 200)
    paths = document["paths"]
    for path in ("/v1/tenants", "/v1/tenants/{code}/units", "/v1/tenants/{code}/tree",
                 "/v1/tenants/{code}/changes", "/v1/tenants/{code}/units/{unit_id}/lineage",
                 "/v1/tenants/{code}/diff", "/v1/tenants/{code}/plans"):
        assert path in paths, path
    assert operator.http.get("/docs").status_code == 200
    assert operator.http.get("/healthz").get_json() == {"status": "ok"}
    assert operator.http.get("/readyz").status_code == 200
    assert b"grassroots_http_requests_total" in operator.http.get("/metrics").data
