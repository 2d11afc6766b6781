"""Writing the views: the rows a batch of events makes, with the tracking
position, in one transaction — the command's own (``record_with_events``), or
the catch-up's (``apply``) — and the links of the hash chain over the events.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from application.rows import UnitRow
from application.view_batch import BodyRewrite, RecordRewrite, ViewBatch
from infra.chain import GENESIS, StoredRecord, chain_links
from infra.person_keys import shred
from infra.views.schema import COLUMNS, STILL_BELIEVED
from infra.views.tables import Reads, ViewTables

# What every write reads under its lock, and every read's freshness check: the
# position the views are tracked at, and (a write) the chain's last link.
TRACKED = "(SELECT notification_id FROM {tracking} WHERE application_name = %s)"
LAST_LINK = "(SELECT link FROM {chain} ORDER BY position DESC LIMIT 1)"

# Records (units, bodies, posts, …) whose rows one statement closes at most: few
# statements to keep, each well within both stores' limits on parameters.
CLOSED_AT_ONCE = 32


def known_before(before: int | None, tracked: int | None, link: Any) -> tuple[int, int, bytes]:
    """What ``record_with_events`` needs to know, as a store reads it under the lock:
    the last position stored before the events (None: none), the tracked one (None:
    none yet) and the chain's last link (None: the chain is empty)."""
    return before or 0, tracked or 0, bytes(link) if link is not None else GENESIS


