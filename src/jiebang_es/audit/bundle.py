"""Export bundles: one challenge's whole record, checkable offline by anyone.

A bundle is JSON lines: a header (with the public key and the store's cryptography mode, so that
it is checked with SHA-256 and Ed25519 or SM3 and SM2 as it was written), the stored events of
the challenge, its demands, applications and projects (exact bytes, with their metadata for
reading), and the seal chain from the first of them to the checkpoint that covers the last — for
every event in between only its digest and seal, so other challenges' contents never leave the
bureau.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    StoredEvent,
    UUIDAsHex,
)
from eventsourcing.utils import get_topic

from jiebang_es.audit.checkpoints import load_public_key, signature_valid
from jiebang_es.audit.queries import jsonable, log_events
from jiebang_es.audit.raw_store import RawStore, StoredCheckpoint
from jiebang_es.audit.verify import Damage, Finding
from jiebang_es.audit.verify_store import document_finding, referenced_digests
from jiebang_es.crypto import CRYPTO_MODES, CryptoMode
from jiebang_es.crypto.digests import HashFunction, hash_function
from jiebang_es.crypto.signing import KeyFileError, VerifyingKey, public_key_from_pem
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.draw import Draw, DrawStatus
from jiebang_es.draws.verify import verify_recorded_draw
from jiebang_es.errors import InvalidValueError
from jiebang_es.privacy.redact import redact
from jiebang_es.sealing import GENESIS, chain, event_digest
from jiebang_es.service_base import ServiceBase, TupleMapper
from jiebang_es.transcodings import register_domain_transcodings

FORMAT = "jiebang-audit-bundle/1"
DRAW_TOPIC = get_topic(Draw).rsplit(":", 1)[0] + ":Draw."


def _related_ids(app: ServiceBase, challenge_id: str) -> set[str]:
    challenge = app.state_at(Challenge, challenge_id)
    ids = {str(challenge.id), *challenge.demand_ids}
    for _, event in log_events(app):
        # Applications name their challenge by text, expert draws by UUID.
        if str(getattr(event, "challenge_id", None)) == str(challenge.id):
            ids.add(str(event.originator_id))
    return ids


def export_bundle(
    app: ServiceBase,
    store: RawStore,
    challenge_id: str,
    out: IO[str],
    *,
    digests_only: bool = False,
) -> int:
    """Write the bundle of one challenge; returns how many of its events it holds.

    R-EVIDENCE: the documents its events keep follow them, each checkable against its digest;
    with ``digests_only`` only the digests (already inside the sealed events) travel."""
    ids = _related_ids(app, challenge_id)
    events = [e for e in store.events() if e[1] in ids]
    if not events:
        raise InvalidValueError("challenge", f"{challenge_id} has no stored events")
    first, last = events[0][0], events[-1][0]
    checkpoints = [c for c in store.checkpoints() if c.position >= last]
    if not checkpoints:
        raise InvalidValueError(
            "checkpoints",
            f"no checkpoint covers position {last} yet: run `jiebang audit checkpoint` first",
        )
    covering = checkpoints[0]
    public_pem = app.settings.audit_public_key_file.read_text(encoding="utf-8")
    _write(out, {"kind": "header", "format": FORMAT, "challenge": challenge_id,
                 "public_key": public_pem, "documents": not digests_only,
                 "crypto": app.crypto_mode})  # fmt: skip
    by_position = {e[0]: e for e in events}
    previous_seal = GENESIS
    for position, originator_id, version, previous_id, digest, seal in store.seals():
        if position >= first:
            if position == first:
                _write(out, {"kind": "anchor", "position": previous_id,
                             "seal": previous_seal.hex()})  # fmt: skip
            _write(out, {"kind": "link", "position": position, "previous_id": previous_id,
                         "originator_id": originator_id, "version": version,
                         "digest": digest.hex(), "seal": seal.hex()})  # fmt: skip
            if position in by_position:
                _write(out, _event_line(app, by_position[position]))
        if position >= covering.position:
            break
        previous_seal = seal
    _write(out, {"kind": "checkpoint", **covering.as_json()})
    if not digests_only:
        for kept in sorted({d for e in events for d in referenced_digests(e[4])}):
            doc = app.documents.require(kept)
            content = b"".join(app.documents.read(kept))
            _write(out, {"kind": "document", "digest": kept, "media_type": doc.media_type,
                         "file_name": doc.file_name, "size": doc.size,
                         "content": base64.b64encode(content).decode()})  # fmt: skip
    return len(events)


def _event_line(app: ServiceBase, row: tuple[int, str, int, str, bytes]) -> dict[str, Any]:
    position, originator_id, version, topic, state = row
    audit: Any = None
    try:
        audit = readable_audit(app.mapper.transcoder.decode(state))
    except (ValueError, TypeError):
        audit = None  # altered bytes: the verifier will say so
    return {
        "kind": "event",
        "position": position,
        "originator_id": originator_id,
        "version": version,
        "topic": topic,
        "state": base64.b64encode(state).decode(),
        "audit": audit,
    }


def readable_audit(decoded: Any) -> Any:
    """An event's audit metadata as a bundle shows it beside the sealed bytes. It carries no
    personal identifier; the sealed state keeps the personal fields as ciphertext (and what an
    earlier release recorded in clear)."""
    return redact(jsonable(decoded.get("audit"))) if isinstance(decoded, dict) else None


def _write(out: IO[str], line: dict[str, Any]) -> None:
    out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")


@dataclass
class BundleReport:
    events: int = 0
    links: int = 0
    checkpoint: int = 0
    key_source: str = ""
    finding: Finding | None = None
    draws: dict[str, list[str]] = field(default_factory=dict)  # draw id -> differences
    documents: int = 0
    mode: CryptoMode = "intl"


def verify_bundle(path: Path, public_key_file: Path | None = None) -> BundleReport:
    """Check a bundle offline: every event against its digest, the chain, the checkpoint."""
    report = BundleReport()
    lines = list(_read(path))
    if not lines or lines[0].get("format") != FORMAT:
        raise InvalidValueError("bundle", f"{path} is not a {FORMAT} bundle")
    # A bundle written before modes existed is `intl`. The mode is not trusted for more than
    # which algorithms to use: a changed mode makes every seal and the signature fail.
    mode = lines[0].get("crypto", "intl")
    if mode not in CRYPTO_MODES:
        raise InvalidValueError("bundle", f"unknown cryptography mode {mode!r}")
    report.mode = mode
    if public_key_file is not None:
        key, report.key_source = load_public_key(public_key_file, mode), str(public_key_file)
    else:
        try:
            key = public_key_from_pem(str(lines[0]["public_key"]).encode())
        except KeyFileError as e:
            raise InvalidValueError("bundle", f"its public key: {e}") from None
        if key.mode != mode:
            raise InvalidValueError("bundle", f"its public key is not of its mode {mode!r}")
        report.key_source = "the bundle itself (give --public-key to rely on yours)"
    h = hash_function(mode)
    transcoder = _offline_transcoder()
    report.finding = (
        _walk(lines[1:], key, report, h)
        or _summaries(lines[1:], transcoder)
        or _documents(
            lines[1:], with_content=bool(lines[0].get("documents", False)), report=report, h=h
        )
    )
    if report.finding is None:
        report.draws = _recompute_draws(lines[1:], transcoder)
    return report


def _offline_transcoder() -> JSONTranscoder:
    """The store's transcodings without its keys (personal fields read as withheld)."""
    transcoder = JSONTranscoder()
    # the library's own transcodings, as its Application registers them, then the domain's
    for library_transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(library_transcoding)
    register_domain_transcodings(transcoder)
    return transcoder


