"""The keys that seal each person's personal data in a county's events
(``application.personal_data``), kept in a table beside its views: erasing a
person deletes their key, and with it every readable copy of their name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from application.personal_data import new_key
from infra.views.tables import ViewTables


class PersonKeyStore:
    """``application.personal_data.PersonalKeys`` on one county's tables."""

    def __init__(self, tables: ViewTables):
        self.tables = tables

    def create(self, person_id: UUID) -> None:
        with self.tables.datastore.transaction(commit=True) as curs:
            curs.execute(
                self.tables.sql("INSERT INTO {person_keys} (person_id, key) VALUES (%s, %s)"),
                (person_id, new_key()))

    def get(self, person_id: UUID) -> bytes | None:
        with self.tables.reading(tuples=True) as curs:
            curs.execute(self.tables.sql("SELECT key FROM {person_keys} WHERE person_id = %s"),
                         (person_id,))
            row = curs.fetchone()
        return bytes(row[0]) if row else None

    def forget_erased(self) -> None:
        """After an erasure: leave no copy of the erased data in the store's files."""
        self.tables.dialect.forget_erased(self.tables.datastore, [
            self.tables.table(name) for name in ("people", "posts", "person_keys")])


def shred(tables: ViewTables, curs: Any, person_ids: Sequence[UUID]) -> None:
    """Delete these people's keys, in the transaction that records their erasure."""
    tables.dialect.before_erasing(curs)
    for person_id in person_ids:
        curs.execute(tables.sql("DELETE FROM {person_keys} WHERE person_id = %s"), (person_id,))
