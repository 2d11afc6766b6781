"""Names as the statistical releases write them: kinds, stems and name forms.

A village-level name is a stem and a committee suffix (瓦窑村 + 村民委员会); the
bureau changes its conventions for the suffix from one release to the next
(2018→2019: 21,611 村委会 → 村民委员会), which is a change of *name form*, not
a rename. A town-level name drifts the same way (…街道办事处 → …街道). The
tables below are the equivalences, kept as data next to the functions that use
them and tested on the real pairs (``tests/domain/test_names.py``).
"""

from __future__ import annotations

from functools import lru_cache

from domain.kinds import Level, UnitKind

# Committee suffixes of a village-level name, longest first so that 村民委员会 is
# cut whole and not as 村 + 民委员会. Each maps to the kind it marks.
VILLAGE_SUFFIXES: tuple[tuple[str, UnitKind], ...] = (
    ("社区居民委员会", UnitKind.URBAN_COMMUNITY),
    ("嘎查村民委员会", UnitKind.VILLAGE),
    ("嘎查委员会", UnitKind.VILLAGE),
    ("村民委员会", UnitKind.VILLAGE),
    ("社区居委会", UnitKind.URBAN_COMMUNITY),
    ("居民委员会", UnitKind.URBAN_COMMUNITY),
    ("嘎查村委会", UnitKind.VILLAGE),
    ("村委会", UnitKind.VILLAGE),
    ("居委会", UnitKind.URBAN_COMMUNITY),
    ("生活区", UnitKind.URBAN_COMMUNITY),
    ("村委", UnitKind.VILLAGE),
    ("社区", UnitKind.URBAN_COMMUNITY),
    ("居委", UnitKind.URBAN_COMMUNITY),
    ("嘎查", UnitKind.VILLAGE),  # a village of Inner Mongolia
    ("村", UnitKind.VILLAGE),
)

# Town-level suffixes that are forms of one another (a sub-district's office is
# the sub-district): cut before comparing. 镇 and 乡 are not forms: they name
# the kind, and a 镇 that becomes a 街道 is reclassified (撤镇设街道).
TOWN_FORMS = ("街道办事处", "街道办", "办事处", "街道")
TOWN_KINDS = (
    ("街道办事处", UnitKind.SUBDISTRICT), ("街道办", UnitKind.SUBDISTRICT),
    ("街道", UnitKind.SUBDISTRICT), ("镇", UnitKind.TOWN), ("乡", UnitKind.TOWNSHIP),
    ("苏木", UnitKind.TOWNSHIP),
)
TOWN_KIND_WORDS = ("镇", "乡", "苏木")


def village_kind(name: str) -> UnitKind:
    """A village-level name's kind: an administrative village (村委会, 村民委员会, 村,
    嘎查) or a community (社区, 居委会, 生活区 …). The releases cannot tell an urban
    from a rural community; every community they list is taken as urban."""
    for suffix, kind in VILLAGE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return kind
    return UnitKind.URBAN_COMMUNITY


def town_kind(name: str) -> UnitKind:
    for suffix, kind in TOWN_KINDS:
        if name.endswith(suffix):
            return kind
    # 开发区, 工业园区, 农场, 管委会 …: zones run by a management committee.
    return UnitKind.FUNCTIONAL_ZONE


def village_stem(name: str) -> str:
    """The name without its committee suffix: 瓦窑村民委员会 → 瓦窑. Cut twice, so
    that 张仪村村委会 and 张仪村 (2018 → 2019) have one stem."""
    for _ in range(2):
        for suffix, _kind in VILLAGE_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                break
    return name


def town_stem(name: str) -> str:
    """The name without the forms of its office or kind: 莘塍街道办事处 → 莘塍,
    塘下镇 → 塘下."""
    for suffix in (*TOWN_FORMS, *TOWN_KIND_WORDS):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@lru_cache(maxsize=200_000)
def stem(name: str, *, town: bool) -> str:
    """Matching compares each name with many: computed once per name."""
    return town_stem(name) if town else village_stem(name)


def kind_of(name: str, *, town: bool) -> UnitKind:
    return town_kind(name) if town else village_kind(name)


# A central town is a designation of the opinion, not of the bureau: releases list a town.
_RELEASED_AS = {UnitKind.CENTRAL_TOWN: UnitKind.TOWN}


def kind_class(kind: UnitKind) -> str:
    """What a release can say of a kind: a town-level kind itself; at the village
    level only village or community (urban and rural look alike; a federation
    is not listed)."""
    if kind.level is Level.VILLAGE:
        return "village" if kind is UnitKind.VILLAGE else "community"
    return _RELEASED_AS.get(kind, kind).value


def likeness(a: str, b: str) -> float:
    """Shared characters of two stems, 0..1 (Dice's coefficient over characters):
    the evidence that a new name continues an old one."""
    if not a or not b:
        return 0.0
    shared = sum(min(a.count(c), b.count(c)) for c in set(a))
    return 2 * shared / (len(a) + len(b))
