"""A county's ledger on the library's in-memory store, with no read views.

The composition root answers the ledger's look-ups (``Lookups``) from the SQL read
views and keeps the personal keys beside them. On the library's in-memory store
(``eventsourcing.popo``: the application tests, a scratch county) there are no views,
so ``OwnEvents`` answers the same questions from the ledger's own events: it reads
the notification log for the few events that say where things hang — a unit placed
under a parent, a body established in a unit, a post started in a body, an
arrangement made for a zone — and keeps only those ids. Whether a unit hangs there
on a date, or a body or post was retracted since, is read from the aggregates
themselves, so each answer is the one the views give.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from application.ledger import CountyLedger
from application.personal_data import new_key
from application.projection import domain_event, read_log
from domain.arrangements import Arrangement
from domain.bodies import Body
from domain.people import Person
from domain.units import ACTIVE, Unit

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def in_memory_ledger(county: str) -> CountyLedger:
    """County ``county``'s ledger on the in-memory store, answering its own look-ups."""
    ledger = CountyLedger(county, env=IN_MEMORY)
    own_events = OwnEvents(ledger)
    ledger.lookups = own_events
    ledger.personal_keys = own_events
    return ledger


class OwnEvents:
    """``application.ledger.Lookups`` and ``application.personal_data.PersonalKeys``,
    kept from the ledger's events; brought up to date before each answer, so that
    every committed event counts."""

    def __init__(self, ledger: CountyLedger):
        self.ledger = ledger
        self.position = 0  # the last notification read
        self.placed_under: defaultdict[UUID, set[UUID]] = defaultdict(set)
        self.body_of: dict[UUID, UUID] = {}  # post → body
        self.arrangements: defaultdict[UUID, set[UUID]] = defaultdict(set)
        self.keys: dict[UUID, bytes] = {}
        self.handlers: dict[str, Callable[[Any], None]] = {
            get_topic(Unit.Established): self._established,
            get_topic(Unit.Moved): self._moved,
            get_topic(Body.PostStarted): self._post_started,
            get_topic(Arrangement.Made): self._arrangement_made,
            get_topic(Person.Erased): self._erased,
        }

    # -- Lookups ----------------------------------------------------------------

    def children_after(self, unit_id: UUID, day: date) -> list[UUID]:
        """Units whose timeline, as now believed, has them active under ``unit_id``
        on some day from ``day`` on."""
        self._catch_up()
        return sorted(
            (child for child in self.placed_under[unit_id]
             if any(s.facts.parent_id == unit_id and s.facts.status == ACTIVE
                    and s.valid_to > day for s in self.ledger.unit(child).segments())),
            key=str)

    def body_of_post(self, post_id: UUID) -> UUID | None:
        """None also for a post whose appointment was retracted."""
        self._catch_up()
        body_id = self.body_of.get(post_id)
        if body_id is None or post_id not in self.ledger.body(body_id).posts:
            return None
        return body_id

    def arrangements_of(self, zone_id: UUID) -> list[UUID]:
        self._catch_up()
        return sorted(self.arrangements[zone_id], key=str)

    # -- PersonalKeys: erasure destroys the key, as the views' store does ----------

    def create(self, person_id: UUID) -> None:
        self.keys[person_id] = new_key()

    def get(self, person_id: UUID) -> bytes | None:
        self._catch_up()
        return self.keys.get(person_id)

    # -- Reading the events ------------------------------------------------------

    def _catch_up(self) -> None:
        for notifications in read_log(self.ledger, self.position, self.ledger.log_section_size,
                                      list(self.handlers)):
            for notification in notifications:
                self.handlers[notification.topic](domain_event(self.ledger, notification))
                self.position = notification.id

    def _established(self, event: Unit.Established) -> None:
        if event.parent_id is not None:
            self.placed_under[event.parent_id].add(event.originator_id)

    def _moved(self, event: Unit.Moved) -> None:
        self.placed_under[event.parent_id].add(event.originator_id)

    def _post_started(self, event: Body.PostStarted) -> None:
        self.body_of[event.post_id] = event.originator_id

    def _arrangement_made(self, event: Arrangement.Made) -> None:
        self.arrangements[event.zone_id].add(event.originator_id)

    def _erased(self, event: Person.Erased) -> None:
        self.keys.pop(event.originator_id, None)
