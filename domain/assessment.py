"""A town's annual assessment catalogue (考核目录) and the rule that bounds it (H7).

The opinion (三(二)3) asks for assessment suited to the town's functions: "每年根据
上级党委、政府的中心工作和中心镇职能……制定相应的考核评价内容,进行针对性考核。不属于中心镇
职能范围的事项,不得列入考核;县(市、区)职能部门职能范围内的事项,不得转嫁到中心镇考核;严格
控制对中心镇考核的'一票否决'事项。" and "功能区(街道)……参照执行".

One catalogue per town-level unit and year; its id is derived from both, so two
writers adopting the same town's catalogue for the same year collide on it.
Revisions are dated events, so the catalogue in force on any date is answerable.
``h7_findings`` re-checks items without refusing, for a report that asks whether
a catalogue adopted under one cap still holds under a later, lower one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.kinds import Level, UnitKind
from domain.rules import Conflict, RuleRefused
from domain.stamped import Stamp, StampedAggregate
from domain.units import Unit

# 二(一)2: 中心镇的主要职能。"促进经济发展、加强社会管理、强化公共服务、推进基层民主,
# 突出基层社会管理职能。" Towns and townships alike; 街道根据有关规定参照执行.
TOWN_FUNCTIONS: dict[str, str] = {
    "economic_development": "促进经济发展",
    "social_management": "加强社会管理",
    "public_services": "强化公共服务",
    "grassroots_democracy": "推进基层民主",
}

# 二(二)2: 都市型功能区的主要职能。"集中承担经济发展、城市建设、统筹协调等职责。"
ZONE_FUNCTIONS: dict[str, str] = {
    "economic_development": "经济发展",
    "urban_construction": "城市建设",
    "coordination": "统筹协调",
}

# The kinds that carry TOWN_FUNCTIONS (中心镇、镇、乡, and 街道 参照执行).
TOWN_FUNCTION_KINDS = frozenset(
    {UnitKind.CENTRAL_TOWN, UnitKind.TOWN, UnitKind.TOWNSHIP, UnitKind.SUBDISTRICT})

CATALOGUE_NAMESPACE = uuid5(NAMESPACE_URL, "grassroots-ledger:assessment-catalogue")


def functions_of(kind: UnitKind) -> frozenset[str]:
    """The functions (职能) a unit of ``kind`` may be assessed on.

    中心镇/镇/乡/街道: 促进经济发展、加强社会管理、强化公共服务、推进基层民主;
    都市型功能区: 经济发展、城市建设、统筹协调; a village-level unit: none.
    """
    if kind in TOWN_FUNCTION_KINDS:
        return frozenset(TOWN_FUNCTIONS)
    if kind is UnitKind.FUNCTIONAL_ZONE:
        return frozenset(ZONE_FUNCTIONS)
    return frozenset()


def catalogue_id(town_id: UUID, year: int) -> UUID:
    """The id of ``town_id``'s catalogue for ``year``: the same on every call."""
    return uuid5(CATALOGUE_NAMESPACE, f"{town_id}:{year}")


@dataclass(frozen=True)
class Item:
    """One assessment item (考核事项).

    ``function`` is the town function it assesses; ``veto`` marks a one-vote-veto
    item (一票否决); ``department`` names the county department (e.g. "县国土资源局")
    when the item is that department's own function — which H7 forbids (不得转嫁).
    """

    title: str
    function: str
    veto: bool = False
    department: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Item:
        return cls(title=data["title"], function=data["function"],
                   veto=bool(data.get("veto", False)), department=data.get("department"))

    @property
    def shifted_from_department(self) -> bool:
        """A county department's own function (a blank name counts as none)."""
        return bool(self.department and self.department.strip())


def _named(items: Iterable[Item]) -> str:
    return _quoted(item.title for item in items)


def _quoted(titles: Iterable[str]) -> str:
    return "、".join(f"「{title}」" for title in titles)


