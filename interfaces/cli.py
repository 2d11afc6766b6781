"""``grassroots``: serve the API and administer counties from the command line."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from domain.rules import Conflict
from infra.chain import Digest, sign, signature_holds
from infra.directory import TenantExists
from infra.storage import Storage
from infra.views import Moment
from interfaces import divisions
from interfaces.http.context import today_in_china
from interfaces.relay import NatsRelay
from interfaces.serving import Server, gunicorn_settings

ACTOR = "cli"


def _create_app():  # noqa: ANN202 - FlaskGroup's factory
    from interfaces.http import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def main() -> None:
    """Grassroots Ledger: the history of each county's grassroots structure.

    Storage is chosen by GRASSROOTS_DATABASE_URL (postgresql://… or sqlite:///folder;
    unset: SQLite under ./var).
    """


def _storage() -> Storage:
    return current_app.config["STORAGE"]


@main.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default 8000).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the REST API under gunicorn (same settings as gunicorn.conf.py)."""
    Server(gunicorn_settings(host, port)).run()


@main.group()
def tenants() -> None:
    """Counties (tenants)."""


@tenants.command("create")
@click.argument("code")
@click.argument("name")
@click.argument("city_code")
@with_appcontext
def tenants_create(code: str, name: str, city_code: str) -> None:
    """Onboard county CODE (6 digits) of city CITY_CODE (4 digits); prints its admin key."""
    try:
        _key_id, secret = _storage().onboard_tenant(code, name, city_code)
    except TenantExists:
        raise click.ClickException(f"county {code} is already onboarded") from None
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(secret)


@tenants.command("list")
@with_appcontext
def tenants_list() -> None:
    """The onboarded counties."""
    for row in _storage().directory.tenants(None, 100_000):
        click.echo(f"{row['code']}\t{row['city_code']}\t{row['name']}")


@main.group()
def keys() -> None:
    """API keys of a county."""


@keys.command("create")
@click.argument("code")
@click.option("--role", type=click.Choice(["admin", "editor", "viewer", "auditor", "integrator"]),
              required=True)
@click.option("--label", default=None)
@with_appcontext
def keys_create(code: str, role: str, label: str | None) -> None:
    """Issue a key for county CODE; prints the key (shown once)."""
    if _storage().directory.tenant(code) is None:
        raise click.ClickException(f"no county {code}")
    key_id, secret = _storage().directory.issue_key(role=role, label=label, tenant_code=code)
    click.echo(f"{key_id}\t{secret}")


@keys.command("revoke")
@click.argument("code")
@click.argument("key_id")
@with_appcontext
def keys_revoke(code: str, key_id: str) -> None:
    """Refuse key KEY_ID of county CODE from now on."""
    if not _storage().directory.revoke_key(code, key_id):
        raise click.ClickException(f"no live key {key_id} in county {code}")


