"""The cyclic garbage collector, paused while a county's aggregates are built at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """While objects are made that all live until the work ends (every aggregate of
    a county replayed, every unit of a county's import and its events and rows):
    the cyclic collector would scan them again and again and find nothing to free
    (half a replay's fold; a sixth of an import)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
