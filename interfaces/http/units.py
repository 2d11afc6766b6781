"""Units: establish, rename, move, dissolve, population; read them, their tree,
history, lineage and the diff between two dates — every read ``as_of`` an
effective date and ``known_at`` a recorded time, answered from the read views.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter
from typing import Any
from uuid import UUID

import orjson
from flask import Response
from flask.views import MethodView

from application.ledger import Receipt
from application.rows import TreeRow, UnitOnDate
from domain.kinds import UnitKind
from domain.units import ACTIVE, Population
from interfaces.http.blueprint import Blueprint
from interfaces.http.context import (
    decode_cursor,
    encode_cursor,
    fresh,
    fresh_read,
    is_uuid_text,
    moment,
    views_position,
)
from interfaces.http.kept_answers import KeptAnswers
from interfaces.http.problems import COUNTY_READ, COUNTY_WRITE, Problem, answers
from interfaces.http.schemas import units as schemas
from interfaces.http.schemas.common import Moment, ReceiptOut
from interfaces.http.writes import authority, write

# The trees of this process's counties, by the views' position and the question.
TREES = KeptAnswers()

blp = Blueprint(
    "units", __name__, url_prefix="/v1/tenants/<code>", description="Units and their timelines"
)


POPULATION = ("households", "residents", "floating")


def unit_json(unit: UnitOnDate) -> dict[str, Any]:
    if unit.members is not None:  # a federation: its member villages' population
        population = {key: _total(getattr(m, key) for m in unit.members) for key in POPULATION}
    else:
        population = {key: getattr(unit, key) for key in POPULATION}
    shown = {
        "id": unit.unit_id,
        "kind": unit.kind,
        "name": unit.name,
        "code": unit.code,
        "parent_id": unit.parent_id,
        "status": unit.status,
        "established_on": unit.established_on,
        "ceased_on": unit.ceased_on,
        "federation_id": unit.federation_id,
        "plan_id": unit.plan_id,
        "population": population,
        "bodies": unit.bodies,
        "version": unit.version,
    }
    if unit.members is not None:
        shown["member_ids"] = [m.unit_id for m in unit.members]
    return shown


def _total(figures: Iterable[int | None]) -> int | None:
    known = [f for f in figures if f is not None]
    return sum(known) if known else None


@blp.route("/units")
class Units(MethodView):
    @answers(blp, *COUNTY_READ, 400)
    @blp.arguments(schemas.UnitQuery, location="query")
    @blp.response(200, schemas.UnitPage)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """Units existing on ``as_of`` (``status=all`` adds planned and ceased ones)."""
        place = fresh(code)
        after = decode_cursor(args["cursor"], "units", is_uuid_text)
        after_id = UUID(after) if after else None
        rows = place.structure.units_on(
            moment(args),
            statuses=None if args["status"] == schemas.ALL else (ACTIVE,),
            kind=args["kind"],
            parent_id=args["parent_id"],
            name_contains=args["q"],
            after_id=after_id,
            limit=args["limit"] + 1,
        )
        more = len(rows) > args["limit"]
        rows = rows[: args["limit"]]
        return {
            "items": [unit_json(r) for r in rows],
            "next_cursor": encode_cursor("units", str(rows[-1].unit_id)) if more else None,
        }

    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.UnitIn)
    @blp.response(201, ReceiptOut)
    def post(self, data: dict[str, Any], code: str) -> Receipt:
        """Establish a unit (town-level units have no parent: the county is it)."""
        return write(code, lambda place, actor: place.ledger.establish_unit(
            kind=UnitKind(data["kind"]), name=data["name"], code=data["code"],
            parent_id=data["parent_id"], effective_date=data["effective_date"],
            actor=actor, authority=authority(data),
        ))


@blp.route("/units/<uuid:unit_id>")
class UnitView(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(Moment, location="query")
    @blp.response(200, schemas.UnitOut)
    def get(self, args: dict[str, Any], code: str, unit_id: UUID) -> dict[str, Any]:
        """A unit as it stood on ``as_of``, as known at ``known_at``."""
        when = moment(args)
        row = fresh_read(code, lambda place, reads: place.structure.unit_on(reads, unit_id, when))
        if row is None:
            raise Problem(404, "Not Found", f"no unit {unit_id} known at that time")
        return unit_json(row)


@blp.route("/units/<uuid:unit_id>/renames")
class Renames(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.RenameIn)
    @blp.response(201, ReceiptOut)
    def post(self, data: dict[str, Any], code: str, unit_id: UUID) -> Receipt:
        """Rename a unit from a date."""
        return write(code, lambda place, actor: place.ledger.rename(
            unit_id, data["name"], data["effective_date"], actor, authority(data)))


@blp.route("/units/<uuid:unit_id>/moves")
class Moves(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.MoveIn)
    @blp.response(201, ReceiptOut)
    def post(self, data: dict[str, Any], code: str, unit_id: UUID) -> Receipt:
        """Move a village-level unit under another town-level unit from a date."""
        return write(code, lambda place, actor: place.ledger.move(
            unit_id, data["parent_id"], data["effective_date"], actor, authority(data)))


@blp.route("/units/<uuid:unit_id>/dissolutions")
class Dissolutions(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.DissolutionIn)
    @blp.response(201, ReceiptOut)
    def post(self, data: dict[str, Any], code: str, unit_id: UUID) -> Receipt:
        """Dissolve a unit: the effective date is its first day gone."""
        return write(code, lambda place, actor: place.ledger.dissolve(
            unit_id, data["effective_date"], actor, authority(data)))


@blp.route("/units/<uuid:unit_id>/population")
class PopulationView(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.PopulationIn)
    @blp.response(201, ReceiptOut)
    def post(self, data: dict[str, Any], code: str, unit_id: UUID) -> Receipt:
        """Record households, residents and floating population from a date."""
        figures = Population(data["households"], data["residents"], data["floating"])
        return write(code, lambda place, actor: place.ledger.record_population(
            unit_id, figures, data["effective_date"], actor))


@blp.route("/units/<uuid:unit_id>/history")
class History(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(Moment, location="query")
    @blp.response(200, schemas.HistoryOut)
    def get(self, args: dict[str, Any], code: str, unit_id: UUID) -> dict[str, Any]:
        """Every recorded event that touched the unit, in recorded order."""
        when = moment(args)
        items = fresh(code).changelog.history(unit_id, when.known_at)
        if not items:
            raise Problem(404, "Not Found", f"no unit {unit_id} known at that time")
        return {"unit_id": unit_id, "known_at": when.known_at, "items": items}


@blp.route("/units/<uuid:unit_id>/lineage")
class Lineage(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(Moment, location="query")
    @blp.response(200, schemas.LineageOut)
    def get(self, args: dict[str, Any], code: str, unit_id: UUID) -> dict[str, Any]:
        """Predecessors and successors through conversions and mergers, transitively,
        as effective on ``as_of`` and known at ``known_at``."""
        place = fresh(code)
        when = moment(args)
        if not place.changelog.history(unit_id, when.known_at):
            raise Problem(404, "Not Found", f"no unit {unit_id} known at that time")
        lineage = place.changelog.lineage(unit_id, when)
        return {"unit_id": unit_id, "predecessors": lineage.predecessors,
                "successors": lineage.successors}


@blp.route("/tree")
class Tree(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(Moment, location="query")
    @blp.response(200, schemas.TreeOut)
    def get(self, args: dict[str, Any], code: str) -> Response:
        """The county's whole hierarchy on ``as_of``: towns and what hangs under them."""
        when = moment(args)
        place = fresh(code)

        def units() -> bytes:
            return orjson.dumps(tree_nodes(place.structure.tree_rows(when)))

        # Serialised here, not by the schema: the tree is the hottest read, and the
        # same for the same question until the county's next event.
        known_at = args.get("known_at")  # None: as known now, whenever that is
        nodes = TREES.answer(place.code, views_position(), ("tree", when.as_of, known_at),
                                 units)
        head = orjson.dumps({"as_of": when.as_of, "known_at": when.known_at})
        return Response(head[:-1] + b',"units":' + nodes + b"}", mimetype="application/json")


