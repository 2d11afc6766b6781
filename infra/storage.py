"""Where counties live: configuration, the per-process county cache and onboarding.

``open_storage`` reads ``GRASSROOTS_DATABASE_URL``: a ``postgresql://`` URL for
PostgreSQL (one pool per process, tables per county), ``sqlite:///folder`` or
nothing for the embedded store (a database file per county under ``./var``).
Counties' storage is created when they are onboarded; serving never runs DDL.
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteDatastore

from application.audit import ReplayReport, audit_replay
from application.collector import collector_paused
from application.ledger import CountyLedger
from application.projection import catch_up, read_log
from application.reconciliation import Reconciliation, held_unit
from application.reports import CountyOnDate
from application.rows import ArrangementInForce, CatalogueInForce
from domain.reconciliation import Held
from infra.chain import Verification, records, stored_links, verify
from infra.directory import TenantDirectory, TenantExists
from infra.person_keys import PersonKeyStore
from infra.postgres import (
    PostgresDialect,
    PostgresStructureViews,
    SharedPostgresFactory,
    open_datastore,
)
from infra.proposals import ProposalStore
from infra.releases import SHIPPED, ReleaseFiles
from infra.sqlite import SQLiteDialect, SQLiteStructureViews
from infra.views.audit import AuditQueries
from infra.views.changelog import ChangelogQueries
from infra.views.norms import NormsQueries
from infra.views.schema import Moment
from infra.views.staffing import StaffingQueries
from infra.views.structure import StructureQueries
from infra.views.tables import Reads
from infra.wakeups import Wakeups

T = TypeVar("T")

COUNTY_CODE = re.compile(r"^[0-9]{6}$")
CHAIN_PAGE = 5_000
DEFAULT_FOLDER = "var"
# The version of each county's tables. 2: bodies, posts, people, personal keys;
# 3: arrangements and assessment catalogues; 4: reconciliations, group lineage;
# 5: the snapshots of bodies (made by the ledger's own factory when it creates tables);
# 6: a post's holder on its rows, a body's posts by index.
COUNTY_SCHEMA = 6


# The first two digits of China's 31 province-level divisions (GB/T 2260).
PROVINCES = frozenset(
    [*"11 12 13 14 15 21 22 23 31 32 33 34 35 36 37".split(),
     *"41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65".split()]
)


class NotACounty(ValueError):
    """Six digits that no county can have."""


def require_county_code(code: str) -> str:
    """The only gate through which a code reaches a table or file name."""
    if not COUNTY_CODE.fullmatch(code):
        raise ValueError(f"a county code is six digits, not {code!r}")
    return code


def require_possible_county(code: str) -> str:
    """A code a county can have that no release lists: under a province, and not a
    city's or a province's own (…00)."""
    require_county_code(code)
    if code[:2] not in PROVINCES or code.endswith("00"):
        raise NotACounty(f"{code} cannot be a county's code: it must begin with a province's "
                         "two digits and not end in 00")
    return code


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    operator_key: str | None = None
    pool_size: int = 5
    county_cache: int = 512
    # Event streams (SSE) served at once per process; each holds a worker thread.
    max_streams: int = 2
    # The statistical releases: the ones shipped, or a folder of files named alike.
    releases_folder: str | None = None
    # The absolute URI under which the counties' events are published
    # (``<event_source>/v1/tenants/<code>``); None: ``urn:grassroots-ledger:<deployment id>``.
    event_source: str | None = None
    # Failed authentications per client address and window (seconds) before 429.
    auth_failures: int = 20
    auth_window: int = 60
    # Requests per second each key and each client address may make, sustained, and
    # the burst allowed above that (0: no limit).
    rate_per_key: float = 50.0
    rate_per_address: float = 100.0
    rate_burst: int = 200
    # Reverse proxies in front of the service (nginx: 1), whose X-Forwarded-For and
    # X-Forwarded-Proto are believed; 0: the peer's address is the client's.
    proxies: int = 0
    # The longest a request waits for PostgreSQL (a pooled connection, a lock)
    # before it is answered 503.
    storage_timeout: float = 2.0

    def __post_init__(self) -> None:
        if self.event_source is not None and not urlsplit(self.event_source).scheme:
            raise ValueError("GRASSROOTS_EVENT_SOURCE must be an absolute URI "
                             f"(https://… or urn:…), not {self.event_source!r}")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("GRASSROOTS_DATABASE_URL") or None,
            operator_key=env.get("GRASSROOTS_OPERATOR_KEY") or None,
            pool_size=int(env.get("GRASSROOTS_POOL_SIZE", "5")),
            county_cache=int(env.get("GRASSROOTS_COUNTY_CACHE", "512")),
            max_streams=int(env.get("GRASSROOTS_MAX_STREAMS", "2")),
            releases_folder=env.get("GRASSROOTS_RELEASES") or None,
            event_source=env.get("GRASSROOTS_EVENT_SOURCE") or None,
            auth_failures=int(env.get("GRASSROOTS_AUTH_FAILURES", "20")),
            auth_window=int(env.get("GRASSROOTS_AUTH_WINDOW", "60")),
            rate_per_key=float(env.get("GRASSROOTS_RATE_PER_KEY", "50")),
            rate_per_address=float(env.get("GRASSROOTS_RATE_PER_ADDRESS", "100")),
            rate_burst=int(env.get("GRASSROOTS_RATE_BURST", "200")),
            proxies=int(env.get("GRASSROOTS_PROXIES", "0")),
            storage_timeout=float(env.get("GRASSROOTS_STORAGE_TIMEOUT", "2")),
        )


class County:
    """One onboarded county in this process: its ledger, its read views (written
    by ``views``) and the queries on them, by area."""

    def __init__(self, code: str, ledger: CountyLedger,
                 views: PostgresStructureViews | SQLiteStructureViews):
        self.code = code
        self.ledger = ledger
        self.views = views
        self.staffing = StaffingQueries(views)
        self.structure = StructureQueries(views, self.staffing)
        self.changelog = ChangelogQueries(views)
        self.norms = NormsQueries(views)
        self.person_keys = PersonKeyStore(views)
        self.audited = AuditQueries(views)
        ledger.lookups = self
        ledger.personal_keys = self.person_keys
        # The recorder writes each command's rows in the command's own transaction.
        ledger.recorder.views = views  # type: ignore[attr-defined]

    # What the ledger's commands look up (``application.ledger.Lookups``): the
    # views brought up to date first, so that every committed event counts.

    def children_after(self, unit_id: UUID, day: date) -> list[UUID]:
        self.refresh()
        return self.structure.children_after(unit_id, day)

    def body_of_post(self, post_id: UUID) -> UUID | None:
        self.refresh()
        return self.staffing.body_of_post(post_id)

    def arrangements_of(self, zone_id: UUID) -> list[UUID]:
        self.refresh()
        return self.norms.arrangements_of(zone_id)

    def on_date(self, moment: Moment) -> CountyOnDate:
        """The facts the reports read, for a date as known at a time, and the policy
        then in force."""
        units, bodies, posts, arrangements, catalogues = self.norms.report_facts(moment)
        settings = self.ledger.policy().settings_on(moment.as_of, moment.known_at)
        return CountyOnDate(moment.as_of, settings, units, bodies, posts, arrangements,
                            catalogues)

    def catch_up(self, until: int | None = None) -> int:
        """Bring the read views up to the newest event (or at least ``until``)."""
        return catch_up(self.ledger, self.views, until)

    def verify_chain(self, on_page: Callable[[int], None] = lambda _n: None) -> Verification:
        """Recompute the county's hash chain from its stored events and compare;
        ``on_page`` is told how many events each page read."""
        return verify(records(self._stored_events(on_page)), stored_links(self.views))

    def _stored_events(self, on_page: Callable[[int], None]) -> Iterator[Any]:
        for page in read_log(self.ledger, 0, CHAIN_PAGE):
            yield from page
            on_page(len(page))

    def audit_replay(
        self, moment: Moment, on_page: Callable[[int], None] | None = None
    ) -> ReplayReport:
        """Rebuild the structure from the events alone and compare every view with it."""
        self.catch_up()
        with collector_paused():
            # The views' rows and the replay's aggregates are freed before the
            # collector resumes, which would otherwise scan every one of them once.
            return audit_replay(
                self.ledger, moment.as_of, moment.known_at, self.audited.unit_facts(moment),
                self.changelog.lineage_edges(moment), self.staffing.staffing_on(moment),
                self.records_on(moment), on_page,
            )

    def records_on(self, moment: Moment) -> tuple[set[ArrangementInForce],
                                                  set[CatalogueInForce]]:
        """The arrangements and catalogues the views show on a date, as the audit compares them."""
        arrangements, catalogues = self.norms.records_on(moment)
        return set(arrangements), set(catalogues)

    # -- Releases (``application.reconciliation.HeldState``) --------------------

    def held_on(self, day: date, known_at: datetime) -> tuple[list[Held], list[Held]]:
        self.refresh()
        held = [h for row in self.structure.held_rows(Moment(day, known_at))
                if (h := held_unit(row)) is not None]
        return [h for h in held if h.is_town], [h for h in held if not h.is_town]

    def head(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0

    def lag(self) -> dict[str, int]:
        """How far the read views are behind the county's last event."""
        head, views = self.views.positions()
        return {"head": head, "views": views, "lag": max(0, head - views)}

    def refresh(self) -> int:
        """Before a read: usually one query finds the views current. The position
        they then hold: what they show is a function of the events up to it."""
        head, tracked = self.views.positions()
        return tracked if head <= tracked else self.catch_up()

    def read_current(self, read: Callable[[Reads], T]) -> tuple[int, T]:
        """``read``'s answer from views that hold every committed event, and the
        position they hold: the check that they do is asked with ``read``'s own
        queries (one round trip on PostgreSQL); when they did not, they are caught
        up and ``read`` asks again."""
        with self.views.asking() as reads:
            positions = self.views.ask_positions(reads)
            answer = read(reads)
            head, tracked = positions()
        if head <= tracked:
            return tracked, answer
        position = self.catch_up()
        with self.views.asking() as reads:
            return position, read(reads)


