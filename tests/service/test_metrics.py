"""/metrics under gunicorn: one view of every worker, counters that never go backwards,
even when a worker dies and is replaced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import county_code, create_tenant, gunicorn, http_request, service_env

WORKERS = 2
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _scrape(port: int) -> tuple[Samples, str]:
    status, body, _, headers = http_request(port, "", "GET", "/metrics")
    assert status == 200
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(body.decode())
               for s in family.samples}
    return samples, headers["Content-Type"]


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _workers(master: int) -> list[int]:
    listed = subprocess.run(["ps", "--ppid", str(master), "-o", "pid="], capture_output=True,
                            text=True, check=False).stdout.split()
    return [int(pid) for pid in listed]


def _stale_metrics(folder: Path) -> None:
    """What a previous run left behind in the metrics folder: a request it counted."""
    subprocess.run([sys.executable, "-c", (
        "from prometheus_client import Counter; "
        "Counter('grassroots_http_requests', '', ['method', 'route', 'status'])"
        ".labels('GET', '/stale', '200').inc()")],
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}, check=True)
    assert list(folder.glob("counter_*.db"))


@pytest.mark.parametrize("configured", [True, False], ids=["configured-folder", "own-folder"])
def test_metrics_sum_every_worker_and_never_go_backwards(
    store_url: str, tmp_path: Path, configured: bool
) -> None:
    env = service_env(GRASSROOTS_DATABASE_URL=store_url, GRASSROOTS_WORKERS=str(WORKERS),
                      GRASSROOTS_THREADS="2")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if configured:
        folder = tmp_path / "metrics"
        folder.mkdir()
        _stale_metrics(folder)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    code = county_code()
    key = create_tenant(env, code)
    units = f"/v1/tenants/{code}/units"
    with gunicorn(env) as master:
        port = int(env["GRASSROOTS_PORT"])
        previous: Samples = {}
        written = 0
        for round_ in range(6):
            for i in range(6):  # new connections: the kernel spreads them over the workers
                status, _, _, _ = http_request(port, key, "POST", units, {
                    "kind": "town", "name": f"镇{round_}-{i}", "effective_date": "2010-01-01"})
                assert status == 201
                written += 1
                assert http_request(port, key, "GET", f"/v1/tenants/{code}/tree")[0] == 200
                assert http_request(port, key, "GET", f"{units}/{uuid.uuid4()}")[0] == 404
            if round_ == 3:  # a worker dies and gunicorn replaces it: its counts stay
                os.kill(_workers(master.pid)[0], signal.SIGKILL)
                deadline = time.monotonic() + 20
                while len(_workers(master.pid)) < WORKERS:
                    assert time.monotonic() < deadline, "gunicorn did not replace the worker"
                    time.sleep(0.2)
            samples, content_type = _scrape(port)
            for name_labels, value in previous.items():
                if name_labels[0].endswith(("_total", "_count", "_sum", "_bucket")):
                    assert samples.get(name_labels, 0.0) >= value, name_labels
            previous = samples

            # Every worker's requests, summed: exactly what this test sent.
            route = "/v1/tenants/<code>/units"
            assert _value(samples, "grassroots_http_requests_total",
                          method="POST", route=route, status="201") == written
            assert _value(samples, "grassroots_http_request_seconds_count",
                          method="POST", route=route, status="201") == written
            assert _value(samples, "grassroots_http_requests_total", method="GET",
                          route="/v1/tenants/<code>/units/<uuid:unit_id>", status="404") == written
            assert _value(samples, "grassroots_writes_total", type="establishment") == written
            # The county's views are current after every write: its lag is 0.
            assert _value(samples, "grassroots_view_lag_events", county=code) == 0

    assert content_type.count("charset") == 1, content_type
    assert not [key for key in samples if ("route", "/stale") in key[1]], "the folder was not emptied"
    if configured:
        assert not list(folder.glob("gauge_live*_*.db")), "the workers' live gauges stayed"
    if store_url.startswith("postgresql"):
        assert _value(samples, "grassroots_db_pool_connections", state="size") >= WORKERS
