"""Reconciliation: the changes that turn a county's ledger into a release (对账).

The ledger as of a release's cut-off date is compared with the release, and
the difference is explained as the changes it consists of — record linkage in
passes, most certain first, each pass removing what it linked:

0. the county's own mapping (predecessor code → successor code), if uploaded;
1. same code, same stem (the name without its committee suffix): the same
   unit; only the suffix changed is a ``name_form``, 村 → 社区 a ``conversion``;
2. same stem under a new code in the county: the same unit re-coded
   (``recode``), or moved to another town (``move``); two codes that swapped
   names are two recodes;
3. same code, another stem: a ``rename`` — unless the stems share nothing and
   the town is being consolidated, where the code was reused for a new unit;
4. what remains in a town: new units whose names contain a gone unit's stem
   (or reuse its code) are ``merger``/``village_merger`` of those units; the
   rest is one ``consolidation`` with group lineage, or plain ``dissolution``
   and ``establishment`` when only one side has anything.

Towns go first, by the same passes and by the villages they share, so that the
villages know which town continues theirs (``town_rename``, ``town_recode``,
``reclassification``, ``town_merger``, ``town_establishment``,
``town_dissolution``). A unit is never identified by its code alone.

Whatever the links, the result can be checked without knowing the truth:
``differences`` compares a ledger state with the release, unit by unit.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from domain.kinds import UnitKind
from domain.names import kind_class, likeness, stem
from domain.releases import CountyRelease, Row
from domain.rules import RuleRefused


class ItemType:
    NAME_FORM = "name_form"
    RENAME = "rename"
    RECODE = "recode"
    MOVE = "move"
    CONVERSION = "conversion"
    MERGER = "merger"
    VILLAGE_MERGER = "village_merger"
    CONSOLIDATION = "consolidation"
    ESTABLISHMENT = "establishment"
    DISSOLUTION = "dissolution"
    TOWN_NAME_FORM = "town_name_form"
    TOWN_RENAME = "town_rename"
    TOWN_RECODE = "town_recode"
    RECLASSIFICATION = "reclassification"
    TOWN_MERGER = "town_merger"
    TOWN_ESTABLISHMENT = "town_establishment"
    TOWN_DISSOLUTION = "town_dissolution"

    # The same unit goes on: its code, name, town (and a town's kind) become the row's.
    IDENTITY = (NAME_FORM, RENAME, RECODE, MOVE, TOWN_NAME_FORM, TOWN_RENAME, TOWN_RECODE,
                RECLASSIFICATION)
    # Units cease and new ones begin in their place.
    SUCCESSION = (CONVERSION, MERGER, VILLAGE_MERGER, CONSOLIDATION)
    # The order in which applying them keeps every step valid: towns that receive
    # villages exist before the villages move, and towns cease after they left.
    ORDER = (TOWN_ESTABLISHMENT, TOWN_RECODE, TOWN_RENAME, TOWN_NAME_FORM, RECLASSIFICATION,
             RECODE, MOVE, RENAME, NAME_FORM, CONVERSION, MERGER, VILLAGE_MERGER,
             CONSOLIDATION, ESTABLISHMENT, DISSOLUTION, TOWN_MERGER, TOWN_DISSOLUTION)


EXACT, GROUP = "exact", "group"


@dataclass(frozen=True)
class Held:
    """A unit as the ledger holds it on the date compared."""

    unit_id: UUID
    code: str | None
    name: str
    kind: UnitKind
    town_id: UUID | None = None  # None: a town-level unit

    @property
    def is_town(self) -> bool:
        return self.town_id is None

    @property
    def stem(self) -> str:
        return stem(self.name, town=self.is_town)

    @property
    def kind_class(self) -> str:
        return kind_class(self.kind)


@dataclass(frozen=True)
class Link:
    """One line of a county's own mapping: this unit went into that one."""

    predecessor_code: str
    successor_code: str


@dataclass(frozen=True)
class Item:
    """One change the release shows, with what makes it believable."""

    item_id: str
    type: str
    unit_ids: tuple[UUID, ...]  # the ledger's units it touches
    release_rows: tuple[Row, ...]  # the rows it brings about
    lineage: str
    evidence: tuple[str, ...]
    confidence: float
    excluded: bool = False

    @property
    def is_town(self) -> bool:
        return self.type.startswith("town_") or self.type == ItemType.RECLASSIFICATION

    def as_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id, "type": self.type,
            "unit_ids": [str(u) for u in self.unit_ids],
            "release_rows": [{"code": r.code, "name": r.name, "town_code": r.town_code}
                             for r in self.release_rows],
            "lineage": self.lineage, "evidence": list(self.evidence),
            "confidence": self.confidence, "excluded": self.excluded,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Item:
        return cls(
            item_id=data["item_id"], type=data["type"],
            unit_ids=tuple(UUID(u) for u in data["unit_ids"]),
            release_rows=tuple(Row(r["code"], r["name"], r["town_code"])
                               for r in data["release_rows"]),
            lineage=data["lineage"], evidence=tuple(data["evidence"]),
            confidence=data["confidence"], excluded=data["excluded"],
        )


