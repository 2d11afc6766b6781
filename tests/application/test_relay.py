"""The NATS JetStream relay against the local NATS server, for real: killed in the middle,
restarted, every event is in JetStream exactly once and in order per county."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import nats
import psycopg
import pytest

from conftest import county_code
from domain.kinds import UnitKind
from infra.storage import Settings, SQLiteStorage, Storage, open_storage
from interfaces.relay import tracking_name

BIN = Path(sys.executable).parent
NATS_URL = os.environ.get("GRASSROOTS_TEST_NATS", "nats://127.0.0.1:4222")


async def _stream_messages(stream: str) -> list[tuple[str, dict[str, str]]]:
    connection = await nats.connect(NATS_URL)
    try:
        jetstream = connection.jetstream()
        state = (await jetstream.stream_info(stream)).state
        messages: list[tuple[str, dict[str, str]]] = []
        if state.messages == 0:  # created, nothing published yet: first_seq is 0, not a message
            return messages
        for sequence in range(state.first_seq, state.last_seq + 1):
            message = await jetstream.get_msg(stream, sequence)
            messages.append((message.subject, dict(message.headers or {})))
        return messages
    finally:
        await connection.close()


async def _delete_stream(stream: str) -> None:
    connection = await nats.connect(NATS_URL)
    try:
        try:
            await connection.jetstream().delete_stream(stream)
        except nats.js.errors.NotFoundError:
            pass
    finally:
        await connection.close()


@pytest.fixture
def stream() -> Iterator[tuple[str, str]]:
    name = f"GLTEST_{uuid.uuid4().hex[:8].upper()}"
    prefix = f"gltest{uuid.uuid4().hex[:8]}"
    yield name, prefix
    asyncio.run(_delete_stream(name))


def _villages(storage: Storage, code: str, town: object, count: int, start: int = 0) -> None:
    ledger = storage.county(code).ledger
    for i in range(start, start + count):
        ledger.establish_unit(kind=UnitKind.VILLAGE, name=f"村{i}", code=None, parent_id=town,
                              effective_date=date(2010, 1, 1), actor="test")


def _forget_how_far_the_relay_got(storage: Storage, code: str) -> None:
    if isinstance(storage, SQLiteStorage):
        with sqlite3.connect(storage.folder / f"{code}.db") as conn:
            conn.execute("DELETE FROM tracking WHERE application_name = ?", (tracking_name(code),))
    else:
        with psycopg.connect(storage.settings.database_url) as conn:
            conn.execute(f'DELETE FROM "t{code}_tracking" WHERE application_name = %s',
                         (tracking_name(code),))


def _relay(store_url: str, stream: tuple[str, str], codes: list[str],
           log: Path) -> subprocess.Popen[bytes]:
    """The relay, for these counties (the test database holds other tests' counties too),
    logging to ``log``."""
    env = {**os.environ, "GRASSROOTS_DATABASE_URL": store_url, "GRASSROOTS_NATS_URL": NATS_URL}
    counties = [option for code in codes for option in ("--county", code)]
    with log.open("ab") as sink:
        return subprocess.Popen(
            [str(BIN / "grassroots"), "relay", "nats", "--stream", stream[0], "--prefix", stream[1],
             *counties],
            env=env, stdout=subprocess.DEVNULL, stderr=sink,
        )


def _positions(messages: list[tuple[str, dict[str, str]]], msg_id_prefix: str) -> list[int]:
    """The positions of the messages whose id starts with ``<deployment>-<county>-``."""
    return [int(headers["Nats-Msg-Id"].removeprefix(msg_id_prefix)) for _, headers in messages
            if headers["Nats-Msg-Id"].startswith(msg_id_prefix)]


def _all_positions(storage: Storage, code: str) -> list[int]:
    return [n.id for n in storage.county(code).ledger.recorder.select_notifications(
        start=0, limit=10_000, inclusive_of_start=False)]


def _wait_for(stream: str, count: int, seconds: float = 30) -> list[tuple[str, dict[str, str]]]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            messages = asyncio.run(_stream_messages(stream))
        except nats.js.errors.NotFoundError:
            messages = []
        if len(messages) >= count or time.monotonic() > deadline:
            return messages
        time.sleep(0.2)


def test_a_killed_relay_resumes_and_jetstream_has_every_event_once_in_order(
    store_url: str, stream: tuple[str, str], tmp_path: Path
) -> None:
    storage = open_storage(Settings(database_url=store_url))
    storage.create_tables()
    codes = [county_code(), county_code()]
    towns = {}
    for code in codes:
        storage.onboard_tenant(code, "县", "3303", unlisted=True)
        towns[code] = storage.county(code).ledger.establish_unit(
            kind=UnitKind.TOWN, name="镇", code=None, parent_id=None,
            effective_date=date(2010, 1, 1), actor="test").id
        _villages(storage, code, towns[code], 30)

    relay = _relay(store_url, stream, codes, tmp_path / "first.log")
    first = _wait_for(stream[0], 20)
    relay.send_signal(signal.SIGKILL)  # in the middle of the stream, or just after it
    relay.wait(timeout=10)
    assert first, "the relay published nothing"

    # As if it had died between publishing and recording how far it got:
    # it will publish again what JetStream already has.
    for code in codes:
        _forget_how_far_the_relay_got(storage, code)
        _villages(storage, code, towns[code], 10, start=30)  # the history goes on meanwhile

    expected = {code: _all_positions(storage, code) for code in codes}
    deployment = storage.deployment_id
    total = sum(len(p) for p in expected.values())
    relay = _relay(store_url, stream, codes, tmp_path / "second.log")
    try:
        messages = _wait_for(stream[0], total)
        time.sleep(1.5)  # a republished duplicate would land by now
        messages = asyncio.run(_stream_messages(stream[0]))
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(timeout=10)
        storage.close()

    assert len(messages) == total
    for code in codes:
        ids = [headers["Nats-Msg-Id"] for subject, headers in messages
               if subject.startswith(f"{stream[1]}.{code}.")]
        assert _positions(messages, f"{deployment}-{code}-") == expected[code]
        assert len(ids) == len(expected[code])  # each once, in recorded order, under its event id
    assert {subject.split(".")[2] for subject, _ in messages} >= {"unit", "change"}
    # What it published again JetStream already had: reported, not counted as published.
    log = (tmp_path / "second.log").read_text()
    assert "duplicate" in log and "already in the stream" in log


def test_two_deployments_relay_the_same_county_into_one_stream_without_losing_events(
    store_url: str, stream: tuple[str, str], tmp_path: Path
) -> None:
    """The same county code onboarded by two deployments: positions repeat, ids do not."""
    urls = [store_url, f"sqlite:///{tmp_path / 'other'}"]
    stores = [open_storage(Settings(database_url=url)) for url in urls]
    code = county_code()
    for storage in stores:
        storage.create_tables()
        storage.onboard_tenant(code, "县", "3303", unlisted=True)
        town = storage.county(code).ledger.establish_unit(
            kind=UnitKind.TOWN, name="镇", code=None, parent_id=None,
            effective_date=date(2010, 1, 1), actor="test").id
        _villages(storage, code, town, 5)
    expected = [_all_positions(storage, code) for storage in stores]
    deployments = [storage.deployment_id for storage in stores]
    assert expected[0] == expected[1]  # the same positions in both deployments
    logs = [tmp_path / f"relay{i}.log" for i in range(2)]
    relays = [_relay(url, stream, [code], log) for url, log in zip(urls, logs, strict=True)]
    try:
        _wait_for(stream[0], sum(map(len, expected)))
        time.sleep(1.0)
        messages = asyncio.run(_stream_messages(stream[0]))
    finally:
        for relay in relays:
            relay.send_signal(signal.SIGTERM)
            relay.wait(timeout=10)
        for storage in stores:
            storage.close()
    assert deployments[0] != deployments[1]
    for deployment, positions in zip(deployments, expected, strict=True):
        assert _positions(messages, f"{deployment}-{code}-") == positions
    assert len(messages) == sum(map(len, expected))
    assert not any("duplicate" in log.read_text() for log in logs)
