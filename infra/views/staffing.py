"""Bodies, posts and people on a date, as known at a time: a unit's bodies, a
body's posts, a town's roster, a person's posts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from domain.timeline import END
from infra.views.schema import CURRENT, STILL_BELIEVED, Moment, among
from infra.views.tables import ViewTables


class StaffingQueries:
    """The bodies, posts and people views of one county."""

    def __init__(self, tables: ViewTables):
        self.tables = tables

    def bodies_on(self, unit_ids: Sequence[UUID], moment: Moment) -> dict[UUID, list[dict[str, Any]]]:
        """The bodies of these units existing on the date, by unit (one query)."""
        found: dict[UUID, list[dict[str, Any]]] = {u: [] for u in unit_ids}
        if not unit_ids:
            return found
        restrict, ids = among("unit_id", list(unit_ids))
        rows = self.tables.query(
            "SELECT body_id, unit_id, type, name, attributes, established_on, abolished_on "
            f"FROM {{bodies}} WHERE {CURRENT}{restrict} ORDER BY type, name",
            (*moment.params(), *ids),
        )
        for row in rows:
            bodies = found.get(self.tables.dialect.uuid(row["unit_id"]))  # type: ignore[arg-type]
            if bodies is not None:
                bodies.append(self._body_row(row))
        return found

    def _body_row(self, row: dict[str, Any]) -> dict[str, Any]:
        d = self.tables.dialect
        return {
            "id": d.uuid(row["body_id"]), "unit_id": d.uuid(row["unit_id"]),
            "type": row["type"], "name": row["name"],
            "attributes": json.loads(row["attributes"]),
            "established_on": d.date(row["established_on"]),
            "abolished_on": d.date(row["abolished_on"]),
        }

    def body_on(self, body_id: UUID, moment: Moment) -> dict[str, Any] | None:
        """A body known at ``known_at`` (whatever its state on ``as_of``), with the
        posts held in it on ``as_of``."""
        rows = self.tables.query(
            "SELECT body_id, unit_id, type, name, attributes, established_on, abolished_on "
            "FROM {bodies} WHERE body_id = %s AND recorded_from <= %s AND %s < recorded_to",
            (body_id, moment.known_at, moment.known_at),
        )
        if not rows:
            return None
        body = self._body_row(rows[0])
        body["posts"] = self._posts_on("body_id", body_id, moment)
        return body

    def roster(self, unit_id: UUID, moment: Moment) -> list[dict[str, Any]]:
        """The unit's bodies on the date, each with the posts held in it then."""
        bodies = self.bodies_on([unit_id], moment)[unit_id]
        posts: dict[UUID, list[dict[str, Any]]] = {b["id"]: [] for b in bodies}
        for post in self._posts_on("unit_id", unit_id, moment):
            posts.get(post.pop("body_id"), []).append(post)
        for body in bodies:
            body["posts"] = posts[body["id"]]
        return bodies

    def person_posts(self, person_id: UUID, moment: Moment) -> list[dict[str, Any]]:
        return self._posts_on("person_id", person_id, moment)

    def _posts_on(self, column: str, value: UUID, moment: Moment) -> list[dict[str, Any]]:
        """Posts held on the date with ``column = value``, with the holder's name."""
        with self.tables.reading(tuples=True) as curs:
            curs.execute(
                self.tables.sql(
                    "SELECT p.post_id, p.body_id, p.unit_id, p.person_id, e.name, "
                    "e.erased_at, p.role, p.full_time, p.concurrent, p.valid_from, p.valid_to "
                    "FROM {posts} AS p LEFT JOIN {people} AS e ON e.person_id = p.person_id "
                    f"WHERE p.{column} = %s AND p.recorded_from <= %s AND %s < p.recorded_to "
                    "AND p.valid_from <= %s AND %s < p.valid_to ORDER BY p.valid_from, p.post_id"
                ),
                (value, *moment.params()),
            )
            rows = curs.fetchall()
        d = self.tables.dialect
        return [
            {"id": d.uuid(r[0]), "body_id": d.uuid(r[1]), "unit_id": d.uuid(r[2]),
             "person_id": d.uuid(r[3]), "person_name": r[4], "person_erased": r[5] is not None,
             "role": r[6], "full_time": bool(r[7]), "concurrent": bool(r[8]),
             "since": d.date(r[9]), "until": None if d.date(r[10]) == END else d.date(r[10])}
            for r in rows
        ]

    def staffing_on(self, moment: Moment) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
        """Every body existing on the date and every post held then, as the audit
        compares them (``application.audit.BODY_FIELDS`` and ``POST_FIELDS``)."""
        d = self.tables.dialect
        with self.tables.reading(tuples=True) as curs:
            curs.execute(self.tables.sql(
                f"SELECT body_id, unit_id, type, name FROM {{bodies}} WHERE {CURRENT}"),
                moment.params())
            bodies = {(d.uuid(r[0]), d.uuid(r[1]), r[2], r[3]) for r in curs.fetchall()}
            curs.execute(self.tables.sql(
                "SELECT post_id, body_id, person_id, role, full_time, concurrent, valid_from, "
                f"valid_to FROM {{posts}} WHERE {CURRENT}"), moment.params())
            posts = {(d.uuid(r[0]), d.uuid(r[1]), d.uuid(r[2]), r[3], bool(r[4]), bool(r[5]),
                      d.date(r[6]), None if d.date(r[7]) == END else d.date(r[7]))
                     for r in curs.fetchall()}
        return bodies, posts

    def bodies_of(self, unit_id: UUID) -> list[UUID]:
        rows = self.tables.query(
            "SELECT DISTINCT body_id FROM {bodies} WHERE unit_id = %s AND recorded_to = %s",
            (unit_id, STILL_BELIEVED),
        )
        return sorted((self.tables.dialect.uuid(r["body_id"]) for r in rows), key=str)  # type: ignore[arg-type, return-value]

    def body_of_post(self, post_id: UUID) -> UUID | None:
        rows = self.tables.query("SELECT body_id FROM {posts} WHERE post_id = %s AND recorded_to = %s "
                           "LIMIT 1", (post_id, STILL_BELIEVED))
        return self.tables.dialect.uuid(rows[0]["body_id"]) if rows else None

    def person(self, person_id: UUID) -> dict[str, Any] | None:
        rows = self.tables.query("SELECT * FROM {people} WHERE person_id = %s", (person_id,))
        if not rows:
            return None
        row, d = rows[0], self.tables.dialect
        return {"id": d.uuid(row["person_id"]), "name": row["name"], "rank": row["rank"],
                "source": row["source"], "erased": row["erased_at"] is not None,
                "registered_at": d.timestamp(row["registered_at"]),
                "erased_at": d.timestamp(row["erased_at"]) if row["erased_at"] else None}
