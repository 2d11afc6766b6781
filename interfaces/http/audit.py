"""Audit: verify a county's hash-chained history."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from interfaces.http import schemas
from interfaces.http.auth import require_county
from interfaces.http.context import county

blp = Blueprint("audit", __name__, url_prefix="/v1/tenants/<code>/audit",
                description="Tamper evidence and replay, for auditors")


@blp.route("/verify")
class Verify(MethodView):
    @blp.response(200, schemas.VerificationOut)
    def get(self, code: str) -> dict[str, Any]:
        """Recompute the chain of the county's stored events and compare it with the
        stored links: an edited, deleted, inserted or reordered event is named by
        the first bad position."""
        require_county(code, "audit")
        return asdict(county(code).verify_chain())
