"""The structure rebuilt from the events alone, with no read view involved.

Auditors (and the tests) compare the read views with this: every unit folded
from the events recorded up to ``known_at``, then asked for its state on a date.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.ledger import CountyLedger
from domain.units import Unit

PAGE = 1000


def units_known_at(ledger: CountyLedger, known_at: datetime) -> dict[UUID, Unit]:
    """Every unit as the ledger knew it at ``known_at``, folded in recorded order."""
    units: dict[UUID, Unit] = {}
    position = 0
    while True:
        notifications = ledger.recorder.select_notifications(
            start=position, limit=PAGE, inclusive_of_start=False
        )
        if not notifications:
            # A unit whose establishment was retracted never existed.
            return {unit_id: unit for unit_id, unit in units.items() if not unit.is_void}
        for notification in notifications:
            event = ledger.mapper.to_domain_event(notification)
            if isinstance(event, Unit.Event) and event.timestamp <= known_at:
                unit = event.mutate(units.get(event.originator_id))
                assert isinstance(unit, Unit)
                units[unit.id] = unit
        position = notifications[-1].id
