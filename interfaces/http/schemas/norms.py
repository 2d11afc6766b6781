"""Towns' assessment catalogues (H7) and zones' arrangements (N7)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from domain.arrangements import MODES
from interfaces.http.schemas.common import Command, Day, Flag, Name, Strict, Text

FIRST_YEAR, LAST_YEAR = 1949, 9999  # the years a catalogue can be adopted for


class CatalogueItem(Strict):
    title = Name(required=True)
    function = fields.String(required=True, validate=validate.Length(min=1, max=100),
                             metadata={"description": "the town function the item assesses"})
    veto = Flag(load_default=False, metadata={"description": "a one-vote-veto item (一票否决)"})
    department = Text(validate=validate.Length(max=200), allow_none=True, load_default=None,
                      metadata={"description": "the county department whose own function it is"})


class CatalogueIn(Command):
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=FIRST_YEAR, max=LAST_YEAR))
    items = fields.List(fields.Nested(CatalogueItem), required=True,
                        validate=validate.Length(min=1, max=500))


class CatalogueOut(Schema):
    id = fields.UUID()
    town_id = fields.UUID()
    year = fields.Integer()
    since = Day()
    items = fields.List(fields.Dict())


class ArrangementIn(Command):
    zone_id = fields.UUID(required=True)
    subdistrict_id = fields.UUID(required=True, metadata={
        "description": "the sub-district (or town) the zone runs with"})
    mode = fields.String(required=True, validate=validate.OneOf(list(MODES)),
                         metadata={"description": "one_team 区街合一, coordinated 区街统分"})
