"""A county's event feed for integrators: CloudEvents 1.0, in recorded order, resumable."""

from __future__ import annotations

import time
from typing import Any

import orjson
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from application.feed import FeedEvent, feed_types, read_feed
from interfaces.http import schemas
from interfaces.http.auth import require_county
from interfaces.http.context import county
from interfaces.http.problems import Problem

blp = Blueprint("events", __name__, url_prefix="/v1/tenants/<code>",
                description="The county's event feed")

POLL_SECONDS = 0.25  # a long poll sees a new commit within this


def cloud_event(code: str, event: FeedEvent) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"{code}-{event.position}",
        "source": f"/v1/tenants/{code}",
        "type": event.type,
        "subject": str(event.subject),
        "time": event.recorded_at,
        "datacontenttype": "application/json",
        "data": event.data,
        "position": event.position,
        "effective_date": event.effective_date,
    }


def _types(raw: str | None) -> list[str]:
    if raw is None:
        return []
    named = [t.strip() for t in raw.split(",") if t.strip()]
    unknown = sorted(set(named) - set(feed_types()))
    if unknown:
        raise Problem(422, "Unprocessable Entity", "unknown event types",
                      errors={"types": [f"unknown: {', '.join(unknown)}"]})
    return named


@blp.route("/events")
class Events(MethodView):
    @blp.arguments(schemas.EventQuery, location="query")
    @blp.response(200, schemas.EventPage)
    def get(self, args: dict[str, Any], code: str) -> Response:
        """Events recorded after position ``after``, oldest first; ``wait`` long-polls."""
        require_county(code, "feed")
        types = _types(args["types"])
        ledger = county(code).ledger
        deadline = time.monotonic() + args["wait"]
        while True:
            events = read_feed(ledger, args["after"], args["limit"], types)
            if events or time.monotonic() >= deadline:
                break
            time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        body = {
            "items": [cloud_event(code, e) for e in events],
            "next_after": events[-1].position if events else args["after"],
        }
        return Response(orjson.dumps(body), mimetype="application/json")
