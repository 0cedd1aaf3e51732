"""The manifest beside every backup: what store it came from and how far its log went.

``last_position`` and ``last_seal`` are read from the same snapshot the copy was taken from, so
a restore is checked against them: the restored chain must end exactly there.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from jiebang_es.errors import InvalidValueError

FORMAT = "jiebang-backup/1"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    """What a backup holds."""

    store: str  # "sqlite" or "postgresql"
    file: str  # the data file, relative to the backup's folder
    sha256: str  # of that file
    last_position: int
    last_seal: str  # hex; "" for an empty log
    created_at: str  # ISO 8601, UTC
    schema: str = ""  # PostgreSQL: the events schema the dump holds
    documents: str = ""  # SQLite: the folder of the documents (PostgreSQL: in the dump)
    format: str = FORMAT

    def write(self, folder: Path) -> None:
        text = json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"
        (folder / MANIFEST).write_text(text, encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            manifest = cls(**data)
        except FileNotFoundError:
            raise InvalidValueError("PATH", f"{path} not found: not a backup folder") from None
        except (ValueError, TypeError) as e:
            raise InvalidValueError("PATH", f"{path} is not a backup manifest: {e}") from None
        if manifest.format != FORMAT:
            raise InvalidValueError("PATH", f"{path}: unknown backup format {manifest.format}")
        return manifest

    def check_file(self, folder: Path) -> Path:
        """The data file, after checking it is the one the manifest names (not altered)."""
        path = folder / self.file
        if not path.is_file():
            raise InvalidValueError("PATH", f"{path} is missing")
        if file_sha256(path) != self.sha256:
            raise InvalidValueError("PATH", f"{path} differs from the manifest's SHA-256")
        return path


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
