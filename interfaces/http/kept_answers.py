"""The hottest reads' answers, kept in each process while the county's views
stay at the position they were read at.

A read answers from the views' rows, and those change only when an event is
recorded: the answer to the same question (as known now, or as known at a given
time) is the same until the county's position moves. Keyed by that position, an
answer is never stale — a new event makes a new key — and the old ones age out
of a small LRU.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

# Answers kept per process, all counties together (a Pudong tree is 240 KB).
SIZE = 64


class KeptAnswers:
    def __init__(self, size: int = SIZE):
        self.size = size
        self._answers: OrderedDict[tuple[str, int, Hashable], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def answer(self, county: str, position: int, question: Hashable,
               make: Callable[[], bytes]) -> bytes:
        """The answer to ``question`` in ``county`` at ``position``: kept, or made now
        (outside the lock: two threads may both make it, and either is right)."""
        key = (county, position, question)
        with self._lock:
            kept = self._answers.get(key)
            if kept is not None:
                self._answers.move_to_end(key)
                return kept
        made = make()
        with self._lock:
            self._answers[key] = made
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
        return made
