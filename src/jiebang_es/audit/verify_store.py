"""Verify a whole store: its seal chain, the checkpoints it keeps and any copied away."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from jiebang_es.audit.checkpoints import load_public_key, read_file
from jiebang_es.audit.raw_store import JoinedRow, RawStore, StoredCheckpoint
from jiebang_es.audit.retired_keys import retired_keys
from jiebang_es.audit.verify import Damage, Finding, Report, verify_chain
from jiebang_es.audit.verify_keys import KeyedEvents, check_keys
from jiebang_es.config import Settings, store_env
from jiebang_es.documents.store import open_document_store


def verify_store(
    settings: Settings,
    *,
    checkpoint_file: Path | None = None,
    public_key_file: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Recompute the chain from the stored bytes and check it against every checkpoint; then
    the documents the log keeps and the log's keys.

    The checkpoints kept in the database are always checked; a file of checkpoints copied away
    (``checkpoint_file``) adds those an attacker could have deleted from the database.
    """
    store = RawStore(settings)
    mode = store.crypto_mode(settings.crypto)
    checkpoints = _union(store.checkpoints(), read_file(checkpoint_file) if checkpoint_file else [])
    key_path = public_key_file or settings.audit_public_key_file
    public_key = load_public_key(key_path, mode) if (public_key_file or key_path.exists()) else None
    referenced: dict[str, tuple[int, str, int]] = {}
    keyed = KeyedEvents()
    batches = keyed.noting(_noting_documents(store.sealed_events(), referenced))
    if progress is not None:
        batches = _reporting(batches, progress, (store.last_seal() or (0, b""))[0])
    retired = retired_keys(key_path, mode) if public_key is not None else {}
    report = verify_chain(batches, checkpoints, public_key, store.seal_after, mode, retired)
    documents = open_document_store(settings, mode)
    mismatches = documents.check()
    report.notes.append(f"{sum(1 for _ in documents.documents())} documents re-hashed")
    if mismatches and report.finding is None:
        report.finding = document_finding(mismatches[0].digest, mismatches[0].detail)
    # R-EVIDENCE: every document the log keeps must be there (a store restored or copied
    # without its documents folder would otherwise verify intact).
    missing = [(where, d) for d, where in referenced.items() if documents.info(d) is None]
    if referenced:
        report.notes.append(f"{len(referenced)} documents kept by the log, {len(missing)} missing")
    if missing and report.finding is None:
        (position, aggregate_id, version), digest = min(missing)
        report.finding = Finding(
            Damage.DELETED,
            position,
            aggregate_id,
            version,
            f"document {digest}, which this event keeps, is missing from the document store",
        )
    # The log's keys: an event hidden from the questions read by key (R-CONFLICT's look at a
    # challenge's applications, say) while the chain itself is intact.
    key_finding, key_note = check_keys(store, keyed, report.last_position)
    if key_note:
        report.notes.append(key_note)
    if key_finding is not None and report.finding is None:
        report.finding = key_finding
    return report


def _noting_documents(
    batches: Iterator[list[JoinedRow]], referenced: dict[str, tuple[int, str, int]]
) -> Iterator[list[JoinedRow]]:
    """The batches as they are, noting each document digest an event keeps (its first event)."""
    for batch in batches:
        # Most events keep no document: picked out by one comprehension (a scan in C each).
        for position, aggregate_id, version, _topic, state, *_ in [
            row for row in batch if b'"digest"' in row[4]
        ]:
            for digest in referenced_digests(state):
                referenced.setdefault(digest, (position, aggregate_id, version))
        yield batch


def referenced_digests(state: bytes) -> set[str]:
    """The digests of the documents a stored event keeps (in its sealed bytes)."""
    if b'"digest"' not in state:  # most events keep no document: a scan in C
        return set()
    return {d.decode() for d in DIGEST_IN_STATE.findall(state)}


def _reporting(
    batches: Iterator[list[JoinedRow]], progress: Callable[[int, int], None], last: int
) -> Iterator[list[JoinedRow]]:
    """The batches as they are, telling ``progress`` the position each one reaches."""
    for batch in batches:
        yield batch
        if batch:
            progress(batch[-1][0], last)


# A document's digest in an event's sealed bytes (here and in bundles, audit/bundle.py).
DIGEST_IN_STATE = re.compile(rb'"digest":\s*"([0-9a-f]{64})"')


def document_finding(digest: str, detail: str) -> Finding:
    """R-EVIDENCE: a document whose bytes do not match the digest the record keeps."""
    return Finding(Damage.ALTERED, 0, f"document {digest}", 0, f"stored document: {detail}")


def _union(*sources: list[StoredCheckpoint]) -> list[StoredCheckpoint]:
    """Every distinct checkpoint once; two different ones for one position and key both stay,
    so a checkpoint altered in the database is checked beside its copy."""
    seen: dict[tuple[int, str, bytes, str, bytes], StoredCheckpoint] = {}
    for source in sources:
        for c in source:
            seen.setdefault((c.position, c.key_id, c.seal, c.taken_at, c.signature), c)
    return sorted(seen.values(), key=lambda c: (c.position, c.key_id))


@dataclass(frozen=True)
class LastVerification:
    """The result of the last whole-store verification, as `jiebang audit verify` left it."""

    intact: bool
    position: int
    verified_at: float  # seconds since the epoch
    finding: str | None


def store_identity(database_url: str) -> str:
    """Which store a result is of: the SQLite file's absolute path, or PostgreSQL's host, port,
    database and schema (never a password)."""
    env = store_env(database_url)
    if env["PERSISTENCE_MODULE"].endswith("postgres"):
        return (
            f"postgresql://{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/"
            f"{env['POSTGRES_DBNAME']}?schema={env.get('POSTGRES_SCHEMA', 'public')}"
        )
    path = env["SQLITE_DBNAME"]
    return path if path.startswith("file:") or path == ":memory:" else str(Path(path).resolve())


def record_verification(path: Path, report: Report, store: str = "") -> None:
    """Keep the result for the metrics (replaced atomically: a scrape never reads half), with
    the store it is of: a verification of another store (a restored copy, say) kept in the same
    file is not taken for this one's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "store": store,
        "intact": report.intact,
        "position": report.last_position,
        "verified_at": time.time(),
        "finding": str(report.finding) if report.finding else None,
    }
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(json.dumps(data), encoding="utf-8")
    partial.replace(path)


def last_verification(path: Path, store: str = "") -> LastVerification | None:
    """The recorded result, or None when no verification of this ``store`` was recorded (or it
    is unreadable); a result of an earlier release, which names no store, counts."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if store and data.get("store") and data["store"] != store:
            return None
        return LastVerification(
            bool(data["intact"]), int(data["position"]), float(data["verified_at"]), data["finding"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
