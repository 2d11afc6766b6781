"""Posts (职务): appointments, their end and reassignments (调任), and a post as
bodies and people list it."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from domain.bodies import Role
from interfaces.http.schemas.common import Command, Day, Document, Flag, Strict, Text

ROLES = validate.OneOf([r.value for r in Role])


class Consented(Command):
    """A command on a post that may need the host town party committee's consent (H6)."""

    consent = Document()


class PostIn(Consented):
    person_id = fields.UUID(required=True)
    body_id = fields.UUID(required=True)
    role = fields.String(required=True, validate=ROLES)
    full_time = Flag(load_default=False)
    concurrent = Flag(load_default=False)
    consent = Document(metadata={
        "description": "H6: the host town party committee's written consent"})


class PostEndIn(Consented):
    effective_date = Day(required=True, metadata={"description": "first day no longer held"})
    reason = Text(validate=validate.Length(max=1000), allow_none=True, load_default=None)


class ReassignmentTarget(Strict):
    body_id = fields.UUID(required=True)
    role = fields.String(required=True, validate=ROLES)
    full_time = Flag()
    concurrent = Flag()


class ReassignmentIn(Consented):
    post_id = fields.UUID(required=True)
    to = fields.Nested(ReassignmentTarget, required=True)


class PostOut(Schema):
    id = fields.UUID()
    person_id = fields.UUID()
    person_name = fields.String(allow_none=True, metadata={"description": "null once erased"})
    person_erased = fields.Boolean()
    role = fields.String()
    full_time = fields.Boolean()
    concurrent = fields.Boolean()
    since = Day()
    until = Day(allow_none=True, metadata={"description": "first day no longer held"})
