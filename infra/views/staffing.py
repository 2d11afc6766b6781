"""Bodies, posts and people on a date, as known at a time: a unit's bodies, a
body's posts, a town's roster, a person's posts."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from application.rows import (
    BodyRow,
    ExistingBody,
    HeldPost,
    PersonRow,
    PostRow,
    StaffedBody,
    UnitRoster,
)
from domain.timeline import END
from infra.views.schema import CURRENT, STILL_BELIEVED, Moment, among
from infra.views.tables import Reads, ViewTables

# The columns of a body's row, in the order of ``BodyRow``'s fields.
BODY = "body_id, unit_id, type, name, attributes, established_on, abolished_on"
# The columns of a post held on a date, with its holder's name, in the order of
# ``RosterPost``'s fields: ids as text, the end NULL while open (its one parameter is
# the open end); then those of ``PostRow``, the same and the post's unit.
ROSTER_POST = ("CAST(p.body_id AS TEXT), CAST(p.post_id AS TEXT), CAST(p.person_id AS TEXT), "
               "p.holder_name, p.holder_erased <> 0, p.role, p.full_time <> 0, "
               "p.concurrent <> 0, p.valid_from, NULLIF(p.valid_to, %s)")
POST = f"{ROSTER_POST}, CAST(p.unit_id AS TEXT)"


class StaffingQueries:
    """The bodies, posts and people views of one county."""

    def __init__(self, tables: ViewTables):
        self.tables = tables

    def bodies_on(self, unit_ids: Sequence[UUID], moment: Moment) -> dict[UUID, list[BodyRow]]:
        """The bodies of these units existing on the date, by unit (one query)."""
        if not unit_ids:
            return {}
        with self.tables.asking_one() as reads:
            return self.ask_bodies_on(reads, unit_ids, moment)()

    def ask_bodies_on(self, reads: Reads, unit_ids: Sequence[UUID],
                      moment: Moment) -> Callable[[], dict[UUID, list[BodyRow]]]:
        """``bodies_on``, asked with the other queries of a read."""
        restrict, ids = among("unit_id", list(unit_ids))
        rows = reads.ask(self.tables.sql(
            f"SELECT {BODY} FROM {{bodies}} WHERE {CURRENT}{restrict} ORDER BY type, name"),
            (*moment.params(), *ids))

        def answer() -> dict[UUID, list[BodyRow]]:
            found: dict[UUID, list[BodyRow]] = {u: [] for u in unit_ids}
            for row in rows():
                bodies = found.get(self.tables.dialect.uuid(row[1]))
                if bodies is not None:
                    bodies.append(BodyRow(*self._body_columns(row)))
            return found

        return answer

    def _body_columns(self, r: Sequence[Any]) -> tuple[Any, ...]:
        """A body's fields from the columns ``BODY`` names."""
        d = self.tables.dialect
        return (d.uuid(r[0]), d.uuid(r[1]), r[2], r[3], json.loads(r[4]), d.date(r[5]),
                d.date(r[6]))

    def body_on(self, body_id: UUID, moment: Moment) -> StaffedBody | None:
        """A body known at ``known_at`` (whatever its state on ``as_of``), with the
        posts held in it on ``as_of``."""
        with self.tables.reading(tuples=True) as curs:
            curs.execute(self.tables.sql(
                f"SELECT {BODY} FROM {{bodies}} WHERE body_id = %s "
                "AND recorded_from <= %s AND %s < recorded_to"),
                (body_id, moment.known_at, moment.known_at))
            row = curs.fetchone()
        if row is None:
            return None
        return StaffedBody(*self._body_columns(row), posts=list(
            map(PostRow._make, self._held(POST, "body_id", body_id, moment))))

    def ask_roster(self, reads: Reads, unit_id: UUID,
                   moment: Moment) -> Callable[[], UnitRoster]:
        """The unit's bodies on the date and the posts held in them then: two queries,
        asked with the other queries of a read."""
        bodies = self.ask_bodies_on(reads, [unit_id], moment)
        posts = self._ask_held(reads, ROSTER_POST, "unit_id", unit_id, moment)
        return lambda: UnitRoster(unit_id, bodies()[unit_id], posts())

    def person_posts(self, person_id: UUID, moment: Moment) -> list[PostRow]:
        return list(map(PostRow._make, self._held(POST, "person_id", person_id, moment)))

    def _held(self, columns: str, column: str, value: UUID,
              moment: Moment) -> list[tuple[Any, ...]]:
        """The ``columns`` (``POST``'s or ``ROSTER_POST``'s) of each post held on the date
        with ``column = value``."""
        with self.tables.asking_one() as reads:
            return self._ask_held(reads, columns, column, value, moment)()

    def _ask_held(self, reads: Reads, columns: str, column: str, value: UUID,
                  moment: Moment) -> Callable[[], list[tuple[Any, ...]]]:
        """``_held``, asked with the other queries of a read."""
        rows = reads.ask(
            self.tables.sql(
                f"SELECT {columns} FROM {{posts}} AS p "
                f"WHERE p.{column} = %s AND p.recorded_from <= %s AND %s < p.recorded_to "
                "AND p.valid_from <= %s AND %s < p.valid_to ORDER BY p.valid_from, p.post_id"
            ),
            (END, value, *moment.params()),
        )
        if self.tables.dialect.reads_typed:
            return rows
        day = self.tables.dialect.date
        return lambda: [(*r[:4], bool(r[4]), r[5], bool(r[6]), bool(r[7]), day(r[8]),
                         day(r[9]), *r[10:]) for r in rows()]

    def staffing_on(self, moment: Moment) -> tuple[set[ExistingBody], set[HeldPost]]:
        """Every body existing on the date and every post held then, as the audit
        compares them."""
        d = self.tables.dialect
        with self.tables.reading(tuples=True) as curs:
            curs.execute(self.tables.sql(
                f"SELECT body_id, unit_id, type, name FROM {{bodies}} WHERE {CURRENT}"),
                moment.params())
            bodies = {ExistingBody(d.uuid(r[0]), d.uuid(r[1]), r[2], r[3])
                      for r in curs.fetchall()}
            curs.execute(self.tables.sql(
                "SELECT post_id, body_id, person_id, role, full_time, concurrent, valid_from, "
                f"NULLIF(valid_to, %s) FROM {{posts}} WHERE {CURRENT}"), (END, *moment.params()))
            posts = {HeldPost(d.uuid(r[0]), d.uuid(r[1]), d.uuid(r[2]), r[3], bool(r[4]),
                              bool(r[5]), d.date(r[6]), d.date(r[7]))
                     for r in curs.fetchall()}
        return bodies, posts

    def body_of_post(self, post_id: UUID) -> UUID | None:
        rows = self.tables.query("SELECT body_id FROM {posts} WHERE post_id = %s AND recorded_to = %s "
                           "LIMIT 1", (post_id, STILL_BELIEVED))
        return self.tables.dialect.uuid(rows[0]["body_id"]) if rows else None

    def person(self, person_id: UUID) -> PersonRow | None:
        rows = self.tables.query("SELECT * FROM {people} WHERE person_id = %s", (person_id,))
        if not rows:
            return None
        row, d = rows[0], self.tables.dialect
        return PersonRow(d.uuid(row["person_id"]), row["name"], row["rank"], row["source"],
                         row["erased_at"] is not None, d.timestamp(row["registered_at"]),
                         d.timestamp(row["erased_at"]) if row["erased_at"] else None)