def _summaries(lines: list[dict[str, Any]], transcoder: JSONTranscoder) -> Finding | None:
    """Each event's readable summary (who, when, why: what a reader of the bundle trusts) is
    the one its sealed bytes give: the seals cover the bytes, this covers the summary."""
    for line in lines:
        if line.get("kind") != "event":
            continue
        expected = readable_audit(transcoder.decode(base64.b64decode(line["state"])))
        if not _same_summary(line.get("audit"), expected):
            return Finding(
                Damage.ALTERED,
                int(line["position"]),
                str(line["originator_id"]),
                int(line["version"]),
                "its readable summary (who, when, why) differs from its sealed bytes",
            )
    return None


# Summary fields a bundle of an earlier release may lack (they came later): absent, not altered.
LATER_SUMMARY_FIELDS = frozenset({"documents"})


def _same_summary(shown: Any, expected: Any) -> bool:
    """Whether a bundle's readable summary is its sealed event's, as an earlier release may
    have written it too: without the later fields, and before redaction (compared redacted)."""
    if not isinstance(shown, dict) or not isinstance(expected, dict):
        return bool(shown == expected)
    if not shown.keys() <= expected.keys() or expected.keys() - shown.keys() - LATER_SUMMARY_FIELDS:
        return False
    return all(redact(value) == expected[name] for name, value in shown.items())


