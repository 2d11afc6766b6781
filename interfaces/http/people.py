"""People (工作人员): registration, their posts on a date, and erasure of their data."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, current_app
from flask.views import MethodView

from application.rows import PersonRow
from domain.people import Person, Rank, Source
from interfaces.http.auth import require_county
from interfaces.http.blueprint import Blueprint
from interfaces.http.context import county, fresh, moment
from interfaces.http.problems import COUNTY_READ, COUNTY_WRITE, Problem, answers
from interfaces.http.schemas import people as schemas
from interfaces.http.schemas.common import Moment

blp = Blueprint("people", __name__, url_prefix="/v1/tenants/<code>",
                description="People, their posts, and erasure of their personal data")


def person_json(person: Person) -> dict[str, Any]:
    return {"id": person.id, "name": person.name, "rank": person.rank.value,
            "source": person.source.value, "erased": person.erased}


@blp.route("/people")
class People(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.PersonIn)
    @blp.response(201, schemas.PersonOut)
    def post(self, data: dict[str, Any], code: str) -> dict[str, Any]:
        """Register a person; their name is personal data, erasable on request."""
        require_county(code, "edit")
        person = county(code).ledger.register_person(
            name=data["name"], rank=Rank(data["rank"]), source=Source(data["source"]))
        return person_json(person)


@blp.route("/people/<uuid:person_id>")
class PersonView(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.response(200, schemas.PersonOut)
    def get(self, code: str, person_id: UUID) -> PersonRow:
        """A person: rank and source, and their name until it is erased."""
        person = fresh(code).staffing.person(person_id)
        if person is None:
            raise Problem(404, "Not Found", f"no person {person_id}")
        return person

    @answers(blp, *COUNTY_READ)
    @blp.response(204)
    def delete(self, code: str, person_id: UUID) -> Response:
        """Erase the person's personal data from every view, history, the feed and
        the stored events; their posts remain, held by an erased person. Asking
        again is answered 204 too, and redoes the store's cleanup."""
        who = require_county(code, "admin")
        place = county(code)
        person = place.ledger.erase_person(person_id, who.actor)
        place.catch_up()
        # A stored answer to the POST that registered them must not keep the name.
        current_app.config["STORAGE"].directory.erase_from_responses(
            f"/v1/tenants/{code}/people|", str(person_id),
            current_app.json.dumps(person_json(person)))
        place.person_keys.forget_erased()
        return Response(status=204)


@blp.route("/people/<uuid:person_id>/posts")
class PersonPosts(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(Moment, location="query")
    @blp.response(200, schemas.PersonPostsOut)
    def get(self, args: dict[str, Any], code: str, person_id: UUID) -> dict[str, Any]:
        """The posts the person holds on ``as_of``, as known at ``known_at``."""
        place, when = fresh(code), moment(args)
        if place.staffing.person(person_id) is None:
            raise Problem(404, "Not Found", f"no person {person_id}")
        return {"person_id": person_id, "as_of": when.as_of, "known_at": when.known_at,
                "items": place.staffing.person_posts(person_id, when)}