class ViewWriter(ViewTables):
    """The views' side of a county's tracking recorder."""

    # SQL: the position of the county's last stored event.
    head: str

    # -- Writing ---------------------------------------------------------------

    def tracked_position(self) -> int:
        return self.positions()[1]

    def positions(self) -> tuple[int, int]:
        """The last stored position and the tracked one: one query, the cheap check
        before a read."""
        with self.asking_one() as reads:
            return self.ask_positions(reads)()

    def ask_positions(self, reads: Reads) -> Callable[[], tuple[int, int]]:
        """``positions``, asked with the queries of a read (``Reads``)."""
        rows = reads.ask(self.sql(f"SELECT {self.head}, {TRACKED}"), (self.application_name,))

        def answer() -> tuple[int, int]:
            head, tracked = rows()[0]
            return head or 0, tracked or 0

        return answer

    def apply(self, batch: ViewBatch, after: int) -> bool:
        with self.writing() as curs:
            [row] = self.rows(curs, f"SELECT {TRACKED} AS tracked", (self.application_name,))
            if (row["tracked"] or 0) != after:
                return False
            self._write(curs, batch)
            self._track(curs, batch)
        return True

    def record_with_events(
        self, curs: Any, stored: Sequence[Any], positions: Sequence[int], batch: ViewBatch | None,
        known: tuple[int, int, bytes],
    ) -> None:
        """What the county's recorder adds to the transaction that stored events
        (under the events' table lock): their links in the chain, and the rows of
        the command that saved them — if the views had every earlier event;
        otherwise those are left to catch-up.

        No projection lock is needed: the events' table lock keeps other commands
        out, and a catch-up still running has not yet tracked the position before
        ours, so we would see a lag and leave the rows to it.

        ``known``: the last position stored before them, the tracked one and the
        chain's last link, read under the lock. On PostgreSQL the insert answers them,
        and all of this is sent in the library's pipeline of the insert and goes with
        its COMMIT: one round trip."""
        if not positions:
            return
        before, tracked, last_link = known
        records = [StoredRecord(p, e.originator_id, e.originator_version, e.topic, e.state)
                   for p, e in zip(positions, stored, strict=True)]
        self.insert(curs, "chain", chain_links(last_link, records))
        if batch is None:
            return
        if batch.shredded:
            shred(self, curs, batch.shredded)
        if before == tracked:
            resolved = batch.resolve(positions)
            self._write(curs, resolved)
            self._track(curs, resolved)
            batch.applied = True

    def _write(self, curs: Any, batch: ViewBatch) -> None:
        self._apply_rewrites(curs, batch)
        # People before posts: a post's row takes its holder's name from their row.
        self._apply_people(curs, batch)
        for rewrite in batch.bodies:
            self._apply_body(curs, rewrite)
        for record in batch.records:
            self._apply_record(curs, record)
        self.insert(
            curs, "history",
            [
                (h.position, h.unit_id, h.version, h.type, h.effective_date,
                 h.recorded_at, h.actor, h.change_id, h.name, h.kind, _json(h.data))
                for h in batch.history
            ],
        )
        self.insert(
            curs, "changes",
            [
                (c.change_id, c.position, c.type, c.effective_date, c.recorded_at,
                 c.actor, _json(c.authority) if c.authority else None,
                 _json(c.created_unit_ids), _json(c.affected_unit_ids), None, None, None,
                 c.source)
                for c in batch.changes
            ],
        )
        for retraction in batch.retractions:
            curs.execute(
                self.sql(
                    "UPDATE {changes} SET retracted_at = %s, retracted_by = %s, "
                    "retraction_reason = %s WHERE change_id = %s"
                ),
                (retraction.retracted_at, retraction.retraction_id, retraction.reason,
                 retraction.change_id),
            )
        self.insert(
            curs, "lineage",
            [
                (e.predecessor_id, e.predecessor_name, e.predecessor_kind,
                 e.successor_id, e.successor_name, e.successor_kind, e.change_id,
                 e.change_type, e.effective_date, e.recorded_at, int(e.group),
                 e.predecessor_tenant, e.successor_tenant)
                for e in batch.lineage
            ],
        )

    def _track(self, curs: Any, batch: ViewBatch) -> None:
        """The views hold every event up to the batch's last: in the rows' transaction.
        An upsert of the library's tracking row that only moves forward and reads
        nothing back (the library's own insert reads its result, and inside the
        insert's pipeline it was seen to read another statement's): the callers
        checked the tracked position under the lock before writing."""
        curs.execute(
            self.sql("INSERT INTO {tracking} (application_name, notification_id) VALUES (%s, %s) "
                     "ON CONFLICT (application_name) DO UPDATE "
                     "SET notification_id = excluded.notification_id "
                     "WHERE {tracking}.notification_id < excluded.notification_id"),
            (self.application_name, batch.last_position))

    def _apply_rewrites(self, curs: Any, batch: ViewBatch) -> None:
        """Each rewritten unit's believed rows closed, then its new rows inserted, in
        as few statements as that order allows: the closes wait with the rows, and
        both are written (closes first) before a unit they name is closed again,
        since its rows to close may be among those still waiting."""
        closing: dict[datetime, list[UUID]] = {}
        rows: list[tuple[Any, ...]] = []
        waiting: set[UUID] = set()  # the units closing and rows name
        for rewrite in batch.rewrites:
            if not rewrite.is_new:
                if rewrite.unit_id in waiting:
                    self._close_units(curs, closing)
                    self.insert(curs, "units", rows)
                    closing, rows, waiting = {}, [], set()
                closing.setdefault(rewrite.recorded_at, []).append(rewrite.unit_id)
            waiting.add(rewrite.unit_id)
            rows.extend(
                (*UnitRow.columns_of(rewrite.unit_id, segment.facts),
                 segment.valid_from, segment.valid_to, rewrite.recorded_at, STILL_BELIEVED)
                for segment in rewrite.segments)
        self._close_units(curs, closing)
        self.insert(curs, "units", rows)

    def _close_units(self, curs: Any, closing: dict[datetime, list[UUID]]) -> None:
        """The believed rows of the units closing, by the time they are closed at."""
        for recorded_at, unit_ids in closing.items():
            self._close(curs, "units", recorded_at, unit_ids)

    def _close(self, curs: Any, table: str, recorded_at: datetime, ids: Sequence[UUID]) -> None:
        """The believed rows of these records of ``table`` (by its first column, their
        id) no longer believed from ``recorded_at``: ``CLOSED_AT_ONCE`` a statement."""
        key = COLUMNS[table][0][0]
        for start in range(0, len(ids), CLOSED_AT_ONCE):
            chunk = ids[start:start + CLOSED_AT_ONCE]
            curs.execute(
                self.sql(f"UPDATE {{{table}}} SET recorded_to = %s WHERE recorded_to = %s "
                         f"AND {key} IN ({', '.join(['%s'] * len(chunk))})"),
                (recorded_at, STILL_BELIEVED, *chunk),
            )

    def _apply_body(self, curs: Any, rewrite: BodyRewrite) -> None:
        body = rewrite.body
        if rewrite.body_changed:
            if not rewrite.is_new:
                self._close(curs, "bodies", rewrite.recorded_at, [rewrite.body_id])
            if body is not None:
                self.insert(curs, "bodies", [(
                    rewrite.body_id, body.unit_id, body.type, body.name, _json(body.attributes),
                    body.established_on, body.abolished_on, body.established_on,
                    body.valid_to, rewrite.recorded_at, STILL_BELIEVED,
                )])
        self._close(curs, "posts", rewrite.recorded_at, list(rewrite.posts))
        rows = []
        for post in rewrite.posts.values():
            if post is not None and body is not None:
                rows.append((
                    post.post_id, rewrite.body_id, body.unit_id, post.person_id, post.role.value,
                    int(post.full_time), int(post.concurrent), post.since, post.valid_to,
                    rewrite.recorded_at, STILL_BELIEVED,
                ))
        self.insert_posts(curs, rows)

    def _apply_record(self, curs: Any, record: RecordRewrite) -> None:
        self._close(curs, record.table, record.recorded_at, [record.record_id])
        self.insert(curs, record.table, [
            (*(_json(v) if isinstance(v, (list, dict)) else v for v in row),
             record.recorded_at, STILL_BELIEVED)
            for row in record.rows])

    def _apply_people(self, curs: Any, batch: ViewBatch) -> None:
        for person in batch.people:
            if person.erased_at is None:
                self.insert(curs, "people", [(
                    person.person_id, person.name, person.rank, person.source,
                    person.registered_at, None,
                )])
            else:
                self.dialect.before_erasing(curs)
                curs.execute(
                    self.sql("UPDATE {people} SET name = NULL, erased_at = %s "
                              "WHERE person_id = %s"),
                    (person.erased_at, person.person_id),
                )
                curs.execute(
                    self.sql("UPDATE {posts} SET holder_name = NULL, holder_erased = 1 "
                              "WHERE person_id = %s"),
                    (person.person_id,),
                )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_jsonable, sort_keys=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (UUID, date, datetime)):
        return str(value) if isinstance(value, UUID) else value.isoformat()
    raise TypeError(f"not JSON: {value!r}")
