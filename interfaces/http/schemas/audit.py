"""Audit: the hash chain's verification and the replay of a county's events."""

from __future__ import annotations

from marshmallow import Schema, fields

from interfaces.http.schemas.common import Day, Strict


class VerificationOut(Schema):
    ok = fields.Boolean()
    events_checked = fields.Integer()
    head = fields.String(allow_none=True, metadata={"description": "hex of the last link"})
    first_bad_position = fields.Integer(allow_none=True)
    head_position = fields.Integer(allow_none=True)


class ReplayIn(Strict):
    as_of = Day(load_default=None)
    known_at = fields.AwareDateTime(load_default=None)


class ReplayOut(Schema):
    events_replayed = fields.Integer()
    units_compared = fields.Integer()
    matches = fields.Boolean()
    differences = fields.List(fields.Dict())
