"""Bodies (机构) of units, and the roster of a unit on a date."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from domain.bodies import ASSESSMENT_MODES, DESIGN_UNIFICATIONS, BodyType
from interfaces.http.schemas.common import Command, Day, Name, ReadAt, Text
from interfaces.http.schemas.posts import PostOut


class BodyIn(Command):
    """A body of a unit; a dispatched agency and a service centre carry their own facts."""

    TYPE_FIELDS = {
        BodyType.DISPATCHED_AGENCY.value: {"department", "assessment_mode"},
        BodyType.SERVICE_CENTRE.value: {"hall_area", "windows", "unifications"},
    }
    REQUIRED = {BodyType.DISPATCHED_AGENCY.value: {"department", "assessment_mode"}}

    type = fields.String(required=True, validate=validate.OneOf([t.value for t in BodyType]))
    name = Name(allow_none=True, load_default=None)
    department = Text(validate=validate.Length(min=1, max=200),
                      metadata={"description": "the county department (县职能部门) that owns it"})
    assessment_mode = fields.String(validate=validate.OneOf(ASSESSMENT_MODES))
    hall_area = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000),
                               metadata={"description": "the service hall's area in m²"})
    windows = fields.List(Text(validate=validate.Length(min=1, max=50)),
                          validate=validate.Length(max=100))
    unifications = fields.List(fields.String(validate=validate.OneOf(DESIGN_UNIFICATIONS)),
                               validate=validate.Length(max=len(DESIGN_UNIFICATIONS)))

    @validates_schema
    def _type_fields(self, data: dict[str, Any], **_: Any) -> None:
        allowed = self.TYPE_FIELDS.get(data.get("type", ""), set())
        errors = {name: [f"not part of a {data.get('type')}"]
                  for name in set().union(*self.TYPE_FIELDS.values()) - allowed if name in data}
        errors.update({name: ["required for this type of body"]
                       for name in self.REQUIRED.get(data.get("type", ""), set())
                       if name not in data})
        if errors:
            raise ValidationError(errors)


class AbolitionIn(Command):
    """The effective date is the body's (or arrangement's) first day gone."""


class BodyOut(Schema):
    id = fields.UUID()
    unit_id = fields.UUID()
    type = fields.String()
    name = fields.String()
    attributes = fields.Dict()
    established_on = Day()
    abolished_on = Day(allow_none=True)
    posts = fields.List(fields.Nested(PostOut))


class RosterOut(ReadAt):
    unit_id = fields.UUID()
    bodies = fields.List(fields.Nested(BodyOut))
