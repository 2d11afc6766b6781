"""Event streams under gunicorn: more listeners than workers never starve the API."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
COUNTY = "330381"
WORKERS, THREADS, STREAMS_PER_WORKER, LISTENERS = 2, 4, 2, 6


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRASSROOTS_")}
    env.update(GRASSROOTS_DATABASE_URL=f"sqlite:///{tmp_path / 'var'}", GRASSROOTS_WORKERS=str(WORKERS),
               GRASSROOTS_THREADS=str(THREADS), GRASSROOTS_MAX_STREAMS=str(STREAMS_PER_WORKER))
    created = subprocess.run([str(BIN / "grassroots"), "tenants", "create", COUNTY, "瑞安市", "3303"],
                             env=env, capture_output=True, text=True, check=True)
    key = created.stdout.strip().splitlines()[-1]
    port = _free_port()
    env["GRASSROOTS_PORT"] = str(port)
    process = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        yield port, key
    finally:
        process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: streams need no grace
        process.wait(timeout=30)


def _request(port: int, key: str, method: str, path: str, body: object = None) -> tuple[int, bytes, float]:
    began = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, body=json.dumps(body) if body is not None else None,
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    answer = connection.getresponse()
    data = answer.read()
    connection.close()
    return answer.status, data, time.monotonic() - began


def test_more_listeners_than_workers_leave_the_api_answering(server: tuple[int, str]) -> None:
    port, key = server
    streams = []
    for _ in range(LISTENERS):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", f"/v1/tenants/{COUNTY}/events/stream",
                           headers={"Authorization": f"Bearer {key}"})
        streams.append((connection, connection.getresponse()))
    open_streams = [answer for _, answer in streams if answer.status == 200]
    refused = [answer for _, answer in streams if answer.status == 429]
    assert len(open_streams) + len(refused) == LISTENERS
    assert 1 <= len(open_streams) <= WORKERS * STREAMS_PER_WORKER
    assert all(answer.getheader("Retry-After") for answer in refused)

    for path in ("/healthz", f"/v1/tenants/{COUNTY}/tree", f"/v1/tenants/{COUNTY}/units"):
        status, _, seconds = _request(port, key, "GET", path)
        assert status == 200 and seconds < 2, (path, status, seconds)
    status, body, _ = _request(port, key, "POST", f"/v1/tenants/{COUNTY}/units",
                               {"kind": "town", "name": "安阳街道", "effective_date": "2010-01-01"})
    assert status == 201, body

    for answer in open_streams:
        answer.fp.raw._sock.settimeout(5)  # type: ignore[union-attr]
        lines = []
        while not any(line.startswith(b"id: ") for line in lines):
            lines.append(answer.fp.readline())
        assert any(line.startswith(b"event: ") for line in lines + [answer.fp.readline()])
    for connection, _ in streams:
        connection.close()
