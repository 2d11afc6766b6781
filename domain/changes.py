"""The record of one structural change (变更): its type, date, authority and reach.

Every write that changes the structure saves one ``Change`` together with the
unit and body events it caused, in one transaction; its id is the ``change_id`` every
one of those events carries, and the lineage (predecessors → successors) of a
conversion or merger is read from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.rules import Conflict, RuleRefused


class ChangeType:
    ESTABLISHMENT = "establishment"
    RENAME = "rename"
    MOVE = "move"
    DISSOLUTION = "dissolution"
    POPULATION = "population"
    PLAN = "plan"
    CONVERSION = "conversion"  # 转
    MERGER = "merger"  # 并
    FEDERATION = "federation"  # 联
    FEDERATION_JOIN = "federation_join"
    FEDERATION_LEAVE = "federation_leave"
    IMPORT = "import"
    BODY_ESTABLISHMENT = "body_establishment"
    BODY_ABOLITION = "body_abolition"
    APPOINTMENT = "appointment"  # 任职
    POST_END = "post_end"  # 免职
    REASSIGNMENT = "reassignment"  # 调任: one post ends, another starts, same day
    ASSESSMENT_CATALOGUE = "assessment_catalogue"  # 考核目录 adopted or revised (H7)
    ARRANGEMENT = "arrangement"  # 区街合一 / 区街统分 made (N7)
    ARRANGEMENT_END = "arrangement_end"
    # What a statistical release shows (DOMAIN.md §5, 4–6).
    VILLAGE_MERGER = "village_merger"  # 合并村: villages into a new, larger village
    CONSOLIDATION = "consolidation"  # villages of a town gone, new ones begun: group lineage
    RECODE = "recode"  # 重新编码: the same unit under a new code
    NAME_FORM = "name_form"  # only the committee suffix changed (村委会 → 村民委员会)
    RECLASSIFICATION = "reclassification"  # a town becomes another kind (撤镇设街道)
    TOWN_MERGER = "town_merger"  # a town ceases, its villages gone to another town
    TOWN_NAME_FORM = "town_name_form"
    TOWN_RENAME = "town_rename"
    TOWN_RECODE = "town_recode"
    TOWN_ESTABLISHMENT = "town_establishment"
    TOWN_DISSOLUTION = "town_dissolution"
    CROSSING = "crossing"  # units that went on in (or came from) another county

    # Changes a retraction cannot take back: they are corrected by a later change
    # (a revised catalogue, an arrangement ended).
    CORRECTED_FORWARD = (ASSESSMENT_CATALOGUE, ARRANGEMENT, ARRANGEMENT_END)
    RETRACTION = "retraction"  # 撤销: a change recorded by mistake no longer applies

    # Changes whose created units succeed the units they ended (lineage), when
    # the change does not list its successions itself (recorded before version 3).
    SUCCESSIONS = (CONVERSION, MERGER)


def release_source(year: int) -> str:
    """A change recorded from a statistical release says so: ``release:2019``."""
    return f"release:{year}"


@dataclass(frozen=True)
class Succession:
    """One step of lineage: ``successor`` continues ``predecessor``. ``group`` when
    the source cannot say which predecessor went into which successor (a
    consolidation known only from a release): every new unit then has the whole
    group as its predecessors."""

    predecessor_id: UUID
    successor_id: UUID
    group: bool = False

    def as_list(self) -> list[Any]:
        return [self.predecessor_id, self.successor_id, self.group]


@dataclass(frozen=True)
class Authority:
    """The authorising document (文件号), e.g. 温委办〔2011〕33号."""

    document_no: str
    issued_by: str | None = None
    issued_on: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Change(Aggregate):
    class Recorded(Aggregate.Created):
        type: str
        effective_date: date
        actor: str
        authority: dict[str, Any] | None
        created_unit_ids: list[UUID]
        affected_unit_ids: list[UUID]
        body_ids: list[UUID]  # the bodies it established or changed (since version 2)
        # Since version 3: where the change comes from (``release:2019``; None: the
        # county's own act) and its lineage, [predecessor, successor, group] each.
        source: str | None
        lineage: list[list[Any]]

        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["body_ids"] = []

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["source"] = None
            successions = state["type"] in ChangeType.SUCCESSIONS
            state["lineage"] = [
                [p, s, False] for p in state["affected_unit_ids"]
                for s in state["created_unit_ids"]
            ] if successions else []

    def __init__(
        self,
        type: str,  # noqa: A002 - the domain's word
        effective_date: date,
        actor: str,
        authority: dict[str, Any] | None,
        created_unit_ids: list[UUID],
        affected_unit_ids: list[UUID],
        body_ids: list[UUID],
        source: str | None,
        lineage: list[list[Any]],
    ):
        self.type = type
        self.source = source
        self.lineage = [Succession(UUID(str(p)), UUID(str(s)), bool(g)) for p, s, g in lineage]
        self.effective_date = effective_date
        self.actor = actor
        self.authority = authority
        self.created_unit_ids = list(created_unit_ids)
        self.affected_unit_ids = list(affected_unit_ids)
        self.body_ids = list(body_ids)
        self.retracted_by: UUID | None = None

    class Retracted(Aggregate.Event):
        """This change no longer applies, from the retraction's recorded time on."""

        retraction_id: UUID
        reason: str
        actor: str

        def apply(self, change: Change) -> None:
            change.retracted_by = self.retraction_id

    def retract(self, *, retraction_id: UUID, reason: str, actor: str, recorded_at: datetime) -> None:
        if self.retracted_by is not None:
            raise Conflict(None, f"change {self.id} is already retracted", [self.retracted_by])
        if self.type == ChangeType.RETRACTION:
            raise RuleRefused(None, "a retraction cannot be retracted; record the change again")
        if self.type in ChangeType.CORRECTED_FORWARD:
            raise RuleRefused(None, f"a {self.type} is corrected by a later change "
                                    "(revise the catalogue, end the arrangement), not retracted")
        self.trigger_event(self.Retracted, retraction_id=retraction_id, reason=reason,
                           actor=actor, timestamp=recorded_at)

    @property
    def units(self) -> list[UUID]:
        """Every unit the change touched: those it created, then the others."""
        return [*self.created_unit_ids, *self.affected_unit_ids]

    @classmethod
    def record(
        cls,
        *,
        change_id: UUID,
        type: str,  # noqa: A002
        effective_date: date,
        recorded_at: datetime,
        actor: str,
        authority: Authority | None,
        created_unit_ids: list[UUID],
        affected_unit_ids: list[UUID],
        body_ids: list[UUID],
        source: str | None = None,
        lineage: Sequence[Succession] = (),
    ) -> Change:
        return cls._create(
            cls.Recorded,
            id=change_id,
            type=type,
            effective_date=effective_date,
            actor=actor,
            authority=authority.as_dict() if authority else None,
            created_unit_ids=created_unit_ids,
            affected_unit_ids=affected_unit_ids,
            body_ids=body_ids,
            source=source,
            lineage=[s.as_list() for s in lineage],
            timestamp=recorded_at,
        )

    @property
    def recorded_at(self) -> datetime:
        return self.created_on
