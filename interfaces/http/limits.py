"""Limits on what one client can make this process do.

Request rates: each key and each client address may make ``rate_per_key`` and
``rate_per_address`` requests a second, with bursts up to ``rate_burst`` (a token
bucket each); past that, 429 with Retry-After. The operator's key has no rate
limit of its own (its address has).

Failed authentication: an address that sent ``auth_failures`` missing, unknown or
revoked keys within ``auth_window`` seconds is answered 429 with Retry-After,
whatever it sends, until the oldest of those failures is out of the window; its
keys are not even looked up meanwhile. The count is this process's own (a
worker's memory, no shared store to slow every request down): with W workers an
address gets up to W times the limit before every worker refuses it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque

from flask import current_app, request

from interfaces.http.problems import Problem

# Addresses remembered at most: a flood from many addresses forgets the oldest.
ADDRESSES = 10_000


class FailureLimiter:
    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int | None:
        """Seconds until ``address`` may try again, or None if it may now."""
        with self._lock:
            failures = self._recent(address, time.monotonic())
            if failures is None or len(failures) < self.limit:
                return None
            return max(1, math.ceil(failures[0] + self.window - time.monotonic()))

    def failed(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            failures = self._recent(address, now)
            if failures is None:
                failures = self._failures[address] = deque(maxlen=self.limit)
                while len(self._failures) > ADDRESSES:
                    self._failures.popitem(last=False)
            failures.append(now)
            self._failures.move_to_end(address)

    def _recent(self, address: str, now: float) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures


class RateLimiter:
    """A token bucket per client: ``rate`` tokens a second, at most ``burst`` kept."""

    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.burst = burst
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> int | None:
        """Spend one token of ``client``: None, or the seconds until one is there."""
        if self.rate <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.rate)
            self._buckets[client] = (tokens - 1 if tokens >= 1 else tokens, now)
            while len(self._buckets) > ADDRESSES:
                self._buckets.popitem(last=False)
        if tokens >= 1:
            return None
        return max(1, math.ceil((1 - tokens) / self.rate))


def _limiter(name: str, rate: float) -> RateLimiter:
    extensions = current_app.extensions
    if name not in extensions:
        extensions[name] = RateLimiter(rate, current_app.config["SETTINGS"].rate_burst)
    limiter: RateLimiter = extensions[name]
    return limiter


def admit_address() -> None:
    """429 for an address past its rate."""
    settings = current_app.config["SETTINGS"]
    seconds = _limiter("rate_per_address", settings.rate_per_address).take(
        request.remote_addr or "")
    if seconds is not None:
        raise Problem(429, "Too Many Requests", "too many requests from this address; "
                      "retry later", retry_after=seconds)


def admit_key(key_id: str) -> None:
    """429 for a key past its rate."""
    settings = current_app.config["SETTINGS"]
    seconds = _limiter("rate_per_key", settings.rate_per_key).take(key_id)
    if seconds is not None:
        raise Problem(429, "Too Many Requests", "too many requests with this key; "
                      "retry later", retry_after=seconds)


def _auth_failures() -> FailureLimiter:
    extensions = current_app.extensions
    if "auth_failures" not in extensions:
        settings = current_app.config["SETTINGS"]
        extensions["auth_failures"] = FailureLimiter(settings.auth_failures, settings.auth_window)
    return extensions["auth_failures"]


def refuse_failing_address() -> None:
    """429 for an address over its limit of failed authentications."""
    seconds = _auth_failures().retry_after(request.remote_addr or "")
    if seconds is not None:
        raise Problem(429, "Too Many Requests", "too many failed authentications from this "
                      "address; retry later", retry_after=seconds)


def unauthorized(detail: str) -> Problem:
    """A 401, counted against the client's address."""
    _auth_failures().failed(request.remote_addr or "")
    return Problem(401, "Unauthorized", detail)
