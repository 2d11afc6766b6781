"""Posts (职务): appointments, their end, and reassignments (调任)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

from application.ledger import Receipt
from domain.bodies import Appointment, Role
from interfaces.http.blueprint import Blueprint
from interfaces.http.problems import COUNTY_WRITE, answers
from interfaces.http.schemas import posts as schemas
from interfaces.http.schemas.common import ReceiptOut
from interfaces.http.writes import authority, write

blp = Blueprint("posts", __name__, url_prefix="/v1/tenants/<code>",
                description="Appointments, ends of posts and reassignments")


def _consent(data: dict[str, Any]) -> dict[str, Any] | None:
    consent = data.get("consent")
    return {k: v for k, v in consent.items() if v is not None} if consent else None


@blp.route("/posts")
class Posts(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.PostIn)
    @blp.response(201, ReceiptOut)
    def post(self, data: dict[str, Any], code: str) -> Receipt:
        """Appoint a person to a post in a body from a date (任职)."""
        appointment = Appointment(
            person_id=data["person_id"], role=Role(data["role"]), full_time=data["full_time"],
            concurrent=data["concurrent"], consent=_consent(data))
        return write(code, lambda place, actor: place.ledger.appoint(
            body_id=data["body_id"], appointment=appointment,
            effective_date=data["effective_date"], actor=actor, authority=authority(data)))


@blp.route("/posts/<uuid:post_id>/end")
class PostEnd(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.PostEndIn)
    @blp.response(201, ReceiptOut)
    def post(self, data: dict[str, Any], code: str, post_id: UUID) -> Receipt:
        """End a post: the effective date is the first day it is no longer held (免职)."""
        return write(code, lambda place, actor: place.ledger.end_post(
            post_id=post_id, effective_date=data["effective_date"], reason=data["reason"],
            consent=_consent(data), actor=actor, authority=authority(data)))


@blp.route("/reassignments")
class Reassignments(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.ReassignmentIn)
    @blp.response(201, ReceiptOut)
    def post(self, data: dict[str, Any], code: str) -> Receipt:
        """End one post and start another on the same date, as one change (调任)."""
        target = data["to"]
        return write(code, lambda place, actor: place.ledger.reassign(
            post_id=data["post_id"], to_body_id=target["body_id"], role=Role(target["role"]),
            effective_date=data["effective_date"], actor=actor,
            full_time=target.get("full_time"), concurrent=target.get("concurrent"),
            consent=_consent(data), authority=authority(data)))
