"""What every benchmark shares: the run's context (temporary database, gunicorn,
in-process storage), an HTTP client, percentiles and the results table."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import psycopg

from infra.storage import Settings, Storage, open_storage

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # .venv/bin when run as .venv/bin/python -m bench
OPERATOR_KEY = f"bench-operator-{uuid.uuid4().hex}"


# -- Figures -----------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile, interpolated between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")


def server_ms(answer: Answer) -> float:
    """The server's own time for a request, from its ``Server-Timing: app;dur=<ms>``."""
    match = SERVER_TIMING.search(answer.headers.get("server-timing", ""))
    if match is None:
        raise AssertionError("the answer has no Server-Timing header")
    return float(match.group(1))


@dataclass(frozen=True)
class Row:
    """One line of the results table. ``ratio`` is figure / baseline; ``failed`` says
    what went wrong during the measurement (a target is never met when something did)."""

    benchmark: str
    figure: str
    value: float
    unit: str
    baseline: str
    baseline_value: float
    target: str = "—"
    met: bool | None = None
    failed: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline_value if self.baseline_value else float("nan")


def _number(value: float, unit: str) -> str:
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f} {unit}"


def _ratio(ratio: float) -> str:
    return f"{ratio:.0%}" if ratio < 10 else f"{ratio:.1f}x"


def print_table(rows: Sequence[Row]) -> None:
    header = ("benchmark", "figure", "baseline", "ratio", "target", "met?")
    cells = [
        (r.benchmark, f"{r.figure} {_number(r.value, r.unit)}",
         f"{r.baseline} {_number(r.baseline_value, r.unit)}", _ratio(r.ratio), r.target,
         {True: "yes", False: "NO", None: "—"}[r.met] + (f" ({r.failed})" if r.failed else ""))
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    for line in [header, tuple("-" * w for w in widths), *cells]:
        print(" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


# -- Clients -----------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class Client:
    """One API client on one keep-alive connection (http.client: the lightest
    client, so the machine's two cores go to the service, not to the load).

    An unexpected status raises ``AssertionError``; ``writes`` counts the POSTs answered 201.
    """

    def __init__(self, base: str, key: str):
        self.base = base
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self.writes = 0

    def call(self, method: str, path: str, body: Any = None, *, expect: int = 200,
             params: dict[str, str] | None = None) -> Answer:
        url = path + ("?" + urlencode(params) if params else "")
        payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        self.connection.request(method, url, body=payload, headers=self.headers)
        response = self.connection.getresponse()
        answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                        response.read())
        if answer.status != expect:
            raise AssertionError(f"{method} {path} answered {answer.status}, "
                                 f"not {expect}: {answer.text[:500]}")
        return answer

    def get(self, path: str, **params: str) -> Any:
        return self.call("GET", path, params=params).json()

    def post(self, path: str, body: Any) -> Any:
        answer = self.call("POST", path, body, expect=201).json()
        self.writes += 1
        return answer

    def close(self) -> None:
        self.connection.close()


# -- Processes and the database ---------------------------------------------


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def temporary_database(server: str) -> Iterator[str]:
    """A fresh PostgreSQL database of this run's own, dropped at the end."""
    name = f"grassroots_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    # A benchmark's clients are one address asking as fast as they can: no rate limits.
    return {**os.environ, "GRASSROOTS_DATABASE_URL": database_url,
            "GRASSROOTS_OPERATOR_KEY": OPERATOR_KEY, "GRASSROOTS_RATE_PER_KEY": "0",
            "GRASSROOTS_RATE_PER_ADDRESS": "0", **extra}


@contextmanager
def gunicorn(database_url: str, workers: int = 2) -> Iterator[str]:
    """``gunicorn -c gunicorn.conf.py`` on a free loopback port; yields its base URL.

    Its output goes to a log file that is kept (its path is printed) for post-mortems.
    """
    port = free_port()
    env = service_env(database_url, GRASSROOTS_WORKERS=str(workers), GRASSROOTS_PORT=str(port),
                      GRASSROOTS_HOST="127.0.0.1")
    log_fd, log = tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")
    note("gunicorn", f"{workers} workers on port {port}; log: {log}")
    with os.fdopen(log_fd, "w") as output:
        process = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], cwd=ROOT,
                                   env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process, log)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1):
                return
        except OSError:  # not listening yet, or still booting
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within 60 s:\n{_tail(log)}")


