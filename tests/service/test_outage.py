"""Outages fail fast (issue 12): PostgreSQL stopped under writers answers 503
problem+json with Retry-After promptly, applies nothing by halves, and the service
recovers by itself when the database is back.

The database stopped is a PostgreSQL cluster of this test's own, on another port,
made and removed here: never the shared server.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import create_tenant, free_port, gunicorn, http_request, service_env

COUNTY = "330381"
WRITERS = 3
STORAGE_TIMEOUT = 2.0  # the default of GRASSROOTS_STORAGE_TIMEOUT


class Cluster:
    """A throw-away PostgreSQL cluster (initdb, pg_ctl), run as the postgres user
    when the tests run as root, which PostgreSQL refuses."""

    def __init__(self) -> None:
        [self.bin] = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1:]
        self.folder = Path(tempfile.mkdtemp(prefix="grassroots-outage-"))
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.folder / "data"), "-U", "postgres", "-A", "trust",
                  "--no-sync")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_user, f"{self.bin}/{tool}", *args], check=True,
                       capture_output=True)

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
                   "-c fsync=off -c max_connections=30")
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-o", options,
                  "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        subprocess.run([*self.as_user, f"{self.bin}/pg_ctl", "-D", str(self.folder / "data"),
                        "-m", "immediate", "stop"], capture_output=True, check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    own = Cluster()
    try:
        own.start()
        yield own
    finally:
        own.remove()


def test_writes_during_an_outage_get_503_promptly_and_the_service_recovers_by_itself(
    cluster: Cluster,
) -> None:
    # Writers retry as fast as they can: no rate limit, no failure limit here.
    env = service_env(GRASSROOTS_DATABASE_URL=cluster.url, GRASSROOTS_WORKERS="1",
                      GRASSROOTS_THREADS="4", GRASSROOTS_POOL_SIZE="2", GRASSROOTS_AUTH_FAILURES="1000",
                      GRASSROOTS_RATE_PER_KEY="0", GRASSROOTS_RATE_PER_ADDRESS="0")
    key = create_tenant(env, COUNTY)
    answers: list[tuple[str, int, float, str, str | None]] = []  # name, status, seconds, type, Retry-After
    stop = threading.Event()

    def write(writer: int) -> None:
        n = 0
        while not stop.is_set() and n < 400:
            n += 1
            name = f"镇{writer}-{n}"
            try:
                status, _, seconds, headers = http_request(
                    port, key, "POST", f"/v1/tenants/{COUNTY}/units",
                    {"kind": "town", "name": name, "effective_date": "2010-01-01"})
            except OSError:
                status, seconds, headers = 0, 10.0, {}
            answers.append((name, status, seconds, headers.get("Content-Type", ""),
                            headers.get("Retry-After")))
            if status != 201:
                time.sleep(0.05)

    with gunicorn(env):
        port = int(env["GRASSROOTS_PORT"])
        writers = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
        for thread in writers:
            thread.start()
        time.sleep(1.0)
        cluster.stop()
        stopped_at = len(answers)
        time.sleep(4.0)
        cluster.start()
        restarted_at = time.monotonic()
        recovered_after = None
        while time.monotonic() - restarted_at < 15:
            if answers and answers[-1][1] == 201:
                recovered_after = time.monotonic() - restarted_at
                break
            time.sleep(0.05)
        time.sleep(0.5)
        stop.set()
        for thread in writers:
            thread.join(timeout=15)

        during = answers[stopped_at:]
        refused = [a for a in answers if a[1] != 201]
        print(f"\n{len(answers)} writes, {len(refused)} refused during the outage; slowest "
              f"refusal {max(a[2] for a in refused):.2f} s; recovered "
              f"{recovered_after} s after the restart")
        assert refused, "the outage refused nothing"
        assert {a[1] for a in during} <= {201, 503}, {a[1] for a in during}
        for name, status, seconds, content_type, retry_after in refused:
            assert status == 503 and content_type == "application/problem+json", (name, status)
            assert retry_after and int(retry_after) >= 1, name
            assert seconds <= 3.0, (name, seconds)
        # The storage timeout, and the library's one retry (0.2 s) of a connection
        # that broke under the request.
        assert max(a[2] for a in answers) <= STORAGE_TIMEOUT + 0.5
        assert recovered_after is not None, "no write succeeded after PostgreSQL was back"

        # Nothing lost, nothing twice, nothing by halves.
        status, body, _, _ = http_request(port, key, "GET", f"/v1/tenants/{COUNTY}/units?limit=1000")
        assert status == 200
        stored = [unit["name"] for unit in json.loads(body)["items"]]
        assert len(stored) == len(set(stored))
        acknowledged = {a[0] for a in answers if a[1] == 201}
        assert acknowledged <= set(stored)
        assert set(stored) <= {a[0] for a in answers}
        status, body, _, _ = http_request(port, key, "POST", f"/v1/tenants/{COUNTY}/keys",
                                          {"role": "auditor", "label": "after the outage"})
        auditor = json.loads(body)["key"]
        status, body, _, _ = http_request(port, auditor, "GET", f"/v1/tenants/{COUNTY}/audit/verify")
        assert status == 200 and json.loads(body)["ok"], body
        status, body, _, _ = http_request(port, auditor, "POST", f"/v1/tenants/{COUNTY}/audit/replays", {})
        assert status == 200 and json.loads(body)["matches"], body
