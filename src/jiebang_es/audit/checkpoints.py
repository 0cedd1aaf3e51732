"""Signed checkpoints: signatures over (position, seal, time) — Ed25519 in an `intl` store, SM2
in an `sm` store (docs/cryptography.md) — with a key kept outside the database, stored in the
database and appended to a file that supervisors copy away.

Someone who can write to the database can re-seal a rewritten history consistently; they cannot
sign for it without the private key, and they cannot reach the copies already taken away.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from jiebang_es.audit.raw_store import RawStore, StoredCheckpoint
from jiebang_es.config import Settings
from jiebang_es.crypto import CryptoMode
from jiebang_es.crypto.signing import (
    SIGNATURE_NAMES,
    Ed25519Verifying,
    KeyFileError,
    SigningKey,
    VerifyingKey,
    generate_signing_key,
    private_key_from_pem,
    public_key_from_pem,
)
from jiebang_es.errors import InvalidValueError
from jiebang_es.service_base import CHINA_TZ

log = structlog.get_logger("jiebang_es.audit")


def signed_message(position: int, seal: bytes, taken_at: str) -> bytes:
    return f"jiebang-checkpoint/1|{position}|{seal.hex()}|{taken_at}".encode()


def key_id(public_key: VerifyingKey | Ed25519PublicKey) -> str:
    """A short, stable name of a public key: the start of the hash of its raw bytes."""
    if isinstance(public_key, Ed25519PublicKey):
        return Ed25519Verifying(public_key).key_id
    return public_key.key_id


def generate_keys(
    private_path: Path, public_path: Path, *, mode: CryptoMode = "intl", overwrite: bool = False
) -> str:
    """Make a key pair of the mode's algorithm (Ed25519 or SM2): private key readable by its
    owner only. Returns its key id."""
    if private_path.exists() and not overwrite:
        raise InvalidValueError(
            "audit_key_file", f"{private_path} exists; a new key would orphan its checkpoints"
        )
    private = generate_signing_key(mode)
    private_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private.pem())
    public_path.write_bytes(private.public.pem())
    return private.public.key_id


def _of_mode(
    key: SigningKey | VerifyingKey, mode: CryptoMode | None, field: str, path: Path
) -> None:
    if mode is not None and key.mode != mode:
        raise InvalidValueError(
            field,
            f"{path} is an {SIGNATURE_NAMES[key.mode]} key, but the store is written in "
            f"{mode!r} mode, whose checkpoints are signed with {SIGNATURE_NAMES[mode]}",
        )


def load_private_key(path: Path, mode: CryptoMode | None = None) -> SigningKey:
    """The checkpoints' private key; refused when it is not of the store's mode."""
    try:
        key = private_key_from_pem(path.read_bytes())
    except FileNotFoundError:
        raise InvalidValueError(
            "audit_key_file", f"{path} not found: run `jiebang audit keygen` first"
        ) from None
    except KeyFileError as e:
        raise InvalidValueError("audit_key_file", f"{path}: {e}") from None
    _of_mode(key, mode, "audit_key_file", path)
    return key


def load_public_key(path: Path, mode: CryptoMode | None = None) -> VerifyingKey:
    """A public key to check checkpoints with; refused when it is not of the store's mode."""
    try:
        key = public_key_from_pem(path.read_bytes())
    except FileNotFoundError:
        raise InvalidValueError("public_key", f"{path} not found") from None
    except KeyFileError as e:
        raise InvalidValueError("public_key", f"{path} is not a PEM public key: {e}") from None
    _of_mode(key, mode, "public_key", path)
    return key


def signature_valid(public_key: VerifyingKey, checkpoint: StoredCheckpoint) -> bool:
    if checkpoint.key_id != public_key.key_id:
        return False
    message = signed_message(checkpoint.position, checkpoint.seal, checkpoint.taken_at)
    return public_key.verify(checkpoint.signature, message)


def take_checkpoint(settings: Settings, store: RawStore | None = None) -> StoredCheckpoint | None:
    """Sign the chain's current end; keep it in the database and append it to the file."""
    store = store or RawStore(settings)
    private = load_private_key(settings.audit_key_file, store.crypto_mode(settings.crypto))
    last = store.last_seal()
    if last is None:
        return None
    position, seal = last
    taken_at = datetime.now(CHINA_TZ).isoformat(timespec="seconds")
    checkpoint = StoredCheckpoint(
        position=position,
        seal=seal,
        taken_at=taken_at,
        key_id=private.public.key_id,
        signature=private.sign(signed_message(position, seal, taken_at)),
    )
    store.add_checkpoint(checkpoint)
    append_to_file(settings.audit_checkpoint_file, [checkpoint])
    return checkpoint


def append_to_file(path: Path, checkpoints: Iterable[StoredCheckpoint]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        for c in checkpoints:
            f.write(json.dumps(c.as_json(), sort_keys=True) + "\n")


def read_file(path: Path) -> list[StoredCheckpoint]:
    """Checkpoints from a JSON-lines file; a malformed line is an error naming its number."""
    found: list[StoredCheckpoint] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(StoredCheckpoint.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError) as e:
            raise InvalidValueError("checkpoints", f"{path} line {number}: {e}") from None
    return found


class Checkpointer:
    """While serving: a checkpoint every N new events or every M seconds with new events."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = RawStore(settings)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="jiebang-checkpointer", daemon=True)
        self._last_position = 0
        self._last_time = 0.0

    def start(self) -> None:
        if not self.settings.audit_key_file.exists():
            log.warning("checkpoints_off", reason=f"no key at {self.settings.audit_key_file}")
            return
        last = self.store.checkpoints()
        self._last_position = max((c.position for c in last), default=0)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        every = self.settings.checkpoint_every_seconds
        poll = min(1.0, every)
        waited = 0.0
        failing: str | None = None
        while not self._stop.wait(poll):
            waited += poll
            try:
                self._maybe_checkpoint(due=waited >= every)
            except Exception as e:  # a failed checkpoint must not stop the server; retried
                # Said once per cause, not every second of an outage.
                if str(e) != failing:
                    log.error("checkpoint_failed", error=str(e))
                failing = str(e)
            else:
                if failing is not None:
                    log.info("checkpoints_resumed")
                failing = None
            if waited >= every:
                waited = 0.0

    def _maybe_checkpoint(self, *, due: bool) -> None:
        last = self.store.last_seal()
        if last is None or last[0] <= self._last_position:
            return
        if due or last[0] - self._last_position >= self.settings.checkpoint_every_events:
            checkpoint = take_checkpoint(self.settings, self.store)
            if checkpoint is not None:
                self._last_position = checkpoint.position
                log.info("checkpoint_taken", position=checkpoint.position)
