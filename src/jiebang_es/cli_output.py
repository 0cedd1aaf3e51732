"""Files the CLI writes (bundles, reports, documents): a path that cannot be written is said in
the command's words, and a file is never left half-written or emptied by a command that was
refused or failed: it is written beside its place and takes it only once complete."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import typer


def writable(path: Path, option: str) -> Path:
    """``path`` if a file can be written there; otherwise a usage error naming ``option``."""
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a folder: name a file", param_hint=option)
    if not path.parent.is_dir():
        raise typer.BadParameter(f"the folder {path.parent} does not exist", param_hint=option)
    return path


@contextlib.contextmanager
def replaced_on_success(path: Path, option: str, *, binary: bool = False) -> Iterator[IO[Any]]:
    """A file to write that becomes ``path`` when the block ends without an error; what was at
    ``path`` before stays as it was otherwise."""
    writable(path, option)
    fd, part = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(part, 0o666 & ~umask)  # as a plain open() would have made it
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8") as f:
            yield f
        os.replace(part, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(part)
        raise


def write_file(path: Path, data: bytes | str, option: str) -> None:
    """``data`` written to ``path`` whole (see ``replaced_on_success``)."""
    with replaced_on_success(path, option, binary=isinstance(data, bytes)) as f:
        f.write(data)
