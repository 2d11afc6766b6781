"""The read views' tables: their columns and keys, the indexes, the columns added
since the first release, and the two times every read is asked for.

An interval row holds while ``valid_from <= as_of < valid_to`` (effective
dates) and ``recorded_from <= known_at < recorded_to`` (recorded times); a row
no longer believed is closed by setting ``recorded_to``, never updated
otherwise or deleted, so every earlier state of knowledge stays answerable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

# The open end of recorded time: a row still believed.
STILL_BELIEVED = datetime(9999, 12, 31, tzinfo=timezone.utc)

# Each table of the views: its columns with their portable types, then its keys.
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "units": (
        ("unit_id", "uuid"), ("kind", "text"), ("code", "text"), ("status", "text"),
        ("name", "text"), ("parent_id", "uuid"), ("federation_id", "uuid"),
        ("plan_id", "uuid"), ("households", "int"), ("residents", "int"),
        ("floating", "int"), ("established_on", "date"), ("ceased_on", "date"),
        ("valid_from", "date"), ("valid_to", "date"),
        ("recorded_from", "ts"), ("recorded_to", "ts"),
    ),
    "history": (
        ("position", "bigint"), ("unit_id", "uuid"), ("version", "int"), ("type", "text"),
        ("effective_date", "date"), ("recorded_at", "ts"), ("actor", "text"),
        ("change_id", "uuid"), ("name", "text"), ("kind", "text"), ("data", "text"),
    ),
    "changes": (
        ("change_id", "uuid"), ("position", "bigint"), ("type", "text"),
        ("effective_date", "date"), ("recorded_at", "ts"), ("actor", "text"),
        ("authority", "text"), ("created_unit_ids", "text"), ("affected_unit_ids", "text"),
        ("retracted_at", "ts"), ("retracted_by", "uuid"), ("retraction_reason", "text"),
        ("source", "text"),  # release:<year> for what a statistical release showed
    ),
    # Not a view: the hash chain over the stored events (infra.chain), kept beside them.
    "chain": (("position", "bigint"), ("link", "bytes")),
    "lineage": (
        ("predecessor_id", "uuid"), ("predecessor_name", "text"),
        ("predecessor_kind", "text"), ("successor_id", "uuid"), ("successor_name", "text"),
        ("successor_kind", "text"), ("change_id", "uuid"), ("change_type", "text"),
        ("effective_date", "date"), ("recorded_at", "ts"),
        ("grp", "int"),  # group lineage (1): the source cannot say which went where
        # The county a side lives in when it is not this one (lineage across counties).
        ("predecessor_tenant", "text"), ("successor_tenant", "text"),
    ),
    "bodies": (
        ("body_id", "uuid"), ("unit_id", "uuid"), ("type", "text"), ("name", "text"),
        ("attributes", "text"), ("established_on", "date"), ("abolished_on", "date"),
        ("valid_from", "date"), ("valid_to", "date"),
        ("recorded_from", "ts"), ("recorded_to", "ts"),
    ),
    "posts": (
        ("post_id", "uuid"), ("body_id", "uuid"), ("unit_id", "uuid"), ("person_id", "uuid"),
        ("role", "text"), ("full_time", "int"), ("concurrent", "int"),
        ("valid_from", "date"), ("valid_to", "date"),
        ("recorded_from", "ts"), ("recorded_to", "ts"),
        # The holder as the people view shows them, copied from it when the row is
        # written and blanked with it by erasure: a roster of thousands of posts reads
        # them without a join (decision 22). Not in a post's rows as the writer makes
        # them (``HELD_COLUMNS``): the store fills them in.
        ("holder_name", "text"), ("holder_erased", "int"),
    ),
    "arrangements": (
        ("arrangement_id", "uuid"), ("zone_id", "uuid"), ("other_id", "uuid"), ("mode", "text"),
        ("valid_from", "date"), ("valid_to", "date"),
        ("recorded_from", "ts"), ("recorded_to", "ts"),
    ),
    "catalogues": (
        ("catalogue_id", "uuid"), ("town_id", "uuid"), ("year", "int"), ("items", "text"),
        ("valid_from", "date"), ("valid_to", "date"),
        ("recorded_from", "ts"), ("recorded_to", "ts"),
    ),
    # Not bitemporal: a name is shown until the person is erased, then at no time.
    "people": (
        ("person_id", "uuid"), ("name", "text"), ("rank", "text"), ("source", "text"),
        ("registered_at", "ts"), ("erased_at", "ts"),
    ),
    # Not a view: the keys that seal each person's personal data in the events
    # (application.personal_data); erasure deletes the row.
    "person_keys": (("person_id", "uuid"), ("key", "bytes")),
    # Not a view: reconciliation proposals, drafts until applied (infra.proposals).
    "reconciliations": (
        ("proposal_id", "uuid"), ("release", "int"), ("status", "text"),
        ("created_at", "ts"), ("body", "text"),
    ),
}
KEYS = {
    "history": "PRIMARY KEY (unit_id, version)",
    "changes": "PRIMARY KEY (change_id)",
    "chain": "PRIMARY KEY (position)",
    "people": "PRIMARY KEY (person_id)",
    "person_keys": "PRIMARY KEY (person_id)",
    "reconciliations": "PRIMARY KEY (proposal_id)",
}
# Columns a newer release added to tables a county may already have: (table, column).
ADDED_COLUMNS = [
    ("lineage", "grp"), ("changes", "source"),
    ("lineage", "predecessor_tenant"), ("lineage", "successor_tenant"),
    ("posts", "holder_name"), ("posts", "holder_erased"),
]
# A post's columns as the writer makes its rows: the holder's are the store's to fill,
# from the people view (``e``) joined on the row's person (at ``HELD_PERSON``).
HELD_COLUMNS = COLUMNS["posts"][:-2]
HELD_PERSON = [name for name, _ in HELD_COLUMNS].index("person_id")
HOLDER_ERASED = "CASE WHEN e.erased_at IS NULL THEN 0 ELSE 1 END"
# What fills an added column in the rows written before it (run once every added
# column is there; a column not named is left NULL). A holder the people view lacks
# is no name, not erased, as ``insert_posts`` makes it.
_HOLDER = "FROM {people} AS e WHERE e.person_id = {posts}.person_id"
BACKFILLS = {
    ("posts", "holder_name"): (
        f"UPDATE {{posts}} SET holder_name = (SELECT e.name {_HOLDER}), "
        f"holder_erased = COALESCE((SELECT {HOLDER_ERASED} {_HOLDER}), 0)"
    ),
}
UNIT_COLUMNS = ", ".join(name for name, _ in COLUMNS["units"])

INDEX_DDL = [
    "CREATE INDEX IF NOT EXISTS {units_by_unit} ON {units} (unit_id, recorded_to)",
    "CREATE INDEX IF NOT EXISTS {units_by_time} ON {units} (recorded_to, valid_to)",
    "CREATE INDEX IF NOT EXISTS {units_by_parent} ON {units} (parent_id)",
    "CREATE INDEX IF NOT EXISTS {units_by_federation} ON {units} (federation_id)",
    "CREATE INDEX IF NOT EXISTS {history_by_date} ON {history} (effective_date)",
    "CREATE INDEX IF NOT EXISTS {changes_by_date} ON {changes} (effective_date)",
    "CREATE INDEX IF NOT EXISTS {lineage_by_predecessor} ON {lineage} (predecessor_id)",
    "CREATE INDEX IF NOT EXISTS {lineage_by_successor} ON {lineage} (successor_id)",
    "CREATE INDEX IF NOT EXISTS {bodies_by_unit} ON {bodies} (unit_id, recorded_to)",
    "CREATE INDEX IF NOT EXISTS {bodies_by_body} ON {bodies} (body_id, recorded_to)",
    "CREATE INDEX IF NOT EXISTS {posts_by_unit} ON {posts} (unit_id, recorded_to)",
    "CREATE INDEX IF NOT EXISTS {posts_by_post} ON {posts} (post_id, recorded_to)",
    "CREATE INDEX IF NOT EXISTS {posts_by_person} ON {posts} (person_id)",
    "CREATE INDEX IF NOT EXISTS {posts_by_body} ON {posts} (body_id, recorded_to)",
    "CREATE INDEX IF NOT EXISTS {arrangements_by_zone} ON {arrangements} (zone_id)",
    "CREATE INDEX IF NOT EXISTS {catalogues_by_town} ON {catalogues} (town_id, year)",
]

TABLES = tuple(COLUMNS)
COLUMNS_BY_TABLE = {table: dict(columns) for table, columns in COLUMNS.items()}
INDEXES = (
    "units_by_unit", "units_by_time", "units_by_parent", "units_by_federation",
    "history_by_date", "changes_by_date", "lineage_by_predecessor", "lineage_by_successor",
    "bodies_by_unit", "bodies_by_body", "posts_by_unit", "posts_by_post", "posts_by_person",
    "posts_by_body", "arrangements_by_zone", "catalogues_by_town",
)

def still_applies(table: str) -> str:
    """SQL: the row's change was not retracted as known at the time given."""
    return (
        "NOT EXISTS (SELECT 1 FROM {changes} AS c WHERE c.change_id = {%s}.change_id "
        "AND c.retracted_at <= %%s)" % table
    )


CURRENT = "recorded_from <= %s AND %s < recorded_to AND valid_from <= %s AND %s < valid_to"
# Ids listed in one IN (…); beyond, a whole county's rows are read and picked in
# Python (and the statement stays far from the stores' limits on parameters).
MAX_LISTED = 1000


def among(column: str, ids: list[Any]) -> tuple[str, list[Any]]:
    """SQL (`` AND column IN (…)``) and its parameters restricting rows to ``ids``,
    or nothing when there are too many to list: the caller picks from all rows."""
    if len(ids) > MAX_LISTED:
        return "", []
    return f" AND {column} IN ({', '.join(['%s'] * len(ids))})", ids


@dataclass(frozen=True)
class Moment:
    """The two times of every read: the effective date and the recorded time."""

    as_of: date
    known_at: datetime

    def params(self) -> tuple[Any, ...]:
        return (self.known_at, self.known_at, self.as_of, self.as_of)
