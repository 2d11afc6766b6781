"""Workers killed under load (issue 12, item 8): gunicorn's workers are killed with
SIGKILL while writers POST villages, each logical write under an Idempotency-Key
and retried with the same key and body until it has an answer. After the load
nothing is lost and nothing is twice: every acknowledged write is stored once,
under the id it was acknowledged with; no key is left claimed; the views equal a
replay of the events and the chain verifies.

A killed attempt leaves its key claimed until the claim's lease (30 s, decision 10)
is past. So that the test takes seconds, not a minute, the lease's clock is
advanced by hand: claims unanswered for LEASE_SECONDS are dated back by the whole
lease, as if their 30 s had passed — safe here, since a writer retries a key only
after the connection of its previous attempt broke, i.e. its worker died.
GRASSROOTS_TEST_REAL_LEASE=1 waits the real lease instead (about a minute).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from conftest import county_code, create_tenant, gunicorn, service_env

WRITERS = 4
WRITES_PER_WRITER = 400  # an upper bound: the load phase (LOAD_SECONDS) ends the writes
LOAD_SECONDS = 6.0
KILL_EVERY = (0.5, 1.0)  # seconds between two kills, drawn uniformly
REAL_LEASE = os.environ.get("GRASSROOTS_TEST_REAL_LEASE") == "1"
LEASE_SECONDS = 3.0  # the lease the advanced clock gives a claim
ANSWER_WITHIN = 75.0 if REAL_LEASE else 40.0  # seconds a logical write may take, retries included
AS_OF = "2020-01-01"


@dataclass
class Write:
    name: str
    key: str
    status: int | None = None  # the answer stored for the key, once it has one
    unit_id: str | None = None
    replayed: bool = False
    attempts: int = 0
    broken: int = 0  # attempts whose connection broke (the worker died) or timed out
    server_errors: int = 0
    in_progress: int = 0  # attempts answered 409 "still in progress"
    waited: int = 0  # attempts answered after a second or more (a claim held by a dead attempt)


@dataclass
class Figures:
    writes: list[Write] = field(default_factory=list)
    kills: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def request(port: int, key: str, method: str, path: str, body: object = None,
            headers: dict[str, str] | None = None, timeout: float = 30.0) -> tuple[int, Any, Any]:
    """One request on a connection of its own: status, body (JSON), headers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None,
                           headers={"Authorization": f"Bearer {key}",
                                    "Content-Type": "application/json", **(headers or {})})
        answer = connection.getresponse()
        data = answer.read()
    finally:
        connection.close()
    try:
        parsed = json.loads(data) if data else None
    except ValueError:  # not the API's JSON (a page of gunicorn's own): seen as text
        parsed = {"detail": data.decode(errors="replace")}
    return answer.status, parsed, answer.headers


def workers_of(master: int) -> list[int]:
    """The pids of gunicorn's workers: the master's children."""
    pids: list[int] = []
    for task in Path(f"/proc/{master}/task").iterdir():
        try:
            pids += [int(pid) for pid in (task / "children").read_text().split()]
        except OSError:
            pass
    return pids


