"""Building a county's history through its ledger's commands, for the application tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import pytest
from aggregates import day

from application.ledger import CommunitySpec, CountyLedger, Receipt
from domain.assessment import Item
from domain.bodies import Appointment, BodyType, Role
from domain.kinds import UnitKind
from domain.people import Rank, Source
from domain.rules import DomainError

ACTOR = "test"
START = "2010-01-01"


class County:
    """A county's ledger with short steps for building its history; the command
    under test is called on ``ledger`` itself."""

    def __init__(self, ledger: CountyLedger):
        self.ledger = ledger

    def head(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0

    @contextmanager
    def refuses(self, refusal: type[DomainError], rule: str | None) -> Iterator[None]:
        """The command in the block is refused under ``rule`` and records nothing."""
        before = self.head()
        with pytest.raises(refusal) as caught:
            yield
        assert type(caught.value) is refusal
        assert caught.value.rule == rule, caught.value.message
        assert self.head() == before

    def unit(self, kind: UnitKind, parent: UUID | None = None, on: str = START) -> UUID:
        return made(self.ledger.establish_unit(kind=kind, name=kind.value, code=None,
                                               parent_id=parent, effective_date=day(on),
                                               actor=ACTOR))

    def villages(self, town: UUID, count: int) -> list[UUID]:
        return [self.unit(UnitKind.VILLAGE, town) for _ in range(count)]

    def plan(self, area_type: UnitKind, villages: list[UUID], on: str) -> None:
        self.ledger.adopt_plan(area_type=area_type, name="规划", village_ids=villages,
                               effective_date=day(on), actor=ACTOR)

    def federate(self, villages: list[UUID], on: str) -> UUID:
        self.plan(UnitKind.FEDERATION, villages, on)
        return created(self.ledger.federate(village_ids=villages, federation=CommunitySpec("联居"),
                                            effective_date=day(on), actor=ACTOR))

    def convert(self, village: UUID, on: str) -> Receipt:
        return self.ledger.convert(village_id=village, community=CommunitySpec("社区"),
                                   effective_date=day(on), actor=ACTOR)

    def merge(self, villages: list[UUID], on: str) -> Receipt:
        return self.ledger.merge(village_ids=villages, community=CommunitySpec("农村社区"),
                                 effective_date=day(on), actor=ACTOR)

    def body(self, body_type: BodyType, unit: UUID, on: str = START,
             **attributes: Any) -> UUID:
        return made(self.ledger.establish_body(unit_id=unit, body_type=body_type, name=None,
                                               attributes=attributes, effective_date=day(on),
                                               actor=ACTOR))

    def person(self) -> UUID:
        return self.ledger.register_person(name="张三", rank=Rank.NONE,
                                           source=Source.TOWNSHIP_CADRE).id

    def appoint(self, body: UUID, role: Role, on: str, person: UUID, **how: Any) -> UUID:
        appointment = Appointment(person, role, **how)
        return made(self.ledger.appoint(body_id=body, appointment=appointment,
                                        effective_date=day(on), actor=ACTOR))

    def end_post(self, post: UUID, on: str, consent: dict[str, Any] | None = None) -> Receipt:
        return self.ledger.end_post(post_id=post, effective_date=day(on), reason=None,
                                    consent=consent, actor=ACTOR)

    def catalogue(self, town: UUID, items: list[Item], on: str = "2012-01-01") -> Receipt:
        return self.ledger.adopt_catalogue(town_id=town, year=day(on).year, items=items,
                                           effective_date=day(on), actor=ACTOR)


def made(receipt: Receipt) -> UUID:
    assert receipt.id is not None
    return receipt.id


def created(receipt: Receipt) -> UUID:
    [unit_id] = receipt.created_unit_ids
    return unit_id
