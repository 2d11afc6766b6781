"""A county's policy: the switches and figures the opinion leaves to each county.

Amendments are events, so a question about a past date can be answered with
the policy then in force.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import Aggregate

from domain.rules import RuleRefused

DEFAULTS: dict[str, Any] = {
    # H3: conversions, mergers and federations must fit a plan (先规划后落实).
    "plans_required": True,
    # H7: cap on one-vote-veto (一票否决) items in a town's assessment catalogue.
    "max_veto_items": 3,
    # N6: rural new communities (rural communities + federations) to reach.
    "coverage_target": 0,
    # N3: households per full-time staff member, and floating residents per extra one.
    "households_per_staff": 400,
    "floating_per_staff": 2000,
    "minimum_staff": 5,
}

POLICY_ID = uuid5(NAMESPACE_URL, "grassroots-ledger:policy")


class Policy(Aggregate):
    class Adopted(Aggregate.Created):
        settings: dict[str, Any]

    class Amended(Aggregate.Event):
        settings: dict[str, Any]
        actor: str

        def apply(self, policy: Policy) -> None:
            policy.settings.update(self.settings)

    def __init__(self, settings: dict[str, Any]):
        self.settings = dict(settings)

    @classmethod
    def adopt_defaults(cls) -> Policy:
        return cls._create(cls.Adopted, id=POLICY_ID, settings=DEFAULTS)

    def amend(self, settings: dict[str, Any], actor: str, recorded_at: datetime) -> None:
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise RuleRefused(None, f"unknown policy fields: {sorted(unknown)}")
        self.trigger_event(self.Amended, settings=settings, actor=actor, timestamp=recorded_at)

    @property
    def plans_required(self) -> bool:
        return bool(self.settings["plans_required"])
