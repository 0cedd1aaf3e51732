"""Documents (R-EVIDENCE): upload, download (ranges, ETag = digest), the bureau's written ones.

An upload is the request body itself (any content type; the store recognises the format from
the bytes), streamed to the store: never held whole in memory. A command then names it by
digest in its ``documents``. Downloads follow the owning aggregate (api/document_access.py).
"""

from __future__ import annotations

import itertools
import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor

from api.auth import Principal
from api.deps import AppDep, PrincipalDep, require_roles, writer
from api.document_access import document_for, public_document
from api.problems import ProblemError, problem_responses
from api.routers.common import COMMAND_PROBLEMS
from api.schemas.documents import DocumentOut, WriteIn, WrittenOut
from jiebang_es.documents import writer as written
from jiebang_es.documents.formats import ACCEPTED
from jiebang_es.documents.store import StoredDocument
from jiebang_es.domain.values import Role
from jiebang_es.errors import InvalidValueError
from jiebang_es.service import JiebangApp

router = APIRouter(tags=["documents"])
Digest = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="the document's SHA-256")]


class Sha256Convertor(Convertor[str]):
    """A path segment that is a 64-hex digest (SHA-256, or SM3 in a store written in `sm` mode),
    and nothing else: ``/v1/documents/written`` is then its own resource, never a digest (a GET
    there is 405, not a 422 about a digest)."""

    regex = "[0-9a-f]{64}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("sha256", Sha256Convertor())
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
FILE_HEADERS = {
    "ETag": {"description": "the digest", "schema": {"type": "string"}},
    "Content-Disposition": {"description": "the file name", "schema": {"type": "string"}},
}
BINARY = {media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in ACCEPTED}
DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {"description": "the document", "content": BINARY, "headers": FILE_HEADERS},
    206: {"description": "the range asked for", "content": BINARY, "headers": FILE_HEADERS},
    304: {"description": "If-None-Match names this digest"},
}


