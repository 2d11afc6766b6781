"""The statistical releases, a county's reconciliations with them, the release
check and the change reports (API.md, "Releases and reconciliation")."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone
from typing import Any
from uuid import UUID

from flask import request
from flask.views import MethodView
from marshmallow import ValidationError

from application.change_counts import CountyYears, count_changes, sum_counts, village_figures
from application.reconciliation import Proposal, Reconciliation, difference_dict
from domain.reconciliation import Link, MappingRefused
from domain.releases import RELEASES
from infra.releases import ReleaseFiles
from infra.storage import County
from infra.views.counts import ceased_units, counted_changes, towns, village_units_on
from infra.views.schema import Moment
from interfaces.http.auth import require_county, require_operator
from interfaces.http.blueprint import Blueprint
from interfaces.http.context import city_counties, county, fresh, storage
from interfaces.http.problems import AUTHENTICATED, COUNTY_READ, COUNTY_WRITE, Problem, answers
from interfaces.http.schemas import releases as schemas
from interfaces.http.writes import authority

blp = Blueprint("releases", __name__, url_prefix="/v1",
                description="Statistical releases and reconciliation with them")

MAPPING_LINES = 100_000


def release_list(files: ReleaseFiles) -> list[dict[str, Any]]:
    return [{"year": year, "as_of": RELEASES[year].as_of, "published": RELEASES[year].published,
             **files.counts(year)} for year in files.years()]


def proposal_dict(proposal: Proposal) -> dict[str, Any]:
    return {
        "id": proposal.id, "release": proposal.release,
        "effective_date": proposal.effective_date, "status": proposal.status,
        "created_at": proposal.created_at, "items": [i.as_dict() for i in proposal.items],
        "summary": proposal.summary,
        "mapping": [{"predecessor_code": m.predecessor_code, "successor_code": m.successor_code}
                    for m in proposal.mapping],
        "result": proposal.result,
    }


def read_mapping(body: bytes, content_type: str) -> list[Link]:
    """``predecessor_code,successor_code`` lines (CSV, with that header) or a JSON list
    of objects with those two fields; ValueError says what is wrong."""
    text = body.decode("utf-8-sig")
    if content_type.startswith("text/csv"):
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames is None or set(reader.fieldnames) != {"predecessor_code",
                                                                   "successor_code"}:
            raise ValueError("the CSV header must be predecessor_code,successor_code")
        raw: Any = list(reader)
    else:
        raw = json.loads(text)
    if not isinstance(raw, list) or len(raw) > MAPPING_LINES:
        raise ValueError(f"a mapping is a list of at most {MAPPING_LINES} lines")
    try:
        lines = schemas.MappingLine(many=True).load(raw)
    except ValidationError as error:
        raise ValueError(json.dumps(error.messages, ensure_ascii=False)) from None
    return [Link(line["predecessor_code"], line["successor_code"]) for line in lines]


def _reconciliation(code: str, capability: str) -> Reconciliation:
    require_county(code, capability)
    county(code).refresh()
    return storage().reconciliation(code)


@blp.route("/releases")
class Releases(MethodView):
    @answers(blp, *AUTHENTICATED)
    @blp.response(200, schemas.ReleaseList)
    def get(self) -> dict[str, Any]:
        """The releases shipped with the service: cut-off date, publication, counts."""
        return {"items": release_list(storage().releases)}


@blp.route("/tenants/<code>/reconciliations")
class Reconciliations(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.ReconciliationIn)
    @blp.response(201, schemas.ProposalOut)
    def post(self, data: dict[str, Any], code: str) -> dict[str, Any]:
        """Compare the ledger as of the release's date with the release: a proposal of
        the changes between them. Nothing is recorded yet."""
        proposal = _reconciliation(code, "edit").propose(
            data["release"], data["effective_date"], authority(data))
        return proposal_dict(proposal)

    @answers(blp, *COUNTY_READ)
    @blp.response(200, schemas.ProposalList)
    def get(self, code: str) -> dict[str, Any]:
        """The county's proposals, oldest first."""
        reconciliation = _reconciliation(code, "read")
        return {"items": [proposal_dict(p) for p in reconciliation.proposals.all()]}


