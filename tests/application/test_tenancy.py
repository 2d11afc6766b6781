"""Many counties in one process: one bounded pool, storage apart per county."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import psycopg
import pytest

from conftest import OPERATOR_KEY, Client, county_code, county_store_rows, temporary_database
from infra.directory import TenantExists
from infra.storage import Settings, Storage, open_storage
from interfaces.http import create_app

COUNTIES = 500
POOL_SIZE = 3


@pytest.fixture
def empty_database() -> Iterator[str]:
    with temporary_database("tenancy") as url:
        yield url


def test_five_hundred_counties_share_one_bounded_pool(empty_database: str) -> None:
    # One client serves 500 counties as fast as it can: no rate limit here.
    settings = Settings(database_url=empty_database, operator_key=OPERATOR_KEY,
                        pool_size=POOL_SIZE, rate_per_address=0)
    storage = open_storage(settings)
    app = create_app(settings, storage)
    operator = Client(app.test_client(), OPERATOR_KEY, "")
    try:
        codes = [c for c in map(str, range(650101, 651000)) if not c.endswith("00")][:COUNTIES]
        for code in codes:
            storage.onboard_tenant(code, f"县{code}", "9999", unlisted=True)
        for code in codes:  # every county served once through the API
            county = Client(operator.http, OPERATOR_KEY, code)
            county.ok(county.get("tree"), 200)
        with psycopg.connect(empty_database) as conn:
            [(connections,)] = conn.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()",
            ).fetchall()
        assert 0 < connections <= POOL_SIZE
    finally:
        storage.close()


def test_a_countys_rows_are_in_its_own_tables(pg_url: str) -> None:
    settings = Settings(database_url=pg_url, operator_key=OPERATOR_KEY)
    storage = open_storage(settings)
    storage.create_tables()
    app = create_app(settings, storage, create_tables=False)
    operator = Client(app.test_client(), OPERATOR_KEY, "")
    try:
        first, second = county_code(), county_code()
        for code in (first, second):
            tenant = {"code": code, "name": "县", "city_code": "3303", "unlisted": True}
            created = operator.ok(operator.post("/v1/tenants", tenant))
            Client(operator.http, created["admin_key"], code).unit("town", f"{code}镇")
        with psycopg.connect(pg_url) as conn:
            for code, other in ((first, second), (second, first)):
                names = [r[0] for r in conn.execute(f'SELECT name FROM "t{code}_units"').fetchall()]
                assert names == [f"{code}镇", f"{code}镇"]  # planned, then active
                assert f"{other}镇" not in names
                [(events,)] = conn.execute(f'SELECT count(*) FROM "t{code}_events"').fetchall()
                assert events > 0
    finally:
        storage.close()


def test_a_county_is_registered_only_once_its_storage_is_made(
        storage: Storage, store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process killed while onboarding leaves at worst tables no tenant names (the
    next onboarding makes them again, idempotently), never a tenant without tables:
    every request to it, and a resumed import, would fail."""
    code = county_code()
    stored_when_registered = []
    register = storage.directory.add_tenant

    def registering(*args: Any) -> None:  # the real registration, watched
        stored_when_registered.append(bool(county_store_rows(
            store_url, code, sqlite="SELECT name FROM sqlite_master WHERE type = 'table'",
            postgres=f"SELECT 1 FROM pg_class WHERE relname = 't{code}_events'")))
        register(*args)

    monkeypatch.setattr(storage.directory, "add_tenant", registering)
    storage.onboard_tenant(code, "县", "3303", unlisted=True)
    assert stored_when_registered == [True]

    half_done = county_code()  # an onboarding that died after making the storage
    storage.onboard(half_done)
    assert storage.directory.tenant(half_done) is None
    storage.onboard_tenant(half_done, "县", "3303", unlisted=True)
    assert storage.county(half_done).head() == 0


def test_of_two_onboardings_of_one_code_at_once_one_wins(storage: Storage) -> None:
    for _ in range(5):
        code = county_code()
        start = threading.Barrier(2)

        def onboard(code: str = code, start: threading.Barrier = start) -> str:
            start.wait()
            try:
                storage.onboard_tenant(code, "县", "3303", unlisted=True)
            except TenantExists:
                return "refused"
            return "onboarded"

        with ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(lambda _i: onboard(), range(2)))
        assert outcomes == ["onboarded", "refused"]
        assert storage.county(code).head() == 0


def test_a_code_a_re_coded_county_has_is_not_onboarded_again(storage: Storage) -> None:
    first, second = county_code(), county_code()
    storage.onboard_tenant(first, "户县", "3303", unlisted=True)
    storage.directory.recode_tenant(first, second, "鄠邑区", "3303", date(2017, 10, 31))
    with pytest.raises(TenantExists):
        storage.onboard_tenant(second, "鄠邑区", "3303", unlisted=True)
    with pytest.raises(TenantExists):  # the registration alone refuses it too
        storage.directory.add_tenant(second, "鄠邑区", "3303")
    assert storage.directory.resolve(second) == first
