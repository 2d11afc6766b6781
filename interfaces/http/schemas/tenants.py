"""Tenants (counties), their keys and policy; city keys."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from domain.policy import ROUNDINGS
from interfaces.http.auth import COUNTY_ROLES
from interfaces.http.schemas.common import DIGITS, CursorPage, Day, Flag, Name, Strict, Text


class TenantIn(Strict):
    unlisted = fields.Boolean(load_default=False, metadata={
        "description": "a county that no division release lists (2016–2023): onboarded "
                       "only when this says so"})
    code = fields.String(required=True, validate=[validate.Length(equal=6), DIGITS], metadata={
        "description": "the county's code: one a division release lists (422 otherwise, "
                       "unless unlisted; then a province's two digits first, never ending "
                       "in 00)"})
    name = Name(required=True)
    city_code = fields.String(required=True, validate=[validate.Length(equal=4), DIGITS])


class TenantSummary(Schema):
    code = fields.String()
    name = fields.String()
    city_code = fields.String()


class TenantOut(TenantSummary):
    admin_key = fields.String()


class CountyCode(TenantSummary):
    from_ = Day(data_key="from", attribute="from", allow_none=True,
                metadata={"description": "null: from the start"})
    to = Day(allow_none=True, metadata={"description": "the first day it no longer held"})


class TenantDetail(TenantSummary):
    code = fields.String(metadata={"description": "its code now (or when it ended)"})
    codes = fields.List(fields.Nested(CountyCode))
    status = fields.String(validate=validate.OneOf(["active", "ended"]))
    ended_on = Day(allow_none=True)
    successor = fields.String(allow_none=True, metadata={
        "description": "the county that holds most of its units' names after it ended"})


class TenantPage(CursorPage):
    items = fields.List(fields.Nested(TenantSummary))


class KeyIn(Strict):
    role = fields.String(required=True, validate=validate.OneOf(COUNTY_ROLES))
    label = Text(validate=validate.Length(max=200), load_default=None)


class CityKeyIn(Strict):
    label = Text(validate=validate.Length(max=200), load_default=None)


class KeyOut(Schema):
    key_id = fields.String()
    key = fields.String()
    role = fields.String()
    label = fields.String(allow_none=True)


ROUNDING = validate.OneOf(list(ROUNDINGS))


class PolicyPatch(Strict):
    effective_date = Day(metadata={"description": "from when the change holds; default today"})
    plans_required = Flag()
    max_veto_items = fields.Integer(strict=True, validate=validate.Range(min=0, max=100))
    coverage_target = fields.Integer(strict=True, validate=validate.Range(min=0, max=100000))
    households_per_staff = fields.Integer(strict=True, validate=validate.Range(min=1, max=100000))
    households_rounding = fields.String(validate=ROUNDING)
    floating_per_staff = fields.Integer(strict=True, validate=validate.Range(min=1, max=1000000))
    floating_rounding = fields.String(validate=ROUNDING)
    minimum_staff = fields.Integer(strict=True, validate=validate.Range(min=0, max=1000))


class PolicyOut(Schema):
    as_of = Day()
    plans_required = fields.Boolean()
    max_veto_items = fields.Integer()
    coverage_target = fields.Integer()
    households_per_staff = fields.Integer()
    households_rounding = fields.String()
    floating_per_staff = fields.Integer()
    floating_rounding = fields.String()
    minimum_staff = fields.Integer()
