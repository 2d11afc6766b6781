"""Tamper evidence: each county's stored events, hash-chained in recorded order.

Link n = SHA-256(link n-1 ‖ position ‖ originator id ‖ version ‖ topic ‖ stored
state): it covers the event exactly as stored (later, for personal data, the
ciphertext), and the link before it. The links are written in the events' own
transaction (``CountyEventRecorder``), so no event is ever stored unchained.
Verification recomputes the chain from the stored events and compares it with
the stored links; a signed digest of the head lets an auditor hold the county
to the history it was shown before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any, NamedTuple
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from infra.views.tables import ViewTables

GENESIS = b"\x00" * 32


def link(previous: bytes, position: int, originator_id: UUID | str, version: int,
         topic: str, state: bytes) -> bytes:
    canonical = originator_id if isinstance(originator_id, UUID) else UUID(originator_id)
    head = f"{position}|{canonical}|{version}|{topic}|".encode()
    return hashlib.sha256(previous + head + bytes(state)).digest()


class StoredRecord(NamedTuple):
    """One stored event as the chain sees it (a named tuple: the chain is made and
    verified an event at a time, by the thousand)."""

    position: int
    originator_id: UUID | str
    version: int
    topic: str
    state: bytes


def stored_links(tables: ViewTables, page: int = 10_000) -> Iterator[tuple[int, bytes]]:
    """A county's stored links (its ``chain`` table, written with its events), in
    position order, read a page at a time."""
    after = 0
    while True:
        with tables.reading(tuples=True) as curs:
            curs.execute(
                tables.sql("SELECT position, link FROM {chain} WHERE position > %s "
                           "ORDER BY position LIMIT %s"),
                (after, page),
            )
            rows = [(int(r[0]), bytes(r[1])) for r in curs.fetchall()]
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1][0]


def chain_links(previous: bytes, records: Sequence[StoredRecord]) -> list[tuple[int, bytes]]:
    links = []
    for record in records:
        previous = link(previous, record.position, record.originator_id, record.version,
                        record.topic, record.state)
        links.append((record.position, previous))
    return links


@dataclass(frozen=True)
class Verification:
    ok: bool
    events_checked: int
    head: str | None  # hex of the last good link
    first_bad_position: int | None
    head_position: int | None = None  # the position of that link


def verify(events: Iterable[StoredRecord], links: Iterable[tuple[int, bytes]]) -> Verification:
    """Walk the stored events and the stored links together, in position order.

    The first position where they disagree — an edited, inserted, deleted or
    reordered event, or an edited link — is the first bad position.
    """
    previous, checked, last = GENESIS, 0, None
    event_iter, link_iter = iter(events), iter(links)
    event, stored = next(event_iter, None), next(link_iter, None)
    while event is not None or stored is not None:
        if event is None or stored is None or event.position != stored[0]:
            heads = (event.position if event else None, stored[0] if stored else None)
            bad = min(p for p in heads if p is not None)
            return Verification(False, checked, _hex(previous, checked), bad, last)
        expected = link(previous, event.position, event.originator_id, event.version,
                        event.topic, event.state)
        if bytes(stored[1]) != expected:
            return Verification(False, checked, _hex(previous, checked), event.position, last)
        previous, checked, last = expected, checked + 1, event.position
        event, stored = next(event_iter, None), next(link_iter, None)
    return Verification(True, checked, _hex(previous, checked), None, last)


def _hex(previous: bytes, checked: int) -> str | None:
    return previous.hex() if checked else None


# -- Signed digests ------------------------------------------------------------


@dataclass(frozen=True)
class Digest:
    """The head of a county's chain, signed with the operator's Ed25519 key."""

    county: str
    position: int
    head: str
    signed_at: str
    public_key: str
    signature: str

    def message(self) -> bytes:
        return f"grassroots-ledger|{self.county}|{self.position}|{self.head}|{self.signed_at}".encode()

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Digest:
        return cls(**json.loads(text))


def sign(key: Ed25519PrivateKey, county: str, position: int, head: str) -> Digest:
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    unsigned = Digest(county, position, head, datetime.now(timezone.utc).isoformat(), public, "")
    signature = key.sign(unsigned.message()).hex()
    return Digest(**{**asdict(unsigned), "signature": signature})


def signature_holds(digest: Digest, public_key_hex: str | None = None) -> bool:
    """The digest was signed by the holder of this key (by default, the one it names)."""
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex or digest.public_key))
    try:
        key.verify(bytes.fromhex(digest.signature), digest.message())
    except (InvalidSignature, ValueError):
        return False
    return True


def records(rows: Iterable[Any]) -> Iterator[StoredRecord]:
    """The library's notifications as chain records."""
    for row in rows:
        yield StoredRecord(row.id, row.originator_id, row.originator_version, row.topic, row.state)
