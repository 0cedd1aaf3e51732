"""The draw itself: a pure function of the record, so anyone holding it can recompute it.

The idea is RFC 3797's (publicly verifiable nominating-committee selection), kept and tightened:
- the eligible candidates are fixed, in a canonical order with their digest, *before* the
  randomness exists;
- the randomness has two parts: a seed the bureau commits to (its SHA-256 digest is recorded
  when the draw is scheduled, the seed is revealed at the draw) and a public value named in
  advance (e.g. a lottery's published result on a stated future date). Neither alone decides:
  the bureau cannot choose the public value, and nobody else knows the seed, so nobody can
  compute the outcome before both are fixed — and once the schedule is recorded, the bureau
  can no longer change the list, the needs, or its seed without the commitment failing;
- each candidate's place is SHA-256 over the length-prefixed (seed, public value, candidate id);
  candidates are taken in ascending order of that digest (ties, which SHA-256 makes
  practically impossible, by id). Length prefixes keep ("ab", "c") and ("a", "bc") apart, where
  RFC 3797's plain concatenation of decimal strings does not need to.

The algorithm's name is recorded with every draw: a future change gets a new name and old draws
keep verifying with the old one.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

ALGORITHM = "jiebang-draw-sha256-v1"
_SEED_DOMAIN = b"jiebang-draw-seed\x00"


def new_seed() -> str:
    """A fresh secret seed (256 bits, hex) for the bureau to keep until the draw."""
    return secrets.token_hex(32)


def commitment_of(seed: str) -> str:
    """The digest recorded when a draw is scheduled, before anyone but the bureau knows the seed."""
    return hashlib.sha256(_SEED_DOMAIN + seed.encode("utf-8")).hexdigest()


def normalise_public_value(value: str) -> str:
    """The public value as recorded: Unicode NFC, surrounding and repeated white space folded,
    so that "01 05  12" typed from a lottery bulletin and "01 05 12" rank alike."""
    return " ".join(unicodedata.normalize("NFC", value).split())


@dataclass(frozen=True)
class Candidate:
    """An eligible expert, by the expert's id, in the kind of seat they would fill."""

    expert_id: str
    kind: str


def canonical_candidates(candidates: Iterable[Candidate]) -> tuple[Candidate, ...]:
    """The order in which candidates are recorded and digested: by kind, then by id."""
    return tuple(sorted(set(candidates), key=lambda c: (c.kind, c.expert_id)))


def candidates_digest(candidates: Sequence[Candidate]) -> str:
    """SHA-256 over the canonical JSON list of (kind, expert id) pairs."""
    payload = [[c.kind, c.expert_id] for c in canonical_candidates(candidates)]
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _prefixed(part: str) -> bytes:
    raw = part.encode("utf-8")
    return len(raw).to_bytes(4, "big") + raw


def rank_key(seed: str, public_value: str, expert_id: str) -> str:
    """A candidate's place in the draw: lower digests are drawn first."""
    material = _prefixed(seed) + _prefixed(normalise_public_value(public_value))
    return hashlib.sha256(material + _prefixed(expert_id)).hexdigest()


@dataclass(frozen=True)
class KindRanking:
    """One kind of seat: every eligible candidate in drawn order; the first ``taken`` sit, the
    rest are the replacements, in this order."""

    kind: str
    ranked: tuple[str, ...]
    taken: int

    @property
    def selected(self) -> tuple[str, ...]:
        return self.ranked[: self.taken]

    @property
    def reserve(self) -> tuple[str, ...]:
        return self.ranked[self.taken :]


def perform(
    candidates: Sequence[Candidate], needs: Mapping[str, int], seed: str, public_value: str
) -> tuple[KindRanking, ...]:
    """Rank every candidate of each needed kind and take the first N of each."""
    rankings = []
    for kind in sorted(needs):
        ids = [c.expert_id for c in canonical_candidates(candidates) if c.kind == kind]
        ranked = sorted(ids, key=lambda i: (rank_key(seed, public_value, i), i))
        rankings.append(KindRanking(kind=kind, ranked=tuple(ranked), taken=needs[kind]))
    return tuple(rankings)


@dataclass(frozen=True)
class DrawRecord:
    """Everything a verifier needs, as recorded by the two events of a draw."""

    candidates: tuple[Candidate, ...]
    candidates_digest: str
    needs: Mapping[str, int]
    commitment: str
    seed: str
    public_value: str
    rankings: tuple[KindRanking, ...]
    algorithm: str = ALGORITHM


def verify(record: DrawRecord) -> list[str]:
    """Recompute the draw from its record; an empty list when it matches, else each difference
    named (which input or which seat differs)."""
    if record.algorithm != ALGORITHM:
        return [f"algorithm: {record.algorithm!r} is not one this verifier knows ({ALGORITHM})"]
    problems = []
    if record.candidates != canonical_candidates(record.candidates):
        problems.append("candidates: not in canonical order (by kind, then id) or repeated")
    digest = candidates_digest(record.candidates)
    if digest != record.candidates_digest:
        problems.append(
            f"candidates: the list's digest is {digest}, the schedule recorded "
            f"{record.candidates_digest} (a candidate was added, removed or changed)"
        )
    if commitment_of(record.seed) != record.commitment:
        problems.append("seed: does not match the commitment recorded when the draw was scheduled")
    expected = {
        r.kind: r
        for r in perform(record.candidates, record.needs, record.seed, record.public_value)
    }
    recorded = {r.kind: r for r in record.rankings}
    for kind in sorted(set(expected) | set(recorded)):
        want, got = expected.get(kind), recorded.get(kind)
        if want is None or got is None:
            problems.append(f"kind {kind}: recorded {'without' if want is None else 'no'} need")
            continue
        if got.taken != want.taken:
            problems.append(f"kind {kind}: {got.taken} taken, the needs say {want.taken}")
        for place, (w, g) in enumerate(zip(want.ranked, got.ranked, strict=False), start=1):
            if w != g:
                problems.append(f"kind {kind}, place {place}: recorded {g}, recomputed {w}")
                break
        if len(want.ranked) != len(got.ranked):
            problems.append(
                f"kind {kind}: {len(got.ranked)} ranked, the candidates give {len(want.ranked)}"
            )
    return problems
