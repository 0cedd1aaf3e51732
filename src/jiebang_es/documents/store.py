"""The document store: content-addressed, streaming, one per event store.

The hash of a document's exact bytes is its id (SHA-256, or SM3 in a store written in `sm` mode,
docs/cryptography.md; 64 hex characters either way): the same file uploaded twice is kept once,
and nothing stored under a digest can be replaced by other bytes (``put`` of bytes already kept
changes nothing). Nothing is ever deleted: events reference documents by digest.

- SQLite (the embedded default): a folder beside the database file, ``objects/ab/<digest>``,
  with a small index database of names, kinds and references.
- PostgreSQL: tables of the same database, the bytes in 1 MiB chunks, so one backup holds the
  events and their documents and no document is ever held whole in memory.

An upload streams to a spool file while it is hashed and counted; an empty one, one over the
limit, or one whose content is not an accepted format (or not the one it claims) is refused and
the spool file removed — nothing is kept.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from jiebang_es.audit.raw_store import RawStore, connect_postgres
from jiebang_es.config import Settings, store_env
from jiebang_es.crypto import CryptoMode
from jiebang_es.crypto.digests import new_hasher
from jiebang_es.documents.formats import declared_matches, is_multipart, sniff
from jiebang_es.domain.values import DocumentRef, check_text
from jiebang_es.errors import (
    DocumentRefusedError,
    InvalidValueError,
    NotFoundError,
    StoreUnavailableError,
)

CHUNK = 1 << 20
DIGEST_CHARS = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class StoredDocument:
    """What the store knows of a document besides its bytes."""

    digest: str
    media_type: str
    size: int
    file_name: str
    kind: str
    uploaded_by: str
    org_code: str

    def ref(self, kind: str | None = None) -> DocumentRef:
        """The reference an event records (with the kind the step gives it)."""
        return DocumentRef(
            self.digest, self.media_type, self.size, self.file_name, kind or self.kind
        )


@dataclass(frozen=True)
class Reference:
    """An aggregate whose event keeps a document, and the kind it keeps it as."""

    aggregate_id: str
    aggregate_type: str
    kind: str


@dataclass(frozen=True)
class Mismatch:
    """A stored document whose bytes no longer hash to its digest (or are missing)."""

    digest: str
    detail: str


def is_digest(value: str) -> bool:
    return len(value) == 64 and set(value) <= DIGEST_CHARS


def digest_of(chunks: Iterable[bytes], mode: CryptoMode = "intl") -> tuple[str, int]:
    """The digest (hex: SHA-256, or SM3 in `sm` mode) and size of a stream of bytes."""
    h = new_hasher(mode)
    size = 0
    for chunk in chunks:
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size


class Spool:
    """An upload on its way in: written to a temporary file beside the store while it is
    hashed and counted, so no upload is ever held whole in memory. Removed on exit, whatever
    happened (the store moves or copies what it keeps)."""

    def __init__(self, max_bytes: int, directory: Path | None, mode: CryptoMode = "intl") -> None:
        fd, name = tempfile.mkstemp(prefix=".upload-", dir=directory)
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._hash = new_hasher(mode)
        self.max_bytes = max_bytes
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise DocumentRefusedError(
                413, "file", f"larger than the limit of {self.max_bytes} bytes"
            )
        self._hash.update(chunk)
        self._file.write(chunk)

    @property
    def digest(self) -> str:
        return self._hash.hexdigest()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


class DocumentStore(ABC):
    def __init__(self, max_bytes: int, spool_dir: Path | None, mode: CryptoMode = "intl") -> None:
        self.max_bytes = max_bytes
        self.spool_dir = spool_dir
        self.mode = mode  # the event store's: its hash names the documents

    # ---- upload ----------------------------------------------------------------------------
    def spool(self) -> Spool:
        """A spool file to stream an upload into (hashed and counted as it is written)."""
        return Spool(self.max_bytes, self.spool_dir, self.mode)

    def put(
        self,
        chunks: Iterable[bytes],
        *,
        kind: str,
        file_name: str,
        declared_type: str | None = None,
        uploaded_by: str = "",
        org_code: str = "",
    ) -> StoredDocument:
        """Keep a document streamed in ``chunks``; refused and nothing kept when it is empty,
        over the limit, or not an accepted format."""
        with self.spool() as spool:
            for chunk in chunks:
                spool.write(chunk)
            return self.keep(
                spool, kind=kind, file_name=file_name, declared_type=declared_type,
                uploaded_by=uploaded_by, org_code=org_code,
            )  # fmt: skip

    def keep(
        self,
        spool: Spool,
        *,
        kind: str,
        file_name: str,
        declared_type: str | None = None,
        uploaded_by: str = "",
        org_code: str = "",
    ) -> StoredDocument:
        """Keep a complete spool under its digest, once it is known to be an accepted format."""
        kind = check_text(kind.strip(), "kind")
        file_name = check_text(Path(file_name.replace("\\", "/")).name.strip(), "file_name")
        if not kind or len(kind) > 50:
            raise InvalidValueError("kind", "name the document's kind, e.g. 会议纪要 (≤ 50 chars)")
        if len(file_name) > 255:
            raise InvalidValueError("file_name", "at most 255 characters")
        spool.close()
        if spool.size == 0:
            raise DocumentRefusedError(422, "file", "the file is empty")
        if is_multipart(declared_type):
            raise DocumentRefusedError(
                415, "file", "send the file's own bytes as the request body, not a "
                "multipart/form-data form (curl --data-binary @FILE, not -F)",
            )  # fmt: skip
        media_type = sniff(spool.path)
        if media_type is None:
            raise DocumentRefusedError(
                415, "file", "its content is none of PDF, OFD, DOCX, XLSX, PNG, JPEG"
            )
        if not declared_matches(declared_type, media_type):
            raise DocumentRefusedError(
                415, "file", f"declared as {declared_type} but its content is {media_type}"
            )
        doc = StoredDocument(
            spool.digest, media_type, spool.size, file_name or "document", kind,
            uploaded_by, org_code,
        )  # fmt: skip
        kept = self._keep(spool.path, doc)
        if not uploaded_by or (kept.uploaded_by, kept.org_code) == (uploaded_by, org_code):
            return kept
        # The same bytes, uploaded again by someone else: kept once, and this uploader reads
        # and attaches them as the first does. The answer describes this upload, not the first
        # one's name and kind.
        self.add_uploader(kept.digest, uploaded_by, org_code)
        return replace(kept, file_name=doc.file_name, kind=kind, uploaded_by=uploaded_by,
                       org_code=org_code)  # fmt: skip

    def put_bytes(self, data: bytes, *, kind: str, file_name: str, **kw: Any) -> StoredDocument:
        return self.put([data], kind=kind, file_name=file_name, **kw)

    # ---- reading -----------------------------------------------------------------------------
    def reference(self, digest: str, kind: str) -> DocumentRef:
        """The reference to record for a document the store holds, with the kind the step
        gives it; its type, size and name are the store's."""
        doc = self.info(digest) if is_digest(digest) else None
        if doc is None:
            raise InvalidValueError("documents", f"no document with digest {digest!r} is stored")
        if not kind.strip():
            raise InvalidValueError("documents", "each document names its kind")
        return doc.ref(check_text(kind.strip(), "documents.kind"))

    def require(self, digest: str) -> StoredDocument:
        doc = self.info(digest) if is_digest(digest) else None
        if doc is None:
            raise NotFoundError("document", digest)
        return doc

    def check(self) -> list[Mismatch]:
        """Re-hash every stored document; those that no longer match their digest."""
        found = []
        for doc in self.documents():
            try:
                digest, size = digest_of(self.read(doc.digest), self.mode)
            except FileNotFoundError:
                found.append(Mismatch(doc.digest, "its bytes are missing"))
                continue
            if digest != doc.digest or size != doc.size:
                found.append(
                    Mismatch(
                        doc.digest,
                        f"its bytes hash to {digest} ({size} bytes, {doc.size} recorded)",
                    )
                )
        return found

    @abstractmethod
    def _keep(self, spool: Path, doc: StoredDocument) -> StoredDocument:
        """Keep the spooled bytes under their digest (once); what the store holds."""

    @abstractmethod
    def info(self, digest: str) -> StoredDocument | None: ...

    @abstractmethod
    def documents(self) -> Iterator[StoredDocument]: ...

    @abstractmethod
    def read(self, digest: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes ``[start, end)`` in chunks of at most 1 MiB."""

    @abstractmethod
    def add_reference(
        self, digest: str, aggregate_id: str, aggregate_type: str, kind: str
    ) -> None: ...

    @abstractmethod
    def references(self, digest: str) -> list[Reference]: ...

    @abstractmethod
    def add_uploader(self, digest: str, uploaded_by: str, org_code: str) -> None:
        """Note another uploader of bytes already kept (the first is the document's own)."""

    @abstractmethod
    def is_uploader(self, digest: str, uploaded_by: str, org_code: str) -> bool:
        """Whether this person of this unit uploaded the document, first or again."""


# ---- the folder beside the SQLite file -------------------------------------------------------
_INDEX = (
    "CREATE TABLE IF NOT EXISTS documents (digest TEXT PRIMARY KEY, media_type TEXT NOT NULL, "
    "size INTEGER NOT NULL, file_name TEXT NOT NULL, kind TEXT NOT NULL, "
    "uploaded_by TEXT NOT NULL, org_code TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS document_refs (digest TEXT NOT NULL, aggregate_id TEXT NOT NULL, "
    "aggregate_type TEXT NOT NULL, kind TEXT NOT NULL, "
    "PRIMARY KEY (digest, aggregate_id, kind))",
    "CREATE TABLE IF NOT EXISTS document_uploads (digest TEXT NOT NULL, "
    "uploaded_by TEXT NOT NULL, org_code TEXT NOT NULL, "
    "PRIMARY KEY (digest, uploaded_by, org_code))",
)
_COLUMNS = "digest, media_type, size, file_name, kind, uploaded_by, org_code"


class FolderStore(DocumentStore):
    def __init__(self, root: Path, max_bytes: int, mode: CryptoMode = "intl") -> None:
        self.root = root
        (root / "objects").mkdir(parents=True, exist_ok=True)
        (root / "spool").mkdir(exist_ok=True)
        super().__init__(max_bytes, root / "spool", mode)
        with closing(self._index()) as db, db:
            for statement in _INDEX:
                db.execute(statement)

    def _index(self) -> sqlite3.Connection:
        return sqlite3.connect(self.root / "index.sqlite", timeout=10)

    def path_of(self, digest: str) -> Path:
        return self.root / "objects" / digest[:2] / digest

    def _keep(self, spool: Path, doc: StoredDocument) -> StoredDocument:
        target = self.path_of(doc.digest)
        if not target.exists():
            target.parent.mkdir(exist_ok=True)
            spool.chmod(0o444)  # kept bytes are never rewritten
            os.replace(spool, target)
        with closing(self._index()) as db, db:
            db.execute(
                f"INSERT OR IGNORE INTO documents ({_COLUMNS}) VALUES (?,?,?,?,?,?,?)",  # noqa: S608
                (doc.digest, doc.media_type, doc.size, doc.file_name, doc.kind,
                 doc.uploaded_by, doc.org_code),
            )  # fmt: skip
        kept = self.info(doc.digest)
        return kept if kept is not None else doc

    def info(self, digest: str) -> StoredDocument | None:
        with closing(self._index()) as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM documents WHERE digest = ?",  # noqa: S608
                (digest,),
            ).fetchone()
        return StoredDocument(*row) if row else None

    def documents(self) -> Iterator[StoredDocument]:
        with closing(self._index()) as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM documents ORDER BY digest").fetchall()  # noqa: S608
        for row in rows:
            yield StoredDocument(*row)

    def read(self, digest: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        with self.path_of(digest).open("rb") as f:
            f.seek(start)
            left = None if end is None else end - start
            while left is None or left > 0:
                chunk = f.read(CHUNK if left is None else min(CHUNK, left))
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk

    def add_reference(self, digest: str, aggregate_id: str, aggregate_type: str, kind: str) -> None:
        with closing(self._index()) as db, db:
            db.execute(
                "INSERT OR IGNORE INTO document_refs VALUES (?,?,?,?)",
                (digest, aggregate_id, aggregate_type, kind),
            )

    def references(self, digest: str) -> list[Reference]:
        with closing(self._index()) as db:
            rows = db.execute(
                "SELECT aggregate_id, aggregate_type, kind FROM document_refs WHERE digest = ?",
                (digest,),
            ).fetchall()
        return [Reference(*r) for r in rows]

    def add_uploader(self, digest: str, uploaded_by: str, org_code: str) -> None:
        with closing(self._index()) as db, db:
            db.execute(
                "INSERT OR IGNORE INTO document_uploads VALUES (?,?,?)",
                (digest, uploaded_by, org_code),
            )

    def is_uploader(self, digest: str, uploaded_by: str, org_code: str) -> bool:
        with closing(self._index()) as db:
            row = db.execute(
                "SELECT 1 FROM document_uploads WHERE digest = ? AND uploaded_by = ? "
                "AND org_code = ?",
                (digest, uploaded_by, org_code),
            ).fetchone()
        return row is not None


# ---- PostgreSQL: tables of the same database ---------------------------------------------------
class PostgresStore(DocumentStore):
    def __init__(
        self, env: dict[str, str], max_bytes: int, *, create: bool = True, mode: CryptoMode = "intl"
    ) -> None:
        super().__init__(max_bytes, None, mode)
        self._env = env
        schema = Identifier(env.get("POSTGRES_SCHEMA", "public"))
        self._docs = SQL("{}.{}").format(schema, Identifier("jiebang_documents"))
        self._chunks = SQL("{}.{}").format(schema, Identifier("jiebang_document_chunks"))
        self._refs = SQL("{}.{}").format(schema, Identifier("jiebang_document_refs"))
        self._uploads = SQL("{}.{}").format(schema, Identifier("jiebang_document_uploads"))
        if create:
            self._create_tables()

    def _create_tables(self) -> None:
        with closing(self._connect()) as conn, conn.transaction():
            conn.execute(SQL(
                "CREATE TABLE IF NOT EXISTS {} (digest text PRIMARY KEY, media_type text NOT NULL,"
                " size bigint NOT NULL, file_name text NOT NULL, kind text NOT NULL,"
                " uploaded_by text NOT NULL, org_code text NOT NULL)"
            ).format(self._docs))  # fmt: skip
            conn.execute(SQL(
                "CREATE TABLE IF NOT EXISTS {} (digest text NOT NULL, seq integer NOT NULL,"
                " data bytea NOT NULL, PRIMARY KEY (digest, seq))"
            ).format(self._chunks))  # fmt: skip
            conn.execute(SQL(
                "CREATE TABLE IF NOT EXISTS {} (digest text NOT NULL, aggregate_id text NOT NULL,"
                " aggregate_type text NOT NULL, kind text NOT NULL,"
                " PRIMARY KEY (digest, aggregate_id, kind))"
            ).format(self._refs))  # fmt: skip
            conn.execute(SQL(
                "CREATE TABLE IF NOT EXISTS {} (digest text NOT NULL, uploaded_by text NOT NULL,"
                " org_code text NOT NULL, PRIMARY KEY (digest, uploaded_by, org_code))"
            ).format(self._uploads))  # fmt: skip

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return connect_postgres(self._env, autocommit=True)
        except psycopg.OperationalError as e:
            # As for the events: an unreachable store is a 503, never half a document.
            raise StoreUnavailableError(f"the document store is unavailable: {e}") from e

    def _keep(self, spool: Path, doc: StoredDocument) -> StoredDocument:
        with closing(self._connect()) as conn, conn.transaction():
            inserted = conn.execute(
                SQL("INSERT INTO {} VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING").format(
                    self._docs
                ),
                (doc.digest, doc.media_type, doc.size, doc.file_name, doc.kind,
                 doc.uploaded_by, doc.org_code),
            ).rowcount  # fmt: skip
            if inserted:
                with spool.open("rb") as f:
                    seq = 0
                    while chunk := f.read(CHUNK):
                        conn.execute(
                            SQL("INSERT INTO {} VALUES (%s,%s,%s)").format(self._chunks),
                            (doc.digest, seq, chunk),
                        )
                        seq += 1
        kept = self.info(doc.digest)
        return kept if kept is not None else doc

    def info(self, digest: str) -> StoredDocument | None:
        with closing(self._connect()) as conn:
            row = conn.execute(
                SQL(f"SELECT {_COLUMNS} FROM {{}} WHERE digest = %s").format(self._docs),  # noqa: S608
                (digest,),
            ).fetchone()
        return StoredDocument(*row) if row else None

    def documents(self) -> Iterator[StoredDocument]:
        with closing(self._connect()) as conn:
            rows = conn.execute(
                SQL(f"SELECT {_COLUMNS} FROM {{}} ORDER BY digest").format(self._docs)  # noqa: S608
            ).fetchall()
        for row in rows:
            yield StoredDocument(*row)

    def read(self, digest: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        # A server-side cursor fetching one chunk at a time: memory stays at one chunk.
        first = start // CHUNK
        last = None if end is None else (end - 1) // CHUNK
        with (
            closing(self._connect()) as conn,
            conn.transaction(),
            conn.cursor(name="jiebang_document_read", binary=True) as cursor,
        ):
            cursor.itersize = 1
            cursor.execute(
                SQL(
                    "SELECT seq, data FROM {} WHERE digest = %s AND seq >= %s"
                    " AND (%s::integer IS NULL OR seq <= %s::integer) ORDER BY seq"
                ).format(self._chunks),
                (digest, first, last, last),
            )
            expected = first
            for seq, data in cursor:
                if seq != expected:
                    raise FileNotFoundError(f"{digest}: chunk {expected} is missing")
                chunk = bytes(data)
                lo = start - seq * CHUNK if seq == first else 0
                hi = end - seq * CHUNK if end is not None and seq == last else len(chunk)
                expected += 1
                if hi > lo:
                    yield chunk[lo:hi] if (lo, hi) != (0, len(chunk)) else chunk
            if expected == first and start == 0:
                raise FileNotFoundError(digest)

    def add_reference(self, digest: str, aggregate_id: str, aggregate_type: str, kind: str) -> None:
        with closing(self._connect()) as conn:
            conn.execute(
                SQL("INSERT INTO {} VALUES (%s,%s,%s,%s) ON CONFLICT DO NOTHING").format(
                    self._refs
                ),
                (digest, aggregate_id, aggregate_type, kind),
            )

    def references(self, digest: str) -> list[Reference]:
        with closing(self._connect()) as conn:
            rows = conn.execute(
                SQL("SELECT aggregate_id, aggregate_type, kind FROM {} WHERE digest = %s").format(
                    self._refs
                ),
                (digest,),
            ).fetchall()
        return [Reference(*r) for r in rows]

    # A store hardened before this table existed (ops/postgres/harden.sql not run again) has
    # no such table for the application's role: the first uploader alone reads, as before.
    _NO_UPLOADS = (psycopg.errors.UndefinedTable, psycopg.errors.InsufficientPrivilege)

    def add_uploader(self, digest: str, uploaded_by: str, org_code: str) -> None:
        with closing(self._connect()) as conn, contextlib.suppress(*self._NO_UPLOADS):
            conn.execute(
                SQL("INSERT INTO {} VALUES (%s,%s,%s) ON CONFLICT DO NOTHING").format(
                    self._uploads
                ),
                (digest, uploaded_by, org_code),
            )

    def is_uploader(self, digest: str, uploaded_by: str, org_code: str) -> bool:
        with closing(self._connect()) as conn:
            try:
                row = conn.execute(
                    SQL(
                        "SELECT 1 FROM {} WHERE digest = %s AND uploaded_by = %s AND org_code = %s"
                    ).format(self._uploads),
                    (digest, uploaded_by, org_code),
                ).fetchone()
            except self._NO_UPLOADS:
                return False
        return row is not None


def documents_dir(settings: Settings) -> Path:
    """Where the SQLite store keeps its documents: configured, or beside the database file."""
    if settings.documents_dir is not None:
        return settings.documents_dir
    path = store_env(settings.database_url)["SQLITE_DBNAME"]
    if path == ":memory:" or path.startswith("file:"):
        # An in-memory store lives as long as the process: so do its documents.
        return Path(tempfile.mkdtemp(prefix="jiebang-documents-"))
    return Path(path + ".documents")


def open_document_store(settings: Settings, mode: CryptoMode | None = None) -> DocumentStore:
    """The document store of the configured event store, hashing as the event store does
    (its recorded mode, read from it unless given)."""
    env = store_env(settings.database_url)
    if mode is None:
        mode = RawStore(settings).crypto_mode(settings.crypto)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        return PostgresStore(
            env, settings.document_max_bytes, create=settings.create_tables, mode=mode
        )
    return FolderStore(documents_dir(settings), settings.document_max_bytes, mode)
