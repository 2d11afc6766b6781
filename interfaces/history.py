"""Counties' history built from the releases: each county's first release imported
as its baseline, each later one reconciled and applied in order (group lineage
where the releases cannot say more). A release already applied to a county is
skipped, so a build that stopped half-way is finished by running it again.

Counties change between releases too (DOMAIN.md §1), and each is inferred from
the releases alone (docs/reconciliation.md, "Counties"):

- a county code gone while a new one in the same province lists mostly the same
  towns (by name stem) is the same county re-coded (县改区): the tenant goes on
  under the new code, and its towns and villages are re-coded with it;
- a county code gone with no such successor ends on the release's date: its
  units cease, and its successor is the county now listing most of their names;
- a county code new and no re-coding is a county onboarded from that release.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from uuid import UUID

from application.reconciliation import APPLIED, Check
from domain.kinds import UnitKind
from domain.names import stem
from domain.releases import CountyRelease, release
from domain.units import Crossing
from infra.proposals import ProposalStore
from infra.storage import Storage
from infra.views.schema import Moment
from interfaces import divisions

# Share of town stems two counties must have in common to be one county re-coded.
SAME_COUNTY = 0.5
# Counties kept built while a build goes through thousands (memory, not speed: a
# county is visited once per release).
KEEP_BUILT = 32


class HistoryBuilder:
    def __init__(self, storage: Storage, actor: str, say: Callable[[str], None] = print,
                 advance: Callable[[int], None] = lambda _n: None):
        self.storage = storage
        self.actor = actor
        self.say = say
        self.advance = advance  # told of each unit of the release as it is built
        self.changes: Counter[tuple[int, str]] = Counter()
        self.imported: Counter[int] = Counter()
        self.counties: Counter[tuple[int, str]] = Counter()
        self.skipped = 0
        self.mismatches: list[str] = []
        self.built: set[str] = set()  # the tenants this builder imported into or reconciled

    def build_year(self, year: int, in_scope: Callable[[str, str], bool], *,
                   follow_counties: bool = True,
                   on_county: Callable[[CountyRelease], None] = lambda _c: None,
                   on_total: Callable[[int], None] = lambda _n: None) -> None:
        """Bring every county in scope (by code and city) up to release ``year``;
        with ``follow_counties``, counties re-coded and ended are followed (a scope
        of named counties cannot: a re-coded county's new code is not among them).
        ``on_total`` is told how many units the release lists in scope, once read."""
        files, directory = self.storage.releases, self.storage.directory
        as_of = release(year).as_of
        listed = {code for code, c in files.counties(year).items() if in_scope(code, c.city_code)}
        releases = {r.county: r for r in files.select(year, listed)}
        on_total(sum(len(r.towns) + len(r.villages) for r in releases.values()))
        # The counties the ledger knew just before this release's date.
        before = as_of - timedelta(days=1)
        active = {t["code"]: t for t in directory.counties_on(before)
                  if in_scope(t["code"], t["city_code"])} if follow_counties else {}
        gone = {code: t for code, t in active.items() if code not in releases
                and directory.code_on(t["tenant"], as_of) not in releases}  # not re-coded
        new = [r for code, r in releases.items()
               if code not in active and directory.resolve(code) is None]
        if active:  # the first release in scope has nothing to compare with
            towns_of: dict[str, set[str]] = {}  # each gone county's town stems, read once
            for county_release in new:
                self._recode_if_continued(county_release, gone, towns_of)
        for county_release in releases.values():
            tenant = directory.resolve(county_release.county)
            if tenant is None:
                # No key is printed for thousands of counties: `grassroots keys create`.
                self.storage.onboard_tenant(county_release.county, county_release.name,
                                            county_release.city_code)
                directory.begin_on(county_release.county, as_of)
                self.say(f"onboarded {county_release.county} {county_release.name}")
                self.counties[(year, "new")] += 1
            elif active.get(county_release.county, {}).get("name") not in (
                    None, county_release.name):
                directory.rename_tenant(tenant, county_release.name)
                self.counties[(year, "renamed")] += 1
            self.build(county_release)
            on_county(county_release)
            self.storage.trim(KEEP_BUILT)
        for code, ending in gone.items():
            self._end(year, ending["tenant"], code, releases.values())
        if follow_counties:
            touched = {directory.resolve(c) for c in releases} | {t["tenant"] for t in gone.values()}
            self._cross(year, {t for t in touched if t is not None})

    def _cross(self, year: int, tenants: set[str]) -> None:
        """Units dissolved in one county and established in another on the release's
        date, under one name stem: the same unit gone over (a town moved between
        counties, a county's units taken by its neighbour). Each side's lineage
        names the other county's unit."""
        moment = Moment(release(year).as_of, datetime.now(timezone.utc))
        # Departures first, then only the arrivals that could match one: a county's
        # first release establishes every unit it has, which need not all be held.
        gone = self._begun_or_ceased(tenants, moment, "ceased", None)
        if not gone:
            return
        provinces = {province for province, _level, _stem in gone}
        begun = self._begun_or_ceased({t for t in tenants if t[:2] in provinces}, moment,
                                      "active", set(gone))
        crossings: dict[str, list[tuple[UUID, Crossing]]] = {}
        for key, departures in gone.items():
            arrivals = begun.get(key, [])
            if len(departures) != 1 or len(arrivals) != 1 or departures[0][0] == arrivals[0][0]:
                continue  # only a unit that left one county and arrived in one other
            (a_tenant, a_id, a_name, a_kind), (b_tenant, b_id, b_name, b_kind) = \
                departures[0], arrivals[0]
            if not self._may_cross(a_tenant, a_id, moment) or \
                    not self._may_cross(b_tenant, b_id, moment):
                continue
            # Each county is named by the code it had then (any of its codes answers).
            a_code, b_code = (self.storage.directory.code_on(t, moment.as_of) or t
                              for t in (a_tenant, b_tenant))
            crossings.setdefault(a_tenant, []).append(
                (a_id, Crossing("to", b_code, b_id, b_name, b_kind)))
            crossings.setdefault(b_tenant, []).append(
                (b_id, Crossing("from", a_code, a_id, a_name, a_kind)))
        for tenant, entries in sorted(crossings.items()):
            self.storage.county(tenant).ledger.record_crossings(
                entries, year=year, effective_date=moment.as_of, actor=self.actor)
            self.counties[(year, "units crossing")] += len(entries)

    def _begun_or_ceased(
        self, tenants: set[str], moment: Moment, status: str,
        among: set[tuple[str, str, str]] | None,
    ) -> dict[tuple[str, str, str], list[tuple[str, UUID, str, str]]]:
        """Units of these counties that ceased (or began) on the date, by province,
        level and name stem (only the keys ``among``, if given)."""
        found: dict[tuple[str, str, str], list[tuple[str, UUID, str, str]]] = {}
        for tenant in sorted(tenants):
            for unit_id, kind, name, unit_status in \
                    self.storage.county(tenant).structure.begun_or_ceased_on(moment):
                if unit_status != status:
                    continue
                town = UnitKind(kind).level.value == "town"
                key = (tenant[:2], "town" if town else "village", stem(name, town=town))
                if among is None or key in among:
                    found.setdefault(key, []).append((tenant, unit_id, name, kind))
            self.storage.trim(KEEP_BUILT)
        return found

    def _may_cross(self, tenant: str, unit_id: UUID, moment: Moment) -> bool:
        """Dissolved or established (not merged, converted …) and not crossed yet."""
        county = self.storage.county(tenant)
        lineage = county.changelog.lineage(unit_id, moment)
        if lineage.predecessors or lineage.successors:
            return False
        unit = county.ledger.unit(unit_id)
        return unit.cease_reason in (None, "dissolution")

    def build(self, county_release: CountyRelease) -> None:
        """Bring one county up to one release (the releases in order)."""
        year = county_release.year
        county = self.storage.county(county_release.county)
        units = len(county_release.towns) + len(county_release.villages)
        if self._applied(county.code, year):
            self.skipped += 1
            self.advance(units)
            return
        day = county_release.release.as_of
        towns, villages = county.held_on(day, datetime.now(timezone.utc))
        if not towns and not villages:
            # New to the ledger (the first release, or a county new in this one).
            added, _present = divisions.import_county(county, county_release, day, self.actor,
                                                      self.advance)
            self.imported[year] += added
        else:
            self.advance(units)  # a reconciliation is one transaction: no finer steps
        self._apply(county.code, year, county_release)

    def _applied(self, tenant: str, year: int) -> bool:
        return any(p.release == year and p.status == APPLIED
                   for p in ProposalStore(self.storage.county(tenant).views).all())

    def _apply(self, tenant: str, year: int, county_release: CountyRelease) -> None:
        self.built.add(tenant)
        reconciliation = self.storage.reconciliation(tenant)
        proposal = reconciliation.propose(year, county_release=county_release)
        result, _recorded = reconciliation.apply(proposal.id, self.actor, county_release)
        for item_type, count in proposal.summary.items():
            self.changes[(year, item_type)] += count
        if not result["matches_release"]:
            first_difference = result["differences"][0]
            self.mismatches.append(f"{year} {county_release.county}: "
                                   f"{len(result['differences'])} differences, "
                                   f"first {first_difference}")

    def _recode_if_continued(self, county_release: CountyRelease,
                             gone: dict[str, dict[str, str]],
                             towns_of: dict[str, set[str]]) -> None:
        """A new code whose towns are mostly a gone county's: that county re-coded."""
        mine = {t.stem for t in county_release.towns}
        best, share = None, 0.0
        for code, tenant in gone.items():
            if code[:2] != county_release.county[:2]:
                continue
            if code not in towns_of:
                towns, _villages = self.storage.county(tenant["tenant"]).held_on(
                    county_release.release.as_of, datetime.now(timezone.utc))
                towns_of[code] = {t.stem for t in towns}
            theirs = towns_of[code]
            shared = len(mine & theirs) / max(len(mine), len(theirs), 1)
            if shared > share:
                best, share = code, shared
        if best is None or share < SAME_COUNTY:
            return
        tenant = gone.pop(best)
        self.storage.directory.recode_tenant(
            tenant["tenant"], county_release.county, county_release.name,
            county_release.city_code, county_release.release.as_of)
        self.counties[(county_release.year, "recoded")] += 1
        self.say(f"{tenant['code']} {tenant['name']} goes on as {county_release.county} "
                 f"{county_release.name} ({share:.0%} of its towns)")

    def _end(self, year: int, tenant: str, code: str,
             releases: Iterable[CountyRelease]) -> None:
        """The county is listed no more: what it holds ceases; its successor is the
        county whose rows carry most of its units' names."""
        as_of = release(year).as_of
        if self.storage.directory.tenant(tenant)["status"] == "ended":  # type: ignore[index]
            return  # a build run again
        county = self.storage.county(tenant)
        towns, villages = county.held_on(as_of, datetime.now(timezone.utc))
        stems = {h.stem for h in (*towns, *villages)}
        found = Counter({r.county: sum(1 for row in (*r.towns, *r.villages)
                                       if row.stem in stems)
                         for r in releases if r.county[:2] == code[:2]})
        successor, count = found.most_common(1)[0] if found else (None, 0)
        if not self._applied(tenant, year):
            self._apply(tenant, year, CountyRelease(year, code, "", "", (), ()))
        self.storage.directory.end_tenant(tenant, as_of, successor if count else None)
        self.counties[(year, "ended")] += 1
        self.say(f"{code} ends on {as_of}"
                 + (f"; {count} of its units' names are now in {successor}" if count else ""))

    def checks(self, year: int, tenants: Iterable[str]) -> dict[str, Check]:
        """Each tenant the release lists (under the code it had then), checked."""
        as_of = release(year).as_of
        listed = self.storage.releases.counties(year)
        codes = {t: self.storage.directory.code_on(t, as_of) for t in tenants}
        rows = {r.county: r for r in self.storage.releases.select(
            year, {c for c in codes.values() if c in listed})}  # read once for all
        found = {}
        for tenant, code in codes.items():
            if code in rows:
                found[code] = self.storage.reconciliation(tenant).check(
                    year, county_release=rows[code])
                self.storage.trim(KEEP_BUILT)
        return found

    def analyze(self, on_county: Callable[[str], None] = lambda _tenant: None) -> None:
        """The planner's statistics of every county built: after thousands of
        counties, the server's own autovacuum takes hours to come round to them all."""
        for tenant in sorted(self.built):
            on_county(tenant)
            self.storage.county(tenant).views.analyze()
            self.storage.trim(KEEP_BUILT)

    def summary(self) -> list[str]:
        lines = [f"{year}: imported {count} units" for year, count in sorted(self.imported.items())]
        by_year: dict[int, list[str]] = {}
        for (year, item_type), count in sorted(self.changes.items()):
            by_year.setdefault(year, []).append(f"{item_type} {count}")
        lines += [f"{year}: " + ", ".join(types) for year, types in sorted(by_year.items())]
        counties: dict[int, list[str]] = {}
        for (year, what), count in sorted(self.counties.items()):
            counties.setdefault(year, []).append(f"{what} {count}")
        lines += [f"{year} counties: " + ", ".join(c) for year, c in sorted(counties.items())]
        if self.skipped:
            lines.append(f"{self.skipped} county releases already applied, skipped")
        lines += [f"does not match: {m}" for m in self.mismatches]
        return lines


def scope(counties: Iterable[str], cities: Iterable[str], provinces: Iterable[str],
          everything: bool) -> Callable[[str, str], bool]:
    """Which counties a build takes, by code and city."""
    counties, cities, provinces = set(counties), set(cities), set(provinces)
    return lambda code, city: (everything or code in counties or city in cities
                               or code[:2] in provinces)
