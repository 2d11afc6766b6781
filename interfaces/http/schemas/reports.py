"""Reports on the norms: coverage (N6), staffing (N3), arrangements (N7), compliance,
and the rule catalogue."""

from __future__ import annotations

from marshmallow import Schema, fields

from interfaces.http.schemas.common import ReadAt


class CoveredOut(Schema):
    urban_community = fields.Integer()
    rural_community = fields.Integer()
    federation = fields.Integer()


class CoverageOut(ReadAt):
    villages = fields.Integer()
    covered = fields.Nested(CoveredOut)
    uncovered = fields.Integer()
    coverage_ratio = fields.Float()
    rural_communities = fields.Integer()
    target = fields.Integer()
    counties = fields.List(fields.String(), metadata={"description": "city view: the counties summed"})


class StaffingItem(Schema):
    federation_id = fields.UUID()
    name = fields.String()
    households = fields.Integer()
    floating = fields.Integer()
    quota = fields.Integer()
    full_time_staff = fields.Integer()
    shortfall = fields.Integer()


class StaffingOut(ReadAt):
    items = fields.List(fields.Nested(StaffingItem))


class FindingOut(Schema):
    rule = fields.String()
    severity = fields.String(metadata={"description": "error (a hard rule) or warning (a norm)"})
    unit_id = fields.UUID(allow_none=True)
    message = fields.String()
    message_zh = fields.String()
    clause = fields.String(metadata={"description": "where in the policy text"})
    figures = fields.Dict()


class ComplianceOut(ReadAt):
    findings = fields.List(fields.Nested(FindingOut))


class ArrangementItem(Schema):
    arrangement_id = fields.UUID()
    zone_id = fields.UUID()
    subdistrict_id = fields.UUID()
    mode = fields.String()
    label = fields.String()
    leadership_in_place = fields.Boolean()
    figures = fields.Dict()


class ArrangementsOut(ReadAt):
    items = fields.List(fields.Nested(ArrangementItem))


class RuleOut(Schema):
    id = fields.String()
    kind = fields.String()
    severity = fields.String()
    title = fields.String()
    title_zh = fields.String()
    clause = fields.String()
    text_zh = fields.String()


class RulesOut(Schema):
    items = fields.List(fields.Nested(RuleOut))