def _tail(path: str, lines: int = 30) -> str:
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


class Context:
    """One run: its database, and gunicorn and in-process storage started on first use."""

    def __init__(self, database_url: str, stack: ExitStack, *, quick: bool):
        self.database_url = database_url
        self.quick = quick
        self._stack = stack
        self._base: str | None = None
        self._storage: Storage | None = None

    def base_url(self) -> str:
        if self._base is None:
            self._base = self._stack.enter_context(gunicorn(self.database_url))
        return self._base

    def storage(self) -> Storage:
        """This process's own storage on the run's database (for baselines, direct calls)."""
        if self._storage is None:
            self._storage = open_storage(Settings(database_url=self.database_url))
            self._storage.create_tables()
            self._stack.callback(self._storage.close)
        return self._storage

    def admin_key(self, code: str, name: str, city_code: str) -> str:
        """An admin key of the county, onboarded through the API unless an earlier
        benchmark of the run did (the import onboards all of Wenzhou)."""
        directory = self.storage().directory
        if directory.tenant(code) is None:
            return self.onboard(code, name, city_code)
        return directory.issue_key(role="admin", label="bench", tenant_code=code)[1]

    def onboard(self, code: str, name: str, city_code: str) -> str:
        """Onboard a county through the API (POST /v1/tenants); its admin key."""
        operator = Client(self.base_url(), OPERATOR_KEY)
        created = operator.post("/v1/tenants", {"code": code, "name": name, "city_code": city_code,
                                                "unlisted": True})
        operator.close()
        return created["admin_key"]


def import_county(database_url: str, code: str) -> int:
    """``grassroots import-divisions --county CODE`` (the shipped 2023 release, effective
    2023-01-01, as the benchmarks' dates assume); the units it imported."""
    done = subprocess.run(
        [str(BIN / "grassroots"), "import-divisions", "--county", code,
         "--effective-date", "2023-01-01", "--quiet"],
        cwd=ROOT, env=service_env(database_url), capture_output=True, text=True, check=False)
    match = re.search(r"imported (\d+) units", done.stdout)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"import-divisions failed ({done.returncode}):\n"
                           f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return int(match.group(1))


def in_threads(count: int, work: Callable[[int], Any]) -> tuple[list[Any], float]:
    """Run ``work(i)`` for i in range(count) in threads at once: their results and wall time."""
    results: list[Any] = [None] * count
    errors: list[BaseException] = []
    start = threading.Barrier(count + 1)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except BaseException as error:  # noqa: BLE001 - re-raised below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return results, elapsed


def server_times(clients: list[Client], requests: list[tuple[str, dict[str, str]]],
                 per_client: int) -> tuple[list[list[float]], list[str]]:
    """Each client asks every request in turn, ``per_client`` rounds, all clients at
    once: the server times (ms) of each request's answers 200, and what went wrong
    with the others."""

    def ask(client: Client) -> tuple[list[list[float]], list[str]]:
        times: list[list[float]] = [[] for _ in requests]
        failures = []
        for _ in range(per_client):
            for i, (path, params) in enumerate(requests):
                try:
                    times[i].append(server_ms(client.call("GET", path, params=params)))
                except AssertionError as error:
                    failures.append(str(error))
        return times, failures

    results, _ = in_threads(len(clients), lambda i: ask(clients[i]))
    return ([[ms for times, _ in results for ms in times[i]] for i in range(len(requests))],
            [failure for _, failures in results for failure in failures])


def note(benchmark: str, text: str) -> None:
    """A detail line printed while the run goes on (the table comes at the end)."""
    print(f"[{benchmark}] {text}", flush=True)
