"""People (工作人员) and the posts they hold on a date."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from domain.people import Rank, Source
from interfaces.http.schemas.common import Name, ReadAt, Strict
from interfaces.http.schemas.posts import PostOut


class PersonIn(Strict):
    name = Name(required=True)
    rank = fields.String(load_default=Rank.NONE.value,
                         validate=validate.OneOf([r.value for r in Rank]))
    source = fields.String(load_default=Source.OTHER.value,
                           validate=validate.OneOf([s.value for s in Source]))


class PersonOut(Schema):
    id = fields.UUID()
    name = fields.String(allow_none=True, metadata={"description": "null once erased"})
    rank = fields.String()
    source = fields.String()
    erased = fields.Boolean()


class PersonPostOut(PostOut):
    body_id = fields.UUID()
    unit_id = fields.UUID()


class PersonPostsOut(ReadAt):
    person_id = fields.UUID()
    items = fields.List(fields.Nested(PersonPostOut))
