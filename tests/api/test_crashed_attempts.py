"""A request whose worker died holding an Idempotency-Key (decision 10): a retry
takes the claim over once its lease is past, and answers with the write the dead
attempt committed, or makes it — never twice, never stuck."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from flask import g

from conftest import Client
from infra.storage import Storage
from interfaces.http import idempotency


def _die(county: Client, path: str, body: Any, key: str, *, after_the_write: bool) -> Any:
    """Run a POST the way a worker does, and let the worker die before it stores
    the answer or gives up its claim (no after-request, no teardown)."""
    app = county.http.application
    with app.test_request_context(county.url(path), method="POST", json=body,
                                  headers=county.headers({"Idempotency-Key": key})):
        assert app.preprocess_request() is None  # authenticated, key claimed
        written = app.dispatch_request() if after_the_write else None
        g.pop("idempotency")  # what died takes its claim with it
    return written


def _age_claims(storage: Storage, by: timedelta) -> None:
    directory = storage.directory
    with directory.datastore.transaction(commit=True) as curs:
        curs.execute(directory.sql("UPDATE {idempotency} SET created_at = %s"),
                     (datetime.now(timezone.utc) - by,))


def _villages(county: Client) -> list[str]:
    return [u["name"] for u in county.ok(county.get("units", kind="village"), 200)["items"]]


@pytest.fixture
def town(county: Client) -> str:
    return county.unit("town", "镇")


def test_a_retry_within_the_lease_waits_then_takes_over_a_claim_whose_write_never_ran(
    county: Client, storage: Storage, town: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = {"kind": "village", "name": "甲村", "parent_id": town, "effective_date": "2010-01-01"}
    headers = {"Idempotency-Key": "died-before-writing"}
    _die(county, "units", body, "died-before-writing", after_the_write=False)
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.3)
    waiting = county.post("units", body, headers)
    assert waiting.status_code == 409  # the claim may still be alive
    _age_claims(storage, idempotency.LEASE + timedelta(seconds=1))
    retried = county.ok(county.post("units", body, headers))
    assert _villages(county) == ["甲村"]
    again = county.post("units", body, headers)
    assert (again.status_code, again.get_json()) == (201, retried)


def test_a_retry_answers_with_the_write_a_dead_attempt_committed(
    county: Client, storage: Storage, town: str,
) -> None:
    body = {"kind": "village", "name": "甲村", "parent_id": town, "effective_date": "2010-01-01"}
    headers = {"Idempotency-Key": "died-after-writing"}
    written = _die(county, "units", body, "died-after-writing", after_the_write=True)
    assert _villages(county) == ["甲村"]
    _age_claims(storage, idempotency.LEASE + timedelta(seconds=1))
    retried = county.post("units", body, headers)
    assert retried.status_code == 201
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.get_json() == written.get_json()
    assert _villages(county) == ["甲村"]
    # From now on the answer is stored: every retry gets it at once.
    assert county.post("units", body, headers).get_json() == written.get_json()


def test_two_attempts_of_one_key_record_its_change_once(
    county: Client, storage: Storage, town: str,
) -> None:
    """An attempt taken for dead that was only slow: its write and the retry's plan
    the same change id, so the second to commit is refused and nothing doubles."""
    body = {"kind": "village", "name": "甲村", "parent_id": town, "effective_date": "2010-01-01"}
    headers = {"Idempotency-Key": "slow-establishment"}
    _die(county, "units", body, "slow-establishment", after_the_write=True)
    directory = storage.directory
    with directory.datastore.transaction(commit=True) as curs:  # as if not yet held
        curs.execute(directory.sql("UPDATE {idempotency} SET body = NULL"))
    _age_claims(storage, idempotency.LEASE + timedelta(seconds=1))
    second = county.post("units", body, headers)
    assert second.status_code == 409
    assert _villages(county) == ["甲村"]


def test_an_owner_whose_claim_was_taken_over_no_longer_answers(storage: Storage) -> None:
    directory = storage.directory
    dead = directory.claim("/v1/x|k", "key", "hash", idempotency.LEASE)
    _age_claims(storage, idempotency.LEASE + timedelta(seconds=1))
    alive = directory.claim("/v1/x|k", "key", "hash", idempotency.LEASE)
    assert dead.owner and alive.owner and dead.owner != alive.owner
    directory.complete("/v1/x|k", "key", dead.owner, 500, "late")
    directory.complete("/v1/x|k", "key", alive.owner, 201, "{}")
    found = directory.claim("/v1/x|k", "key", "hash", idempotency.LEASE)
    assert (found.owner, found.status, found.body) == (None, 201, "{}")


def test_a_released_claim_is_taken_over_at_once(storage: Storage) -> None:
    directory = storage.directory
    first = directory.claim("/v1/x|k", "released", "hash", idempotency.LEASE)
    directory.hold("/v1/x|k", "released", first.owner, '{"change_id": "…"}')
    directory.release("/v1/x|k", "released", first.owner)
    again = directory.claim("/v1/x|k", "released", "hash", idempotency.LEASE)
    assert again.owner is not None and again.body == '{"change_id": "…"}'


def test_a_directory_from_before_claims_had_owners_gains_them(storage: Storage) -> None:
    directory = storage.directory
    with directory.datastore.transaction(commit=True) as curs:
        curs.execute(directory.sql("ALTER TABLE {idempotency} DROP COLUMN owner"))
    storage.create_tables()
    assert directory.claim("/v1/x|k", "upgraded", "hash", idempotency.LEASE).owner
