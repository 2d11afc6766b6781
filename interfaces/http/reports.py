"""Reports on the norms for any ``as_of`` and ``known_at``: coverage, staffing,
zone arrangements and compliance for a county; coverage summed for a city."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from application import reports
from domain.rulebook import RULES, Finding
from interfaces.http.blueprint import Blueprint
from interfaces.http.context import city_counties, fresh, moment
from interfaces.http.problems import AUTHENTICATED, COUNTY_READ, answers
from interfaces.http.schemas import reports as schemas
from interfaces.http.schemas.common import Moment

blp = Blueprint("reports", __name__, url_prefix="/v1",
                description="Coverage, staffing, arrangements and compliance on any date")


def _county(code: str, args: dict[str, Any]) -> tuple[reports.CountyOnDate, dict[str, Any]]:
    when = moment(args)
    return fresh(code).on_date(when), {"as_of": when.as_of, "known_at": when.known_at}


def finding_json(finding: Finding) -> dict[str, Any]:
    return {"rule": finding.rule, "severity": finding.severity, "unit_id": finding.unit_id,
            "message": finding.message, "message_zh": finding.message_zh,
            "clause": finding.clause, "figures": finding.figures}


@blp.route("/tenants/<code>/reports/coverage")
class Coverage(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(Moment, location="query")
    @blp.response(200, schemas.CoverageOut)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """N6: villages covered by each kind of community, and the target."""
        county, times = _county(code, args)
        return {**reports.coverage(county), **times}


@blp.route("/tenants/<code>/reports/staffing")
class Staffing(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(Moment, location="query")
    @blp.response(200, schemas.StaffingOut)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """N3: each federation's quota of full-time staff against those it has."""
        county, times = _county(code, args)
        return {**times, "items": reports.staffing(county)}


@blp.route("/tenants/<code>/reports/arrangements")
class ArrangementReport(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(Moment, location="query")
    @blp.response(200, schemas.ArrangementsOut)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """N7: which mode holds for each zone, and whether its leadership is in place."""
        county, times = _county(code, args)
        return {**times, "items": reports.arrangements(county)}


@blp.route("/tenants/<code>/reports/compliance")
class Compliance(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(Moment, location="query")
    @blp.response(200, schemas.ComplianceOut)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """Every finding on the date: norms unmet (warning), hard rules broken since (error)."""
        county, times = _county(code, args)
        return {**times, "findings": [finding_json(f) for f in reports.compliance(county)]}


@blp.route("/rules")
class Rules(MethodView):
    @answers(blp, *AUTHENTICATED)
    @blp.response(200, schemas.RulesOut)
    def get(self) -> dict[str, Any]:
        """The rule catalogue: H1–H7 and N1–N7 with the clause of the policy text."""
        return {"items": [{**vars(rule), "severity": rule.severity} for rule in RULES.values()]}


@blp.route("/cities/<city_code>/reports/coverage")
class CityCoverage(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(Moment, location="query")
    @blp.response(200, schemas.CoverageOut)
    def get(self, args: dict[str, Any], city_code: str) -> dict[str, Any]:
        """N6 for a city: its counties' figures summed (no county's records)."""
        when = moment(args)
        counties = city_counties(city_code, when.as_of, when.as_of)
        figures = [reports.coverage(place.on_date(when)) for place in counties.values()]
        return {**reports.city_coverage(figures), "as_of": when.as_of,
                "known_at": when.known_at, "counties": list(counties)}