def tree_nodes(rows: Iterable[TreeRow]) -> list[dict[str, Any]]:
    """The units as nested nodes, each level by name; a unit whose parent is not
    among them is a root."""
    ordered = sorted(rows, key=attrgetter("name"))
    children: dict[str | None, list[dict[str, Any]]] = {row.id: [] for row in ordered}
    roots: list[dict[str, Any]] = []
    for unit_id, kind, name, parent_id, code, federation_id in ordered:
        children.get(parent_id, roots).append(
            {"id": unit_id, "kind": kind, "name": name, "code": code,
             "federation_id": federation_id, "children": children[unit_id]})
    return roots


DIFF_TYPES = {
    "established": "established",
    "ceased": "ceased",
    "renamed": "renamed",
    "moved": "moved",
    "joined_federation": "federated",
    "recoded": "recoded",
    "reclassified": "reclassified",
}


@blp.route("/diff")
class Diff(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(schemas.DiffQuery, location="query")
    @blp.response(200, schemas.DiffOut)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """What changed after ``from``, up to and including ``to`` (effective dates)."""
        when = moment({"known_at": args["known_at"]})
        entries = fresh(code).changelog.events_between(
            args["from_"], args["to"], list(DIFF_TYPES), when.known_at
        )
        result: dict[str, Any] = {"from_": args["from_"], "to": args["to"],
                                  "known_at": when.known_at}
        for section in DIFF_TYPES.values():
            result[section] = []
        for entry in entries:
            result[DIFF_TYPES[entry.type]].append(entry)
        return result
