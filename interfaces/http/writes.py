"""How a view records a command: as an editor of the county, once per idempotency
key, counted, and with the read views brought up to it before the answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from application.ledger import Receipt
from domain.changes import Authority
from infra.storage import County
from interfaces.http import idempotency
from interfaces.http.auth import require_county
from interfaces.http.context import county
from interfaces.http.operations import WRITES
from interfaces.http.schemas.common import ReceiptOut

# The answer a claimed idempotency key holds before the write commits (made once:
# a schema costs more to make than to dump with).
RECEIPT = ReceiptOut()


def authority(data: dict[str, Any]) -> Authority | None:
    """The document a request cites for its change, if it names one."""
    raw = data.get("authority")
    return Authority(**raw) if raw else None


def write(code: str, command: Callable[[County, str], Receipt]) -> Receipt:
    """Run a command as an editor and bring the views up to it before answering."""
    who = require_county(code, "edit")
    place = county(code)
    with idempotency.attempt(RECEIPT.dump):
        receipt = command(place, who.actor)
    WRITES.labels(receipt.type).inc()
    if not receipt.views_current:
        place.catch_up(receipt.position)
    return receipt
