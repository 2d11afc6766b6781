"""``grassroots``: serve the API and administer counties from the command line."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from contextlib import closing
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
from flask.cli import ScriptInfo, with_appcontext
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from application.reconciliation import Reconciliation, difference_dict
from domain.reconciliation import Link
from domain.releases import NEWEST, RELEASES, release
from domain.rules import Conflict, DomainError
from infra.chain import Digest, sign, signature_holds, stored_links
from infra.directory import TenantExists
from infra.releases import ReleaseFileError, ReleaseFiles
from infra.storage import Storage
from infra.views.schema import Moment
from interfaces import divisions
from interfaces.history import HistoryBuilder, scope
from interfaces.http.auth import COUNTY_ROLES
from interfaces.http.context import today_in_china
from interfaces.http.releases import proposal_dict, read_mapping, release_list
from interfaces.relay import NatsRelay
from interfaces.serving import Server, gunicorn_settings

ACTOR = "cli"


def _create_app():  # noqa: ANN202 - ScriptInfo's factory
    from interfaces.http import create_app

    app = create_app()
    # A command's app context ends with the command: so do its connections.
    app.teardown_appcontext(lambda _error: app.config["STORAGE"].close())
    return app


@click.group()
@click.version_option(package_name="grassroots-ledger", prog_name="grassroots")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Grassroots Ledger: the history of each county's grassroots structure.

    Storage is chosen by GRASSROOTS_DATABASE_URL (postgresql://… or sqlite:///folder;
    unset: SQLite under ./var).
    """
    # A plain group, not Flask's (its --app, --env-file, --debug and the app's own
    # commands are not ours): ``with_appcontext`` builds the app on first use, so
    # ``serve`` and ``--help`` open no storage.
    ctx.obj = ScriptInfo(create_app=_create_app, set_debug_flag=False, load_dotenv_defaults=False)


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
@click.option("--unlisted", is_flag=True,
              help="The county is in no division release (2016–2023): onboard it anyway.")
@with_appcontext
def tenants_create(code: str, name: str, city_code: str, unlisted: bool) -> None:
    """Onboard county CODE (6 digits) of city CITY_CODE (4 digits); prints its admin key."""
    try:
        _key_id, secret = _storage().onboard_tenant(code, name, city_code, unlisted=unlisted)
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
@click.option("--role", type=click.Choice(COUNTY_ROLES),
              required=True, help="What the key may do (API.md, Auth).")
@click.option("--label", default=None, help="A note saying whose the key is.")
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


def _release_files(paths: tuple[Path, ...], year: int) -> ReleaseFiles:
    """The shipped releases, or three files (areas, streets, villages) taken as ``year``."""
    if not paths:
        return _storage().releases
    if len(paths) != 3:
        raise click.ClickException("name three files (areas, streets, villages) or none")
    return ReleaseFiles.of_files(year, *paths)


def _chosen(files: ReleaseFiles, year: int, county_codes: tuple[str, ...],
            city_codes: tuple[str, ...], everything: bool) -> set[str]:
    try:
        counties = files.counties(year)
    except KeyError:
        raise click.ClickException(f"no {year} release (have {files.years()})") from None
    unknown = set(county_codes) - set(counties)
    if unknown:
        raise click.ClickException(f"not in the {year} release: {', '.join(sorted(unknown))}")
    chosen = {code for code, county in counties.items()
              if everything or code in county_codes or county.city_code in city_codes}
    if not chosen:
        raise click.ClickException("name --county, --city or --all")
    return chosen


def _progress(quiet: bool) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), disable=quiet or not sys.stderr.isatty(),
                    console=Console(stderr=True))


RELEASE_YEAR = click.option("--release", "year", type=click.IntRange(min(RELEASES), NEWEST),
                            default=NEWEST, show_default=True,
                            help="The release (year) to read.")
COUNTY = click.option("--county", "county_codes", multiple=True,
                      help="A county code (repeatable).")
CITY = click.option("--city", "city_codes", multiple=True,
                    help="Every county of a city (4 digits; repeatable).")
QUIET = click.option("--quiet", is_flag=True, help="No progress bar.")


@main.command("import-divisions")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@COUNTY
@CITY
@click.option("--all", "everything", is_flag=True, help="Every county of the release.")
@RELEASE_YEAR
@click.option("--effective-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The date the imported structure takes effect (default: the release's "
                   "cut-off date).")
