"""Retired checkpoint keys: a key pair replaced by `jiebang audit keygen --overwrite` keeps its
public key, so the checkpoints it signed still verify — but only up to the position the log had
reached when it was retired. A checkpoint signed by it further on is forged: whoever kept the old
private key cannot sign for history written after it was replaced.

Each retired key is a JSON file in ``retired-keys/`` beside the public key (its id, the position,
when, and the PEM), kept with the key files and never in the database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jiebang_es.crypto import CryptoMode
from jiebang_es.crypto.signing import KeyFileError, VerifyingKey, public_key_from_pem
from jiebang_es.errors import InvalidValueError
from jiebang_es.service_base import CHINA_TZ

RETIRED_FOLDER = "retired-keys"


@dataclass(frozen=True)
class RetiredKey:
    key: VerifyingKey
    up_to_position: int  # its signatures count for checkpoints up to this position


def retire_key(public_path: Path, position: int) -> str | None:
    """Keep the current public key as retired at ``position`` (before a new pair replaces it);
    its key id, or None when there is no key to retire."""
    if not public_path.exists():
        return None
    pem = public_path.read_bytes()
    try:
        key = public_key_from_pem(pem)
    except KeyFileError as e:
        raise InvalidValueError(
            "public_key", f"{public_path} is not a PEM public key: {e}"
        ) from None
    folder = public_path.parent / RETIRED_FOLDER
    folder.mkdir(exist_ok=True)
    record = {
        "key_id": key.key_id,
        "mode": key.mode,
        "up_to_position": position,
        "retired_at": datetime.now(CHINA_TZ).isoformat(timespec="seconds"),
        "public_key": pem.decode("ascii"),
    }
    (folder / f"{key.key_id}.json").write_text(json.dumps(record, indent=2) + "\n")
    return key.key_id


def retired_keys(public_path: Path, mode: CryptoMode) -> dict[str, RetiredKey]:
    """The keys retired beside ``public_path``, by key id (of the store's mode only)."""
    found: dict[str, RetiredKey] = {}
    folder = public_path.parent / RETIRED_FOLDER
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            key = public_key_from_pem(str(record["public_key"]).encode("ascii"))
            position = int(record["up_to_position"])
        except (ValueError, KeyError, TypeError, KeyFileError) as e:
            raise InvalidValueError("public_key", f"{path} is not a retired key: {e}") from None
        if key.mode == mode:
            found[key.key_id] = RetiredKey(key, position)
    return found
