"""The rows of a county's read views, typed from the query to the serializer.

The storage fills them from its tables; the audit builds the same types from
the replayed aggregates, so that a view and a replay compare field by field.
Rows read by the thousand where speed counts (the tree, what the audit
compares) are named tuples, a roster's posts plain tuples (decision 20); the
others are frozen dataclasses. Field names are the names the API answers with.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, NamedTuple
from uuid import UUID

from domain.assessment import Item
from domain.units import Facts

# -- Units -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitRow:
    """A unit's facts during one interval of its timeline: the columns of a row
    of the units view, in order, before its valid and recorded times."""

    unit_id: UUID
    kind: str
    code: str | None
    status: str
    name: str
    parent_id: UUID | None
    federation_id: UUID | None
    plan_id: UUID | None
    households: int | None
    residents: int | None
    floating: int | None
    established_on: date
    ceased_on: date | None

    @classmethod
    def of(cls, unit_id: UUID, facts: Facts) -> UnitRow:
        """The row a unit's facts make."""
        return cls(*cls.columns_of(unit_id, facts))

    @staticmethod
    def columns_of(unit_id: UUID, facts: Facts) -> tuple[Any, ...]:
        """The row a unit's facts make, as its columns in order (``UNIT_COLUMNS``): the
        one mapping of the domain's facts to the views. The writer inserts them and
        the audit compares them as they are, with no ``UnitRow`` built in between."""
        population = facts.population
        return (
            unit_id, facts.kind.value, facts.code, facts.status, facts.name, facts.parent_id,
            facts.federation_id, facts.plan_id,
            population.households if population else None,
            population.residents if population else None,
            population.floating if population else None,
            facts.established_on, facts.ceased_on,
        )

    def columns(self) -> tuple[Any, ...]:
        return (self.unit_id, self.kind, self.code, self.status, self.name, self.parent_id,
                self.federation_id, self.plan_id, self.households, self.residents,
                self.floating, self.established_on, self.ceased_on)


UNIT_COLUMNS = tuple(f.name for f in fields(UnitRow))


class Member(NamedTuple):
    """A village working under a federation on the date, with its population."""

    unit_id: UUID
    households: int | None
    residents: int | None
    floating: int | None


@dataclass(frozen=True, slots=True)
class BodyRow:
    """A body of a unit, as the bodies view holds it."""

    id: UUID
    unit_id: UUID
    type: str
    name: str
    attributes: dict[str, Any]
    established_on: date
    abolished_on: date | None

    def columns(self) -> tuple[Any, ...]:
        return (self.id, self.unit_id, self.type, self.name, self.attributes,
                self.established_on, self.abolished_on)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitOnDate(UnitRow):
    """A unit as the reads show it on a date: its row, its bodies then, a
    federation's member villages (None: not a federation), and its version as
    known then (read for one unit alone)."""

    bodies: list[BodyRow]
    members: list[Member] | None
    version: int | None = None


class TreeRow(NamedTuple):
    """A unit in the tree, its ids as text, ready for JSON."""

    id: str
    kind: str
    name: str
    parent_id: str | None
    code: str | None
    federation_id: str | None


class HeldRow(NamedTuple):
    """What a reconciliation compares with a release, and nothing more."""

    unit_id: UUID
    kind: str
    code: str | None
    name: str
    parent_id: UUID | None


class BegunOrCeased(NamedTuple):
    """A unit established or ceased on a date."""

    unit_id: UUID
    kind: str
    name: str
    status: str


# -- What happened -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A recorded event that touched a unit."""

    position: int
    type: str
    effective_date: date
    recorded_at: datetime
    actor: str
    change_id: UUID
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class UnitEvent:
    """A history entry of some unit, named as the unit was then: what a diff lists."""

    unit_id: UUID
    type: str
    name: str
    kind: str
    effective_date: date
    change_id: UUID
    recorded_at: datetime
    actor: str


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """A recorded change, and its retraction if one came."""

    change_id: UUID
    position: int
    type: str
    effective_date: date
    recorded_at: datetime
    actor: str
    authority: dict[str, Any] | None
    created_unit_ids: list[str]
    affected_unit_ids: list[str]
    retracted_at: datetime | None
    retracted_by: UUID | None
    retraction_reason: str | None
    source: str | None


@dataclass(frozen=True, slots=True)
class LineageEntry:
    """A predecessor or successor of a unit, through one change."""

    unit_id: UUID
    name: str
    kind: str
    change_id: UUID
    change_type: str
    effective_date: date
    lineage: str  # "exact", or "group": the change cannot say which went where
    tenant: str | None  # another county's unit; None: this county's


@dataclass(frozen=True, slots=True)
class Lineage:
    predecessors: list[LineageEntry]
    successors: list[LineageEntry]


# -- Staffing and norms ----------------------------------------------------------


class PostRow(NamedTuple):
    """A post held on a date, with its holder's name (None once erased), as a body
    or a person lists it; its ids as text."""

    body_id: str
    id: str
    person_id: str
    person_name: str | None
    person_erased: bool
    role: str
    full_time: bool
    concurrent: bool
    since: date
    until: date | None  # the first day no longer held
    unit_id: str


# A post held on a date as a roster reads it: PostRow's fields but the last (the
# unit, the roster's), in order, unnamed. A town's roster runs to thousands of
# posts, unpacked by position on their way to JSON: a named tuple made of each
# cost 6 M instructions a request, a sixth of the roster's Python (decision 20).
RosterPost = tuple[str, str, str, str | None, bool, str, bool, bool, date, date | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffedBody(BodyRow):
    """A body with the posts held in it on a date."""

    posts: list[PostRow]


@dataclass(frozen=True, slots=True)
class UnitRoster:
    """A unit's bodies on a date and the posts held in them then, in the order the
    posts began: one list for the unit, which whoever shows it groups by body as it
    goes."""

    unit_id: UUID
    bodies: list[BodyRow]
    posts: list[RosterPost]


@dataclass(frozen=True, slots=True)
class PersonRow:
    id: UUID
    name: str | None
    rank: str
    source: str
    erased: bool
    registered_at: datetime
    erased_at: datetime | None


@dataclass(frozen=True, slots=True)
class CatalogueRow:
    """A town's assessment catalogue for a year, the version in force on a date."""

    id: UUID
    town_id: UUID
    year: int
    since: date
    items: list[dict[str, Any]]


# -- What the audit compares, view against replay ------------------------------


class ExistingBody(NamedTuple):
    body_id: UUID
    unit_id: UUID
    type: str
    name: str


class HeldPost(NamedTuple):
    post_id: UUID
    body_id: UUID
    person_id: UUID
    role: str
    full_time: bool
    concurrent: bool
    since: date
    until: date | None


class LineageEdge(NamedTuple):
    predecessor_id: UUID
    successor_id: UUID
    change_id: UUID


# -- In force on a date: what the reports read and the audit compares -----------


class ArrangementInForce(NamedTuple):
    arrangement_id: UUID
    zone_id: UUID
    subdistrict_id: UUID
    mode: str


class CatalogueInForce(NamedTuple):
    town_id: UUID
    year: int
    items: tuple[Item, ...]