@QUIET
@with_appcontext
def import_divisions(
    paths: tuple[Path, ...], county_codes: tuple[str, ...], city_codes: tuple[str, ...],
    everything: bool, year: int, effective_date: datetime | None, quiet: bool,
) -> None:
    """Load counties' towns, villages and communities from a statistical release.

    Without PATHS, the releases shipped with the ledger (the newest unless
    --release names a year); with PATHS, three files (areas, streets, villages)
    in the same format. Counties not yet onboarded are onboarded (their admin
    keys are printed). Running it again adds only what is missing.
    """
    files = _release_files(paths, year)
    day = effective_date.date() if effective_date else release(year).as_of
    chosen = _chosen(files, year, county_codes, city_codes, everything)
    try:
        releases = files.select(year, chosen)
    except ReleaseFileError as error:
        raise click.ClickException(str(error)) from None
    total = sum(len(r.towns) + len(r.villages) for r in releases)
    imported = skipped = 0
    counties = closing(divisions.onboarded(_storage(), releases))
    with _progress(quiet) as progress, counties as onboarded:
        task = progress.add_task("importing", total=total)
        for county_release, county, secret in onboarded:
            code = county_release.county
            if secret is not None:
                progress.console.print(
                    f"onboarded {code} {county_release.name}; admin key: {secret}")
            progress.update(task, description=f"{code} {county_release.name}")
            try:
                added, present = divisions.import_county(
                    county, county_release, day, ACTOR,
                    advance=lambda n: progress.advance(task, n))
            except Conflict as error:
                raise click.ClickException(
                    f"{code}: {error.message} (another import running?)"
                ) from None
            imported += added
            skipped += present
    click.echo(f"imported {imported} units, {skipped} already present, {len(releases)} counties")


def _reconciliation(code: str) -> Reconciliation:
    if _storage().directory.tenant(code) is None:
        raise click.ClickException(f"no county {code}")
    return _storage().reconciliation(code)


def _read_mapping(path: Path) -> list[Link]:
    try:
        return read_mapping(path.read_bytes(), "application/json" if path.suffix == ".json"
                            else "text/csv")
    except ValueError as error:
        raise click.ClickException(f"{path.name}: {error}") from None


@main.command("reconcile")
@click.option("--county", "code", required=True, help="The county (6 digits).")
@RELEASE_YEAR
@click.option("--effective-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Compare the ledger as of this date (default: the release's cut-off).")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The county's predecessor_code,successor_code mapping (CSV or JSON).")
@click.option("--exclude", "excluded", multiple=True, help="An item id to leave out (repeatable).")
@click.option("--apply", "apply_", is_flag=True, help="Record the items as changes.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole proposal as JSON.")
@with_appcontext
def reconcile(code: str, year: int, effective_date: datetime | None, mapping: Path | None,
              excluded: tuple[str, ...], apply_: bool, as_json: bool) -> None:
    """Compare county CODE's ledger with a release and propose the changes between them."""
    reconciliation = _reconciliation(code)
    try:
        proposal = reconciliation.propose(year, effective_date.date() if effective_date else None)
        if mapping is not None:
            proposal = reconciliation.map(proposal.id, _read_mapping(mapping))
        for item_id in excluded:
            reconciliation.exclude(proposal.id, item_id, True)
        proposal = reconciliation.get(proposal.id)
        result = reconciliation.apply(proposal.id, ACTOR)[0] if apply_ else None
    except DomainError as error:
        raise click.ClickException(error.message) from None
    if as_json:
        click.echo(json.dumps({**proposal_dict(proposal), "result": result}, ensure_ascii=False))
        return
    click.echo(f"proposal {proposal.id}: {len(proposal.items)} items "
               + ", ".join(f"{k} {v}" for k, v in sorted(proposal.summary.items())))
    for item in proposal.items:
        rows = ", ".join(f"{r.name} {r.code}" for r in item.release_rows)
        mark = " (excluded)" if item.excluded else ""
        click.echo(f"  {item.item_id} {item.type} {item.confidence:.2f} {item.lineage}: "
                   f"{len(item.unit_ids)} units → {rows or '-'}{mark}")
    if result is not None:
        click.echo(f"applied: {len(result['change_ids'])} changes; matches the release: "
                   f"{str(result['matches_release']).lower()}")


@main.group()
def releases() -> None:
    """The statistical releases shipped with the ledger."""


@releases.command("list")
@with_appcontext
def releases_list() -> None:
    """Each release: year, cut-off date, publication date and counts."""
    for item in release_list(_storage().releases):
        click.echo("\t".join(str(item[k]) for k in ("year", "as_of", "published", "counties",
                                                      "towns", "villages")))


@releases.command("check")
@COUNTY
@click.option("--all", "everything", is_flag=True, help="Every onboarded county.")
@click.option("--release", "years", multiple=True, type=int,
              help="A release year (repeatable; default: every release).")