def _item(type_: str, units: Sequence[Held], rows: Sequence[Row], evidence: Iterable[str],
          confidence: float, lineage: str = EXACT) -> Item:
    """Its id follows from what it links, so it survives re-deriving the proposal."""
    key = "|".join([type_, *sorted(str(u.unit_id) for u in units), *sorted(r.code for r in rows)])
    return Item(
        item_id=hashlib.sha256(key.encode()).hexdigest()[:12], type=type_,
        unit_ids=tuple(u.unit_id for u in units), release_rows=tuple(rows),
        lineage=lineage, evidence=tuple(evidence), confidence=round(confidence, 2),
    )


@dataclass
class _Pool:
    """What is not linked yet: the ledger's units by id, the release's rows by code."""

    held: dict[UUID, Held]
    rows: dict[str, Row]

    def take(self, held: Iterable[Held], rows: Iterable[Row]) -> None:
        for h in held:
            del self.held[h.unit_id]
        for r in rows:
            del self.rows[r.code]

    def by_code(self) -> dict[str, Held]:
        return {h.code: h for h in self.held.values() if h.code is not None}

    def same_codes(self) -> list[tuple[Held, Row]]:
        """The units and rows that share a code; each pair has a code of its own, so
        taking one pair leaves the others in the pool."""
        held = self.by_code()
        return [(held[code], row) for code, row in list(self.rows.items()) if code in held]

    def pairs_by_stem(self) -> list[tuple[Held, Row]]:
        """Units and rows of one stem, paired where each side has exactly one."""
        held: dict[str, list[Held]] = defaultdict(list)
        rows: dict[str, list[Row]] = defaultdict(list)
        for h in self.held.values():
            held[h.stem].append(h)
        for r in self.rows.values():
            rows[r.stem].append(r)
        return [(held[s][0], rows[s][0]) for s in sorted(held.keys() & rows.keys())
                if len(held[s]) == 1 and len(rows[s]) == 1]