def _recompute_draws(
    lines: list[dict[str, Any]], transcoder: JSONTranscoder
) -> dict[str, list[str]]:
    """Every expert draw in the bundle, replayed from its events and recomputed (R-DRAW)."""
    mapper = TupleMapper(transcoder=transcoder)
    draws: dict[str, Any] = {}
    for line in lines:
        if line.get("kind") != "event" or not str(line["topic"]).startswith(DRAW_TOPIC):
            continue
        event: Any = mapper.to_domain_event(
            StoredEvent(
                originator_id=UUID(line["originator_id"]),
                originator_version=int(line["version"]),
                topic=line["topic"],
                state=base64.b64decode(line["state"]),
            )
        )
        draws[line["originator_id"]] = event.mutate(draws.get(line["originator_id"]))
    # A draw only scheduled when the bundle was made has nothing to recompute yet.
    return {
        draw_id: verify_recorded_draw(draw)
        for draw_id, draw in draws.items()
        if draw.status is DrawStatus.PERFORMED
    }


def _documents(
    lines: list[dict[str, Any]], *, with_content: bool, report: BundleReport, h: HashFunction
) -> Finding | None:
    """R-EVIDENCE: every document the sealed events keep is in the bundle (unless it was
    exported with digests only) and matches its digest."""
    referenced: set[str] = set()
    for line in lines:
        if line.get("kind") == "event":
            referenced |= referenced_digests(base64.b64decode(line["state"]))
    present: set[str] = set()
    for line in lines:
        if line.get("kind") != "document":
            continue
        digest = str(line.get("digest", ""))
        actual = h(base64.b64decode(line.get("content", ""))).hex()
        if actual != digest:
            return document_finding(
                digest, f"{line.get('file_name', '')} in the bundle hashes to {actual}"
            )
        present.add(digest)
        report.documents += 1
    if with_content:
        for digest in sorted(referenced - present):
            return Finding(Damage.DELETED, 0, f"document {digest}", 0, "missing from the bundle")
    return None


def _walk(
    lines: list[dict[str, Any]], key: VerifyingKey, report: BundleReport, h: HashFunction
) -> Finding | None:
    previous_position, previous_seal, link = 0, GENESIS, None
    for line in lines:
        kind = line.get("kind")
        if kind == "anchor":
            previous_position, previous_seal = int(line["position"]), bytes.fromhex(line["seal"])
        elif kind == "link":
            link = line
            position, digest, seal = (int(line["position"]), bytes.fromhex(line["digest"]),
                                      bytes.fromhex(line["seal"]))  # fmt: skip
            if (
                int(line["previous_id"]) != previous_position
                or chain(previous_seal, digest, h) != seal
            ):
                return _finding(Damage.ALTERED, line, "the seal chain is broken here")
            previous_position, previous_seal = position, seal
            report.links += 1
        elif kind == "event":
            state = base64.b64decode(line["state"])
            digest = event_digest(
                line["originator_id"], int(line["version"]), line["topic"], state, h
            )
            if (
                link is None
                or int(link["position"]) != int(line["position"])
                or (link["originator_id"], int(link["version"]))
                != (line["originator_id"], int(line["version"]))
                or bytes.fromhex(link["digest"]) != digest
            ):
                return _finding(Damage.ALTERED, line, "its bytes are not what was sealed")
            report.events += 1
        elif kind == "checkpoint":
            checkpoint = StoredCheckpoint.from_json(line)
            if not signature_valid(key, checkpoint):
                return _finding(Damage.CHECKPOINT_FORGED, line, "not signed by the key")
            if checkpoint.position != previous_position or checkpoint.seal != previous_seal:
                return _finding(Damage.REWRITTEN, line, "the chain does not reach its seal")
            report.checkpoint = checkpoint.position
    if not report.checkpoint:
        return Finding(Damage.DELETED, previous_position, "", 0, "no checkpoint closes the bundle")
    return None


def _finding(damage: Damage, line: dict[str, Any], detail: str) -> Finding:
    return Finding(
        damage,
        int(line.get("position", 0)),
        str(line.get("originator_id", "")),
        int(line.get("version", 0)),
        detail,
    )


def _read(path: Path) -> Iterator[dict[str, Any]]:
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text.strip():
            try:
                yield json.loads(text)
            except ValueError as e:
                raise InvalidValueError("bundle", f"line {number}: {e}") from None
