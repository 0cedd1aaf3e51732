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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from jiebang_es.audit.checkpoints import signature_valid
from jiebang_es.audit.raw_store import EventRow, SealTuple, StoredCheckpoint
from jiebang_es.sealing import GENESIS, chain, event_digest


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
    last_seal: bytes = GENESIS
    checkpoints: int = 0
    last_checkpoint: int = 0
    finding: Finding | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.finding is None


def verify_chain(
    events: Iterable[EventRow],
    seals: Iterable[SealTuple],
    checkpoints: Iterable[StoredCheckpoint] = (),
    public_key: Ed25519PublicKey | None = None,
) -> Report:
    """Walk events and seals together in position order; stop at the first damage."""
    report = Report()
    pending = _checked_checkpoints(list(checkpoints), public_key, report)
    if report.finding is not None:
        return report
    previous_position, previous_seal = 0, GENESIS
    for position, event, seal in _merge(events, seals):
        if event is None or seal is None:
            report.finding = _unpaired(position, event, seal)
            return report
        finding = _check_pair(position, event, seal, previous_position, previous_seal)
        finding = finding or _against_checkpoints(position, seal, pending, report)
        if finding is not None:
            report.finding = finding
            return report
        previous_position, previous_seal = position, seal[5]
        report.events += 1
    report.last_position, report.last_seal = previous_position, previous_seal
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


def _checked_checkpoints(
    checkpoints: list[StoredCheckpoint], public_key: Ed25519PublicKey | None, report: Report
) -> list[StoredCheckpoint]:
    if checkpoints and public_key is None:
        report.notes.append("no public key given: checkpoints were not checked")
        return []
    for c in checkpoints:
        if public_key is not None and not signature_valid(public_key, c):
            report.finding = Finding(
                Damage.CHECKPOINT_FORGED,
                c.position,
                "",
                0,
                f"the checkpoint of {c.taken_at} (key {c.key_id}) is not signed by the "
                "configured key",
            )
    return sorted(checkpoints, key=lambda c: c.position)


def _against_checkpoints(
    position: int, seal: SealTuple, pending: list[StoredCheckpoint], report: Report
) -> Finding | None:
    while pending and pending[0].position <= position:
        c = pending.pop(0)
        if c.position < position or c.seal != seal[5]:
            return Finding(
                Damage.REWRITTEN,
                c.position,
                seal[1],
                seal[2],
                f"the chain does not match the checkpoint of {c.taken_at}: the history up to "
                f"position {c.position} (after position {report.last_checkpoint}, the last "
                "matching checkpoint) was rewritten and re-sealed after it was signed",
            )
        report.checkpoints += 1
        report.last_checkpoint = c.position
    return None


def _unpaired(position: int, event: EventRow | None, seal: SealTuple | None) -> Finding:
    if event is not None:
        return Finding(Damage.INSERTED, position, event[1], event[2], "no seal was written for it")
    aggregate_id, version = (seal[1], seal[2]) if seal else ("", 0)
    return Finding(
        Damage.DELETED, position, aggregate_id, version, "a sealed event is no longer stored"
    )


def _check_pair(
    position: int,
    event: EventRow,
    seal: SealTuple,
    previous_position: int,
    previous_seal: bytes,
) -> Finding | None:
    _, aggregate_id, version, topic, state = event
    if (seal[1], seal[2]) != (aggregate_id, version):
        return Finding(
            Damage.REORDERED,
            position,
            aggregate_id,
            version,
            f"the event sealed here was {seal[1]} version {seal[2]}",
        )
    if event_digest(aggregate_id, version, topic, state) != seal[4]:
        return Finding(
            Damage.ALTERED, position, aggregate_id, version, "its stored bytes were changed"
        )
    if seal[3] > previous_position:
        return Finding(
            Damage.DELETED,
            seal[3],
            aggregate_id,
            version,
            f"the event at position {seal[3]}, sealed before position {position}, was removed",
        )
    if seal[3] < previous_position:
        return Finding(
            Damage.INSERTED,
            previous_position,
            aggregate_id,
            version,
            f"position {previous_position} was not in the chain when position {position} "
            "was sealed",
        )
    if chain(previous_seal, seal[4]) != seal[5]:
        return Finding(Damage.ALTERED, position, aggregate_id, version, "its seal was changed")
    return None


def _merge(
    events: Iterable[EventRow], seals: Iterable[SealTuple]
) -> Iterator[tuple[int, EventRow | None, SealTuple | None]]:
    """Pair events and seals by position; either may be missing where the log was damaged."""
    ev_it, se_it = iter(events), iter(seals)
    ev, se = next(ev_it, None), next(se_it, None)
    while ev is not None or se is not None:
        if ev is not None and (se is None or ev[0] < se[0]):
            yield ev[0], ev, None
            ev = next(ev_it, None)
        elif se is not None and (ev is None or se[0] < ev[0]):
            yield se[0], None, se
            se = next(se_it, None)
        elif ev is not None and se is not None:
            yield ev[0], ev, se
            ev, se = next(ev_it, None), next(se_it, None)
