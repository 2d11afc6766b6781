"""The NATS JetStream relay: every county's events, published in recorded order.

One process and one thread relay all counties. Each event goes to subject
``<prefix>.<county>.<event type>`` with ``Nats-Msg-Id`` its CloudEvents id
(``<deployment>-<county>-<position>``, unique across deployments), so JetStream
drops a message it already has (a relay that died between publishing and
recording how far it got republishes, and nothing is doubled). A duplicate
acknowledgement is reported as an error and counted, never as published: after
such a restart it is expected, otherwise another publisher uses our ids. How far the
relay got is tracked per county in the county's own tracking table, with the
library's tracking recorder, after each acknowledged batch; a restarted relay
resumes there. Counties are swept in turn, each sweep reading only what is new.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

import nats
import orjson
from eventsourcing.persistence import Tracking
from nats.js.api import StreamConfig

from application.feed import read_feed
from infra.storage import County, Storage
from interfaces.cloudevents import cloud_event

log = logging.getLogger(__name__)

BATCH = 200
SWEEP_SECONDS = 0.5
DUPLICATE_WINDOW_SECONDS = 24 * 3600  # longer than any relay outage we retry through


def tracking_name(code: str) -> str:
    return f"t{code}-nats"


class NatsRelay:
    def __init__(self, storage: Storage, url: str, stream: str, prefix: str,
                 counties: Sequence[str] = ()):
        self.storage = storage
        self.url = url
        self.stream = stream
        self.prefix = prefix
        self.counties = list(counties)  # none named: every onboarded county
        self.duplicates = 0  # acknowledgements that JetStream already had the message

    def _codes(self) -> list[str]:
        return self.counties or [row["code"] for row in self.storage.directory.tenants(None, 1_000_000)]

    async def run(self, until: Callable[[], bool] = lambda: False) -> None:
        connection = await nats.connect(self.url)
        try:
            jetstream = connection.jetstream()
            await jetstream.add_stream(StreamConfig(
                name=self.stream, subjects=[f"{self.prefix}.>"],
                duplicate_window=DUPLICATE_WINDOW_SECONDS,
            ))
            while not until():
                published = 0
                for code in self._codes():
                    published += await self._relay(jetstream, self.storage.county(code))
                if not published:
                    await asyncio.sleep(SWEEP_SECONDS)
        finally:
            await connection.close()

    async def _relay(self, jetstream: object, county: County) -> int:
        name = tracking_name(county.code)
        after = county.views.max_tracking_id(name) or 0
        # Without names: JetStream keeps what it is given, and an erasure could not
        # reach it there. Consumers read a person's name through the API.
        events = read_feed(county.ledger, after, BATCH, personal_data=False)
        duplicates = 0
        for event in events:
            message = cloud_event(self.storage, county.code, event)
            ack = await jetstream.publish(  # type: ignore[attr-defined]
                f"{self.prefix}.{county.code}.{event.type}",
                orjson.dumps(message),
                headers={"Nats-Msg-Id": message["id"]},
            )
            duplicates += bool(ack.duplicate)
        if events:
            county.views.insert_tracking(Tracking(name, events[-1].position))
            log.info("relayed %s events of %s up to %s", len(events) - duplicates, county.code,
                     events[-1].position)
        if duplicates:
            self.duplicates += duplicates
            log.error("%s events of %s up to %s were already in the stream (duplicate "
                      "acknowledgements, %s in all): republished after a restart, or "
                      "another publisher uses these message ids", duplicates, county.code,
                      events[-1].position, self.duplicates)
        return len(events)
