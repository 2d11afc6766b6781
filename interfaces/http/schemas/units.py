"""Units: the commands that establish, rename, move, dissolve them and record their
population; the unit, its tree, history, lineage and the diff between two dates."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from domain.kinds import UnitKind
from domain.reconciliation import EXACT, GROUP
from domain.units import ACTIVE
from interfaces.http.schemas.common import (
    DIGITS,
    Command,
    CursorPage,
    Dated,
    Day,
    Moment,
    Name,
    Page,
    ReadAt,
    Text,
    Window,
)

ALL = "all"  # the status filter that also lists planned and ceased units
KINDS = validate.OneOf([k.value for k in UnitKind])


class UnitQuery(Moment, Page):
    kind = fields.String(validate=KINDS, load_default=None)
    parent_id = fields.UUID(load_default=None)
    status = fields.String(validate=validate.OneOf([ACTIVE, ALL]), load_default=ACTIVE)
    q = Text(validate=validate.Length(min=1, max=100), load_default=None)


class DiffQuery(Window):
    known_at = fields.AwareDateTime(load_default=None)


# -- Commands ---------------------------------------------------------------------


class UnitIn(Command):
    kind = fields.String(required=True, validate=KINDS)
    name = Name(required=True)
    code = fields.String(validate=[validate.Length(min=9, max=12), DIGITS],
                         allow_none=True, load_default=None)
    parent_id = fields.UUID(allow_none=True, load_default=None)


class RenameIn(Command):
    name = Name(required=True)


class MoveIn(Command):
    parent_id = fields.UUID(required=True)


class DissolutionIn(Command):
    """The effective date is the unit's first day gone."""


COUNT = validate.Range(min=0, max=100_000_000)


class PopulationIn(Dated):
    households = fields.Integer(required=True, strict=True, validate=COUNT)
    residents = fields.Integer(strict=True, validate=COUNT, allow_none=True, load_default=None)
    floating = fields.Integer(required=True, strict=True, validate=COUNT)


# -- Reads ------------------------------------------------------------------------


class Population(Schema):
    households = fields.Integer(allow_none=True)
    residents = fields.Integer(allow_none=True)
    floating = fields.Integer(allow_none=True)


class BodyRef(Schema):
    id = fields.UUID()
    type = fields.String()
    name = fields.String()


class UnitOut(Schema):
    id = fields.UUID()
    kind = fields.String()
    name = fields.String()
    code = fields.String(allow_none=True)
    parent_id = fields.UUID(allow_none=True)
    status = fields.String()
    established_on = Day()
    ceased_on = Day(allow_none=True)
    federation_id = fields.UUID(allow_none=True)
    member_ids = fields.List(fields.UUID())
    plan_id = fields.UUID(allow_none=True)
    population = fields.Nested(Population)
    bodies = fields.List(fields.Nested(BodyRef))
    version = fields.Integer(allow_none=True)


class UnitPage(CursorPage):
    items = fields.List(fields.Nested(UnitOut))


class TreeNode(Schema):
    id = fields.UUID()
    kind = fields.String()
    name = fields.String()
    code = fields.String(allow_none=True)
    federation_id = fields.UUID(allow_none=True, metadata={"description": "a village's 联居 on the date"})
    children = fields.List(fields.Nested(lambda: TreeNode()))


class TreeOut(ReadAt):
    units = fields.List(fields.Nested(TreeNode))


class HistoryEntry(Schema):
    position = fields.Integer()
    type = fields.String()
    effective_date = Day()
    recorded_at = fields.DateTime()
    actor = fields.String()
    change_id = fields.UUID()
    data = fields.Dict()


class HistoryOut(Schema):
    unit_id = fields.UUID()
    known_at = fields.DateTime()
    items = fields.List(fields.Nested(HistoryEntry))


class LineageEntry(Schema):
    unit_id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    change_id = fields.UUID()
    change_type = fields.String()
    effective_date = Day()
    lineage = fields.String(validate=validate.OneOf([EXACT, GROUP]), metadata={
        "description": "group: the change (a consolidation known from a release) cannot say "
                       "which predecessor went into which successor"})
    tenant = fields.String(allow_none=True, metadata={
        "description": "the county the unit lives in, when it is another county's "
                       "(GET /v1/tenants/{tenant}/units/{unit_id}); null: this county"})


class LineageOut(Schema):
    unit_id = fields.UUID()
    predecessors = fields.List(fields.Nested(LineageEntry))
    successors = fields.List(fields.Nested(LineageEntry))


class DiffEntry(Schema):
    unit_id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    effective_date = Day()
    recorded_at = fields.DateTime()
    actor = fields.String()
    change_id = fields.UUID()


class DiffOut(Schema):
    from_ = Day(data_key="from")
    to = Day()
    known_at = fields.DateTime()
    established = fields.List(fields.Nested(DiffEntry))
    ceased = fields.List(fields.Nested(DiffEntry))
    renamed = fields.List(fields.Nested(DiffEntry))
    moved = fields.List(fields.Nested(DiffEntry))
    federated = fields.List(fields.Nested(DiffEntry))
    recoded = fields.List(fields.Nested(DiffEntry), metadata={
        "description": "units that took a new statistical code"})
    reclassified = fields.List(fields.Nested(DiffEntry), metadata={
        "description": "towns that became another kind (撤镇设街道 …)"})