@with_appcontext
def releases_check(county_codes: tuple[str, ...], everything: bool,
                   years: tuple[int, ...]) -> None:
    """Check counties' ledgers against releases: does each equal it on its cut-off date?

    A county is checked against the releases that list it, under the code it had.
    """
    storage = _storage()
    if everything:
        tenants = storage.directory.tenant_codes()
    else:
        tenants = [storage.directory.resolve(code) or code for code in county_codes]
    if not tenants:
        raise click.ClickException("name --county or --all")
    checker = HistoryBuilder(storage, ACTOR)
    mismatched = []
    for year in years or storage.releases.years():
        checks = checker.checks(year, tenants)
        click.echo(f"{year}: {sum(c.matches for c in checks.values())} of {len(checks)} "
                   "counties match")
        mismatched += [f"{year} {code}: {len(c.differences)} differences, first "
                       + json.dumps(difference_dict(c.differences[0]), ensure_ascii=False)
                       for code, c in checks.items() if not c.matches]
    for line in mismatched:
        click.echo(line)
    if mismatched:
        raise click.ClickException(f"{len(mismatched)} county releases do not match")


@main.group()
def history() -> None:
    """A county's history built from the releases."""


@history.command("build")
@COUNTY
@CITY
@click.option("--province", "provinces", multiple=True,
              help="Every county of a province (2 digits; repeatable).")
@click.option("--all", "everything", is_flag=True, help="Every county of China.")
@click.option("--from", "first", type=click.IntRange(min(RELEASES), NEWEST),
              default=min(RELEASES), show_default=True, help="The release the baseline comes from.")
@click.option("--to", "last", type=click.IntRange(min(RELEASES), NEWEST), default=NEWEST,
              show_default=True, help="The last release reconciled.")
@QUIET
@with_appcontext
def history_build(county_codes: tuple[str, ...], city_codes: tuple[str, ...],
                  provinces: tuple[str, ...], everything: bool, first: int, last: int,
                  quiet: bool) -> None:
    """Import the first release and reconcile each later one in order, auto-applied.

    Resumable and idempotent: a release already applied to a county is skipped.
    With --city, --province or --all, counties re-coded (县改区) go on under their
    new code and counties no longer listed end; named counties are built as listed.
    """
    if not (county_codes or city_codes or provinces or everything):
        raise click.ClickException("name --county, --city, --province or --all")
    storage = _storage()
    years = [y for y in storage.releases.years() if first <= y <= last]
    in_scope = scope(county_codes, city_codes, provinces, everything)
    with _progress(quiet) as progress:
        task = progress.add_task("history", total=None)
        builder = HistoryBuilder(storage, ACTOR, progress.console.print,
                                 advance=lambda n: progress.advance(task, n))
        for year in years:
            progress.update(task, total=None, completed=0, description=str(year))
            try:
                builder.build_year(
                    year, in_scope, follow_counties=bool(city_codes or provinces or everything),
                    on_county=lambda c: progress.update(
                        task, description=f"{c.year} {c.county} {c.name}"),
                    on_total=lambda units: progress.update(task, total=units))
            except DomainError as error:
                raise click.ClickException(f"{year}: {error.message}") from None
        progress.update(task, total=len(builder.built), completed=0, description="statistics")
        builder.analyze(on_county=lambda _tenant: progress.advance(task))
    for line in builder.summary():
        click.echo(line)


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
@QUIET
@with_appcontext
def audit_verify(code: str, digest_file: Path | None, quiet: bool) -> None:
    """Verify county CODE's hash chain (and that it extends an earlier digest)."""
    place = _storage().county(code)
    with Progress(TextColumn("verifying {task.fields[code]}"), BarColumn(), MofNCompleteColumn(),
                  transient=True, disable=quiet or not sys.stderr.isatty(),
                  console=Console(stderr=True)) as progress:
        task = progress.add_task("verify", code=code,
                                 total=place.ledger.recorder.max_notification_id())
        result = place.verify_chain(on_page=lambda n: progress.advance(task, n))
    click.echo(json.dumps(asdict(result)))
    if not result.ok:
        raise click.ClickException(f"the chain breaks at position {result.first_bad_position}")
    if digest_file is not None:
        digest = Digest.from_json(digest_file.read_text())
        if digest.county != code or not signature_holds(digest):
            raise click.ClickException("the digest is not a valid signed digest of this county")
        links = dict(stored_links(place.views))
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
@QUIET
@with_appcontext
def audit_replay(code: str, as_of: datetime | None, quiet: bool) -> None:
    """Rebuild county CODE from its events alone and compare every read view with it."""
    place = _storage().county(code)
    moment = Moment(as_of.date() if as_of else today_in_china(), datetime.now(timezone.utc))
    with Progress(TextColumn("replaying {task.fields[code]}"), BarColumn(), MofNCompleteColumn(),
                  transient=True, disable=quiet or not sys.stderr.isatty(),
                  console=Console(stderr=True)) as progress:
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
@click.option("--url", default="nats://127.0.0.1:4222", show_default=True, envvar="GRASSROOTS_NATS_URL",
              help="The NATS server (or GRASSROOTS_NATS_URL).")
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
