"""Many counties in one process: one bounded pool, storage apart per county."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from conftest import OPERATOR_KEY, Client, county_code, temporary_database
from infra.storage import Settings, open_storage
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
