"""Structural changes (转、并、联 and federation joins and leaves), and plans."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask.views import MethodView

from application.ledger import CountyLedger, Receipt
from application.rows import ChangeRow
from domain.changes import ChangeType
from domain.kinds import UnitKind
from interfaces.http.blueprint import Blueprint
from interfaces.http.context import decode_cursor, encode_cursor, fresh, is_position
from interfaces.http.problems import COUNTY_READ, COUNTY_WRITE, Problem, answers
from interfaces.http.schemas import changes as schemas
from interfaces.http.schemas.common import ReceiptOut
from interfaces.http.writes import authority, write

blp = Blueprint(
    "changes", __name__, url_prefix="/v1/tenants/<code>",
    description="Conversions, mergers, federations and plans",
)


# The ledger command that records each structural change; it takes the fields that
# ChangeIn.NEEDS names for the type, by those names.
STRUCTURAL: dict[str, Callable[..., Receipt]] = {
    ChangeType.CONVERSION: CountyLedger.convert,  # 转
    ChangeType.MERGER: CountyLedger.merge,  # 并
    ChangeType.FEDERATION: CountyLedger.federate,  # 联
    ChangeType.FEDERATION_JOIN: CountyLedger.join_federation,
    ChangeType.FEDERATION_LEAVE: CountyLedger.leave_federation,
}


@blp.route("/changes")
class Changes(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.ChangeIn)
    @blp.response(201, ReceiptOut)
    def post(self, data: dict[str, Any], code: str) -> Receipt:
        """Record a conversion (转), merger (并), federation (联), join or leave: one atomic change."""
        command = STRUCTURAL[data["type"]]
        facts = {name: data[name] for name in schemas.ChangeIn.NEEDS[data["type"]]}
        return write(code, lambda place, actor: command(
            place.ledger, **facts, effective_date=data["effective_date"], actor=actor,
            authority=authority(data)))

    @answers(blp, *COUNTY_READ, 400)
    @blp.arguments(schemas.ChangeQuery, location="query")
    @blp.response(200, schemas.ChangePage)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """Recorded changes, in recorded order; ``from``/``to`` bound their effective dates."""
        place = fresh(code)
        after = decode_cursor(args["cursor"], "changes", is_position)
        rows = place.changelog.changes(after=args["from_"], until=args["to"], change_type=args["type"],
                                   after_position=after, limit=args["limit"] + 1)
        more = len(rows) > args["limit"]
        rows = rows[: args["limit"]]
        return {"items": rows, "next_cursor": encode_cursor("changes", rows[-1].position) if more else None}


@blp.route("/changes/<uuid:change_id>")
class ChangeView(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.response(200, schemas.ChangeOut)
    def get(self, code: str, change_id: UUID) -> ChangeRow:
        """One recorded change."""
        row = fresh(code).changelog.change(change_id)
        if row is None:
            raise Problem(404, "Not Found", f"no change {change_id}")
        return row


@blp.route("/changes/<uuid:change_id>/retraction")
class Retraction(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.RetractionIn)
    @blp.response(201, ReceiptOut)
    def post(self, data: dict[str, Any], code: str, change_id: UUID) -> Receipt:
        """Retract a change recorded by mistake (撤销): from now on it no longer applies;
        ``known_at`` before now still shows it. 409 while later changes build on it."""
        return write(code, lambda place, actor: place.ledger.retract(
            change_id, data["reason"], actor))


@blp.route("/plans")
class Plans(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.PlanIn)
    @blp.response(201, ReceiptOut)
    def post(self, data: dict[str, Any], code: str) -> Receipt:
        """Adopt a plan (规划) placing villages in a community area from a date."""
        return write(code, lambda place, actor: place.ledger.adopt_plan(
            area_type=UnitKind(data["area_type"]), name=data["name"],
            village_ids=data["village_ids"], effective_date=data["effective_date"],
            actor=actor, authority=authority(data),
        ))
