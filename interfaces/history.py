"""A county's history built from the releases: the first one imported as its
baseline, each later one reconciled and applied in order (group lineage where
the releases cannot say more). A release already applied to a county is
skipped, so a build that stopped half-way is finished by running it again.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from application.reconciliation import APPLIED
from domain.releases import CountyRelease
from infra.proposals import ProposalStore
from infra.storage import Storage
from interfaces import divisions


class HistoryBuilder:
    def __init__(self, storage: Storage, actor: str):
        self.storage = storage
        self.actor = actor
        self.changes: Counter[tuple[int, str]] = Counter()
        self.imported: Counter[int] = Counter()
        self.skipped = 0
        self.mismatches: list[str] = []

    def build(self, county_release: CountyRelease) -> None:
        """Bring one county up to one release (the releases in order)."""
        year, code = county_release.year, county_release.county
        county = self.storage.county(code)
        if any(p.release == year and p.status == APPLIED
               for p in ProposalStore(county.views).all()):
            self.skipped += 1
            return
        day = county_release.release.as_of
        towns, villages = county.held_on(day, datetime.now(timezone.utc))
        if not towns and not villages:
            # New to the ledger (the first release, or a county new in this one).
            added, _present = divisions.import_county(county, county_release, day, self.actor)
            self.imported[year] += added
        reconciliation = county.reconciliation(self.storage.releases)
        proposal = reconciliation.propose(year)
        result, _recorded = reconciliation.apply(proposal.id, self.actor)
        for item_type, count in proposal.summary.items():
            self.changes[(year, item_type)] += count
        if not result["matches_release"]:
            first_difference = result["differences"][0]
            self.mismatches.append(f"{year} {code}: {len(result['differences'])} differences, "
                                   f"first {first_difference}")

    def summary(self) -> list[str]:
        lines = [f"{year}: imported {count} units" for year, count in sorted(self.imported.items())]
        by_year: dict[int, list[str]] = {}
        for (year, item_type), count in sorted(self.changes.items()):
            by_year.setdefault(year, []).append(f"{item_type} {count}")
        lines += [f"{year}: " + ", ".join(types) for year, types in sorted(by_year.items())]
        if self.skipped:
            lines.append(f"{self.skipped} county releases already applied, skipped")
        lines += [f"does not match: {m}" for m in self.mismatches]
        return lines
