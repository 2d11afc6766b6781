"""A write that may be attempted again after its first attempt died (a retry
with the same ``Idempotency-Key``, decision 10).

Each attempt records its change under the same planned id, so two attempts
cannot both record it (the second save meets the first's ``Change`` and fails),
and the caller learns the answer before the save commits, so that a later
attempt that finds the change recorded can answer with it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4


@dataclass
class Attempt:
    change_id: UUID
    # Called with the write's ``Receipt`` before the save that commits it.
    decided: Callable[[Any], None]
    planned_id_taken: bool = False


current: ContextVar[Attempt | None] = ContextVar("current_attempt", default=None)


def new_change_id() -> UUID:
    """The planned id for the attempt's first change; any further change of the
    same request is an ordinary one."""
    attempt = current.get()
    if attempt is None or attempt.planned_id_taken:
        return uuid4()
    attempt.planned_id_taken = True
    return attempt.change_id


def decided(receipt: Any) -> None:
    attempt = current.get()
    if attempt is not None and receipt.change_id == attempt.change_id:
        attempt.decided(receipt)
