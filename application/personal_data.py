"""Personal data sealed under a key of each person's own (crypto-shredding).

The events that carry personal data name its fields (``personal_fields``).
The mapper stores those fields encrypted (AES-GCM) under the key of the person
the event belongs to, and opens them again when it reads the event. Erasure
destroys the key: every stored copy of the name — in the events, the feed,
any replay — becomes unreadable at once, while the events themselves, their
hash chain and the history of the structure stay intact.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any, Protocol
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent

SEALED = "sealed"  # the stored field that holds the sealed personal fields
NONCE_BYTES = 12


class PersonalKeys(Protocol):
    """Where each person's key lives: beside the county's events, deletable."""

    def create(self, person_id: UUID) -> None: ...

    def get(self, person_id: UUID) -> bytes | None:
        """The person's key; None once the person is erased."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(key: bytes, person_id: UUID, fields: dict[str, Any]) -> str:
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(fields, ensure_ascii=False).encode()
    # The person's id is bound in as associated data: a sealed value moved onto
    # another person's event does not open.
    sealed = AESGCM(key).encrypt(nonce, plain, person_id.bytes)
    return base64.b64encode(nonce + sealed).decode()


def unseal(key: bytes, person_id: UUID, token: str) -> dict[str, Any]:
    raw = base64.b64decode(token)
    plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], person_id.bytes)
    fields: dict[str, Any] = json.loads(plain)
    return fields


class PersonalDataMapper(Mapper[UUID]):
    """The library's mapper, sealing the personal fields of the events that have them."""

    keys: PersonalKeys

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        fields = getattr(type(domain_event), "personal_fields", ())
        if not fields:
            return super().to_stored_event(domain_event)
        state = dict(vars(domain_event))
        person_id = state["originator_id"]
        key = self.keys.get(person_id)
        if key is None:
            raise LookupError(f"no key for person {person_id}: erased, or never given one")
        personal = {name: state[name] for name in fields}
        state.update({name: None for name in fields})
        state[SEALED] = seal(key, person_id, personal)
        stand_in = object.__new__(type(domain_event))
        object.__setattr__(stand_in, "__dict__", state)
        return super().to_stored_event(stand_in)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        event = super().to_domain_event(stored_event)
        if not getattr(type(event), "personal_fields", ()):
            return event
        state = vars(event)
        token = state.pop(SEALED, None)
        key = self.keys.get(event.originator_id) if token else None
        if key is not None and token is not None:
            state.update(unseal(key, event.originator_id, token))
        return event  # without a key the personal fields stay None: erased
