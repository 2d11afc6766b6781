"""The service as deployed: gunicorn behind nginx with deploy/nginx.conf (decision 12).

The suite starts Debian's nginx with the repository's configuration, changed only
where a test must differ from the compose file (its ports, the service's address,
a temporary folder for nginx's files), in front of the real service.
"""

from __future__ import annotations

import http.client
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import ROOT, create_tenant, free_port, gunicorn, service_env, wait_for_port

COUNTY = "330381"
IDLE, SLOWLORIS, PROBES = 500, 40, 200


@contextmanager
def nginx(prefix: Path, service_port: int) -> Iterator[int]:
    """deploy/nginx.conf in front of the service on ``service_port``; its port."""
    port = free_port()
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    for deployed, here in (("listen 8080;", f"listen 127.0.0.1:{port};"),
                           ("http://service:8000", f"http://127.0.0.1:{service_port}"),
                           ("/tmp/", f"{prefix}/")):
        assert deployed in conf, f"deploy/nginx.conf no longer has {deployed!r}"
        conf = conf.replace(deployed, here)
    (prefix / "nginx.conf").write_text(conf)
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    # Root's workers would run as nobody, who cannot enter pytest's private folders.
    user = "user root;" if os.geteuid() == 0 else ""
    process = subprocess.Popen([binary, "-c", str(prefix / "nginx.conf"), "-p", str(prefix),
                                "-e", "stderr", "-g", f"daemon off; {user}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(process, port, 10, "nginx")
        yield port
    finally:
        process.send_signal(signal.SIGQUIT)  # nginx's graceful stop
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    """nginx in front of one gunicorn worker of two threads: the fewest there can be."""
    folder = tmp_path_factory.mktemp("proxy")
    env = service_env(GRASSROOTS_DATABASE_URL=f"sqlite:///{folder / 'var'}",
                      GRASSROOTS_WORKERS="1", GRASSROOTS_THREADS="2", GRASSROOTS_PROXIES="1",
                      GRASSROOTS_AUTH_FAILURES="3")
    key = create_tenant(env, COUNTY)
    with gunicorn(env), nginx(folder, int(env["GRASSROOTS_PORT"])) as port:
        yield port, key


def _get(port: int, path: str, key: str, source: str = "127.0.0.1") -> tuple[int, float]:
    began = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5,
                                            source_address=(source, 0))
    connection.request("GET", path, headers={"Authorization": f"Bearer {key}"})
    status = connection.getresponse().status
    connection.close()
    return status, time.monotonic() - began


def test_idle_and_slowloris_connections_starve_no_one(deployed: tuple[int, str]) -> None:
    port, key = deployed
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4096)), hard))
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(IDLE)]
    slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(SLOWLORIS)]
    for sock in slow:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: ledger\r\n")
    stop = threading.Event()

    def trickle() -> None:
        """A header line every half second on each slow connection, never the end."""
        line = 0
        while not stop.wait(0.5) and line < 40:
            line += 1
            for sock in slow:
                try:
                    sock.sendall(f"X-Slow-{line}: still coming\r\n".encode())
                except OSError:
                    pass  # nginx timed it out: that is its job

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        seconds = []
        for probe in range(PROBES):
            path = "/healthz" if probe % 2 else f"/v1/tenants/{COUNTY}/tree"
            status, elapsed = _get(port, path, key)
            assert status == 200, (path, status)
            seconds.append(elapsed)
    finally:
        stop.set()
        trickler.join(timeout=5)
        for sock in idle + slow:
            sock.close()
    seconds.sort()
    p99 = seconds[int(len(seconds) * 0.99) - 1]
    print(f"\nbehind nginx, {IDLE} idle and {SLOWLORIS} slowloris connections open: "
          f"{PROBES} GETs, p50 {seconds[len(seconds) // 2] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    assert p99 <= 1.0


def test_the_service_sees_each_client_address_behind_the_proxy(deployed: tuple[int, str]) -> None:
    """Failed authentication is counted per client, not per proxy: one guesser
    behind nginx does not lock everyone else out."""
    port, key = deployed
    guesses = [_get(port, "/v1/tenants", "gl_guess", source="127.0.0.2")[0] for _ in range(4)]
    assert guesses == [401, 401, 401, 429]
    assert _get(port, f"/v1/tenants/{COUNTY}/units", key, source="127.0.0.3")[0] == 200



def test_nginx_answers_what_it_refuses_itself_with_problem_json(deployed: tuple[int, str]) -> None:
    port, _ = deployed
    refusals = {
        413: b"POST /v1/tenants HTTP/1.1\r\nHost: ledger\r\nContent-Length: 2000000\r\n\r\n",
        414: b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: ledger\r\n\r\n",
        431: b"GET / HTTP/1.1\r\nHost: ledger\r\nX-Big: " + b"b" * 20_000 + b"\r\n\r\n",
        400: b"GET / HTTP/1.1\r\nHost: ledger\r\nHost: again\r\n\r\n",
    }
    for status, request in refusals.items():
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(request)
            received = b""
            while b"}" not in received and (chunk := sock.recv(65536)):
                received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        assert head.startswith(f"HTTP/1.1 {status}".encode()), (status, head)
        assert b"content-type: application/problem+json" in head.lower(), (status, head)
        problem = json.loads(body[body.index(b"{"):body.rindex(b"}") + 1])
        assert problem["status"] == status and problem["title"], problem


def test_a_service_that_is_down_is_a_problem_json_502(tmp_path: Path) -> None:
    with nginx(tmp_path, free_port()) as port:  # nothing listens there
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/healthz")
        answer = connection.getresponse()
        problem = json.loads(answer.read())
        connection.close()
    assert answer.status == 502
    assert answer.getheader("Content-Type") == "application/problem+json"
    assert problem["status"] == 502 and problem["title"] == "Bad Gateway"
