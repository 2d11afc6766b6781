"""Waking whoever waits for a county's next event, with one listener for all counties.

On PostgreSQL the library NOTIFYs the channel ``t<code>_events`` on every write;
one thread per process holds one connection that LISTENs on the channels of
the counties someone waits for, and wakes their waiters. A wait never lasts
longer than its sweep interval, so a missed notification (a write committed
before LISTEN was issued, a dropped connection) delays a waiter by at most that
much, never forever. SQLite has no notifications: waiters simply poll.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict

import psycopg
from psycopg.sql import SQL, Identifier

log = logging.getLogger(__name__)

SWEEP_SECONDS = 1.0


class Wakeups:
    """Per-county wake-ups: ``wait(code, timeout)`` returns on a new event or the timeout."""

    def __init__(self, conninfo: str | None):
        self._conninfo = conninfo  # None: no notifications (SQLite), waiters poll
        self._conditions: defaultdict[str, threading.Condition] = defaultdict(threading.Condition)
        self._listening: set[str] = set()
        self._requests: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def wait(self, code: str, timeout: float) -> None:
        timeout = min(timeout, SWEEP_SECONDS)
        if self._conninfo is None:
            time.sleep(min(timeout, 0.25))
            return
        self._listen(code, self._conninfo)
        condition = self._conditions[code]
        with condition:
            condition.wait(timeout)

    def _listen(self, code: str, conninfo: str) -> None:
        with self._lock:
            if code not in self._listening:
                self._listening.add(code)
                self._requests.put(code)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, args=(conninfo,), name="wakeups",
                                                daemon=True)
                self._thread.start()

    def _run(self, conninfo: str) -> None:
        while not self._stopped.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    for code in list(self._listening):  # again, after a reconnection
                        conn.execute(SQL("LISTEN {}").format(Identifier(f"t{code}_events")))
                    self._serve(conn)
            except psycopg.Error as error:
                log.warning("wake-up listener lost its connection (%s); waiters sweep meanwhile", error)
                self._stopped.wait(SWEEP_SECONDS)

    def _serve(self, conn: psycopg.Connection) -> None:
        while not self._stopped.is_set():
            while not self._requests.empty():
                code = self._requests.get()
                conn.execute(SQL("LISTEN {}").format(Identifier(f"t{code}_events")))
            for notification in conn.notifies(timeout=0.2):
                code = notification.channel.removeprefix("t").removesuffix("_events")
                condition = self._conditions[code]
                with condition:
                    condition.notify_all()

    def close(self) -> None:
        self._stopped.set()