class Storage(ABC):
    def __init__(self, settings: Settings, wakeups: Wakeups):
        self.settings = settings
        self.wakeups = wakeups
        self._counties: OrderedDict[str, County] = OrderedDict()
        self._aliases: dict[str, str] = {}  # a county's other codes → its storage's code
        self._lock = threading.Lock()
        self.directory = self._open_directory()
        self.releases = ReleaseFiles(
            Path(settings.releases_folder) if settings.releases_folder else SHIPPED)

    @abstractmethod
    def _open_directory(self) -> TenantDirectory: ...

    @cached_property
    def deployment_id(self) -> str:
        """This deployment's id, drawn when its tables were first created (``create_tables``)."""
        return self.directory.deployment_id()

    @cached_property
    def event_source(self) -> str:
        """The base of every county's CloudEvents ``source``: an absolute URI."""
        configured = self.settings.event_source
        return configured.rstrip("/") if configured else f"urn:grassroots-ledger:{self.deployment_id}"

    @abstractmethod
    def _build(self, code: str, *, create: bool) -> County: ...

    def create_tables(self) -> None:
        """The platform's own tables, and what a newer release added to the counties'
        tables; idempotent, run at start-up and by the CLI."""
        self.directory.create_tables()
        if self.directory.schema_version() < COUNTY_SCHEMA:
            for code in self.directory.tenant_codes():
                county = self._create(code)  # the tables it lacks, as onboarding makes them
                county.views.migrate()
                self._forget(county)
            self.directory.record_schema_version(COUNTY_SCHEMA)

    def onboard(self, code: str) -> County:
        """Create a county's event store and read views (once, not on a request path)."""
        return self._remember(code, self._create(require_county_code(code)))

    def _create(self, code: str) -> County:
        """A new county's event store and read views, and the county built on them."""
        county = self._build(code, create=True)
        county.views.create_table()
        return county

    def onboard_tenant(self, code: str, name: str, city_code: str, *,
                       unlisted: bool = False) -> tuple[str, str]:
        """Create a county's storage, register it and issue its first admin key.

        A code that no division release lists is taken only when the caller says
        the county is ``unlisted`` (and it is a code a county can have). Raises
        ``TenantExists`` when the county is already onboarded, ``NotACounty`` for a
        code refused.
        """
        if require_county_code(code) not in self.releases.listed_counties():
            require_possible_county(code)
            if not unlisted:
                raise NotACounty(f"{code} is in no division release (2016–2023); onboard it "
                                 "as an unlisted county if it is one")
        if self.directory.resolve(code) is not None:
            raise TenantExists(code)
        # The storage first: a process killed in between leaves tables that no tenant
        # names (the next onboarding of the code makes them again, idempotently), never
        # a tenant without its tables, which every request and a resumed import would
        # fail on. ``add_tenant`` still refuses the code if another onboarding won it.
        self.onboard(code)
        self.directory.add_tenant(code, name, city_code)
        return self.directory.issue_key(role="admin", label="first admin", tenant_code=code)

    def county(self, code: str) -> County:
        """The county's ledger and views, built on first use in this process; by any
        code it has had (a county re-coded keeps the storage of its first code)."""
        require_county_code(code)
        with self._lock:
            code = self._aliases.get(code, code)
            county = self._counties.get(code)
            if county is not None:
                self._counties.move_to_end(code)
                return county
        tenant = self.directory.resolve(code)
        if tenant is not None and tenant != code:
            with self._lock:
                self._aliases[code] = tenant
            return self.county(tenant)
        return self._remember(code, self._build(code, create=False))

    def reconciliation(self, code: str) -> Reconciliation:
        """County ``code``'s reconciliations, each release read under the code the
        county had on the release's date."""
        county = self.county(code)
        return Reconciliation(county.code, county.ledger, county, ProposalStore(county.views),
                              self.releases, lambda day: self.directory.code_on(county.code, day))

    def _remember(self, code: str, county: County) -> County:
        with self._lock:
            existing = self._counties.get(code)
            if existing is not None and existing is not county:
                self._forget(county)
                return existing
            self._counties[code] = county
        self.trim(self.settings.county_cache)
        return county

    def trim(self, keep: int) -> None:
        """Keep at most ``keep`` counties built (the least recently used go): a batch
        over thousands of counties needs few at a time, a server many."""
        with self._lock:
            while len(self._counties) > keep:
                _, evicted = self._counties.popitem(last=False)
                self._forget(evicted)

    def _forget(self, county: County) -> None:
        county.ledger.close()

    def close(self) -> None:
        self.wakeups.close()
        with self._lock:
            for county in self._counties.values():
                self._forget(county)
            self._counties.clear()

    @abstractmethod
    def ping(self) -> None:
        """Raise if the store cannot be reached."""

    def pool_usage(self) -> dict[str, int]:
        """The connection pool's state, for the metrics (none: no pool)."""
        return {}

    def cached_counties(self) -> list[County]:
        """The counties this process holds built (for the metrics: their views' lag)."""
        with self._lock:
            return list(self._counties.values())


