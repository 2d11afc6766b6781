"""A county's event feed: every recorded event, in recorded order, for integrators.

Positions are the library's notification ids of the county's own log: they
increase in commit order (the recorder locks the county's events table per
write), and may skip numbers (a rolled-back write burns ids).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from application.ledger import CountyLedger
from application.projection import domain_event
from application.view_batch import snake_case
from domain.arrangements import Arrangement
from domain.assessment import AssessmentCatalogue
from domain.bodies import Body
from domain.changes import Change
from domain.people import Person
from domain.plans import Plan
from domain.policy import Policy
from domain.units import Unit

# Every aggregate whose events the feed carries.
FEED_AGGREGATES = (Unit, Change, Plan, Policy, Body, Person, Arrangement, AssessmentCatalogue)

_ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic",
             "effective_date"}


@dataclass(frozen=True)
class FeedEvent:
    position: int
    type: str  # e.g. "unit.renamed", "change.recorded"
    subject: UUID  # the unit, change, plan, policy, body or person the event belongs to
    recorded_at: datetime
    effective_date: date | None
    data: dict[str, Any]


def feed_type(event_class: type) -> str:
    """``Unit.JoinedFederation`` → ``unit.joined_federation``;
    ``AssessmentCatalogue.Adopted`` → ``assessment_catalogue.adopted``."""
    aggregate, _, name = event_class.__qualname__.partition(".")
    return f"{snake_case(aggregate)}.{snake_case(name)}"


@cache
def feed_types() -> dict[str, str]:
    """Every event type of the feed, with the library's topic for its class."""
    return {
        feed_type(value): get_topic(value)
        for aggregate in FEED_AGGREGATES
        for value in vars(aggregate).values()
        if isinstance(value, type) and issubclass(value, Aggregate.Event)
        # The library gives every aggregate a base Event and a default Created;
        # these aggregates record neither.
        and value.__name__ not in ("Event", "Created")
    }


def read_feed(
    ledger: CountyLedger, after: int, limit: int, types: Sequence[str] = (),
    *, personal_data: bool = True,
) -> list[FeedEvent]:
    """Up to ``limit`` events recorded after position ``after`` (of ``types``, if named).

    Without ``personal_data`` the personal fields read as null, as after an
    erasure: for copies the ledger cannot erase later (a broker's stream).
    """
    topics = [feed_types()[t] for t in types]
    notifications = ledger.notification_log.select(
        start=after, limit=limit, topics=topics, inclusive_of_start=False
    )
    events = []
    for notification in notifications:
        event = domain_event(ledger, notification)
        personal = getattr(type(event), "personal_fields", ())
        events.append(FeedEvent(
            position=notification.id,
            type=feed_type(type(event)),
            subject=event.originator_id,
            recorded_at=event.timestamp,
            effective_date=getattr(event, "effective_date", None),
            data={k: None if not personal_data and k in personal else v
                  for k, v in vars(event).items() if k not in _ENVELOPE},
        ))
    return events