@dataclass
class _Matcher:
    towns: list[Held]
    villages: list[Held]
    release: CountyRelease
    mapping: Sequence[Link]
    items: list[Item] = field(default_factory=list)
    # The release town that continues each of the ledger's towns (its merger's
    # target for a town that merges; absent for one dissolved).
    continues: dict[UUID, str] = field(default_factory=dict)
    merged: set[UUID] = field(default_factory=set)  # towns merged into another

    def run(self) -> list[Item]:
        self._match_towns()
        self._match_villages()
        return sorted(self.items, key=lambda i: (ItemType.ORDER.index(i.type), i.item_id))

    # -- Towns ---------------------------------------------------------------

    def _match_towns(self) -> None:
        pool = _Pool({t.unit_id: t for t in self.towns}, {r.code: r for r in self.release.towns})
        for held, row in pool.same_codes():
            if held.stem == row.stem:
                self._same_town(pool, held, row, "the same code and stem", 1.0)
        for held, row in pool.pairs_by_stem():
            self._same_town(pool, held, row, f"{held.name} is listed as {row.name} "
                                             f"under the new code {row.code}", 0.9)
        self._towns_by_villages(pool)
        for held, row in pool.same_codes():
            score = likeness(held.stem, row.stem)
            self._same_town(pool, held, row, f"code {row.code} is now named {row.name}",
                            0.5 + 0.4 * score)
        for held in list(pool.held.values()):
            target = self._where_villages_went(held)
            pool.take([held], [])
            if target is None:
                self.items.append(_item(ItemType.TOWN_DISSOLUTION, [held], [], [
                    f"{held.name} ({held.code}) is not in the {self.release.year} release, "
                    "nor are its villages"], 0.7))
                continue
            row = next(r for r in self.release.towns if r.code == target)
            self.continues[held.unit_id] = target
            self.merged.add(held.unit_id)
            self.items.append(_item(ItemType.TOWN_MERGER, [held], [row], [
                f"{held.name} ({held.code}) is not in the {self.release.year} release; "
                f"its villages are listed under {row.name} ({row.code})"], 0.8))
        for row in pool.rows.values():
            self.items.append(_item(ItemType.TOWN_ESTABLISHMENT, [], [row], [
                f"{row.name} ({row.code}) is new in the {self.release.year} release"], 0.8))

    def _same_town(self, pool: _Pool, held: Held, row: Row, why: str, confidence: float) -> None:
        pool.take([held], [row])
        self.continues[held.unit_id] = row.code
        self._identity(held, row, why, confidence, moved=False)

    def _identity(self, held: Held, row: Row, why: str, confidence: float, *,
                  moved: bool) -> None:
        """The same unit goes on as ``row``: the item says what changed, if anything."""
        town = held.is_town
        if moved:
            kind = ItemType.MOVE
        elif held.stem != row.stem:
            kind = ItemType.TOWN_RENAME if town else ItemType.RENAME
        elif held.code != row.code:
            kind = ItemType.TOWN_RECODE if town else ItemType.RECODE
        elif held.kind_class != row.kind_class:
            kind = ItemType.RECLASSIFICATION
        elif held.name != row.name:
            kind = ItemType.TOWN_NAME_FORM if town else ItemType.NAME_FORM
        else:
            return
        evidence = [why, *_differences_in(held, row)]
        self.items.append(_item(kind, [held], [row], evidence, confidence))

    def _towns_by_villages(self, pool: _Pool) -> None:
        """A gone town and a new one that share most of their villages are one town."""
        release_villages: dict[str, set[str]] = defaultdict(set)
        for row in self.release.villages:
            if row.town_code in pool.rows:
                release_villages[row.town_code].update((row.code, row.stem))
        for held in list(pool.held.values()):
            mine = {v for h in self.villages if h.town_id == held.unit_id
                    for v in (h.code, h.stem) if v}
            if not mine:
                continue
            shared = {code: len(mine & names) for code, names in release_villages.items()
                      if code in pool.rows}
            best = max(shared, key=lambda c: shared[c], default=None)
            if best is not None and shared[best] * 2 >= len(mine):
                row = pool.rows[best]
                self._same_town(pool, held, row, f"most codes and names of its villages are "
                                                 f"listed under {row.name} ({row.code})", 0.75)

    def _where_villages_went(self, town: Held) -> str | None:
        mine = [h for h in self.villages if h.town_id == town.unit_id]
        by_code = {r.code: r for r in self.release.villages}
        by_stem: dict[str, Row] = {r.stem: r for r in self.release.villages}
        found: Counter[str] = Counter()
        for held in mine:
            row = by_code.get(held.code or "") or by_stem.get(held.stem)
            if row is not None and row.town_code is not None:
                found[row.town_code] += 1
        return found.most_common(1)[0][0] if found else None

    # -- Villages --------------------------------------------------------------

    def _expected_town(self, held: Held) -> str | None:
        assert held.town_id is not None
        return self.continues.get(held.town_id)

    def _match_villages(self) -> None:
        pool = _Pool({v.unit_id: v for v in self.villages},
                     {r.code: r for r in self.release.villages})
        self._apply_mapping(pool)
        for held, row in pool.same_codes():
            if held.stem == row.stem:
                self._same_village(pool, held, row, "the same code and stem", 1.0)
        for held, row in pool.pairs_by_stem():
            town = self._expected_town(held)
            where = "in the same town" if town == row.town_code else "in another town"
            self._same_village(pool, held, row, f"{held.name} ({held.code}) is listed {where} "
                                                f"as {row.name} under the new code {row.code}",
                               0.9 if town == row.town_code else 0.8)
        self._renames(pool)
        self._groups(pool)

    def _same_village(self, pool: _Pool, held: Held, row: Row, why: str,
                      confidence: float) -> None:
        pool.take([held], [row])
        if held.kind_class != row.kind_class:
            self.items.append(_item(ItemType.CONVERSION if held.kind is UnitKind.VILLAGE
                                    else ItemType.CONSOLIDATION, [held], [row], [
                why, f"{held.name} is a {held.kind_class}, {row.name} a {row.kind_class}"],
                confidence * 0.95))
            return
        moved = self._expected_town(held) != row.town_code or held.town_id in self.merged
        self._identity(held, row, why, confidence, moved=moved)

    def _renames(self, pool: _Pool) -> None:
        """Same code, another stem: renamed — unless nothing of the name stayed while
        the town is consolidated around it (then the code was reused)."""
        gone = Counter(self._expected_town(h) for h in pool.held.values())
        new = Counter(r.town_code for r in pool.rows.values())
        for held, row in pool.same_codes():
            score = likeness(held.stem, row.stem)
            busy = gone[row.town_code] > 1 and new[row.town_code] > 1
            if score == 0 and busy:
                continue
            self._same_village(pool, held, row, f"code {row.code} is now named {row.name}",
                               0.5 + 0.4 * score)

    def _groups(self, pool: _Pool) -> None:
        """What remains, town by town: linked mergers, then a consolidation."""
        gone: dict[str | None, list[Held]] = defaultdict(list)
        new: dict[str | None, list[Row]] = defaultdict(list)
        for held in pool.held.values():
            gone[self._expected_town(held)].append(held)
        for row in pool.rows.values():
            new[row.town_code].append(row)
        for town in sorted(gone.keys() | new.keys(), key=str):
            self._town_group(gone[town], new[town])

    def _town_group(self, gone: list[Held], new: list[Row]) -> None:
        links = {(h.unit_id, r.code): why for h in gone for r in new
                 if (why := _link_evidence(h, r))}
        linked_to: dict[UUID, set[str]] = defaultdict(set)
        linked_from: dict[str, set[UUID]] = defaultdict(set)
        for unit_id, code in links:
            linked_to[unit_id].add(code)
            linked_from[code].add(unit_id)
        by_id = {h.unit_id: h for h in gone}
        done_held: set[UUID] = set()
        done_rows: set[str] = set()
        for row in new:
            sources = linked_from.get(row.code, set())
            # Exact only when each source points at this row alone.
            if sources and all(linked_to[s] == {row.code} for s in sources):
                units = sorted((by_id[s] for s in sources), key=lambda h: h.code or "")
                reasons = [links[(u.unit_id, row.code)] for u in units]
                self.items.append(_succession(units, [row], reasons, 0.8, EXACT))
                done_held.update(sources)
                done_rows.add(row.code)
        rest_gone = [h for h in gone if h.unit_id not in done_held]
        rest_new = [r for r in new if r.code not in done_rows]
        if rest_gone and rest_new:
            # One side of one unit: every link is known; otherwise only the group is.
            group = len(rest_gone) > 1 and len(rest_new) > 1
            self.items.append(_succession(rest_gone, rest_new, [
                f"{len(rest_gone)} units gone and {len(rest_new)} new in the town"
                + ("; the release cannot say which went into which" if group else "")],
                0.5 if group else 0.6, GROUP if group else EXACT))
        elif rest_gone:
            for held in rest_gone:
                self.items.append(_item(ItemType.DISSOLUTION, [held], [], [
                    f"{held.name} ({held.code}) is not in the {self.release.year} release "
                    "and nothing new in its town continues it"], 0.7))
        else:
            for row in rest_new:
                self.items.append(_item(ItemType.ESTABLISHMENT, [], [row], [
                    f"{row.name} ({row.code}) is new in the {self.release.year} release "
                    "and nothing gone in its town precedes it"], 0.7))

    def _apply_mapping(self, pool: _Pool) -> None:
        """The county's own mapping is the most certain evidence there is."""
        by_successor: dict[str, list[Held]] = defaultdict(list)
        held_by_code = pool.by_code()
        for link in self.mapping:
            by_successor[link.successor_code].append(held_by_code[link.predecessor_code])
        for code, units in sorted(by_successor.items()):
            row = pool.rows[code]
            why = [f"the county's mapping: {u.code} → {code}" for u in units]
            if len(units) == 1:
                self._same_village(pool, units[0], row, why[0], 1.0)
            else:
                pool.take(units, [row])
                self.items.append(_succession(units, [row], why, 1.0, EXACT))