class PostgresStorage(Storage):
    def __init__(self, settings: Settings):
        assert settings.database_url
        self.key = f"{settings.database_url}#{id(self)}"
        self.datastore = open_datastore(
            settings.database_url, pool_size=settings.pool_size,
            timeout=settings.storage_timeout, key=self.key,
        )
        super().__init__(settings, Wakeups(settings.database_url))

    def _open_directory(self) -> TenantDirectory:
        return TenantDirectory(self.datastore, PostgresDialect())

    def _build(self, code: str, *, create: bool) -> County:
        ledger = CountyLedger(
            code,
            env={
                "PERSISTENCE_MODULE": "infra.postgres:SharedPostgresFactory",
                "APPLICATION_RECORDER_TOPIC": "infra.postgres:CountyEventRecorder",
                SharedPostgresFactory.DATASTORE_KEY: self.key,
                "CREATE_TABLE": "y" if create else "n",
            },
        )
        return County(code, ledger, PostgresStructureViews(self.datastore, code))

    def _create(self, code: str) -> County:
        county = self._build(code, create=False)
        assert isinstance(county.views, PostgresStructureViews)
        events = county.ledger.recorder
        snapshots = county.ledger.snapshots.recorder if county.ledger.snapshots else None
        assert isinstance(events, PostgresApplicationRecorder)
        assert snapshots is None or isinstance(snapshots, PostgresAggregateRecorder)
        county.views.create_county(events, snapshots)
        return county

    def ping(self) -> None:
        with self.datastore.get_connection() as conn:
            conn.execute("SELECT 1")

    def pool_usage(self) -> dict[str, int]:
        stats = self.datastore.pool.get_stats()
        return {"size": stats["pool_size"], "available": stats["pool_available"],
                "waiting": stats["requests_waiting"]}

    def close(self) -> None:
        super().close()
        self.datastore.close()


