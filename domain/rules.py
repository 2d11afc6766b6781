"""Refusals of commands, each naming the hard rule (H1–H7) that refused it.

Two kinds, as API.md's "409 or 422" says: a command that breaks a rule on its
own terms is *refused*; one that contradicts what is already recorded (a unit
no longer in the needed state, a later-effective change that assumes the
opposite, a concurrent writer) is a *conflict* and names the changes involved.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID


class DomainError(Exception):
    """Base of the refusals the domain raises."""

    def __init__(self, rule: str | None, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


class RuleRefused(DomainError):
    """The command breaks a rule on its own terms (HTTP 422)."""


class Conflict(DomainError):
    """The command contradicts recorded history (HTTP 409)."""

    def __init__(
        self, rule: str | None, message: str, conflicts: Iterable[UUID] = ()
    ):
        super().__init__(rule, message)
        self.conflicts = sorted(set(conflicts), key=str)


class NotFound(DomainError):
    """A unit, change or plan the command names is not in this county."""

    def __init__(self, what: str, ident: object):
        super().__init__(None, f"{what} {ident} not found")
        self.what = what


def require_recorded_after(modified_on: datetime, recorded_at: datetime) -> None:
    """The recorded times of one aggregate's events increase. A command stamped
    before a concurrent change to the same aggregate was committed would record
    its event earlier than that change's: it loses, and is retried."""
    if recorded_at < modified_on:  # equal: more events of the same command
        raise Conflict(None, "a concurrent change to the same record was recorded meanwhile; "
                             "retry")
