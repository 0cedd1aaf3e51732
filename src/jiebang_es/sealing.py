"""Seals: the hash chain that makes every stored event tamper-evident (DESIGN.md §7).

Each stored event, in commit order, gets

    digest = SHA-256(len-prefixed originator id, version, topic, state)   # its exact stored bytes
    seal   = SHA-256("jiebang-seal/1" || previous seal || digest)

with 32 zero bytes before the first event. A seal row also names the position of the event
sealed before it, so that a verifier can tell a removed event from an inserted one.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from uuid import UUID

GENESIS = bytes(32)
_TAG = b"jiebang-seal/1"
_LEN = struct.Struct(">Q")


def canonical_originator_id(originator_id: UUID | str) -> str:
    """One spelling of an aggregate id on every store (SQLite keeps hex, PostgreSQL a uuid)."""
    if isinstance(originator_id, UUID):
        return str(originator_id)
    try:
        return str(UUID(originator_id))
    except ValueError:
        return originator_id


def event_digest(originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """The hash of one stored event's exact bytes; each field length-prefixed, so that no two
    different events can be spelt as the same byte string."""
    parts = (
        canonical_originator_id(originator_id).encode(),
        str(version).encode(),
        topic.encode(),
        bytes(state),
    )
    h = hashlib.sha256()
    for part in parts:
        h.update(_LEN.pack(len(part)))
        h.update(part)
    return h.digest()


def chain(previous_seal: bytes, digest: bytes) -> bytes:
    """The seal of an event: its digest bound to everything sealed before it."""
    return hashlib.sha256(_TAG + previous_seal + digest).digest()


@dataclass(frozen=True)
class SealRow:
    """One row of the seal table, as written in the event's own transaction."""

    position: int
    originator_id: str
    originator_version: int
    previous_position: int
    digest: bytes
    seal: bytes


def seal_rows(
    previous_position: int,
    previous_seal: bytes,
    events: list[tuple[int, UUID | str, int, str, bytes]],
) -> list[SealRow]:
    """Seal rows for events just inserted: (position, originator id, version, topic, state)."""
    rows: list[SealRow] = []
    for position, originator_id, version, topic, state in events:
        digest = event_digest(originator_id, version, topic, state)
        seal = chain(previous_seal, digest)
        rows.append(
            SealRow(
                position=position,
                originator_id=canonical_originator_id(originator_id),
                originator_version=version,
                previous_position=previous_position,
                digest=digest,
                seal=seal,
            )
        )
        previous_position, previous_seal = position, seal
    return rows