class SQLiteStorage(Storage):
    def __init__(self, settings: Settings, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        super().__init__(settings, Wakeups(None))

    def _open_directory(self) -> TenantDirectory:
        self.platform = SQLiteDatastore(str(self.folder / "platform.db"))
        return TenantDirectory(self.platform, SQLiteDialect())

    def _create(self, code: str) -> County:
        # Two onboardings of one code at once (threads or processes) would both find the
        # county's tables missing and both make them: one at a time, in this folder.
        with (self.folder / "creating.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return super()._create(code)

    def _build(self, code: str, *, create: bool) -> County:
        ledger = CountyLedger(
            code,
            env={
                "PERSISTENCE_MODULE": "infra.sqlite:CountyFactory",
                "APPLICATION_RECORDER_TOPIC": "infra.sqlite:CountyEventRecorder",
                "SQLITE_DBNAME": str(self.folder / f"{code}.db"),
                "CREATE_TABLE": "y" if create else "n",
            },
        )
        datastore: Any = ledger.factory.datastore  # type: ignore[attr-defined]
        return County(code, ledger, SQLiteStructureViews(datastore, code))

    def ping(self) -> None:
        with self.platform.transaction(commit=False) as curs:
            curs.execute("SELECT 1")

    def close(self) -> None:
        super().close()
        self.platform.close()


def open_storage(settings: Settings) -> Storage:
    url = settings.database_url
    if url is None:
        return SQLiteStorage(settings, Path(DEFAULT_FOLDER))
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStorage(settings)
    if url.startswith("sqlite:///"):
        return SQLiteStorage(settings, Path(url.removeprefix("sqlite:///")))
    raise ValueError(f"GRASSROOTS_DATABASE_URL must be postgresql:// or sqlite:///, not {url!r}")
