"""People (工作人员): who holds the posts of the bodies.

A person's name is personal data. The events that carry it say so
(``personal_fields``), so that the application can keep those fields sealed
under a key of the person's own and erase them by destroying the key: the
events stay — the structure's history and its post counts are intact — but
the name is gone from everywhere, the stored events included.
"""

from __future__ import annotations

from enum import Enum

from eventsourcing.domain import Aggregate

from domain.rules import Conflict


class Rank(str, Enum):
    """Cadre rank (职级), as N1 reads it for a federation's party secretary."""

    SECTION = "section"  # 正科级
    DEPUTY_SECTION = "deputy_section"  # 副科级
    DEPUTY_SECTION_RESERVE = "deputy_section_reserve"  # 副科级后备干部
    NONE = "none"


class Source(str, Enum):
    """Where a member of grassroots staff comes from (N4)."""

    TOWNSHIP_CADRE = "township_cadre"  # 乡镇干部
    STATION_STAFF = "station_staff"  # 基层站所工作人员
    COLLEGE_GRADUATE_VILLAGE_OFFICIAL = "college_graduate_village_official"  # 大学生村官
    VILLAGE_CADRE = "village_cadre"  # 村干部
    OTHER = "other"


class Person(Aggregate):
    class Registered(Aggregate.Created):
        name: str | None
        rank: str
        source: str

        # Sealed in the stored event; None once the person is erased.
        personal_fields = ("name",)

    def __init__(self, name: str | None, rank: str, source: str):
        self.name = name
        self.rank = Rank(rank)
        self.source = Source(source)
        self.erased = name is None

    class Erased(Aggregate.Event):
        """The person's personal data was erased on request (个人信息删除)."""

        actor: str

        def apply(self, person: Person) -> None:
            person.name = None
            person.erased = True

    @classmethod
    def register(cls, *, name: str, rank: Rank, source: Source) -> Person:
        return cls._create(cls.Registered, name=name, rank=rank.value, source=source.value)

    def erase(self, actor: str) -> None:
        if self.erased:
            raise Conflict(None, f"person {self.id} is already erased")
        self.trigger_event(self.Erased, actor=actor)
