"""Event streams under gunicorn: more listeners than workers never starve the API."""

from __future__ import annotations

import http.client
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import create_tenant, gunicorn, http_request, service_env

COUNTY = "330381"
WORKERS, THREADS, STREAMS_PER_WORKER, LISTENERS = 2, 4, 2, 6


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, str]]:
    env = service_env(GRASSROOTS_DATABASE_URL=f"sqlite:///{tmp_path / 'var'}",
                      GRASSROOTS_WORKERS=str(WORKERS), GRASSROOTS_THREADS=str(THREADS),
                      GRASSROOTS_MAX_STREAMS=str(STREAMS_PER_WORKER))
    key = create_tenant(env, COUNTY)
    with gunicorn(env):
        yield int(env["GRASSROOTS_PORT"]), key


def _request(port: int, key: str, method: str, path: str, body: object = None) -> tuple[int, bytes, float]:
    status, data, seconds, _ = http_request(port, key, method, path, body)
    return status, data, seconds


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


def test_sigterm_ends_open_streams_cleanly_and_stops_within_5_s(tmp_path: Path) -> None:
    env = service_env(GRASSROOTS_DATABASE_URL=f"sqlite:///{tmp_path / 'var'}",
                      GRASSROOTS_WORKERS="2", GRASSROOTS_THREADS="4")
    key = create_tenant(env, COUNTY)
    with gunicorn(env) as service:
        port = int(env["GRASSROOTS_PORT"])
        listener = socket.create_connection(("127.0.0.1", port), timeout=10)
        listener.sendall(f"GET /v1/tenants/{COUNTY}/events/stream HTTP/1.1\r\nHost: ledger\r\n"
                         f"Authorization: Bearer {key}\r\n\r\n".encode())
        received = b""
        while b": stream open" not in received:
            received += listener.recv(65536)
        signalled = time.monotonic()
        service.send_signal(signal.SIGTERM)
        while chunk := listener.recv(65536):
            received += chunk
        listener.close()
        service.wait(timeout=10)
        stopped_after = time.monotonic() - signalled
    print(f"\nstopped {stopped_after:.2f} s after SIGTERM with a stream open")
    assert b"transfer-encoding: chunked" in received.lower()
    # The last event block is a comment that says why, and the chunked body is closed.
    assert received.endswith(b"\r\n0\r\n\r\n"), received[-200:]
    assert b": server stopping" in received.rsplit(b"\r\n0\r\n\r\n", 1)[0][-100:]
    assert stopped_after < 5.0