def _succession(units: list[Held], rows: list[Row], evidence: list[str], confidence: float,
                lineage: str) -> Item:
    """Several units into one row: 并 into a community, 合并村 into a village; anything
    else (communities among them, several rows) a consolidation."""
    if len(rows) == 1 and len(units) >= 2 and all(u.kind is UnitKind.VILLAGE for u in units):
        kind = rows[0].kind
        type_ = ItemType.VILLAGE_MERGER if kind is UnitKind.VILLAGE else ItemType.MERGER
        return _item(type_, units, rows, evidence, confidence, lineage)
    if len(rows) == 1 and len(units) == 1 and units[0].kind is UnitKind.VILLAGE \
            and rows[0].kind is not UnitKind.VILLAGE:
        return _item(ItemType.CONVERSION, units, rows, evidence, confidence, lineage)
    if len(units) == 1 and len(rows) == 1 and units[0].kind_class == rows[0].kind_class:
        evidence = [*evidence, *_differences_in(units[0], rows[0])]
        return _item(ItemType.RECODE if units[0].code != rows[0].code else ItemType.RENAME,
                     units, rows, evidence, confidence * 0.8)
    return _item(ItemType.CONSOLIDATION, units, rows, evidence, confidence, lineage)


def _link_evidence(held: Held, row: Row) -> str | None:
    if held.code == row.code:
        return f"{row.name} reuses the code of {held.name} ({held.code})"
    if len(held.stem) >= 2 and held.stem in row.name:
        return f"{row.name} ({row.code}) contains the name of {held.name} ({held.code})"
    if len(row.stem) >= 2 and row.stem in held.name:
        return f"{held.name} ({held.code}) contains the name of {row.name} ({row.code})"
    return None


