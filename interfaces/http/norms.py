"""What the norms are checked against besides the structure: towns' assessment
catalogues (H7) and the arrangements of zones with sub-districts (N7)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

from application.ledger import Receipt
from application.rows import CatalogueRow
from domain.assessment import Item
from interfaces.http.blueprint import Blueprint
from interfaces.http.context import fresh, moment
from interfaces.http.problems import COUNTY_READ, COUNTY_WRITE, Problem, answers
from interfaces.http.schemas import norms as schemas
from interfaces.http.schemas.bodies import AbolitionIn
from interfaces.http.schemas.common import Moment, ReceiptOut
from interfaces.http.writes import authority, write

blp = Blueprint("norms", __name__, url_prefix="/v1/tenants/<code>",
                description="Assessment catalogues (H7) and zone arrangements (N7)")


@blp.route("/units/<uuid:town_id>/assessment-catalogues")
class Catalogues(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.CatalogueIn)
    @blp.response(201, ReceiptOut)
    def post(self, data: dict[str, Any], code: str, town_id: UUID) -> Receipt:
        """Adopt a town's assessment catalogue for a year (考核目录), or revise it."""
        items = [Item(title=i["title"], function=i["function"], veto=i["veto"],
                      department=i["department"]) for i in data["items"]]
        return write(code, lambda place, actor: place.ledger.adopt_catalogue(
            town_id=town_id, year=data["year"], items=items,
            effective_date=data["effective_date"], actor=actor, authority=authority(data)))


@blp.route("/units/<uuid:town_id>/assessment-catalogues/<int:year>")
class CatalogueView(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(Moment, location="query")
    @blp.response(200, schemas.CatalogueOut)
    def get(self, args: dict[str, Any], code: str, town_id: UUID, year: int) -> CatalogueRow:
        """The catalogue's items in force on ``as_of``, as known at ``known_at``."""
        if not schemas.FIRST_YEAR <= year <= schemas.LAST_YEAR:
            raise Problem(404, "Not Found", f"no catalogue for the year {year}")
        catalogue = fresh(code).norms.catalogue_on(town_id, year, moment(args))
        if catalogue is None:
            raise Problem(404, "Not Found", f"no {year} catalogue of {town_id} in force then")
        return catalogue


@blp.route("/arrangements")
class Arrangements(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.ArrangementIn)
    @blp.response(201, ReceiptOut)
    def post(self, data: dict[str, Any], code: str) -> Receipt:
        """区街合一 (one_team) or 区街统分 (coordinated), from a date."""
        return write(code, lambda place, actor: place.ledger.make_arrangement(
            zone_id=data["zone_id"], subdistrict_id=data["subdistrict_id"], mode=data["mode"],
            effective_date=data["effective_date"], actor=actor, authority=authority(data)))


@blp.route("/arrangements/<uuid:arrangement_id>/end")
class ArrangementEnd(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(AbolitionIn)
    @blp.response(201, ReceiptOut)
    def post(self, data: dict[str, Any], code: str, arrangement_id: UUID) -> Receipt:
        """End an arrangement: the effective date is its first day no longer in force."""
        return write(code, lambda place, actor: place.ledger.end_arrangement(
            arrangement_id, data["effective_date"], actor, authority(data)))
