"""The service's logs under gunicorn: JSON lines, one access line per request with its
request id, and neither people's names nor bearer keys in them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from conftest import county_code, create_tenant, gunicorn, http_request, service_env

NAME = "欧阳修文"


def test_logs_are_json_lines_with_an_access_line_per_request_and_no_names_or_keys(
    tmp_path: Path,
) -> None:
    env = service_env(GRASSROOTS_DATABASE_URL=f"sqlite:///{tmp_path / 'var'}",
                      GRASSROOTS_WORKERS="2")
    code = county_code()
    key = create_tenant(env, code)
    log = tmp_path / "service.log"
    sent: list[tuple[str, str, int, str]] = []  # method, route, status, request id
    with log.open("wb") as sink, gunicorn(env, stderr=sink):
        port = int(env["GRASSROOTS_PORT"])

        def request(method: str, path: str, route: str, status: int, body: Any = None,
                    **headers: str) -> tuple[dict[str, Any], str]:
            answer, data, _, response_headers = http_request(port, key, method, path, body, headers)
            assert answer == status, data
            request_id = response_headers["X-Request-ID"]
            sent.append((method, route, status, request_id))
            return json.loads(data), request_id

        person, given = request("POST", f"/v1/tenants/{code}/people", "/v1/tenants/<code>/people",
                                201, {"name": NAME}, **{"X-Request-ID": "trace-abc-123"})
        assert given == "trace-abc-123"
        request("GET", f"/v1/tenants/{code}/people/{person['id']}",
                "/v1/tenants/<code>/people/<uuid:person_id>", 200)
        problem, generated = request("GET", f"/v1/tenants/{code}/units/{uuid.uuid4()}",
                                     "/v1/tenants/<code>/units/<uuid:unit_id>", 404)
        assert problem["request_id"] == generated and len(generated) >= 16
        _, replaced = request("GET", f"/v1/tenants/{code}/units?q={quote(NAME)}",
                              "/v1/tenants/<code>/units", 200, **{"X-Request-ID": "bad id\twith tab"})
        assert replaced != "bad id\twith tab" and " " not in replaced
        status, data, _, headers = http_request(port, "not-a-key-" + key[::-1], "GET",
                                                f"/v1/tenants/{code}/tree")
        assert status == 401 and json.loads(data)["request_id"] == headers["X-Request-ID"]
        sent.append(("GET", "/v1/tenants/<code>/tree", 401, headers["X-Request-ID"]))
    text = log.read_text()

    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert any("Booting worker" in r.get("message", "") for r in records)  # gunicorn's too
    assert all({"time", "level", "message"} <= set(r) for r in records)
    access = {r["request_id"]: r for r in records if r.get("logger") == "grassroots.access"}
    for method, route, status, request_id in sent:
        line = access[request_id]
        assert (line["method"], line["route"], line["status"], line["county"]) == (
            method, route, status, code)
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert len(access) == len(sent)  # one line per request
    assert not any(r.get("logger") == "gunicorn.access" for r in records)  # ours only

    everything = text + json.dumps(records, ensure_ascii=False)
    assert NAME not in everything and quote(NAME) not in everything
    assert key not in everything and key[::-1] not in everything
