"""Bodies (机构) of units and the roster of a unit on a date."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

import orjson
from flask import Response
from flask.views import MethodView

from application.ledger import Receipt
from application.rows import StaffedBody, UnitRoster
from domain.bodies import BodyType
from infra.storage import County
from infra.views.tables import Reads
from interfaces.http.blueprint import Blueprint
from interfaces.http.context import fresh, fresh_read, moment
from interfaces.http.problems import COUNTY_READ, COUNTY_WRITE, Problem, answers
from interfaces.http.schemas import bodies as schemas
from interfaces.http.schemas.common import Moment, ReceiptOut
from interfaces.http.writes import authority, write

blp = Blueprint(
    "bodies", __name__, url_prefix="/v1/tenants/<code>",
    description="Bodies of units (party organisations, committees, centres, agencies)",
)

# The body's own facts, by field of the request (see schemas.BodyIn).
ATTRIBUTES = ("department", "assessment_mode", "hall_area", "windows", "unifications")


@blp.route("/units/<uuid:unit_id>/bodies")
class Bodies(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.BodyIn)
    @blp.response(201, ReceiptOut)
    def post(self, data: dict[str, Any], code: str, unit_id: UUID) -> Receipt:
        """Establish a body in a unit from a date."""
        attributes = {name: data[name] for name in ATTRIBUTES if name in data}
        return write(code, lambda place, actor: place.ledger.establish_body(
            unit_id=unit_id, body_type=BodyType(data["type"]), name=data["name"],
            attributes=attributes, effective_date=data["effective_date"], actor=actor,
            authority=authority(data)))


@blp.route("/bodies/<uuid:body_id>")
class BodyView(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(Moment, location="query")
    @blp.response(200, schemas.BodyOut)
    def get(self, args: dict[str, Any], code: str, body_id: UUID) -> StaffedBody:
        """A body, with the posts held in it on ``as_of``."""
        body = fresh(code).staffing.body_on(body_id, moment(args))
        if body is None:
            raise Problem(404, "Not Found", f"no body {body_id} known at that time")
        return body


@blp.route("/bodies/<uuid:body_id>/abolitions")
class Abolitions(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.AbolitionIn)
    @blp.response(201, ReceiptOut)
    def post(self, data: dict[str, Any], code: str, body_id: UUID) -> Receipt:
        """Abolish a body: the effective date is its first day gone."""
        return write(code, lambda place, actor: place.ledger.abolish_body(
            body_id, data["effective_date"], actor, authority(data)))


@blp.route("/units/<uuid:unit_id>/roster")
class Roster(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(Moment, location="query")
    @blp.response(200, schemas.RosterOut)
    def get(self, args: dict[str, Any], code: str, unit_id: UUID) -> Response:
        """The unit's bodies on ``as_of``, each with the posts held in it then."""
        when = moment(args)

        def read(place: County, reads: Reads) -> UnitRoster | None:
            exists = place.structure.ask_exists_on(reads, unit_id, when)
            roster = place.staffing.ask_roster(reads, unit_id, when)
            return roster() if exists() else None  # None: unknown then, or retracted

        roster = fresh_read(code, read)
        if roster is None:
            raise Problem(404, "Not Found", f"no unit {unit_id} known at that time")
        body = {"unit_id": unit_id, "as_of": when.as_of, "known_at": when.known_at,
                "bodies": roster_bodies_json(roster)}
        # Serialised here, not by the schema: a town's roster runs to thousands of posts.
        return Response(orjson.dumps(body), mimetype="application/json")


def roster_bodies_json(roster: UnitRoster) -> list[dict[str, Any]]:
    """The roster's bodies, each with its posts (each post shows its unit, the body's)."""
    unit_id = str(roster.unit_id)  # once, as text: orjson writes a str faster than a UUID
    posts: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    # One pass over thousands of posts, each unpacked by position (RosterPost's order)
    # into its dict, the fastest way there, and put in its body's list on the way.
    for body_id, post_id, person_id, name, erased, role, full_time, concurrent, since, \
            until in roster.posts:
        posts[body_id].append({
            "id": post_id, "unit_id": unit_id, "person_id": person_id, "person_name": name,
            "person_erased": erased, "role": role, "full_time": full_time,
            "concurrent": concurrent, "since": since, "until": until})
    return [{"id": body.id, "unit_id": body.unit_id, "type": body.type, "name": body.name,
             "attributes": body.attributes, "established_on": body.established_on,
             "abolished_on": body.abolished_on, "posts": posts.get(str(body.id), [])}
            for body in roster.bodies]
