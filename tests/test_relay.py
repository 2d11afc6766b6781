"""The NATS JetStream relay against the local NATS server, for real: killed in the middle,
restarted, every event is in JetStream exactly once and in order per county."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import signal
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


def _relay(store_url: str, stream: tuple[str, str], codes: list[str]) -> subprocess.Popen[bytes]:
    """The relay, for these counties (the test database holds other tests' counties too)."""
    env = {**os.environ, "GRASSROOTS_DATABASE_URL": store_url, "GRASSROOTS_NATS_URL": NATS_URL}
    counties = [option for code in codes for option in ("--county", code)]
    return subprocess.Popen(
        [str(BIN / "grassroots"), "relay", "nats", "--stream", stream[0], "--prefix", stream[1],
         *counties],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


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
    store_url: str, stream: tuple[str, str]
) -> None:
    storage = open_storage(Settings(database_url=store_url))
    storage.create_tables()
    codes = [county_code(), county_code()]
    towns = {}
    for code in codes:
        storage.onboard_tenant(code, "县", "3303")
        towns[code] = storage.county(code).ledger.establish_unit(
            kind=UnitKind.TOWN, name="镇", code=None, parent_id=None,
            effective_date=date(2010, 1, 1), actor="test").id
        _villages(storage, code, towns[code], 30)

    relay = _relay(store_url, stream, codes)
    first = _wait_for(stream[0], 20)
    relay.send_signal(signal.SIGKILL)  # in the middle of the stream, or just after it
    relay.wait(timeout=10)
    assert first, "the relay published nothing"

    # As if it had died between publishing and recording how far it got:
    # it will publish again what JetStream already has.
    for code in codes:
        _forget_how_far_the_relay_got(storage, code)
        _villages(storage, code, towns[code], 10, start=30)  # the history goes on meanwhile

    expected = {code: [n.id for n in storage.county(code).ledger.recorder.select_notifications(
        start=0, limit=10_000, inclusive_of_start=False)] for code in codes}
    total = sum(len(p) for p in expected.values())
    relay = _relay(store_url, stream, codes)
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
        positions = [int(headers["Nats-Msg-Id"].split("-")[1]) for subject, headers in messages
                     if subject.startswith(f"{stream[1]}.{code}.")]
        assert positions == expected[code]  # each once, in recorded order
        assert all(headers["Nats-Msg-Id"].startswith(f"{code}-") for subject, headers in messages
                   if subject.startswith(f"{stream[1]}.{code}."))
    assert {subject.split(".")[2] for subject, _ in messages} >= {"unit", "change"}