@router.post(
    "/v1/documents",
    status_code=201,
    response_model=DocumentOut,
    responses={**COMMAND_PROBLEMS, **problem_responses(415)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload(
    request: Request,
    app: AppDep,
    principal: Annotated[Principal, Depends(writer)],
    kind: Annotated[str, Query(min_length=1, max_length=50, examples=["会议纪要"])],
    file_name: Annotated[str, Query(min_length=1, max_length=255, examples=["党组会议纪要.pdf"])],
) -> Response:
    """Store a document (PDF, OFD, DOCX, XLSX, PNG, JPEG, by content; ≤ the configured limit).
    The same bytes twice are kept once. Empty: 422; too large: 413; another format, or not the
    format the Content-Type claims: 415. A refused upload keeps nothing."""
    declared = request.headers.get("content-type")
    with app.documents.spool() as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        doc = await run_in_threadpool(
            app.documents.keep,
            spool,
            kind=kind,
            file_name=file_name,
            declared_type=declared,
            uploaded_by=principal.sub,
            org_code=principal.org,
        )
    return Response(
        DocumentOut.of(doc).model_dump_json(),
        status_code=201,
        media_type="application/json",
        headers={"Location": f"/v1/documents/{doc.digest}", "ETag": f'"{doc.digest}"'},
    )


@router.get(
    "/v1/documents/{digest:sha256}",
    response_class=Response,
    responses={**DOWNLOAD, **problem_responses(401, 404, 416, 422, 503)},
)
def download(
    digest: Digest,
    app: AppDep,
    principal: PrincipalDep,
    range_: Annotated[str | None, Header(alias="Range")] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """A document, for whom an event keeping it is visible (404 otherwise)."""
    return send_document(app, document_for(app, principal, digest), range_, if_none_match)


@router.get(
    "/v1/public/documents/{digest:sha256}",
    response_class=Response,
    tags=["public"],
    responses={**DOWNLOAD, **problem_responses(404, 416, 422, 503)},
)
def public_download(
    digest: Digest,
    app: AppDep,
    range_: Annotated[str | None, Header(alias="Range")] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """A public challenge's guide or a public notice's text, for anyone."""
    return send_document(app, public_document(app, digest), range_, if_none_match)


@router.post(
    "/v1/documents/written",
    status_code=201,
    response_model=WrittenOut,
    responses=COMMAND_PROBLEMS,
)
def write(
    body: WriteIn,
    app: AppDep,
    principal: Annotated[Principal, Depends(require_roles(Role.BUREAU))],
) -> WrittenOut:
    """The bureau writes a document from the record and keeps it: the application guide, the
    annual demand list, the public notice, the draft task contract. DOCX always; PDF too where a
    font for Chinese can draw all of it (else ``no_pdf`` says why, never a PDF with missing
    characters). Attach it by digest to the step that publishes it."""
    actor = principal.actor
    if body.document == "guide":
        if body.window_opens is None or body.window_closes is None:
            raise InvalidValueError("window_opens", "a guide names the application window")
        doc = written.write_guide(
            app, actor, _required(body.challenge_id, "challenge_id"), body.window_opens,
            body.window_closes,
        )  # fmt: skip
    elif body.document == "demand_list":
        if body.year is None or not body.challenge_ids:
            raise InvalidValueError("challenge_ids", "the list names its year and challenges")
        doc = written.write_demand_list(app, actor, body.year, body.challenge_ids)
    elif body.document == "notice":
        doc = written.write_notice(
            app, actor, _required(body.project_id, "project_id"), body.starts_on
        )
    else:
        doc = written.write_contract_draft(app, actor, _required(body.project_id, "project_id"))
    return WrittenOut.written(doc)


def _required(value: str, field: str) -> str:
    if not value:
        raise InvalidValueError(field, "required for this document")
    return value


def send_document(
    app: JiebangApp, doc: StoredDocument, range_: str | None, if_none_match: str | None
) -> Response:
    """The bytes with their type, name and digest; one byte range when asked (RFC 9110 §14)."""
    etag = f'"{doc.digest}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": disposition(doc.file_name),
    }
    if if_none_match is not None and _none_match(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    start, end = 0, doc.size
    status = 200
    if range_ is not None:
        wanted = _range(range_, doc.size)
        if wanted is None:
            raise ProblemError(
                416,
                "range-not-satisfiable",
                "The range is outside the document",
                f"the document has {doc.size} bytes; ask for one range inside them",
                headers={"Content-Range": f"bytes */{doc.size}"},
            )
        if wanted != (0, doc.size):
            start, end = wanted
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{doc.size}"
    headers["Content-Length"] = str(end - start)
    # The first chunk is read before the status is sent: stored bytes that are gone or cannot
    # be read are a clear 503 (and `jiebang documents check` names them), not a 200 whose
    # body breaks off.
    chunks = iter(app.documents.read(doc.digest, start, end))
    try:
        first = next(chunks, b"")
    except OSError as e:
        first, cause = b"", str(e)
    else:
        cause = "" if first or end == start else "no bytes stored"
    if cause:
        raise ProblemError(
            503,
            "document-unreadable",
            "The document's stored bytes cannot be read",
            f"the stored bytes of document {doc.digest} cannot be read ({cause}); the "
            "operator's `jiebang documents check` names the damage",
        )
    return StreamingResponse(
        itertools.chain((first,), chunks),
        status_code=status,
        media_type=doc.media_type,
        headers=headers,
    )


def _range(value: str, size: int) -> tuple[int, int] | None:
    """One byte range ``[start, end)``; the whole document for a form this does not serve
    (several ranges); None when it is outside the document."""
    found = RANGE.match(value.strip())
    if found is None:
        return (0, size)
    first, last = found.groups()
    if not first and not last:
        return (0, size)
    if not first:  # the last N bytes
        n = int(last)
        return (max(size - n, 0), size) if n > 0 else None
    start = int(first)
    if last and int(last) < start:
        return (0, size)  # not a valid range (RFC 9110 §14.1.1): ignored, the whole document
    end = min(int(last) + 1, size) if last else size
    if start >= size or end <= start:
        return None
    return (start, end)


def _none_match(header: str, etag: str) -> bool:
    """If-None-Match by weak comparison (RFC 9110 §13.1.2): ``*``, or the tag with or
    without ``W/``."""
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)


def disposition(file_name: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266, RFC 8187)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in file_name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"
