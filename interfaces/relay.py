"""The NATS JetStream relay: every county's events, published in recorded order.

One process and one thread relay all counties. Each event goes to subject
``<prefix>.<county>.<event type>`` with ``Nats-Msg-Id: <county>-<position>``, so
JetStream drops a message it already has (a relay that died between publishing
and recording how far it got republishes, and nothing is doubled). How far the
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
from interfaces.http.events import cloud_event

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
        after = county.views.max_tracking_id(name) or 0  # type: ignore[attr-defined]
        # Without names: JetStream keeps what it is given, and an erasure could not
        # reach it there. Consumers read a person's name through the API.
        events = read_feed(county.ledger, after, BATCH, personal_data=False)
        for event in events:
            await jetstream.publish(  # type: ignore[attr-defined]
                f"{self.prefix}.{county.code}.{event.type}",
                orjson.dumps(cloud_event(county.code, event)),
                headers={"Nats-Msg-Id": f"{county.code}-{event.position}"},
            )
        if events:
            county.views.insert_tracking(Tracking(name, events[-1].position))  # type: ignore[attr-defined]
            log.info("relayed %s events of %s up to %s", len(events), county.code,
                     events[-1].position)
        return len(events)
