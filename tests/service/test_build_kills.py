"""A history build killed with SIGKILL part-way, then run again, finishes the job and
duplicates nothing (issue 10, item 1), on both stores.

Rui'an (330381) is built from the eight real releases by ``grassroots history build``
in a process of its own, killed twice at points the test waits for in the store: as
soon as its 2016 baseline is stored (the release's reconciliation next), and as soon as
2018 is applied (2019, its largest release, under way). A third run finishes; the county then matches every
release, each release is applied once, the chain verifies and a replay of the events
equals the views.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timezone

from application.reconciliation import APPLIED
from conftest import BIN, service_env
from domain.releases import RELEASES
from infra.proposals import ProposalStore
from infra.storage import Settings, Storage, open_storage
from infra.views.schema import Moment

CODE = "330381"
BUILD = [str(BIN / "grassroots"), "history", "build", "--county", CODE, "--quiet"]
WAIT_AT_MOST = 120.0  # seconds for a build to reach a kill point
POLL = 0.005


def test_a_build_killed_twice_and_run_again_matches_every_release(own_store_url: str) -> None:
    env = service_env(GRASSROOTS_DATABASE_URL=own_store_url)
    storage = open_storage(Settings(database_url=own_store_url))
    storage.create_tables()
    # Onboarded here, as an operator may have done: the test then reads a county
    # whose tables exist while the builds write to it.
    storage.onboard_tenant(CODE, "瑞安市", "3303")
    try:
        for kill_point in (_baseline_imported, _applied_through(2018)):
            _kill_when(kill_point, storage, env)

        finished = subprocess.run(BUILD, env=env, capture_output=True, text=True, timeout=300)
        assert finished.returncode == 0, finished.stderr
        assert "does not match" not in finished.stdout, finished.stdout
        again = subprocess.run(BUILD, env=env, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        assert f"{len(RELEASES)} county releases already applied" in again.stdout, again.stdout
        checked = subprocess.run([str(BIN / "grassroots"), "releases", "check", "--county", CODE],
                                 env=env, capture_output=True, text=True, timeout=300)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert all(f"{year}: 1 of 1 counties match" in checked.stdout for year in RELEASES), \
            checked.stdout

        county = storage.county(CODE)
        applied = Counter(p.release for p in ProposalStore(county.views).all()
                          if p.status == APPLIED)
        assert applied == Counter(list(RELEASES)), applied
        now = datetime.now(timezone.utc)
        # The counts of the uninterrupted build (tests/application/test_history_real.py).
        before = county.structure.units_on(Moment(date(2018, 10, 31), now))
        after = county.structure.units_on(Moment(date(2019, 10, 31), now))
        assert sum(u.parent_id is not None for u in before) == 908 + 51
        assert sum(u.parent_id is not None for u in after) == 421 + 101
        assert county.verify_chain().ok
        for day in (date(2016, 7, 31), date(2019, 10, 31), date(2023, 6, 30)):
            report = county.audit_replay(Moment(day, now))
            assert report.matches, report.differences[:3]
    finally:
        storage.close()


def _kill_when(reached: Callable[[Storage], bool], storage: Storage,
               env: dict[str, str]) -> None:
    """Run the build and SIGKILL it as soon as ``reached`` holds of the store; it
    must still have been running then."""
    build = subprocess.Popen(BUILD, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + WAIT_AT_MOST
        while not reached(storage) and build.poll() is None:
            assert time.monotonic() < deadline, "the build did not reach the kill point"
            time.sleep(POLL)
        build.send_signal(signal.SIGKILL)
    finally:
        if build.poll() is None:
            build.kill()
        _out, errors = build.communicate()
    assert build.returncode == -signal.SIGKILL, f"the build ended before it was killed: {errors}"


def _baseline_imported(storage: Storage) -> bool:
    """The 2016 release's units are stored (its import is one change)."""
    return storage.county(CODE).head() > 0


def _applied_through(year: int) -> Callable[[Storage], bool]:
    def reached(storage: Storage) -> bool:
        return any(p.release == year and p.status == APPLIED
                   for p in ProposalStore(storage.county(CODE).views).all())
    return reached
