"""The nine kinds of organisational unit (组织单元) and where each may hang."""

from __future__ import annotations

from enum import Enum


class Level(str, Enum):
    TOWN = "town"
    VILLAGE = "village"


class UnitKind(str, Enum):
    CENTRAL_TOWN = "central_town"  # 中心镇
    TOWN = "town"  # 镇
    TOWNSHIP = "township"  # 乡
    SUBDISTRICT = "subdistrict"  # 街道
    FUNCTIONAL_ZONE = "functional_zone"  # 都市型功能区
    VILLAGE = "village"  # 建制村
    URBAN_COMMUNITY = "urban_community"  # 城市社区
    RURAL_COMMUNITY = "rural_community"  # 农村社区
    FEDERATION = "federation"  # 农村联合居民社区 (联居)

    @property
    def level(self) -> Level:
        return Level.TOWN if self in TOWN_LEVEL else Level.VILLAGE

    @property
    def code_length(self) -> int:
        """Digits of the national statistical code for this level (9 or 12)."""
        return 9 if self.level is Level.TOWN else 12


TOWN_LEVEL = frozenset(
    {
        UnitKind.CENTRAL_TOWN,
        UnitKind.TOWN,
        UnitKind.TOWNSHIP,
        UnitKind.SUBDISTRICT,
        UnitKind.FUNCTIONAL_ZONE,
    }
)

# Communities a village may be planned into, by the change that realises the plan.
AREA_TYPES = frozenset(
    {UnitKind.URBAN_COMMUNITY, UnitKind.RURAL_COMMUNITY, UnitKind.FEDERATION}
)
