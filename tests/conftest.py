"""Fixtures: a real PostgreSQL test database (created and dropped here) and SQLite folders.

PostgreSQL is at GRASSROOTS_TEST_POSTGRES (default: postgres on 127.0.0.1:5432,
trust auth). Tests that need it fail, not skip, when it is not there.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings

from infra.releases import SHIPPED, ReleaseFiles
from infra.storage import Settings, Storage, open_storage
from interfaces.http import create_app

SERVER = os.environ.get("GRASSROOTS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
OPERATOR_KEY = "operator-test-key"
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]

hypothesis_settings.register_profile("ci", max_examples=25, deadline=None)
hypothesis_settings.register_profile("thorough", max_examples=300, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@contextmanager
def temporary_database(purpose: str) -> Iterator[str]:
    """A new PostgreSQL database, dropped afterwards; its URL."""
    name = f"grassroots_{purpose}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        # Durability of a throw-away database is not under test; speed is welcome.
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    try:
        yield f"{SERVER}/{name}"
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of this test session's own, shared by its tests."""
    with temporary_database("test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'var'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(params=["sqlite", "postgres"])
def own_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store of the test's own, for a test that needs a real county's code to itself."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'var'}"
        return
    with temporary_database("own") as url:
        yield url


@pytest.fixture
def storage(store_url: str) -> Iterator[Storage]:
    # Rate limits have tests of their own; here a test's requests come as fast as it can.
    store = open_storage(Settings(database_url=store_url, operator_key=OPERATOR_KEY,
                                  rate_per_key=0, rate_per_address=0))
    store.create_tables()
    yield store
    store.close()


@contextmanager
def started_again(storage: Storage, code: str, schema: int, *statements: str) -> Iterator[Storage]:
    """County ``code``'s tables as county schema ``schema`` had them (``statements``
    undo what later schemas added), then the service started again on them."""
    with storage.county(code).views.datastore.transaction(commit=True) as curs:
        for statement in statements:
            curs.execute(statement)
    storage.directory.record_schema_version(schema)
    storage.close()
    reopened = open_storage(storage.settings)
    try:
        reopened.create_tables()
        yield reopened
    finally:
        reopened.close()


def stored_rows(storage: Storage, code: str,
                tables: Iterable[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of these tables of a county on PostgreSQL, in a fixed order (by the
    first two columns), to compare two ways of storing the same."""
    with psycopg.connect(str(storage.settings.database_url)) as conn:
        return {table: conn.execute(f'SELECT * FROM "t{code}_{table}" ORDER BY 1, 2').fetchall()
                for table in tables}


def county_store_rows(store_url: str, code: str, *, sqlite: str,
                      postgres: str) -> list[tuple[Any, ...]]:
    """What a query, as each store spells it, answers from a county's store read
    directly, past the application (on SQLite, the county's own file: no rows while
    there is none)."""
    if store_url.startswith("sqlite:"):
        path = Path(store_url.removeprefix("sqlite:///")) / f"{code}.db"
        if not path.exists():
            return []
        with closing(sqlite3.connect(path)) as db:
            return db.execute(sqlite).fetchall()
    with psycopg.connect(store_url) as conn:
        return conn.execute(postgres).fetchall()


_GIVEN: set[str] = set()
_LISTED = ReleaseFiles(SHIPPED).listed_counties()


def county_code() -> str:
    """A county code no other test in this session uses (counties share the test
    database; a session onboards a few thousand, so random codes would collide).
    Drawn from 65xxxx (Xinjiang), a province's codes as onboarding requires, where
    none of the national codes lie that tests onboard by name (33xxxx, tests/data,
    and the few named in tests); never a city's …00, nor one of Xinjiang's real
    counties (a test may need a code no release lists)."""
    while True:
        code = f"{random.SystemRandom().randrange(650000, 660000)}"
        if not code.endswith("00") and code not in _GIVEN and code not in _LISTED:
            _GIVEN.add(code)
            return code


class Client:
    """The API as a county office's program sees it: JSON in and out, one key."""

    def __init__(self, flask_client: Any, key: str, code: str):
        self.http = flask_client
        self.key = key
        self.code = code

    def url(self, path: str) -> str:
        return path if path.startswith("/") else f"/v1/tenants/{self.code}/{path}"

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **(extra or {})}

    def get(self, path: str, **params: Any) -> Any:
        return self.http.get(self.url(path), query_string=params, headers=self.headers())

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.http.post(self.url(path), json=body, headers=self.headers(headers))

    def patch(self, path: str, body: Any) -> Any:
        return self.http.patch(self.url(path), json=body, headers=self.headers())

    def delete(self, path: str) -> Any:
        return self.http.delete(self.url(path), headers=self.headers())

    def ok(self, response: Any, status: int = 201) -> Any:
        assert response.status_code == status, response.get_json()
        return response.get_json()

    # Shorthands for building structures in tests.
    def unit(self, kind: str, name: str, parent_id: str | None = None,
             effective_date: str = "2010-01-01", **extra: Any) -> str:
        body = {"kind": kind, "name": name, "effective_date": effective_date, **extra}
        if parent_id:
            body["parent_id"] = parent_id
        return self.ok(self.post("units", body))["id"]

    def plan(self, area_type: str, village_ids: list[str], effective_date: str = "2010-06-01") -> str:
        body = {"area_type": area_type, "name": f"{area_type} plan",
                "village_ids": village_ids, "effective_date": effective_date}
        return self.ok(self.post("plans", body))["id"]


@pytest.fixture
def app(storage: Storage) -> Any:
    return create_app(storage.settings, storage, create_tables=False)


@pytest.fixture
def operator(app: Any) -> Client:
    return Client(app.test_client(), OPERATOR_KEY, "")


@pytest.fixture
def county(operator: Client) -> Client:
    """A freshly onboarded county, seen through its admin key."""
    code = county_code()
    created = operator.ok(operator.post("/v1/tenants", {"code": code, "name": "测试县",
                                                        "city_code": "3303", "unlisted": True}))
    return Client(operator.http, created["admin_key"], code)


# -- The real service, under gunicorn ------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_env(**settings: str) -> dict[str, str]:
    """This environment without any GRASSROOTS_ setting, with ``settings`` added."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRASSROOTS_")}
    env.update(settings)
    return env


def create_tenant(env: dict[str, str], code: str) -> str:
    """Onboard a county from the command line; its admin key."""
    created = subprocess.run([str(BIN / "grassroots"), "tenants", "create", code, "瑞安市", "3303",
                              "--unlisted"],
                             env=env, capture_output=True, text=True, check=True)
    return created.stdout.strip().splitlines()[-1]


def wait_for_port(process: subprocess.Popen[bytes], port: int, seconds: float, what: str) -> None:
    """Until ``process`` accepts connections on ``port``; fails if it dies or is late."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            errors = process.stderr.read().decode() if process.poll() is not None and \
                process.stderr else ""
            assert process.poll() is None, f"{what} died: {errors}"
            assert time.monotonic() < deadline, f"{what} did not start"
            time.sleep(0.1)


@contextmanager
def gunicorn(env: dict[str, str], stderr: Any = subprocess.DEVNULL) -> Iterator[subprocess.Popen[bytes]]:
    """``gunicorn -c gunicorn.conf.py`` on a free port (``GRASSROOTS_PORT`` is set in
    ``env``), up and accepting connections; stopped quickly at the end."""
    port = free_port()
    env["GRASSROOTS_PORT"] = str(port)
    process = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        wait_for_port(process, port, 30, "gunicorn")
        yield process
    finally:
        process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: streams need no grace
        process.wait(timeout=30)


def http_request(port: int, key: str, method: str, path: str, body: object = None,
                 headers: dict[str, str] | None = None) -> tuple[int, bytes, float, Any]:
    """One request on a connection of its own: status, body, seconds, headers."""
    began = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, body=json.dumps(body) if body is not None else None,
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                **(headers or {})})
    answer = connection.getresponse()
    data = answer.read()
    connection.close()
    return answer.status, data, time.monotonic() - began, answer.headers