def _differences_in(held: Held, row: Row) -> list[str]:
    found = []
    if held.code != row.code:
        found.append(f"code {held.code} → {row.code}")
    if held.name != row.name:
        found.append(f"name {held.name} → {row.name}")
    if held.kind_class != row.kind_class:
        found.append(f"kind {held.kind_class} → {row.kind_class}")
    return found


def propose(towns: Sequence[Held], villages: Sequence[Held], release: CountyRelease,
            mapping: Sequence[Link] = ()) -> list[Item]:
    """The items that turn the ledger's state (``towns``, ``villages``: the units
    active on the release's date, federations left out) into the release."""
    return _Matcher(list(towns), list(villages), release, mapping).run()


def require_mapping_fits(items: Sequence[Item], held: Sequence[Held],
                         mapping: Sequence[Link]) -> None:
    """A mapping names only units and rows the proposal is about, each predecessor once."""
    in_play_units = {u for i in items if not i.is_town for u in i.unit_ids}
    codes = {h.code for h in held if h.unit_id in in_play_units and h.code}
    rows = {r.code for i in items if not i.is_town for r in i.release_rows}
    errors: list[str] = []
    seen: set[str] = set()
    for n, link in enumerate(mapping, start=1):
        if link.predecessor_code not in codes:
            errors.append(f"line {n}: {link.predecessor_code} is not a unit this proposal "
                          "changes")
        if link.successor_code not in rows:
            errors.append(f"line {n}: {link.successor_code} is not a release row of this "
                          "proposal")
        if link.predecessor_code in seen:
            errors.append(f"line {n}: {link.predecessor_code} is mapped twice")
        seen.add(link.predecessor_code)
    if errors:
        raise MappingRefused(errors)


class MappingRefused(RuleRefused):
    def __init__(self, errors: list[str]):
        super().__init__(None, "; ".join(errors[:5]) + (" …" if len(errors) > 5 else ""))
        self.errors = errors


@dataclass(frozen=True)
class Difference:
    """One unit where the ledger and the release disagree (None: absent on that side)."""

    code: str | None
    expected: dict[str, Any] | None
    found: dict[str, Any] | None


def differences(towns: Sequence[Held], villages: Sequence[Held],
                release: CountyRelease) -> list[Difference]:
    """The ledger's state against the release: code, name, kind and parent town."""
    town_codes = {t.unit_id: t.code for t in towns}

    def found(h: Held) -> dict[str, Any]:
        return {"unit_id": str(h.unit_id), "name": h.name, "kind": h.kind_class,
                "town_code": None if h.town_id is None else town_codes.get(h.town_id)}

    def expected(r: Row) -> dict[str, Any]:
        return {"name": r.name, "kind": r.kind_class, "town_code": r.town_code}

    held: dict[str | None, list[Held]] = defaultdict(list)
    for h in (*towns, *villages):
        held[h.code].append(h)
    result: list[Difference] = []
    for row in (*release.towns, *release.villages):
        mine = held.pop(row.code, [])
        want = expected(row)
        if len(mine) == 1 and {k: v for k, v in found(mine[0]).items() if k != "unit_id"} == want:
            continue
        result.extend(Difference(row.code, want, found(h)) for h in mine)
        if not mine:
            result.append(Difference(row.code, want, None))
    for code, units in sorted(held.items(), key=lambda kv: str(kv[0])):
        result.extend(Difference(code, None, found(h)) for h in units)
    return result


def excluding(items: Sequence[Item], item_id: str, excluded: bool) -> list[Item]:
    return [replace(i, excluded=excluded) if i.item_id == item_id else i for i in items]
