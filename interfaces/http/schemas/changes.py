"""Structural changes (转、并、联, federation joins and leaves), their record and
retraction, and plans."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from application.ledger import CommunitySpec
from domain.changes import ChangeType
from domain.kinds import AREA_TYPES
from interfaces.http.schemas.common import (
    DIGITS,
    Command,
    CursorPage,
    Day,
    Name,
    Page,
    Strict,
    Text,
)


class ChangeQuery(Page):
    from_ = Day(load_default=None, data_key="from")
    to = Day(load_default=None)
    type = Text(load_default=None, validate=validate.Length(max=40))


class CommunityIn(Strict):
    name = Name(required=True)
    code = fields.String(validate=[validate.Length(equal=12), DIGITS], allow_none=True, load_default=None)
    parent_id = fields.UUID(allow_none=True, load_default=None)

    @post_load
    def _spec(self, data: dict[str, Any], **_: Any) -> CommunitySpec:
        return CommunitySpec(**data)


VILLAGES = validate.Length(min=1, max=100)


class ChangeIn(Command):
    """One of the five structural changes; which fields apply depends on ``type``."""

    # The fields each type takes (and its ledger command takes, by these names).
    NEEDS = {
        ChangeType.CONVERSION: ("village_id", "community"),
        ChangeType.MERGER: ("village_ids", "community"),
        ChangeType.FEDERATION: ("village_ids", "federation"),
        ChangeType.FEDERATION_JOIN: ("federation_id", "village_id"),
        ChangeType.FEDERATION_LEAVE: ("federation_id", "village_id"),
    }
    OPTIONAL = {"type", "effective_date", "authority"}

    type = fields.String(required=True, validate=validate.OneOf(list(NEEDS)))
    village_id = fields.UUID()
    village_ids = fields.List(fields.UUID(), validate=VILLAGES)
    community = fields.Nested(CommunityIn)
    federation = fields.Nested(CommunityIn)
    federation_id = fields.UUID()

    @validates_schema
    def _fits_type(self, data: dict[str, Any], **_: Any) -> None:
        needs = self.NEEDS.get(data.get("type", ""))
        if needs is None:
            return
        errors: dict[str, list[str]] = {}
        for name in needs:
            if name not in data:
                errors[name] = [f"required for a {data['type']}"]
        for name in set(data) - set(needs) - self.OPTIONAL:
            errors[name] = [f"not part of a {data['type']}"]
        if errors:
            raise ValidationError(errors)


class ChangeOut(Schema):
    change_id = fields.UUID()
    type = fields.String()
    effective_date = Day()
    recorded_at = fields.DateTime()
    actor = fields.String()
    authority = fields.Dict(allow_none=True)
    created_unit_ids = fields.List(fields.UUID())
    affected_unit_ids = fields.List(fields.UUID())
    retracted_at = fields.DateTime(allow_none=True)
    retracted_by = fields.UUID(allow_none=True, metadata={"description": "the retraction's change id"})
    retraction_reason = fields.String(allow_none=True)
    source = fields.String(allow_none=True, metadata={
        "description": "release:<year> when a statistical release showed the change; "
                       "null for the county's own acts"})


class RetractionIn(Strict):
    reason = Text(required=True, validate=validate.Length(min=1, max=1000))


class ChangePage(CursorPage):
    items = fields.List(fields.Nested(ChangeOut))


class PlanIn(Command):
    area_type = fields.String(
        required=True, validate=validate.OneOf(sorted(k.value for k in AREA_TYPES))
    )
    name = Name(required=True)
    village_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=1000))
