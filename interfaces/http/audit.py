"""Audit: verify a county's hash-chained history."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView

from interfaces.http.auth import require_county
from interfaces.http.blueprint import Blueprint
from interfaces.http.context import county, moment
from interfaces.http.problems import COUNTY_READ, COUNTY_WRITE, answers
from interfaces.http.schemas import audit as schemas

blp = Blueprint("audit", __name__, url_prefix="/v1/tenants/<code>/audit",
                description="Tamper evidence and replay, for auditors")


@blp.route("/verify")
class Verify(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.response(200, schemas.VerificationOut)
    def get(self, code: str) -> dict[str, Any]:
        """Recompute the chain of the county's stored events and compare it with the
        stored links: an edited, deleted, inserted or reordered event is named by
        the first bad position."""
        require_county(code, "audit")
        return asdict(county(code).verify_chain())


@blp.route("/replays")
class Replays(MethodView):
    @answers(blp, *COUNTY_WRITE)
    @blp.arguments(schemas.ReplayIn, required=False)
    @blp.response(200, schemas.ReplayOut)
    def post(self, data: dict[str, Any], code: str) -> dict[str, Any]:
        """Rebuild the state from the events alone and compare it with what the read
        views answer (units, tree, lineage), on ``as_of`` as known at ``known_at``."""
        require_county(code, "audit")
        report = county(code).audit_replay(moment(data))
        return {"events_replayed": report.events_replayed, "units_compared": report.units_compared,
                "matches": report.matches, "differences": report.differences}
