"""A county's reconciliation with a statistical release: propose, review, apply, check.

A proposal is a draft, not history: it is kept beside the ledger (not in its
events) until it is applied, when its items become ordinary changes sourced
from the release. It is made from the ledger as known when it was proposed
(the views are bitemporal), so a mapping uploaded later re-derives it from the
same state; applying it after the ledger moved on is refused (409).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from typing import Any, Protocol
from uuid import UUID, uuid4

from application.ledger import CountyLedger
from application.rows import HeldRow
from domain.changes import Authority
from domain.kinds import UnitKind
from domain.reconciliation import (
    Difference,
    Held,
    Item,
    Link,
    differences,
    excluding,
    propose,
    require_mapping_fits,
)
from domain.releases import CountyRelease, release
from domain.rules import Conflict, NotFound, RuleRefused

PROPOSED, APPLIED = "proposed", "applied"


@dataclass(frozen=True)
class Proposal:
    id: UUID
    release: int
    effective_date: date
    created_at: datetime
    position: int  # the ledger's last event when it was made
    items: list[Item]
    authority: Authority | None = None
    mapping: list[Link] = field(default_factory=list)
    status: str = PROPOSED
    result: dict[str, Any] | None = None
    # The county code whose release rows it compares with; None: the county ends
    # (the release lists it no more), and everything it holds is to cease.
    county_code: str | None = ""

    @property
    def summary(self) -> dict[str, int]:
        return dict(Counter(i.type for i in self.items if not i.excluded))

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.item_id == item_id:
                return item
        raise NotFound("item", item_id)


@dataclass(frozen=True)
class Check:
    release: int
    as_of: date
    differences: list[Difference]

    @property
    def matches(self) -> bool:
        return not self.differences


class Releases(Protocol):
    def county(self, year: int, code: str) -> CountyRelease | None: ...


class Proposals(Protocol):
    """Where a county's proposals are kept (not in its events)."""

    def save(self, proposal: Proposal) -> None: ...

    def get(self, proposal_id: UUID) -> Proposal | None: ...

    def all(self) -> list[Proposal]: ...


class HeldState(Protocol):
    def held_on(self, day: date, known_at: datetime) -> tuple[list[Held], list[Held]]:
        """The towns and village-level units (federations left out) active on ``day``,
        as known at ``known_at``."""

    def head(self) -> int:
        """The ledger's last event."""


