"""Connections stay honest (issue 12): after a refusal sent before the body was read,
the next request on the connection is answered, or the refusal said
``Connection: close``. A raw socket against the real service under gunicorn."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import create_tenant, gunicorn, service_env

COUNTY = "330381"
OTHER_COUNTY = "330382"
# The next request asks to close after its answer: the reading ends there.
NEXT = b"GET /healthz HTTP/1.1\r\nHost: ledger\r\nConnection: close\r\n\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    folder: Path = tmp_path_factory.mktemp("connections")
    env = service_env(GRASSROOTS_DATABASE_URL=f"sqlite:///{folder / 'var'}",
                      GRASSROOTS_WORKERS="1", GRASSROOTS_THREADS="2")
    key = create_tenant(env, COUNTY)
    with gunicorn(env):
        yield int(env["GRASSROOTS_PORT"]), key


def _post(key: str, code: str, size: int) -> bytes:
    body = b"{" + b" " * (size - 2) + b"}"
    return (f"POST /v1/tenants/{code}/units HTTP/1.1\r\nHost: ledger\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def _answers(port: int, request: bytes) -> list[tuple[int, dict[str, str]]]:
    """Send ``request`` and then a GET on the same connection; the answers read
    (status, headers) until the server closes the connection."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=3)

    def send() -> None:
        try:
            sock.sendall(request + NEXT)
        except OSError:
            pass  # the server closed its end: what was answered is what counts

    sender = threading.Thread(target=send)
    sender.start()
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    sender.join(timeout=5)
    sock.close()
    answers = []
    for message in received.split(b"HTTP/1.1 ")[1:]:
        head = message.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip() for name, _, value in
                   (line.partition(":") for line in head[1:])}
        answers.append((int(head[0].split()[0]), headers))
    return answers


@pytest.mark.parametrize(("case", "size", "status"), [
    ("too large", 2 * 1024 * 1024, 413),
    ("no key, large body", 200 * 1024, 401),
    ("another county, large body", 200 * 1024, 404),
    ("no key, small body", 100, 401),
])
def test_a_refusal_before_the_body_is_read_leaves_the_connection_honest(
    server: tuple[int, str], case: str, size: int, status: int,
) -> None:
    port, key = server
    code = OTHER_COUNTY if status == 404 else COUNTY
    answers = _answers(port, _post(key if status != 401 else "gl_wrong", code, size))
    assert answers and answers[0][0] == status, (case, answers)
    refusal = answers[0][1]
    if refusal.get("connection", "").lower() == "close":
        assert len(answers) == 1, (case, answers)
    else:
        assert [s for s, _ in answers] == [status, 200], (case, answers)


def test_a_body_read_whole_keeps_the_connection_alive(server: tuple[int, str]) -> None:
    port, key = server
    answers = _answers(port, _post(key, COUNTY, 200 * 1024))
    assert [s for s, _ in answers] == [422, 200], answers
    assert answers[0][1].get("connection", "").lower() == "keep-alive"
