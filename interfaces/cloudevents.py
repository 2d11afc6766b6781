"""A county's feed event as CloudEvents 1.0 JSON: what the API's event feed answers
and what the NATS relay publishes, the same for both."""

from __future__ import annotations

from typing import Any

from application.feed import FeedEvent
from infra.storage import Storage


def cloud_event(place: Storage, code: str, event: FeedEvent) -> dict[str, Any]:
    """The event as CloudEvents 1.0 JSON. The id names the deployment, so ``(source, id)``
    stays unique when two deployments hold the same county (and the NATS relay's
    message ids, which are these ids, do not collide in a shared stream)."""
    cloud = {
        "specversion": "1.0",
        "id": f"{place.deployment_id}-{code}-{event.position}",
        "source": f"{place.event_source}/v1/tenants/{code}",
        "type": event.type,
        "subject": str(event.subject),
        "time": event.recorded_at,
        "datacontenttype": "application/json",
        "data": event.data,
        "position": event.position,
    }
    # An attribute is absent rather than null (CloudEvents' JSON format); a person's
    # events have no effective date.
    if event.effective_date is not None:
        cloud["effectivedate"] = event.effective_date
    return cloud