def advance_the_lease_clock(database_url: str, scope_prefix: str, stop: threading.Event) -> None:
    """Date unanswered claims held LEASE_SECONDS back by the whole lease (30 s), so
    that a retry takes them over as it would 30 s later."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        while not stop.wait(0.25):
            conn.execute(
                "UPDATE platform_idempotency SET created_at = created_at - interval '31 seconds' "
                "WHERE status IS NULL AND scope LIKE %s "
                "AND created_at < now() - make_interval(secs => %s) "
                "AND created_at > now() - interval '20 seconds'",
                (scope_prefix + "%", LEASE_SECONDS))


def test_workers_killed_under_load_lose_nothing_and_double_nothing(
    pg_url: str, tmp_path: Path,
) -> None:
    began = time.monotonic()
    env = service_env(GRASSROOTS_DATABASE_URL=pg_url, GRASSROOTS_WORKERS="2",
                      GRASSROOTS_THREADS="4", GRASSROOTS_POOL_SIZE="4",
                      GRASSROOTS_RATE_PER_KEY="0", GRASSROOTS_RATE_PER_ADDRESS="0",
                      GRASSROOTS_AUTH_FAILURES="1000", GRASSROOTS_ACCESS_LOG="off")
    code = county_code()
    key = create_tenant(env, code)
    units = f"/v1/tenants/{code}/units"
    figures = Figures()
    load_over = threading.Event()
    kills_over = threading.Event()
    clock_stop = threading.Event()

    def write(writer: int, port: int, town: str) -> None:
        for n in range(WRITES_PER_WRITER):
            if load_over.is_set():
                return
            one = Write(name=f"村{writer}-{n}", key=str(uuid.uuid4()))
            with figures.lock:
                figures.writes.append(one)
            body = {"kind": "village", "name": one.name, "parent_id": town,
                    "effective_date": "2010-01-01"}
            deadline = time.monotonic() + ANSWER_WITHIN
            while time.monotonic() < deadline:
                one.attempts += 1
                sent = time.monotonic()
                try:
                    status, answer, headers = request(port, key, "POST", units, body,
                                                      {"Idempotency-Key": one.key})
                except (OSError, http.client.HTTPException):
                    one.broken += 1
                    time.sleep(0.1)
                    continue
                one.waited += time.monotonic() - sent >= 1.0
                if status >= 500:
                    one.server_errors += 1
                elif status == 409 and "in progress" in (answer or {}).get("detail", ""):
                    one.in_progress += 1
                else:
                    one.status = status
                    one.unit_id = (answer or {}).get("id")
                    one.replayed = headers.get("Idempotent-Replayed") == "true"
                    break
                time.sleep(0.1)

    def kill(master: int) -> None:
        while not kills_over.wait(random.uniform(*KILL_EVERY)):
            pids = workers_of(master)
            if pids:
                try:
                    os.kill(random.choice(pids), signal.SIGKILL)
                    figures.kills += 1
                except ProcessLookupError:
                    pass

    with open(tmp_path / "gunicorn.log", "wb") as log, gunicorn(env, stderr=log) as master:
        port = int(env["GRASSROOTS_PORT"])
        status, answer, _ = request(port, key, "POST", units, {"kind": "town", "name": "镇",
                                                                "effective_date": "2010-01-01"})
        assert status == 201, answer
        town = answer["id"]
        writers = [threading.Thread(target=write, args=(w, port, town)) for w in range(WRITERS)]
        killer = threading.Thread(target=kill, args=(master.pid,))
        clock = threading.Thread(target=advance_the_lease_clock,
                                 args=(pg_url, f"/v1/tenants/{code}/", clock_stop))
        for thread in [*writers, killer] + ([] if REAL_LEASE else [clock]):
            thread.start()
        try:
            time.sleep(LOAD_SECONDS)
        finally:
            load_over.set()
            kills_over.set()
            killer.join(timeout=10)
            for thread in writers:
                thread.join(timeout=ANSWER_WITHIN + 35)
            clock_stop.set()
            if clock.is_alive():
                clock.join(timeout=10)
        assert not any(thread.is_alive() for thread in writers), "a writer did not finish"
        loaded = time.monotonic() - began

        writes = figures.writes
        acknowledged = [w for w in writes if w.status == 201]
        print(f"\n{len(writes)} writes, {len(acknowledged)} acknowledged "
              f"({sum(w.replayed for w in writes)} replayed answers); {figures.kills} workers "
              f"killed; {sum(w.attempts for w in writes) - len(writes)} retries "
              f"({sum(w.broken for w in writes)} broken connections, "
              f"{sum(w.server_errors for w in writes)} 5xx, "
              f"{sum(w.in_progress for w in writes)} × 409 in progress; "
              f"{sum(w.waited for w in writes)} answered after ≥ 1 s); {loaded:.1f} s")
        assert figures.kills >= 3, "too few workers were killed to test anything"
        assert sum(w.broken for w in writes) >= 1, "no kill broke a request in flight"
        # No key stuck: every logical write has its answer, and that answer is a 201.
        assert [(w.name, w.status) for w in writes if w.status != 201] == []
        assert all(w.unit_id for w in acknowledged)

        # Every acknowledged write stored once, under the id it was acknowledged with;
        # nothing stored that was not written.
        stored: list[dict[str, Any]] = []
        cursor = ""
        for _ in range(20):  # pages of 1000: more than any run writes
            after = f"&cursor={quote(cursor)}" if cursor else ""
            status, page, _ = request(port, key, "GET", f"{units}?limit=1000&as_of={AS_OF}{after}")
            assert status == 200, page
            stored += page["items"]
            cursor = page.get("next_cursor") or ""
            if not cursor:
                break
        assert not cursor, "more pages than the test wrote"
        villages = [(u["name"], u["id"]) for u in stored if u["kind"] == "village"]
        names = Counter(name for name, _ in villages)
        written = {w.name: w.unit_id for w in acknowledged}
        assert sorted(name for name, times in names.items() if times > 1) == [], "stored twice"
        assert sorted(written.keys() - names.keys()) == [], "acknowledged, not stored"
        assert sorted(names.keys() - written.keys()) == [], "stored, never acknowledged"
        assert [(name, unit_id) for name, unit_id in villages if written[name] != unit_id] == []
        assert [u["name"] for u in stored if u["kind"] != "village"] == ["镇"]

        # A retry now gets the stored answer at once, and changes nothing.
        for one in random.sample(acknowledged, min(5, len(acknowledged))):
            status, answer, headers = request(
                port, key, "POST", units, {"kind": "village", "name": one.name, "parent_id": town,
                                           "effective_date": "2010-01-01"},
                {"Idempotency-Key": one.key})
            assert (status, answer["id"], headers["Idempotent-Replayed"]) == (
                201, one.unit_id, "true")
        with psycopg.connect(pg_url) as conn:
            [(unanswered,)] = conn.execute(
                "SELECT count(*) FROM platform_idempotency WHERE status IS NULL AND scope LIKE %s",
                (f"/v1/tenants/{code}/%",)).fetchall()
        assert unanswered == 0

        # Views equal a replay of the events; the hash chain verifies.
        status, answer, _ = request(port, key, "POST", f"/v1/tenants/{code}/keys",
                                    {"role": "auditor", "label": "after the kills"})
        assert status == 201, answer
        auditor = answer["key"]
        status, answer, _ = request(port, auditor, "GET", f"/v1/tenants/{code}/audit/verify")
        assert status == 200 and answer["ok"], answer
        status, answer, _ = request(port, auditor, "POST", f"/v1/tenants/{code}/audit/replays", {})
        assert status == 200 and answer["matches"], answer
        assert answer["units_compared"] >= len(acknowledged) + 1
