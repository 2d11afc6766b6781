"""The statistical releases, a county's reconciliations with them, the release check
and the change reports (API.md, "Releases and reconciliation")."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from application.reconciliation import APPLIED, PROPOSED
from domain.reconciliation import EXACT, GROUP, ItemType
from domain.releases import RELEASES
from interfaces.http.schemas.common import (
    AuthoritySchema,
    Counts,
    Day,
    Pattern,
    Strict,
    Window,
)

YEARS = validate.OneOf(sorted(RELEASES), error="one of the shipped releases: {choices}")
CODE = Pattern(r"^[0-9]{12}$")  # a village-level unit's statistical code


class ReleaseOut(Schema):
    year = fields.Integer()
    as_of = Day(metadata={"description": "the cut-off date (截止时间)"})
    published = Day(metadata={"description": "the publication date (发布时间)"})
    counties = fields.Integer()
    towns = fields.Integer()
    villages = fields.Integer()


class ReleaseList(Schema):
    items = fields.List(fields.Nested(ReleaseOut))


# -- Reconciliations ----------------------------------------------------------------


class ReconciliationIn(Strict):
    release = fields.Integer(required=True, strict=True, validate=YEARS)
    effective_date = Day(load_default=None, metadata={
        "description": "compare the ledger as of this date (default: the release's as_of)"})
    authority = fields.Nested(AuthoritySchema, load_default=None, metadata={
        "description": "the document the changes cite (default: the release itself)"})


class ReleaseRowOut(Schema):
    code = fields.String()
    name = fields.String()
    town_code = fields.String(allow_none=True)


class ItemOut(Schema):
    item_id = fields.String()
    type = fields.String(validate=validate.OneOf(ItemType.ORDER))
    unit_ids = fields.List(fields.UUID())
    release_rows = fields.List(fields.Nested(ReleaseRowOut))
    lineage = fields.String(validate=validate.OneOf([EXACT, GROUP]))
    evidence = fields.List(fields.String())
    confidence = fields.Float(metadata={"description": "0..1: how sure the inference is"})
    excluded = fields.Boolean()


class ItemPatch(Strict):
    excluded = fields.Boolean(required=True)


class MappingLine(Strict):
    predecessor_code = fields.String(required=True, validate=CODE)
    successor_code = fields.String(required=True, validate=CODE)


class ApplyOut(Schema):
    change_ids = fields.List(fields.UUID())
    matches_release = fields.Boolean()
    differences = fields.List(fields.Dict())


class ProposalOut(Schema):
    id = fields.UUID()
    release = fields.Integer()
    effective_date = Day()
    status = fields.String(validate=validate.OneOf([PROPOSED, APPLIED]))
    created_at = fields.DateTime()
    items = fields.List(fields.Nested(ItemOut))
    summary = Counts()
    mapping = fields.List(fields.Nested(MappingLine))
    result = fields.Nested(ApplyOut, allow_none=True)


class ProposalList(Schema):
    items = fields.List(fields.Nested(ProposalOut))


class CheckOut(Schema):
    release = fields.Integer()
    as_of = Day()
    matches = fields.Boolean()
    differences = fields.List(fields.Dict())


# -- Change reports -----------------------------------------------------------------


class ChangeWindow(Window):
    """The changes counted: effective after ``from``, up to and including ``to``."""


class YearCounts(Schema):
    year = fields.Integer()
    by_type = Counts()


class TownCounts(Schema):
    town_id = fields.UUID()
    name = fields.String(allow_none=True)
    code = fields.String(allow_none=True)
    total = fields.Integer()
    by_type = Counts()


class CountyCounts(Schema):
    code = fields.String()
    total = fields.Integer()
    by_type = Counts()


class WindowCounts(Schema):
    """What a change report counts, for a county or summed for a city."""

    from_ = Day(data_key="from")
    to = Day()
    total = fields.Integer()
    by_type = Counts()
    by_year = fields.List(fields.Nested(YearCounts))


class ChangeCountsOut(WindowCounts):
    by_town = fields.List(fields.Nested(TownCounts))


class CityChangeCountsOut(WindowCounts):
    by_county = fields.List(fields.Nested(CountyCounts))


class ReleaseVillages(Schema):
    release = fields.Integer()
    as_of = Day()
    counties = fields.Integer(metadata={"description": "counties with village-level units"})
    villages = fields.Integer(metadata={"description": "village-level units active on as_of"})
    gone = Counts(metadata={
        "description": "units ceased since the previous release, by the type of the change"})
    gone_total = fields.Integer()


class ProvinceVillagesOut(Schema):
    province = fields.String()
    items = fields.List(fields.Nested(ReleaseVillages))