@main.command("import-divisions")
@click.argument("areas", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("streets", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("villages", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--county", "county_codes", multiple=True, help="A county code (repeatable).")
@click.option("--city", "city_codes", multiple=True, help="Every county of a city (4 digits).")
@click.option("--all", "everything", is_flag=True, help="Every county in the files.")
@click.option("--effective-date", type=click.DateTime(formats=["%Y-%m-%d"]), default="2023-01-01",
              show_default=True, help="The date the imported structure takes effect.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
def import_divisions(
    areas: Path, streets: Path, villages: Path, county_codes: tuple[str, ...],
    city_codes: tuple[str, ...], everything: bool, effective_date: datetime, quiet: bool,
) -> None:
    """Load counties' towns, villages and communities from the national division codes.

    Counties not yet onboarded are onboarded (their admin keys are printed).
    Running it again adds only what is missing.
    """
    day = effective_date.date()
    counties = divisions.read_counties(areas)
    chosen = {
        code for code, county in counties.items()
        if everything or code in county_codes or county.city_code in city_codes
    }
    unknown = set(county_codes) - set(counties)
    if unknown:
        raise click.ClickException(f"not in {areas.name}: {', '.join(sorted(unknown))}")
    if not chosen:
        raise click.ClickException("name --county, --city or --all")
    towns = divisions.read_towns(streets, villages, chosen)
    storage = _storage()
    total = sum(len(t.units) for county_towns in towns.values() for t in county_towns)
    imported = skipped = 0
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), disable=quiet, transient=False) as progress:
        task = progress.add_task("importing", total=total)
        for code in sorted(towns):
            county = counties[code]
            if storage.directory.tenant(code) is None:
                _key_id, secret = storage.onboard_tenant(code, county.name, county.city_code)
                progress.console.print(
                    f"onboarded {code} {county.name}; admin key: {secret}", soft_wrap=True
                )
            place = storage.county(code)
            progress.update(task, description=f"{code} {county.name}")
            try:
                added, present = divisions.import_county(place, towns[code], day, ACTOR)
            except Conflict as error:
                raise click.ClickException(
                    f"{code}: {error.message} (another import running?)"
                ) from None
            imported += added
            skipped += present
            progress.advance(task, added + present)
    click.echo(f"imported {imported} units, {skipped} already present, {len(towns)} counties")


@main.group()
def audit() -> None:
    """Tamper evidence: verify a county's chained history, sign and check digests."""


def _signing_key() -> Ed25519PrivateKey:
    path = os.environ.get("GRASSROOTS_SIGNING_KEY")
    if not path:
        raise click.ClickException("set GRASSROOTS_SIGNING_KEY to the operator's Ed25519 key (PEM)")
    key = load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise click.ClickException(f"{path} is not an Ed25519 private key")
    return key


@audit.command("keygen")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def audit_keygen(path: Path) -> None:
    """Write a new Ed25519 signing key (PEM) to PATH, readable by its owner only."""
    if path.exists():
        raise click.ClickException(f"{path} exists; not overwriting a key")
    pem = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path.touch(mode=0o600)
    path.write_bytes(pem)
    click.echo(f"wrote {path}")


@audit.command("verify")
@click.argument("code")
@click.option("--digest", "digest_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A digest printed earlier: check that today's history extends it unchanged.")
@with_appcontext
def audit_verify(code: str, digest_file: Path | None) -> None:
    """Verify county CODE's hash chain (and that it extends an earlier digest)."""
    place = _storage().county(code)
    with Progress(TextColumn("verifying {task.fields[code]}"), transient=True) as progress:
        progress.add_task("verify", code=code, total=None)
        result = place.verify_chain()
    click.echo(json.dumps(asdict(result)))
    if not result.ok:
        raise click.ClickException(f"the chain breaks at position {result.first_bad_position}")
    if digest_file is not None:
        digest = Digest.from_json(digest_file.read_text())
        if digest.county != code or not signature_holds(digest):
            raise click.ClickException("the digest is not a valid signed digest of this county")
        links = dict(place.views.links())
        if links.get(digest.position, b"").hex() != digest.head:
            raise click.ClickException(
                f"today's history does not extend the digest at position {digest.position}")
        click.echo(f"extends the digest of {digest.signed_at} at position {digest.position}")


@audit.command("digest")
@click.argument("code")
@with_appcontext
def audit_digest(code: str) -> None:
    """Print county CODE's chain head, signed with the operator's key (keep it)."""
    result = _storage().county(code).verify_chain()
    if not result.ok or result.head is None or result.head_position is None:
        raise click.ClickException("the chain does not verify; no digest is signed")
    click.echo(sign(_signing_key(), code, result.head_position, result.head).to_json())


@audit.command("replay")
@click.argument("code")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Effective date (default: today in Asia/Shanghai).")
@with_appcontext
def audit_replay(code: str, as_of: datetime | None) -> None:
    """Rebuild county CODE from its events alone and compare every read view with it."""
    place = _storage().county(code)
    moment = Moment(as_of.date() if as_of else today_in_china(), datetime.now(timezone.utc))
    with Progress(TextColumn("replaying {task.fields[code]}"), BarColumn(), MofNCompleteColumn(),
                  transient=True) as progress:
        task = progress.add_task("replay", code=code, total=place.ledger.recorder.max_notification_id())
        report = place.audit_replay(moment, on_page=lambda n: progress.advance(task, n))
    click.echo(json.dumps({"events_replayed": report.events_replayed,
                           "units_compared": report.units_compared,
                           "matches": report.matches, "differences": report.differences},
                          default=str, ensure_ascii=False))
    if not report.matches:
        raise click.ClickException(f"{len(report.differences)} differences")


@main.group()
def relay() -> None:
    """Relays that publish every county's events to other systems."""


@relay.command("nats")
@click.option("--url", default="nats://127.0.0.1:4222", show_default=True, envvar="GRASSROOTS_NATS_URL")
@click.option("--stream", default="GRASSROOTS", show_default=True, help="JetStream stream name.")
@click.option("--prefix", default="grassroots", show_default=True,
              help="Subjects are <prefix>.<county>.<event type>.")
@click.option("--county", "counties", multiple=True,
              help="Relay only these counties (repeatable; default: every onboarded county).")
@with_appcontext
def relay_nats(url: str, stream: str, prefix: str, counties: tuple[str, ...]) -> None:
    """Publish every county's events to NATS JetStream, resuming where it stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    asyncio.run(NatsRelay(_storage(), url, stream, prefix, counties).run())
