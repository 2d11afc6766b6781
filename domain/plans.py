"""Plans (规划): dated records that place villages in a community area.

"Plan first, then implement" (先规划后落实): a conversion, merger or federation
must fit the plan in force on its effective date when the county's policy
requires it (H3). Adopting a plan places each of its villages in it.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kinds import AREA_TYPES, UnitKind
from domain.rules import RuleRefused


class Plan(Aggregate):
    class Adopted(Aggregate.Created):
        area_type: str
        name: str
        village_ids: list[UUID]
        effective_date: date
        change_id: UUID

    def __init__(
        self,
        area_type: str,
        name: str,
        village_ids: list[UUID],
        effective_date: date,
        change_id: UUID,
    ):
        self.area_type = UnitKind(area_type)
        self.name = name
        self.village_ids = list(village_ids)
        self.effective_date = effective_date
        self.change_id = change_id

    @classmethod
    def adopt(
        cls,
        *,
        area_type: UnitKind,
        name: str,
        village_ids: list[UUID],
        effective_date: date,
        change_id: UUID,
        recorded_at: datetime,
    ) -> Plan:
        if area_type not in AREA_TYPES:
            raise RuleRefused("H3", f"a plan places villages in a community area, not a {area_type.value}")
        if not village_ids:
            raise RuleRefused("H3", "a plan places at least one village")
        if len(set(village_ids)) != len(village_ids):
            raise RuleRefused("H3", "a plan names a village twice")
        return cls._create(
            cls.Adopted,
            area_type=area_type.value,
            name=name,
            village_ids=village_ids,
            effective_date=effective_date,
            change_id=change_id,
            timestamp=recorded_at,
        )
