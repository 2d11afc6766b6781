"""Importing a county's baseline from a statistical release: its towns and
village-level units, established on the release's cut-off date.

Units get ids of their own (not derived from their codes: a code may later be
given to another unit); running the import again adds only the codes the
county does not hold on that date.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime, timezone
from uuid import UUID, uuid4

from application.ledger import BaselineUnit
from domain.releases import CountyRelease
from infra.storage import County, Storage

# Counties onboarded at once, ahead of the one being imported: a county's tables are
# mostly the server's time making files and syncing each new index to disk, which
# overlaps well (100 counties: 12 % faster with four than with two).
ONBOARDING_AHEAD = 4


def onboarded(storage: Storage, releases: Sequence[CountyRelease],
              ) -> Generator[tuple[CountyRelease, County, str | None], None, None]:
    """Each county of ``releases`` in turn, onboarded if it was not, with the first
    admin key when it was onboarded now (None when it already was).

    Creating a county's storage is the database's work (some seventy tables and
    indexes), importing into it this process's: the next counties are onboarded on
    threads of their own (``ONBOARDING_AHEAD``) while the caller imports the current one.
    """

    def onboard(release: CountyRelease) -> str | None:
        if storage.directory.tenant(release.county) is not None:
            return None
        return storage.onboard_tenant(release.county, release.name, release.city_code)[1]

    upcoming = iter(releases)
    # Each onboarding holds a connection, and so does the import: none waits for one.
    ahead = max(1, min(ONBOARDING_AHEAD, storage.settings.pool_size - 1))
    with ThreadPoolExecutor(ahead, thread_name_prefix="onboarding") as pool:
        pending: deque[tuple[CountyRelease, Future[str | None]]] = deque()
        try:
            while True:
                while len(pending) <= ahead:
                    release = next(upcoming, None)
                    if release is None:
                        break
                    pending.append((release, pool.submit(onboard, release)))
                if not pending:
                    return
                release, secret = pending.popleft()
                yield release, storage.county(release.county), secret.result()
        finally:  # the caller stopped: onboard no further than what has begun
            for _release, future in pending:
                future.cancel()


def import_county(county: County, release: CountyRelease, day: date, actor: str,
                  advance: Callable[[int], None] = lambda _n: None) -> tuple[int, int]:
    """Establish what the county lacks of the release, in one change; ``advance`` is
    told of each unit made, and of those already present at once.

    Answers (imported, already present).
    """
    towns, villages = county.held_on(day, datetime.now(timezone.utc))
    present = {h.code for h in (*towns, *villages) if h.code}
    town_ids: dict[str, UUID] = {h.code: h.unit_id for h in towns if h.code}
    missing: list[BaselineUnit] = []
    for row in release.towns:
        if row.code not in present:
            town_ids[row.code] = uuid4()
            missing.append(BaselineUnit(town_ids[row.code], row.kind, row.name, row.code))
    for row in release.villages:
        if row.code not in present:
            assert row.town_code is not None
            missing.append(BaselineUnit(uuid4(), row.kind, row.name, row.code,
                                        town_ids[row.town_code]))
    total = len(release.towns) + len(release.villages)
    advance(total - len(missing))
    if missing:
        county.ledger.import_baseline(missing, day, actor, on_unit=lambda: advance(1))
    return len(missing), total - len(missing)
