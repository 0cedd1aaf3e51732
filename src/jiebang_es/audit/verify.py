"""The verifier: recomputes the seal chain from the stored bytes and checks every checkpoint.

It names the first bad event and the kind of damage:

- ``altered``: an event's bytes (or its seal) are not what was sealed;
- ``deleted``: a sealed event is missing (its seal, or the link from the next seal, says so);
- ``inserted``: an event nobody sealed, or one sealed into a chain that did not have it;
- ``reordered``: the event at a position is not the one sealed there;
- ``checkpoint forged``: a checkpoint's signature is not the configured key's;
- ``rewritten``: the chain is consistent but differs from what a checkpoint signed, i.e. the
  history was rewritten and re-sealed after that checkpoint was taken.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from jiebang_es.audit.checkpoints import signature_valid
from jiebang_es.audit.raw_store import JoinedRow, SealTuple, StoredCheckpoint
from jiebang_es.audit.retired_keys import RetiredKey
from jiebang_es.crypto import CryptoMode
from jiebang_es.crypto.digests import HashFunction, hash_function
from jiebang_es.crypto.signing import VerifyingKey
from jiebang_es.sealing import GENESIS, SEAL_TAG, canonical_digest

_NEVER = 1 << 62


class Damage(enum.StrEnum):
    ALTERED = "altered"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    CHECKPOINT_FORGED = "checkpoint forged"
    REWRITTEN = "rewritten"


@dataclass(frozen=True)
class Finding:
    """The first bad place in the log."""

    damage: Damage
    position: int
    aggregate_id: str
    version: int
    detail: str
    # Damage to the log's keys (audit/verify_keys.py), the event itself intact in the chain.
    of_keys: bool = False

    def __str__(self) -> str:
        return (
            f"{self.damage.value} at position {self.position} "
            f"(aggregate {self.aggregate_id}, version {self.version}): {self.detail}"
        )


@dataclass
class Report:
    """What the verifier checked, and the first damage it found."""

    events: int = 0
    last_position: int = 0
    checkpoints: int = 0
    last_checkpoint: int = 0
    finding: Finding | None = None
    notes: list[str] = field(default_factory=list)
    mode: CryptoMode = "intl"

    @property
    def intact(self) -> bool:
        return self.finding is None


def verify_chain(
    batches: Iterable[Sequence[JoinedRow]],
    checkpoints: Iterable[StoredCheckpoint] = (),
    public_key: VerifyingKey | None = None,
    seal_after: Callable[[int], SealTuple | None] = lambda _: None,
    mode: CryptoMode = "intl",
    retired: Mapping[str, RetiredKey] | None = None,
) -> Report:
    """Walk the stored events, each with its seal row, in position order; stop at the first
    damage. ``seal_after(p)`` gives the first seal row after position ``p``: a seal whose event
    is gone from the end of the log. ``mode``: the store's hash (SHA-256 or SM3)."""
    report = Report(mode=mode)
    h = hash_function(mode)
    pending = _checked_checkpoints(list(checkpoints), public_key, report, retired or {})
    if report.finding is not None:
        return report
    previous_position, previous_seal = 0, GENESIS
    next_checkpoint = pending[0].position if pending else _NEVER
    count = 0
    for batch in batches:
        for row in batch:
            position, aggregate_id, version, topic, state, s_id, s_version, s_prev, digest, seal = (
                row
            )
            if (
                seal is None
                or s_prev != previous_position
                or s_id != aggregate_id
                or s_version != version
                or canonical_digest(aggregate_id, version, topic, state, h) != digest
                or h(SEAL_TAG + previous_seal + digest) != seal
            ):
                report.events = count
                report.finding = _diagnose(row, previous_position, h)
                return report
            if position >= next_checkpoint:
                finding = _against_checkpoints(row, pending, report)
                if finding is not None:
                    report.events = count
                    report.finding = finding
                    return report
                next_checkpoint = pending[0].position if pending else _NEVER
            previous_position, previous_seal = position, seal
            count += 1
    report.events = count
    report.last_position = previous_position
    orphan = seal_after(previous_position)
    if orphan is not None:
        report.finding = Finding(
            Damage.DELETED, orphan[0], orphan[1], orphan[2], "a sealed event is no longer stored"
        )
        return report
    if pending:
        first = pending[0]
        report.finding = Finding(
            Damage.DELETED,
            first.position,
            "",
            0,
            f"a checkpoint signed position {first.position}, but the log ends at "
            f"{previous_position}: the events up to it were deleted",
        )
        return report
    if report.last_checkpoint < report.last_position:
        report.notes.append(
            f"events after position {report.last_checkpoint} are not yet covered by a "
            "checkpoint: their removal as a whole could not be detected"
        )
    return report


