"""The county's event feed: its pages, its stream, the CloudEvents it carries, and
how far the read views are behind it."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from interfaces.http.schemas.common import Day, Lenient, Text

POSITION = validate.Range(min=0, max=2**62)
TYPES = validate.Length(min=1, max=2000)


class EventQuery(Lenient):
    after = fields.Integer(load_default=0, validate=POSITION)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    types = Text(load_default=None, validate=TYPES,
                 metadata={"description": "comma-separated event types, e.g. unit.renamed,change.recorded"})
    wait = fields.Float(load_default=0, validate=validate.Range(min=0, max=30),
                        metadata={"description": "seconds to wait for a new event when there is none"})


class StreamQuery(Lenient):
    after = fields.Integer(load_default=None, validate=POSITION)
    types = Text(load_default=None, validate=TYPES)


class LagOut(Schema):
    head = fields.Integer(metadata={"description": "the county's last event position"})
    views = fields.Integer(metadata={"description": "the position its read views have"})
    lag = fields.Integer(metadata={"description": "positions behind (ids may skip numbers)"})


class CloudEvent(Schema):
    specversion = fields.String()
    id = fields.String(metadata={"description": "<deployment id>-<county>-<position>: "
                                                "unique across deployments"})
    source = fields.String(metadata={"description": "absolute URI of the county in this "
                                                    "deployment (GRASSROOTS_EVENT_SOURCE)"})
    type = fields.String()
    subject = fields.String()
    time = fields.DateTime()
    datacontenttype = fields.String()
    data = fields.Dict()
    position = fields.Integer()
    effectivedate = Day(metadata={"description": "the event's effective date; absent when it "
                                                 "has none (a person's events)"})


class EventPage(Schema):
    items = fields.List(fields.Nested(CloudEvent))
    next_after = fields.Integer()
