"""A county's event feed for integrators: CloudEvents 1.0, in recorded order, resumable,
as pages (with long polling) and as a server-sent event stream.

Waiting (a long poll, a quiet stream) sleeps on the process's one wake-up
listener (``infra.wakeups``), not on a query per waiter. A stream holds a
worker thread while it is open, so each process serves at most
``GRASSROOTS_MAX_STREAMS`` at once and answers more with 429 and Retry-After:
streams can never take every thread from the API.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import orjson
from flask import Response, current_app, request
from flask.views import MethodView

from application.feed import FeedEvent, feed_types, read_feed
from infra.storage import Storage
from interfaces.cloudevents import cloud_event
from interfaces.http.auth import require_county
from interfaces.http.blueprint import Blueprint
from interfaces.http.context import county, storage
from interfaces.http.problems import COUNTY_READ, Problem, answers
from interfaces.http.schemas import events as schemas

blp = Blueprint("events", __name__, url_prefix="/v1/tenants/<code>",
                description="The county's event feed")

KEEP_ALIVE_SECONDS = 5.0  # also how soon a stream notices its client left
STREAM_PAGE = 100

# Set when this process is asked to stop (``interfaces.serving``): open streams end
# with a last comment and long polls answer what they have, within a wait (1 s),
# so that the stop does not wait for listeners that would never leave.
STOPPING = threading.Event()


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
    @answers(blp, *COUNTY_READ)
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
            remaining = deadline - time.monotonic()
            if events or remaining <= 0 or STOPPING.is_set():
                break
            storage().wakeups.wait(code, remaining)
        body = {
            "items": [cloud_event(storage(), code, e) for e in events],
            "next_after": events[-1].position if events else args["after"],
        }
        return Response(orjson.dumps(body), mimetype="application/json")


def _stream_slots() -> threading.BoundedSemaphore:
    """This process's open streams: at most ``max_streams`` (one app per process)."""
    extensions = current_app.extensions
    if "event_streams" not in extensions:
        extensions["event_streams"] = threading.BoundedSemaphore(
            current_app.config["SETTINGS"].max_streams)
    return extensions["event_streams"]


def _last_event_id(args: dict[str, Any]) -> int | None:
    header = request.headers.get("Last-Event-ID")
    if header is None:
        return args["after"]
    if not header.isascii() or not header.isdigit() or len(header) > 18:
        raise Problem(400, "Bad Request", "Last-Event-ID is not a position this stream sent")
    return int(header)


def _sse(place: Storage, code: str, event: FeedEvent) -> bytes:
    return (f"id: {event.position}\nevent: {event.type}\ndata: ".encode()
            + orjson.dumps(cloud_event(place, code, event)) + b"\n\n")


@blp.route("/events/stream")
class Stream(MethodView):
    @answers(blp, *COUNTY_READ, 400)
    @blp.arguments(schemas.StreamQuery, location="query")
    @blp.response(200, {"type": "string", "description": "server-sent events: `id`, `event` "
                        "(the type) and `data` (the CloudEvent) of each event"},
                  content_type="text/event-stream")
    def get(self, args: dict[str, Any], code: str) -> Response:
        """The same events pushed as they are recorded (SSE): ``id`` is the position;
        reconnecting with ``Last-Event-ID`` (or ``?after=``) resumes after it; without
        either the stream starts with the next new event. Comments keep it alive."""
        require_county(code, "feed")
        types = _types(args["types"])
        place = storage()
        ledger = place.county(code).ledger
        wakeups = place.wakeups
        after = _last_event_id(args)
        if after is None:
            after = ledger.recorder.max_notification_id() or 0
        slots = _stream_slots()
        if not slots.acquire(blocking=False):
            raise Problem(429, "Too Many Requests", "too many open event streams; retry",
                          retry_after=5)

        def stream(position: int) -> Iterator[bytes]:
            try:
                yield b": stream open\n\n"
                quiet_since = time.monotonic()
                while not STOPPING.is_set():
                    events = read_feed(ledger, position, STREAM_PAGE, types)
                    for event in events:
                        yield _sse(place, code, event)
                        position = event.position
                    if events:
                        quiet_since = time.monotonic()
                        continue
                    if time.monotonic() - quiet_since >= KEEP_ALIVE_SECONDS:
                        yield b": keep-alive\n\n"
                        quiet_since = time.monotonic()
                    wakeups.wait(code, KEEP_ALIVE_SECONDS)
                yield b": server stopping; reconnect with Last-Event-ID\n\n"
            finally:
                slots.release()

        return Response(stream(after), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@blp.route("/lag")
class Lag(MethodView):
    @answers(blp, *COUNTY_READ)
    @blp.response(200, schemas.LagOut)
    def get(self, code: str) -> dict[str, int]:
        """How far the county's read views are behind its last event (positions)."""
        require_county(code, "read")
        return county(code).lag()
