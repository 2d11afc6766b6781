"""The OpenAPI document is valid, and the server keeps it: schemathesis sends what the
document allows (and what it does not) to every operation, on both stores, and
checks each answer's status, media type and body against the document."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis import GenerationMode

from conftest import OPERATOR_KEY, Client

# Examples per operation and generation mode: a smoke run by default, a search
# with HYPOTHESIS_PROFILE=thorough.
EXAMPLES = {"ci": 3, "thorough": 50}.get(os.environ.get("HYPOTHESIS_PROFILE", "ci"), 3)

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
]


def test_the_document_is_valid_openapi_and_documents_every_error_as_a_problem(
        operator: Client) -> None:
    document = operator.ok(operator.http.get("/openapi.json"), 200)
    validate(document)
    problem = document["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "errors", "rule", "rule_title", "rule_title_zh",
            "clause", "conflicts", "request_id"} <= set(problem)
    shared = document["components"]["responses"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert "default" not in responses, (method, path)
            if path.startswith("/v1/"):
                assert {"401", "429", "503"} <= set(responses), (method, path)
            for status, response in responses.items():
                if int(status) >= 400:
                    content = shared[response["$ref"].rsplit("/", 1)[1]]["content"]
                    assert list(content) == ["application/problem+json"], (method, path, status)
    assert {"/healthz", "/readyz", "/metrics"} <= set(document["paths"])
    stream = document["paths"]["/v1/tenants/{code}/events/stream"]["get"]["responses"]["200"]
    assert list(stream["content"]) == ["text/event-stream"]


def test_a_patch_needs_a_body_and_a_405_says_what_is_allowed(county: Client) -> None:
    refused = county.http.patch(county.url("policy"), headers=county.headers())
    assert refused.status_code == 400, refused.get_json()
    assert refused.mimetype == "application/problem+json"
    not_allowed = county.http.delete(county.url("tree"), headers=county.headers())
    assert not_allowed.status_code == 405
    assert set(not_allowed.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert not_allowed.mimetype == "application/problem+json"


def test_the_server_answers_as_its_document_says(app: Any, county: Client) -> None:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {OPERATOR_KEY}"}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        # A stream never ends: tests/service/test_streams.py reads it from a real server.
        if operation.path.endswith("/events/stream"):
            continue
        # Long polls would wait their whole time for events that never come.
        query = {"wait": 0} if operation.path.endswith("/events") else None
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(
                mode, path_parameters={"code": county.code, "city_code": "3303"}, query=query)

            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(strategy)
            def run(case: Any) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                # Nothing in the request to get wrong (/healthz): no negative cases.
                assert mode is GenerationMode.NEGATIVE, operation.label
            # schemathesis raises its findings as a BaseExceptionGroup; every operation's are reported.
            except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001
                failures.append(f"{operation.label} ({mode.value}): {error}")
    assert not failures, "\n\n".join(failures)
