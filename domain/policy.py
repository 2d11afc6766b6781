"""A county's policy: the switches and figures the opinion leaves to each county.

Amendments are events with an effective date, so a question about a past date
is answered with the policy then in force, as it was known at the time asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import Aggregate

from domain.rules import RuleRefused
from domain.timeline import BEGINNING

# How N3 rounds a quotient: 400 households per staff member, 401 households…
ROUNDINGS = {"up": math.ceil, "down": math.floor, "nearest": lambda x: math.floor(x + 0.5)}

DEFAULTS: dict[str, Any] = {
    # H3: conversions, mergers and federations must fit a plan (先规划后落实).
    "plans_required": True,
    # H7: cap on one-vote-veto (一票否决) items in a town's assessment catalogue.
    "max_veto_items": 3,
    # N6: rural new communities (rural communities + federations) to reach.
    "coverage_target": 0,
    # N3: households per full-time staff member, and floating residents per extra
    # one, each quotient rounded as the county decides (每400户配1人, 每2000人增配1人),
    # and the least number of staff (不少于5人).
    "households_per_staff": 400,
    "households_rounding": "up",
    "floating_per_staff": 2000,
    "floating_rounding": "down",
    "minimum_staff": 5,
}

POLICY_ID = uuid5(NAMESPACE_URL, "grassroots-ledger:policy")


@dataclass(frozen=True)
class Amendment:
    effective_date: date
    recorded_at: datetime
    settings: dict[str, Any]


class Policy(Aggregate):
    class Adopted(Aggregate.Created):
        settings: dict[str, Any]

    class Amended(Aggregate.Event):
        settings: dict[str, Any]
        actor: str
        effective_date: date | None  # None: from the beginning (since version 2)

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["effective_date"] = None  # amendments before dates were in force always

        def apply(self, policy: Policy) -> None:
            policy.amendments.append(Amendment(
                self.effective_date or BEGINNING, self.timestamp, dict(self.settings)))

    def __init__(self, settings: dict[str, Any]):
        self.defaults = {**DEFAULTS, **settings}
        self.amendments: list[Amendment] = []

    @classmethod
    def adopt_defaults(cls) -> Policy:
        return cls._create(cls.Adopted, id=POLICY_ID, settings=DEFAULTS)

    def amend(self, settings: dict[str, Any], effective_date: date, actor: str,
              recorded_at: datetime) -> None:
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise RuleRefused(None, f"unknown policy fields: {sorted(unknown)}")
        for name in ("households_rounding", "floating_rounding"):
            if name in settings and settings[name] not in ROUNDINGS:
                raise RuleRefused(None, f"{name} is one of {sorted(ROUNDINGS)}")
        self.trigger_event(self.Amended, settings=settings, actor=actor,
                           effective_date=effective_date, timestamp=recorded_at)

    def settings_on(self, day: date, known_at: datetime | None = None) -> dict[str, Any]:
        """The policy in force on ``day``, as recorded by ``known_at`` (default: all):
        amendments in effective order, those of one date in recorded order."""
        settings = dict(self.defaults)
        known = [a for a in self.amendments
                 if a.effective_date <= day and (known_at is None or a.recorded_at <= known_at)]
        for amendment in sorted(known, key=lambda a: (a.effective_date, a.recorded_at)):
            settings.update(amendment.settings)
        return settings


def staff_quota(households: int, floating: int, settings: dict[str, Any]) -> int:
    """N3: max(5, ceil(H / 400) + floor(F / 2000)), with the county's figures and roundings."""
    by_households = ROUNDINGS[settings["households_rounding"]](
        households / settings["households_per_staff"])
    by_floating = ROUNDINGS[settings["floating_rounding"]](
        floating / settings["floating_per_staff"])
    return max(int(settings["minimum_staff"]), int(by_households) + int(by_floating))