@blp.route("/tenants/<code>/reconciliations/<uuid:proposal_id>")
class ReconciliationView(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.response(200, schemas.ProposalOut)
    def get(self, code: str, proposal_id: UUID) -> dict[str, Any]:
        """One proposal, its items and (once applied) its result."""
        return proposal_dict(_reconciliation(code, "read").get(proposal_id))


@blp.route("/tenants/<code>/reconciliations/<uuid:proposal_id>/mapping")
class Mapping(MethodView):
    @blp.doc(requestBody={"required": True, "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "array", "items": {
            "$ref": "#/components/schemas/MappingLine"}}},
    }})
    @answers(blp, *COUNTY_WRITE, 415)
    @blp.response(200, schemas.ProposalOut)
    def put(self, code: str, proposal_id: UUID) -> dict[str, Any]:
        """The county's exact predecessor → successor mapping (CSV or JSON): the
        proposal re-derived with exact lineage where it says. 422 for a code the
        proposal does not contain or a predecessor mapped twice."""
        reconciliation = _reconciliation(code, "edit")
        content_type = request.mimetype or ""
        if content_type not in ("text/csv", "application/json"):
            raise Problem(415, "Unsupported Media Type",
                          "send the mapping as text/csv or application/json")
        try:
            mapping = read_mapping(request.get_data(), content_type)
        except (ValueError, UnicodeDecodeError) as error:
            raise Problem(422, "Unprocessable Entity", "the mapping cannot be read",
                          errors={"mapping": [str(error)]}) from None
        try:
            return proposal_dict(reconciliation.map(proposal_id, mapping))
        except MappingRefused as error:
            raise Problem(422, "Unprocessable Entity", error.message,
                          errors={"mapping": error.errors}) from None


@blp.route("/tenants/<code>/reconciliations/<uuid:proposal_id>/items/<item_id>")
class ItemView(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.ItemPatch)
    @blp.response(200, schemas.ItemOut)
    def patch(self, data: dict[str, Any], code: str, proposal_id: UUID,
              item_id: str) -> dict[str, Any]:
        """Exclude an item from the apply (or include it again)."""
        item = _reconciliation(code, "edit").exclude(proposal_id, item_id, data["excluded"])
        return item.as_dict()


@blp.route("/tenants/<code>/reconciliations/<uuid:proposal_id>/apply")
class Apply(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.response(201, schemas.ApplyOut)
    @blp.alt_response(200, schema=schemas.ApplyOut, description="applied before: the same result")
    def post(self, code: str, proposal_id: UUID) -> tuple[dict[str, Any], int]:
        """Record the items as changes from the release, all or nothing, and check the
        result against the release. 409 when the ledger changed after the proposal."""
        who = require_county(code, "edit")
        reconciliation = _reconciliation(code, "edit")
        result, recorded = reconciliation.apply(proposal_id, who.actor)
        return result, 201 if recorded else 200


@blp.route("/tenants/<code>/releases/<int:year>/check")
class Check(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.response(200, schemas.CheckOut)
    def get(self, code: str, year: int) -> dict[str, Any]:
        """The ledger as of the release's date against the release, unit by unit
        (code, name, kind, parent town)."""
        if year not in RELEASES:
            raise Problem(404, "Not Found", f"no release {year}")
        check = _reconciliation(code, "read").check(year)
        return {"release": check.release, "as_of": check.as_of, "matches": check.matches,
                "differences": [difference_dict(d) for d in check.differences]}


def _county_counts(place: County, args: dict[str, Any]) -> dict[str, Any]:
    now = datetime.now(timezone.utc)
    changes = counted_changes(place.views, args["from_"], args["to"], now)
    return count_changes(changes, towns(place.views, sorted({c.town_id for c in changes})))


@blp.route("/tenants/<code>/reports/changes")
class ChangeReport(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(schemas.ChangeWindow, location="query")
    @blp.response(200, schemas.ChangeCountsOut)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """The changes effective after ``from`` and up to ``to``, counted by type,
        per year and per town."""
        return {"from_": args["from_"], "to": args["to"], **_county_counts(fresh(code), args)}


@blp.route("/cities/<city_code>/reports/changes")
class CityChangeReport(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(schemas.ChangeWindow, location="query")
    @blp.response(200, schemas.CityChangeCountsOut)
    def get(self, args: dict[str, Any], city_code: str) -> dict[str, Any]:
        """The same counts summed over the city's counties."""
        counties = {code: _county_counts(place, args)
                    for code, place in city_counties(city_code, args["from_"],
                                                     args["to"]).items()}
        return {"from_": args["from_"], "to": args["to"], **sum_counts(counties)}


@blp.route("/provinces/<province>/reports/villages")
class ProvinceVillages(MethodView):
    @answers(blp, *AUTHENTICATED, 403, 404)
    @blp.response(200, schemas.ProvinceVillagesOut)
    def get(self, province: str) -> dict[str, Any]:
        """For the operator: the province's village-level units on each release's date,
        and how many disappeared since the one before, by the change that ended them
        (merger, village_merger, consolidation, conversion, dissolution …)."""
        require_operator()
        if not (len(province) == 2 and province.isdigit()):
            raise Problem(404, "Not Found", f"no province {province!r}")
        years = [(year, RELEASES[year].as_of) for year in storage().releases.years()]
        now = datetime.now(timezone.utc)
        counties = []
        for code in storage().directory.tenant_codes():
            if code[:2] != province:
                continue
            place = county(code)
            place.refresh()
            counties.append(CountyYears(
                {year: village_units_on(place.views, Moment(as_of, now)) for year, as_of in years},
                ceased_units(place.views, date.min, years[-1][1], now) if years else []))
        return {"province": province, "items": village_figures(years, counties)}