class Reconciliation:
    """One county's reconciliations with the releases."""

    def __init__(self, county: str, ledger: CountyLedger, state: HeldState,
                 proposals: Proposals, releases: Releases,
                 code_on: Callable[[date], str | None]):
        self.county = county
        self.ledger = ledger
        self.state = state
        self.proposals = proposals
        self.releases = releases
        self.code_on = code_on  # the county's code on a date (县改区 changes it)

    def _release(self, year: int) -> CountyRelease:
        as_of = release(year).as_of  # NotFound for a year the ledger does not know
        code = self.code_on(as_of) or self.county
        found = self.releases.county(year, code)
        if found is None:
            raise RuleRefused(None, f"the {year} release does not list county {code}")
        return found

    def propose(self, year: int, effective_date: date | None = None,
                authority: Authority | None = None,
                county_release: CountyRelease | None = None) -> Proposal:
        """``county_release``: what the county is to become, when the release does
        not list it under its code (a county that ended: nothing)."""
        county_release = county_release or self._release(year)
        day = effective_date or county_release.release.as_of
        now = datetime.now(timezone.utc)
        head = self.state.head()
        towns, villages = self.state.held_on(day, now)
        proposal = Proposal(uuid4(), year, day, now, head,
                            propose(towns, villages, county_release), authority,
                            county_code=county_release.county if county_release.towns else None)
        self.proposals.save(proposal)
        return proposal

    def _target(self, proposal: Proposal) -> CountyRelease:
        """The release rows a proposal was made against."""
        if proposal.county_code is None:
            return CountyRelease(proposal.release, self.county, "", "", (), ())
        if proposal.county_code:
            found = self.releases.county(proposal.release, proposal.county_code)
            if found is not None:
                return found
        return self._release(proposal.release)

    def get(self, proposal_id: UUID) -> Proposal:
        proposal = self.proposals.get(proposal_id)
        if proposal is None:
            raise NotFound("reconciliation", proposal_id)
        return proposal

    def _draft(self, proposal_id: UUID) -> Proposal:
        proposal = self.get(proposal_id)
        if proposal.status != PROPOSED:
            raise Conflict(None, f"reconciliation {proposal_id} is already applied")
        return proposal

    def map(self, proposal_id: UUID, mapping: Sequence[Link]) -> Proposal:
        """Re-derive the proposal with the county's own predecessor → successor mapping."""
        proposal = self._draft(proposal_id)
        county_release = self._target(proposal)
        towns, villages = self.state.held_on(proposal.effective_date, proposal.created_at)
        base = propose(towns, villages, county_release)
        require_mapping_fits(base, [*towns, *villages], mapping)
        items = propose(towns, villages, county_release, mapping)
        excluded = {i.item_id for i in proposal.items if i.excluded}
        items = [replace(i, excluded=i.item_id in excluded) for i in items]
        mapped = replace(proposal, items=items, mapping=list(mapping))
        self.proposals.save(mapped)
        return mapped

    def exclude(self, proposal_id: UUID, item_id: str, excluded: bool) -> Item:
        proposal = self._draft(proposal_id)
        proposal.item(item_id)
        changed = replace(proposal, items=excluding(proposal.items, item_id, excluded))
        self.proposals.save(changed)
        return changed.item(item_id)

    def apply(self, proposal_id: UUID, actor: str,
              county_release: CountyRelease | None = None) -> tuple[dict[str, Any], bool]:
        """Record the items, all or nothing. Answers the result and whether it was
        recorded now (False: it had been applied before, and this is its result).
        ``county_release``: the rows the proposal was made against, when the caller
        holds them (a build over thousands of counties keeps few parsed)."""
        proposal = self.get(proposal_id)
        if proposal.status == APPLIED:
            assert proposal.result is not None
            return proposal.result, False
        if self.state.head() != proposal.position:
            raise Conflict(None, "the ledger changed after this proposal was made; "
                                 "make a new one")
        items = [i for i in proposal.items if not i.excluded]
        if not items and proposal.items:
            raise RuleRefused(None, "every item of the proposal is excluded: nothing to apply")
        towns, _villages = self.state.held_on(proposal.effective_date, proposal.created_at)
        receipts = self.ledger.record_release(
            items, held_towns=towns, year=proposal.release,
            effective_date=proposal.effective_date, actor=actor,
            authority=proposal.authority or release_authority(proposal.release),
        ) if items else []
        check = self._check(county_release or self._target(proposal), proposal.effective_date)
        result = {
            "change_ids": [str(r.change_id) for r in receipts],
            "matches_release": check.matches,
            "differences": [difference_dict(d) for d in check.differences],
        }
        self.proposals.save(replace(proposal, status=APPLIED, result=result))
        return result, True

    def check(self, year: int, day: date | None = None,
              county_release: CountyRelease | None = None) -> Check:
        """The ledger as of the release's date (as known now) against the release
        (``county_release``: its rows, when the caller holds them)."""
        return self._check(county_release or self._release(year), day)

    def _check(self, county_release: CountyRelease, day: date | None) -> Check:
        as_of = day or county_release.release.as_of
        towns, villages = self.state.held_on(as_of, datetime.now(timezone.utc))
        return Check(county_release.year, as_of, differences(towns, villages, county_release))


def release_authority(year: int) -> Authority:
    """What a release's changes cite when the county names no document of its own."""
    published = release(year).published
    return Authority(f"统计用区划代码和城乡划分代码 {year}", "国家统计局", published)


def difference_dict(difference: Difference) -> dict[str, Any]:
    return {"code": difference.code, "expected": difference.expected, "found": difference.found}


def held_unit(row: HeldRow) -> Held | None:
    """A unit of the views as the matcher sees it (None: a federation, which no
    release lists)."""
    kind = UnitKind(row.kind)
    if kind is UnitKind.FEDERATION:
        return None
    return Held(row.unit_id, row.code, row.name, kind,
                None if kind.level.value == "town" else row.parent_id)
