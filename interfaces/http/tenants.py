"""Tenants (counties), their keys and policy; city keys."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from infra.directory import TenantExists
from infra.storage import COUNTY_CODE, NotACounty
from interfaces.http.auth import CITY_ROLE, require_county, require_operator
from interfaces.http.blueprint import Blueprint
from interfaces.http.context import (
    CITY_CODE,
    county,
    decode_cursor,
    encode_cursor,
    moment,
    storage,
    today_in_china,
)
from interfaces.http.problems import AUTHENTICATED, COUNTY_READ, COUNTY_WRITE, Problem, answers
from interfaces.http.schemas import tenants as schemas
from interfaces.http.schemas.common import Moment, Page

blp = Blueprint("tenants", __name__, url_prefix="/v1", description="Counties, keys and policy")


@blp.route("/tenants")
class Tenants(MethodView):
    @answers(blp, *AUTHENTICATED, 400, 403, 409, 413, 422)
    @blp.arguments(schemas.TenantIn)
    @blp.response(201, schemas.TenantOut)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Onboard a county: create its storage and its first admin key (shown once)."""
        require_operator()
        try:
            _key_id, secret = storage().onboard_tenant(
                data["code"], data["name"], data["city_code"], unlisted=data["unlisted"])
        except TenantExists:
            raise Problem(409, "Conflict", f"county {data['code']} is already onboarded") from None
        except NotACounty as refusal:
            raise Problem(422, "Unprocessable Entity", str(refusal),
                          errors={"code": [str(refusal)]}) from None
        return {**data, "admin_key": secret}

    @answers(blp, *AUTHENTICATED, 400, 403)
    @blp.arguments(Page, location="query")
    @blp.response(200, schemas.TenantPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The onboarded counties, by code."""
        require_operator()
        after = decode_cursor(args["cursor"], "tenants",
                              lambda v: isinstance(v, str) and bool(COUNTY_CODE.fullmatch(v)))
        rows = storage().directory.tenants(after, args["limit"] + 1)
        more = len(rows) > args["limit"]
        rows = rows[: args["limit"]]
        return {"items": rows, "next_cursor": encode_cursor("tenants", rows[-1]["code"]) if more else None}


@blp.route("/tenants/<code>")
class TenantView(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.response(200, schemas.TenantDetail)
    def get(self, code: str) -> dict[str, Any]:
        """The county known by this code (any code it has had): its codes and names
        with their dates, and whether it ended and into which county."""
        require_county(code, "read")
        found = storage().directory.tenant(code)
        assert found is not None  # the scope check found it
        return found


@blp.route("/tenants/<code>/keys")
class Keys(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.KeyIn)
    @blp.response(201, schemas.KeyOut)
    def post(self, data: dict[str, Any], code: str) -> dict[str, Any]:
        """Issue a key with one role for this county."""
        require_county(code, "admin")
        key_id, secret = storage().directory.issue_key(
            role=data["role"], label=data["label"], tenant_code=code)
        return {"key_id": key_id, "key": secret, "role": data["role"], "label": data["label"]}


@blp.route("/tenants/<code>/keys/<key_id>")
class Key(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.response(204)
    def delete(self, code: str, key_id: str) -> Response:
        """Revoke a key: it is refused from now on."""
        require_county(code, "admin")
        if not storage().directory.revoke_key(code, key_id):
            raise Problem(404, "Not Found", f"no live key {key_id} in county {code}")
        return Response(status=204)


@blp.route("/tenants/<code>/policy")
class PolicyView(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.arguments(Moment, location="query")
    @blp.response(200, schemas.PolicyOut)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """The county's policy in force on ``as_of``, as known at ``known_at``."""
        require_county(code, "read")
        when = moment(args)
        return {"as_of": when.as_of,
                **county(code).ledger.policy().settings_on(when.as_of, when.known_at)}

    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.PolicyPatch)
    @blp.response(200, schemas.PolicyOut)
    def patch(self, data: dict[str, Any], code: str) -> dict[str, Any]:
        """Change only the named fields, from ``effective_date`` (default today) on;
        answers the whole policy in force on that date."""
        who = require_county(code, "admin")
        day = data.pop("effective_date", None) or today_in_china()
        policy = county(code).ledger.amend_policy(data, day, who.actor)
        return {"as_of": day, **policy.settings_on(day)}


@blp.route("/cities/<city_code>/keys")
class CityKeys(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.CityKeyIn, required=False)
    @blp.response(201, schemas.KeyOut)
    def post(self, data: dict[str, Any], city_code: str) -> dict[str, Any]:
        """A key that reads one city's aggregate reports and nothing else."""
        require_operator()
        if not CITY_CODE.fullmatch(city_code):
            raise Problem(404, "Not Found", f"no city {city_code!r}")
        key_id, secret = storage().directory.issue_key(
            role=CITY_ROLE, label=data["label"], city_code=city_code)
        return {"key_id": key_id, "key": secret, "role": CITY_ROLE, "label": data["label"]}
