"""Seals: the hash chain that makes every stored event tamper-evident (DESIGN.md §7).

Each stored event, in commit order, gets

    digest = H(len-prefixed originator id, version, topic, state)   # its exact stored bytes
    seal   = H("jiebang-seal/1" || previous seal || digest)

with 32 zero bytes before the first event, where H is the store's hash: SHA-256 (`intl`) or SM3
(`sm`, docs/cryptography.md), fixed when the store was created. A seal row also names the
position of the event sealed before it, so that a verifier can tell a removed event from an
inserted one.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from uuid import UUID

from jiebang_es.crypto import CryptoMode
from jiebang_es.crypto.digests import HashFunction, hash_function, sha256

GENESIS = bytes(32)
SEAL_TAG = b"jiebang-seal/1"
_pack = struct.Struct(">Q").pack


def canonical_originator_id(originator_id: UUID | str) -> str:
    """One spelling of an aggregate id on every store (SQLite keeps hex, PostgreSQL a uuid)."""
    if isinstance(originator_id, UUID):
        return str(originator_id)
    if len(originator_id) == 36 and originator_id.islower():
        return originator_id  # already canonical (PostgreSQL's text form): the verifier's path
    if len(originator_id) == 32 and originator_id.isalnum():
        h = originator_id.lower()  # SQLite's hex form
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    try:
        return str(UUID(originator_id))
    except ValueError:
        return originator_id


def event_digest(
    originator_id: UUID | str, version: int, topic: str, state: bytes, h: HashFunction = sha256
) -> bytes:
    """The hash of one stored event's exact bytes; each field length-prefixed, so that no two
    different events can be spelt as the same byte string."""
    return canonical_digest(canonical_originator_id(originator_id), version, topic, state, h)


def canonical_digest(
    originator_id: str, version: int, topic: str, state: bytes, h: HashFunction = sha256
) -> bytes:
    """``event_digest`` of an id already in its canonical spelling (the verifier's hot path)."""
    oid = originator_id.encode()
    ver = str(version).encode()
    return h(
        b"".join(
            (_pack(len(oid)), oid, _pack(len(ver)), ver, _topic_part(topic),
             _pack(len(state)), state)
        )
    )  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _topic_part(topic: str) -> bytes:
    """A topic, length-prefixed; a log has few distinct topics, so each is encoded once."""
    encoded = topic.encode()
    return _pack(len(encoded)) + encoded


def chain(previous_seal: bytes, digest: bytes, h: HashFunction = sha256) -> bytes:
    """The seal of an event: its digest bound to everything sealed before it."""
    return h(SEAL_TAG + previous_seal + digest)


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
    mode: CryptoMode = "intl",
) -> list[SealRow]:
    """Seal rows for events just inserted: (position, originator id, version, topic, state)."""
    h = hash_function(mode)
    rows: list[SealRow] = []
    for position, originator_id, version, topic, state in events:
        digest = event_digest(originator_id, version, topic, state, h)
        seal = chain(previous_seal, digest, h)
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