def h7_findings(items: Iterable[Item], kind: UnitKind, max_veto_items: int) -> list[str]:
    """What in ``items`` breaks H7 for a unit of ``kind`` under a cap of
    ``max_veto_items`` veto items; empty when nothing does. Never refuses.

    A negative cap is read as 0.
    """
    items = list(items)
    findings: list[str] = []
    if kind.level is not Level.TOWN:
        findings.append(f"a {kind.value} is not a town-level unit: only towns, "
                        "sub-districts and functional zones keep an assessment catalogue")
    if not items:
        findings.append("an assessment catalogue has at least one item")
    allowed = functions_of(kind)
    outside = [item for item in items if item.function not in allowed]
    if outside and kind.level is Level.TOWN:
        functions = ", ".join(sorted(allowed))
        findings.append(
            f"{_named(outside)} assess functions outside a {kind.value}'s ({functions}): "
            "不属于中心镇职能范围的事项,不得列入考核")
    shifted = [item for item in items if item.shifted_from_department]
    if shifted:
        departments = "、".join(sorted({item.department or "" for item in shifted}))
        findings.append(
            f"{_named(shifted)} are the own functions of {departments}: "
            "县(市、区)职能部门职能范围内的事项,不得转嫁到中心镇考核")
    vetoes = [item for item in items if item.veto]
    cap = max(max_veto_items, 0)
    if len(vetoes) > cap:
        findings.append(
            f"{len(vetoes)} one-vote-veto items ({_named(vetoes)}) exceed the cap of {cap}: "
            "严格控制对中心镇考核的'一票否决'事项")
    counts = Counter(item.title.strip() for item in items)
    twice = sorted(title for title, n in counts.items() if n > 1)
    if twice:
        findings.append(f"{_quoted(twice)} are listed more than once")
    return findings


def _require_titles(items: list[Item]) -> None:
    if any(not isinstance(item.title, str) or not item.title.strip() for item in items):
        raise RuleRefused(None, "every assessment item needs a title")


@dataclass(frozen=True)
class Version:
    """The catalogue's items from ``since`` on, as set by one change."""

    since: date
    items: tuple[Item, ...]
    change_id: UUID


class AssessmentCatalogue(StampedAggregate):
    """A town-level unit's assessment catalogue for one year (年度考核目录)."""

    class Event(StampedAggregate.Event):
        """A fact of the catalogue."""

    @classmethod
    def adopt(
        cls, *, town: Unit, year: int, items: list[Item], max_veto_items: int, stamp: Stamp,
    ) -> AssessmentCatalogue:
        if town.kind.level is not Level.TOWN:
            raise RuleRefused(
                "H7", f"a {town.kind.value} is not a town-level unit: only towns, "
                      "sub-districts and functional zones keep an assessment catalogue")
        town.require_not_void()
        town.require_open_on(stamp.effective_date, f"adopt the {year} assessment catalogue of")
        cls._require_h7(items, town.kind, max_veto_items)
        return cls._create_stamped(
            cls.Adopted, stamp,
            id=catalogue_id(town.id, year),
            town_id=town.id,
            town_kind=town.kind.value,
            year=year,
            items=[item.to_dict() for item in items],
        )

    class Adopted(Aggregate.Created, Event):
        town_id: UUID
        town_kind: str
        year: int
        items: list[dict[str, Any]]

    def __init__(
        self, effective_date: date, change_id: UUID, actor: str, town_id: UUID,
        town_kind: str, year: int, items: list[dict[str, Any]],
    ):
        self.town_id = town_id
        # A unit's kind never changes, so revisions are checked against this one.
        self.town_kind = UnitKind(town_kind)
        self.year = year
        self.adopted_on = effective_date
        self.adopted_by = change_id
        self.versions: list[Version] = [
            Version(effective_date, tuple(Item.from_dict(i) for i in items), change_id)]

    def revise(
        self, items: list[Item], max_veto_items: int, stamp: Stamp, *,
        town: Unit | None = None,
    ) -> None:
        """Replace the items from ``stamp.effective_date`` on. Given the ``town``,
        also check that it is the catalogue's and open on that date."""
        day = stamp.effective_date
        if day < self.adopted_on:
            raise Conflict(None, f"the {self.year} catalogue is adopted only on "
                                 f"{self.adopted_on}", [self.adopted_by])
        latest = self.versions[-1]
        if day < latest.since:
            raise Conflict(None, f"the {self.year} catalogue is already revised with effect "
                                 f"from {latest.since}", [latest.change_id])
        if town is not None:
            if town.id != self.town_id:
                raise RuleRefused(None, f"the catalogue {self.id} is not {town.id}'s")
            town.require_not_void()
            town.require_open_on(day, f"revise the {self.year} assessment catalogue of")
        self._require_h7(items, self.town_kind, max_veto_items)
        self._record(self.Revised, stamp, items=[item.to_dict() for item in items])

    class Revised(Event):
        items: list[dict[str, Any]]

        def apply(self, catalogue: AssessmentCatalogue) -> None:
            catalogue.versions.append(Version(
                self.effective_date, tuple(Item.from_dict(i) for i in self.items),
                self.change_id))

    # -- Reading -------------------------------------------------------------

    @property
    def items(self) -> list[Item]:
        """The items of the latest version."""
        return list(self.versions[-1].items)

    @staticmethod
    def _require_h7(items: list[Item], kind: UnitKind, max_veto_items: int) -> None:
        items = list(items)
        _require_titles(items)
        findings = h7_findings(items, kind, max_veto_items)
        if findings:
            raise RuleRefused("H7", "; ".join(findings))
