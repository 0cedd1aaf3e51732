"""`jiebang documents …`: keep a file, fetch one by digest, re-hash them all."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from jiebang_es.audit.queries import log_events
from jiebang_es.cli_output import replaced_on_success
from jiebang_es.cli_store import cli_settings
from jiebang_es.config import Settings
from jiebang_es.documents.pdf import choose_font
from jiebang_es.documents.store import CHUNK, DocumentStore, open_document_store
from jiebang_es.domain.base import JiebangAggregate
from jiebang_es.errors import JiebangError
from jiebang_es.service import JiebangApp

documents_cli = typer.Typer(help="Documents by digest (R-EVIDENCE): put, get, check.")
EXIT_DAMAGED = 3  # as `jiebang audit verify`: a document no longer matches its digest


def _refused(e: Exception) -> None:
    """One line on standard error, as written (not rich markup: a digest or a file name may
    hold brackets), never wrapped."""
    sys.stderr.write(f"jiebang documents: {' '.join(str(e).split())}\n")


def _store(*, existing: bool = True) -> DocumentStore:
    """The configured store's documents; it must exist, except to put one."""
    settings = cli_settings(existing=existing)
    try:
        return open_document_store(settings)
    except JiebangError as e:
        _refused(e)
        raise typer.Exit(2) from e


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


@documents_cli.command()
def put(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the file to keep")],
    kind: Annotated[str, typer.Option(help="what it is to the procedure, e.g. 会议纪要")],
    name: Annotated[str | None, typer.Option(help="its file name (default: the file's)")] = None,
) -> None:
    """Keep a file (by content: PDF, OFD, DOCX, XLSX, PNG, JPEG) and print its reference."""
    store = _store(existing=False)
    try:
        doc = store.put(_chunks(file), kind=kind, file_name=name or file.name)
    except JiebangError as e:
        _refused(e)
        raise typer.Exit(2) from e
    sys.stdout.write(json.dumps(asdict(doc), ensure_ascii=False) + "\n")


@documents_cli.command()
def get(
    digest: Annotated[str, typer.Argument(help="the document's SHA-256")],
    out: Annotated[Path | None, typer.Option(help="write here (default: standard output)")] = None,
) -> None:
    """Write a stored document's bytes."""
    store = _store()
    try:
        store.require(digest)
    except JiebangError as e:
        _refused(e)
        raise typer.Exit(2) from e
    if out is None:
        for chunk in store.read(digest):
            sys.stdout.buffer.write(chunk)
        return
    with replaced_on_success(out, "--out", binary=True) as f:
        for chunk in store.read(digest):
            f.write(chunk)


@documents_cli.command()
def check() -> None:
    """Re-hash every stored document (exit 3 naming any that does not match its digest), find
    again, from the log, which aggregate keeps each one, and say whether the written documents
    get a PDF here (the font for Chinese found, or why not)."""
    store = _store()
    settings = Settings()
    app = JiebangApp(settings)
    try:
        references = 0
        kept: dict[str, int] = {}  # each digest the log keeps: the first position keeping it
        for position, event in log_events(app):
            if isinstance(event, JiebangAggregate.Event):
                owner = type(event).__qualname__.split(".")[0]
                for d in event.audit.documents:
                    store.add_reference(d.digest, str(event.originator_id), owner, d.kind)
                    kept.setdefault(d.digest, position)
                    references += 1
    finally:
        app.close()
    mismatches = store.check()
    count = sum(1 for _ in store.documents())
    for m in mismatches:
        sys.stdout.write(f"DAMAGED: document {m.digest}: {m.detail}\n")
    missing = sorted((p, d) for d, p in kept.items() if store.info(d) is None)
    for position, digest in missing:
        sys.stdout.write(
            f"DAMAGED: document {digest}: kept by the event at position {position}, "
            "missing from the document store\n"
        )
    if mismatches or missing:
        raise typer.Exit(EXIT_DAMAGED)
    sys.stdout.write(f"intact: {count} documents, {references} references in the log\n")
    sys.stdout.write(written_formats(settings.pdf_font) + "\n")


def written_formats(setting: str) -> str:
    """What the bureau's written documents are kept as here: PDF too, or why DOCX only."""
    choice = choose_font(setting)
    if choice.font is None:
        return f"written documents: DOCX only (仅生成 DOCX): {choice.reason}"
    return f"written documents: DOCX and PDF (font {choice.font})"
