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
    (half a replay's fold; a sixth of an import). What is made in the pause should
    be freed in it too: the first collection after it scans every object made in
    the pause that is still alive (0.5 s for a county of 200,000 units)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