def _diagnose(row: JoinedRow, previous_position: int, h: HashFunction) -> Finding:
    """Which damage a row that failed the fast check shows, in the order that explains it."""
    position, aggregate_id, version, topic, state, s_id, s_version, s_prev, digest, seal = row
    if seal is None or digest is None or s_prev is None:
        return Finding(
            Damage.INSERTED, position, aggregate_id, version, "no seal was written for it"
        )
    if (s_id, s_version) != (aggregate_id, version):
        return Finding(
            Damage.REORDERED,
            position,
            aggregate_id,
            version,
            f"the event sealed here was {s_id} version {s_version}",
        )
    if canonical_digest(aggregate_id, version, topic, state, h) != digest:
        return Finding(
            Damage.ALTERED, position, aggregate_id, version, "its stored bytes were changed"
        )
    if s_prev > previous_position:
        return Finding(
            Damage.DELETED,
            s_prev,
            aggregate_id,
            version,
            f"the event at position {s_prev}, sealed before position {position}, was removed",
        )
    if s_prev < previous_position:
        return Finding(
            Damage.INSERTED,
            previous_position,
            aggregate_id,
            version,
            f"position {previous_position} was not in the chain when position {position} "
            "was sealed",
        )
    return Finding(Damage.ALTERED, position, aggregate_id, version, "its seal was changed")


def _checked_checkpoints(
    checkpoints: list[StoredCheckpoint],
    public_key: VerifyingKey | None,
    report: Report,
    retired: Mapping[str, RetiredKey],
) -> list[StoredCheckpoint]:
    if checkpoints and public_key is None:
        report.notes.append("no public key given: checkpoints were not checked")
        return []
    for c in checkpoints:
        if report.finding is not None or public_key is None or signature_valid(public_key, c):
            continue
        old = retired.get(c.key_id)
        if old is not None and c.position <= old.up_to_position and signature_valid(old.key, c):
            continue  # signed before its key was retired
        why = (
            f"signed by key {c.key_id}, retired at position {old.up_to_position}: "
            "no checkpoint after that is its"
            if old is not None and c.position > old.up_to_position
            else f"(key {c.key_id}) is not signed by the configured key"
        )
        report.finding = Finding(
            Damage.CHECKPOINT_FORGED, c.position, "", 0, f"the checkpoint of {c.taken_at} {why}"
        )
    return sorted(checkpoints, key=lambda c: c.position)


def _against_checkpoints(
    row: JoinedRow, pending: list[StoredCheckpoint], report: Report
) -> Finding | None:
    position, aggregate_id, version, seal = row[0], row[1], row[2], row[9]
    while pending and pending[0].position <= position:
        c = pending.pop(0)
        if c.position < position or c.seal != seal:
            return Finding(
                Damage.REWRITTEN,
                c.position,
                aggregate_id,
                version,
                f"the chain does not match the checkpoint of {c.taken_at}: the history up to "
                f"position {c.position} (after position {report.last_checkpoint}, the last "
                "matching checkpoint) was rewritten and re-sealed after it was signed",
            )
        report.checkpoints += 1
        report.last_checkpoint = c.position
    return None
