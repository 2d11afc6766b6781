"""The tenant directory: counties, their API keys (hashes only) and idempotency records.

This is the platform's operational register, not the history of the structure,
so it is plain tables beside the counties' event stores (one place that says
which counties exist, and later where each is stored).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from eventsourcing.persistence import IntegrityError, PersistenceError

from infra.views.tables import Dialect

DDL = [
    """CREATE TABLE IF NOT EXISTS {tenants} (
        code {text} PRIMARY KEY, name {text} NOT NULL, city_code {text} NOT NULL,
        created_at {ts} NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS {keys} (
        key_id {text} PRIMARY KEY, key_hash {text} NOT NULL UNIQUE,
        tenant_code {text}, city_code {text}, role {text} NOT NULL, label {text},
        created_at {ts} NOT NULL, revoked_at {ts})""",
    # A claim in progress (status null) has an owner, the attempt that made it or
    # took it over ('' once released) and, in body, the answer its write will
    # have once committed; created_at is when the owner claimed it (decision 10).
    """CREATE TABLE IF NOT EXISTS {idempotency} (
        scope {text} NOT NULL, idem_key {text} NOT NULL, request_hash {text} NOT NULL,
        status {int}, body {text}, created_at {ts} NOT NULL, owner {text},
        PRIMARY KEY (scope, idem_key))""",
    # The version of the counties' tables, so start-up adds what a release brought.
    """CREATE TABLE IF NOT EXISTS {schema} (version {int} NOT NULL)""",
    # One row: this deployment's id, drawn once, so that its events' ids (and the
    # NATS relay's message ids) never repeat another deployment's.
    """CREATE TABLE IF NOT EXISTS {deployment} (
        one {int} PRIMARY KEY CHECK (one = 1), deployment_id {text} NOT NULL)""",
    # Every code a county has had (县改区, re-coding): a tenant is the county, not its
    # code, and keeps the code it was onboarded with as its storage's name.
    """CREATE TABLE IF NOT EXISTS {county_codes} (
        code {text} PRIMARY KEY, tenant {text} NOT NULL, name {text} NOT NULL,
        city_code {text} NOT NULL, since {date}, until {date})""",
    # A county that ended (abolished, merged into a neighbour) and where it went.
    """CREATE TABLE IF NOT EXISTS {endings} (
        tenant {text} PRIMARY KEY, ended_on {date} NOT NULL, successor {text})""",
    # The explorer's sign-ins: a key exchanged for a cookie. Hashes only, as for keys;
    # the CSRF token is not a secret from its own page, so it is kept as it is.
    """CREATE TABLE IF NOT EXISTS {sessions} (
        session_hash {text} PRIMARY KEY, key_id {text} NOT NULL, csrf_token {text} NOT NULL,
        expires_at {ts} NOT NULL)""",
]
NAMES = {"tenants": "platform_tenants", "keys": "platform_keys",
         "idempotency": "platform_idempotency", "schema": "platform_schema",
         "deployment": "platform_deployment", "county_codes": "platform_county_codes",
         "endings": "platform_endings", "sessions": "platform_sessions"}


class TenantExists(Exception):
    pass


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    tenant_code: str | None
    city_code: str | None
    role: str
    label: str | None
    revoked: bool


@dataclass(frozen=True)
class Claim:
    """An idempotency record as a claim found it: ``owner`` is set when the claim is
    ours; ``body`` is then the answer held by an attempt that died, if it had one."""

    request_hash: str
    status: int | None
    body: str | None
    owner: str | None


@dataclass(frozen=True)
class Session:
    key: KeyRecord
    csrf_token: str


def hash_key(secret: str) -> str:
    # Keys are 256-bit random tokens: a plain SHA-256 cannot be brute-forced.
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


class TenantDirectory:
    def __init__(self, datastore: Any, dialect: Dialect):
        self.datastore = datastore
        self.dialect = dialect
        self._sql: dict[str, Any] = {}

    def sql(self, template: str) -> Any:
        if template not in self._sql:
            text = template
            for word, sqltype in self.dialect.types.items():
                text = text.replace("{" + word + "}", sqltype)
            self._sql[template] = self.dialect.rendered(self.dialect.statement(text, NAMES))
        return self._sql[template]

    def _select(self, template: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self.dialect.reading(self.datastore) as curs:
            curs.execute(self.sql(template), params)
            return [dict(r) for r in curs.fetchall()]

    def _execute(self, template: str, params: tuple[Any, ...] = ()) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.sql(template), params)

    def create_tables(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for statement in DDL:
                curs.execute(self.sql(statement))
            # Two processes starting at once both try; the first one's id stays.
            curs.execute(self.sql("INSERT INTO {deployment} (one, deployment_id) VALUES (1, %s) "
                                  "ON CONFLICT (one) DO NOTHING"), (uuid.uuid4().hex,))
        try:
            self._select("SELECT COUNT(owner) AS claims FROM {idempotency}")
        except PersistenceError:  # claims had no owner before decision 10
            self._execute("ALTER TABLE {idempotency} ADD COLUMN owner {text}")
        # Counties onboarded before codes were kept apart from tenants.
        self._execute("INSERT INTO {county_codes} (code, tenant, name, city_code) "
                      "SELECT code, code, name, city_code FROM {tenants} AS t WHERE NOT EXISTS "
                      "(SELECT 1 FROM {county_codes} AS c WHERE c.tenant = t.code)")

    def deployment_id(self) -> str:
        return str(self._select("SELECT deployment_id FROM {deployment}")[0]["deployment_id"])

    def schema_version(self) -> int:
        rows = self._select("SELECT MAX(version) AS version FROM {schema}")
        return int(rows[0]["version"] or 0)

    def record_schema_version(self, version: int) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.sql("DELETE FROM {schema}"))
            curs.execute(self.sql("INSERT INTO {schema} (version) VALUES (%s)"), (version,))

    # -- Tenants -----------------------------------------------------------

    def city_tenant_codes(self, city_code: str, since: date, until: date) -> list[str]:
        """The counties that belonged to the city at some time from ``since`` to
        ``until`` (both included), by the code of their tenant."""
        return [r["tenant"] for r in self._select(
            "SELECT DISTINCT tenant FROM {county_codes} WHERE city_code = %s "
            "AND (since IS NULL OR since <= %s) AND (until IS NULL OR until > %s) "
            "ORDER BY tenant", (city_code, until, since))]

    def tenant_codes(self) -> list[str]:
        return [r["code"] for r in self._select("SELECT code FROM {tenants} ORDER BY code")]

    def add_tenant(self, code: str, name: str, city_code: str) -> None:
        """Register a county under its code: ``TenantExists`` when the code is a
        tenant's, or one a county onboarded under another code has had."""
        try:
            with self.datastore.transaction(commit=True) as curs:
                curs.execute(self.sql("INSERT INTO {tenants} (code, name, city_code, created_at) "
                                      "VALUES (%s, %s, %s, %s)"), (code, name, city_code, _now()))
                curs.execute(self.sql("INSERT INTO {county_codes} (code, tenant, name, city_code) "
                                      "VALUES (%s, %s, %s, %s)"), (code, code, name, city_code))
        except IntegrityError:
            raise TenantExists(code) from None

    def resolve(self, code: str) -> str | None:
        """The tenant that has (or had) this county code: its storage's code."""
        rows = self._select("SELECT tenant FROM {county_codes} WHERE code = %s", (code,))
        return str(rows[0]["tenant"]) if rows else None

    def tenant(self, code: str) -> dict[str, Any] | None:
        """The county known by ``code`` (any code it has had): its current code and
        name, every code with its dates, and whether (and into which county) it ended."""
        tenant = self.resolve(code)
        if tenant is None:
            return None
        d = self.dialect
        codes = [{"code": r["code"], "name": r["name"], "city_code": r["city_code"],
                  "from": d.date(r["since"]), "to": d.date(r["until"])}
                 for r in self._select("SELECT code, name, city_code, since, until "
                                       "FROM {county_codes} WHERE tenant = %s", (tenant,))]
        codes.sort(key=lambda c: (c["from"] is not None, c["from"] or date.min))
        ending = self._select("SELECT ended_on, successor FROM {endings} WHERE tenant = %s",
                              (tenant,))
        current = codes[-1]
        return {"tenant": tenant, "code": current["code"], "name": current["name"],
                "city_code": current["city_code"], "codes": codes,
                "status": "ended" if ending else "active",
                "ended_on": d.date(ending[0]["ended_on"]) if ending else None,
                "successor": ending[0]["successor"] if ending else None}

    def code_on(self, tenant: str, day: date) -> str | None:
        """The code the tenant had on ``day`` (its first before it had any)."""
        held = [c for c in self.tenant(tenant)["codes"]  # type: ignore[index]
                if (c["from"] is None or c["from"] <= day) and (c["to"] is None or day < c["to"])]
        return held[-1]["code"] if held else None

    def recode_tenant(self, tenant: str, code: str, name: str, city_code: str,
                      since: date) -> None:
        """The county goes on under a new code (and name) from ``since`` (县改区)."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.sql("UPDATE {county_codes} SET until = %s "
                                  "WHERE tenant = %s AND until IS NULL"), (since, tenant))
            curs.execute(self.sql("INSERT INTO {county_codes} (code, tenant, name, city_code, "
                                  "since) VALUES (%s, %s, %s, %s, %s)"),
                         (code, tenant, name, city_code, since))
            curs.execute(self.sql("UPDATE {tenants} SET name = %s, city_code = %s "
                                  "WHERE code = %s"), (name, city_code, tenant))

    def end_tenant(self, tenant: str, ended_on: date, successor: str | None) -> None:
        """The county ended on ``ended_on``; its units went (mostly) to ``successor``."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.sql("UPDATE {county_codes} SET until = %s "
                                  "WHERE tenant = %s AND until IS NULL"), (ended_on, tenant))
            curs.execute(self.sql("INSERT INTO {endings} (tenant, ended_on, successor) "
                                  "VALUES (%s, %s, %s)"), (tenant, ended_on, successor))

    def rename_tenant(self, tenant: str, name: str) -> None:
        """The county is renamed under the code it has."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.sql("UPDATE {county_codes} SET name = %s "
                                  "WHERE tenant = %s AND until IS NULL"), (name, tenant))
            curs.execute(self.sql("UPDATE {tenants} SET name = %s WHERE code = %s"),
                         (name, tenant))

    def counties_on(self, day: date) -> list[dict[str, Any]]:
        """The counties that existed on ``day``: the code, name and city each had
        then, and its tenant."""
        return self._select(
            "SELECT code, tenant, name, city_code FROM {county_codes} "
            "WHERE (since IS NULL OR since <= %s) AND (until IS NULL OR until > %s) "
            "ORDER BY code", (day, day))

    def begin_on(self, tenant: str, day: date) -> None:
        """A county onboarded from a release exists from that release's date."""
        self._execute("UPDATE {county_codes} SET since = %s WHERE tenant = %s AND code = %s",
                      (day, tenant, tenant))

    def tenants(self, after: str | None, limit: int) -> list[dict[str, Any]]:
        return self._select(
            "SELECT code, name, city_code FROM {tenants} WHERE code > %s ORDER BY code LIMIT %s",
            (after or "", limit),
        )

    # -- Keys ----------------------------------------------------------------

    def issue_key(
        self, *, role: str, label: str | None,
        tenant_code: str | None = None, city_code: str | None = None,
    ) -> tuple[str, str]:
        """A new key id and the key itself, shown once: only its hash is kept."""
        key_id = secrets.token_hex(8)
        secret = f"gl_{key_id}_{secrets.token_urlsafe(32)}"
        self._execute(
            "INSERT INTO {keys} (key_id, key_hash, tenant_code, city_code, role, label, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (key_id, hash_key(secret), tenant_code, city_code, role, label, _now()),
        )
        return key_id, secret

    def key(self, secret: str) -> KeyRecord | None:
        rows = self._select(
            "SELECT key_id, tenant_code, city_code, role, label, revoked_at FROM {keys} "
            "WHERE key_hash = %s",
            (hash_key(secret),),
        )
        return self._key_record(rows[0]) if rows else None

    @staticmethod
    def _key_record(row: dict[str, Any]) -> KeyRecord:
        return KeyRecord(
            key_id=row["key_id"], tenant_code=row["tenant_code"], city_code=row["city_code"],
            role=row["role"], label=row["label"], revoked=row["revoked_at"] is not None,
        )

    def revoke_key(self, tenant_code: str, key_id: str) -> bool:
        """Refuse the key from now on; False if the county has no such live key."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                self.sql(
                    "SELECT key_id FROM {keys} WHERE key_id = %s AND tenant_code = %s "
                    "AND revoked_at IS NULL"
                ),
                (key_id, tenant_code),
            )
            if not curs.fetchall():
                return False
            curs.execute(
                self.sql("UPDATE {keys} SET revoked_at = %s WHERE key_id = %s"),
                (_now(), key_id),
            )
            return True

    # -- Sessions (the explorer's cookie) -------------------------------------

    def open_session(self, key_id: str, lifetime: timedelta) -> tuple[str, str]:
        """A new session of the key: its token (for the cookie) and its CSRF token."""
        token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = _now()
        with self.datastore.transaction(commit=True) as curs:
            # Sign-ins are few: clearing the expired ones here keeps the table small.
            curs.execute(self.sql("DELETE FROM {sessions} WHERE expires_at <= %s"), (now,))
            curs.execute(
                self.sql("INSERT INTO {sessions} (session_hash, key_id, csrf_token, expires_at) "
                         "VALUES (%s, %s, %s, %s)"),
                (hash_key(token), key_id, csrf_token, now + lifetime),
            )
        return token, csrf_token

    def session(self, token: str) -> Session | None:
        """The live session of that token with its key (revoked or not), or None."""
        rows = self._select(
            "SELECT k.key_id, k.tenant_code, k.city_code, k.role, k.label, k.revoked_at, "
            "s.csrf_token FROM {sessions} s JOIN {keys} k ON k.key_id = s.key_id "
            "WHERE s.session_hash = %s AND s.expires_at > %s",
            (hash_key(token), _now()),
        )
        return Session(self._key_record(rows[0]), rows[0]["csrf_token"]) if rows else None

    def close_session(self, token: str) -> None:
        self._execute("DELETE FROM {sessions} WHERE session_hash = %s", (hash_key(token),))

    # -- Idempotency ---------------------------------------------------------

    def claim(self, scope: str, key: str, request_hash: str, lease: timedelta) -> Claim:
        """Claim an idempotency key, or take over a claim whose owner released it or
        held it longer than ``lease`` (its request died); else the existing record."""
        owner = secrets.token_hex(8)
        try:
            self._execute(
                "INSERT INTO {idempotency} (scope, idem_key, request_hash, created_at, owner) "
                "VALUES (%s, %s, %s, %s, %s)",
                (scope, key, request_hash, _now(), owner),
            )
            return Claim(request_hash, None, None, owner)
        except IntegrityError:
            pass
        rows = self._select(
            "SELECT request_hash, status, body, created_at, owner FROM {idempotency} "
            "WHERE scope = %s AND idem_key = %s",
            (scope, key),
        )
        if not rows:  # released with nothing decided, between the two statements
            return Claim(request_hash, None, None, None)
        row = rows[0]
        held_by = row["owner"] or ""
        if row["status"] is None and row["request_hash"] == request_hash and (
            held_by == "" or self.dialect.timestamp(row["created_at"]) + lease < _now()
        ):
            with self.datastore.transaction(commit=True) as curs:
                curs.execute(
                    self.sql("UPDATE {idempotency} SET owner = %s, created_at = %s "
                             "WHERE scope = %s AND idem_key = %s AND status IS NULL "
                             "AND COALESCE(owner, '') = %s RETURNING owner"),
                    (owner, _now(), scope, key, held_by),
                )
                if curs.fetchall():
                    return Claim(request_hash, None, row["body"], owner)
        return Claim(row["request_hash"], row["status"], row["body"], None)

    def erase_from_responses(self, scope_prefix: str, needle: str, replacement: str) -> None:
        """Replace the stored answers (under scopes starting ``scope_prefix``) that
        mention ``needle`` — a person being erased — with ``replacement``."""
        with self.datastore.transaction(commit=True) as curs:
            self.dialect.before_erasing(curs)
            # The request's hash goes too: a name is guessable from the hash of a
            # short body. A retry with that key is then a different request (422).
            curs.execute(
                self.sql("UPDATE {idempotency} SET body = %s, request_hash = 'erased' "
                         "WHERE scope LIKE %s AND body LIKE %s"),
                # A path and a UUID hold no LIKE wildcard but "_", which matches itself too.
                (replacement, scope_prefix + "%", "%" + needle + "%"),
            )
        self.dialect.forget_erased(self.datastore, [self.dialect.identifier(NAMES["idempotency"])])

    def hold(self, scope: str, key: str, owner: str, body: str) -> None:
        """Keep the answer the owner's write will have, before the write commits."""
        self._execute(
            "UPDATE {idempotency} SET body = %s "
            "WHERE scope = %s AND idem_key = %s AND owner = %s AND status IS NULL",
            (body, scope, key, owner),
        )

    def complete(self, scope: str, key: str, owner: str, status: int, body: str) -> None:
        # An owner whose claim was taken over no longer answers for the key.
        self._execute(
            "UPDATE {idempotency} SET status = %s, body = %s "
            "WHERE scope = %s AND idem_key = %s AND owner = %s",
            (status, body, scope, key, owner),
        )

    def release(self, scope: str, key: str, owner: str) -> None:
        """Give up a claim: forgotten if nothing was decided, else left for the next
        attempt to take over and find out whether the write committed."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                self.sql("DELETE FROM {idempotency} WHERE scope = %s AND idem_key = %s "
                         "AND owner = %s AND status IS NULL AND body IS NULL"),
                (scope, key, owner),
            )
            curs.execute(
                self.sql("UPDATE {idempotency} SET owner = '' WHERE scope = %s "
                         "AND idem_key = %s AND owner = %s AND status IS NULL"),
                (scope, key, owner),
            )

