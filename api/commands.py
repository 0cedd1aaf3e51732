"""Running one command over HTTP: If-Match, Idempotency-Key, the receipt and its headers.

A command with an ``Idempotency-Key`` is looked up first: a stored request with the same
fingerprint (method, path, body) is replayed, with another fingerprint it is refused (422). The
key is saved with the command's events in one transaction, so a key two requests raced for is
caught by the store (``DuplicateRequestError``, or the write conflict on the aggregate they both
changed) and the loser replays the winner's receipt. A refused command records nothing, its key
included: a retry is evaluated again. A command whose commit was recorded but whose
acknowledgement was lost is recognised by the service itself (``ServiceBase._own_commit``) and
answered with its receipt like any other success.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi.responses import JSONResponse

from api.deps import CommandContext
from api.document_access import document_for
from api.metrics import count_command, outcome_of
from api.problems import ProblemError
from api.schemas.common import ReceiptOut
from jiebang_es.domain.values import DocumentRef
from jiebang_es.errors import ConflictError, InvalidValueError, NotFoundError
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CommandMeta, Receipt, StoredRequest

Details = Callable[[JiebangApp, Receipt], dict[str, str]]


def execute(
    ctx: CommandContext,
    run: Callable[[CommandMeta], Receipt],
    *,
    reason: str = "",
    effective_at: datetime | None = None,
    created: str | None = None,
    details: Details | None = None,
) -> JSONResponse:
    """Run ``run`` with the request's meta; answer with its receipt (201 when it ``created``
    a resource under that path prefix). Counted by outcome and rule id (``/metrics``)."""
    try:
        response = _execute(ctx, run, reason, effective_at, created, details)
    except Exception as e:
        count_command(ctx.command, *outcome_of(e))
        raise
    replayed = response.headers.get("Idempotent-Replayed") == "true"
    count_command(ctx.command, "replayed" if replayed else "recorded")
    return response


def _execute(
    ctx: CommandContext,
    run: Callable[[CommandMeta], Receipt],
    reason: str,
    effective_at: datetime | None,
    created: str | None,
    details: Details | None,
) -> JSONResponse:
    key = ctx.idempotency_key
    if key is not None:
        stored = ctx.app.stored_request(key)
        if stored is None and ctx.legacy_key is not None:
            stored = ctx.app.stored_request(ctx.legacy_key)
        if stored is not None:
            return _replay(ctx, stored, created, details)
    meta = CommandMeta(
        reason=reason,
        documents=_documents(ctx),
        request_id=ctx.request_id,
        effective_at=effective_at,
        expected_version=ctx.expected_version,
        idempotency_key=key,
        request_fingerprint=ctx.fingerprint,
    )
    try:
        receipt = run(meta)
    except ConflictError:
        # Lost a race: to a request with the same key (replay it), or to another command.
        stored = None if key is None else ctx.app.stored_request(key)
        if stored is None:
            raise
        return _replay(ctx, stored, created, details)
    return receipt_response(ctx.app, receipt, created, details)


def _documents(ctx: CommandContext) -> tuple[DocumentRef, ...]:
    """The documents the command names, as the store holds them. A step attaches only what its
    caller may read (R-SCOPE): else a restricted item's document, its digest once known, could
    be attached to one's own application and read through it. A digest the store does not hold,
    or that the caller may not read, is refused alike, naming the field."""
    refs = []
    for i, (digest, kind) in enumerate(ctx.documents):
        field = f"documents[{i}].digest"
        try:
            document_for(ctx.app, ctx.principal, digest)
            refs.append(ctx.app.documents.reference(digest, kind))
        except NotFoundError:
            raise InvalidValueError(
                field, f"no document with digest {digest!r} is stored (or none you may read)"
            ) from None
        except InvalidValueError as e:
            raise InvalidValueError(field, e.message) from None
    return tuple(refs)


def _replay(
    ctx: CommandContext, stored: StoredRequest, created: str | None, details: Details | None
) -> JSONResponse:
    if stored.fingerprint != ctx.fingerprint:
        raise ProblemError(
            422,
            "idempotency-key-reused",
            "The Idempotency-Key was used for another request",
            "this key was first used with another method, path or body; use a new key",
        )
    response = receipt_response(ctx.app, stored.receipt, created, details)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def receipt_response(
    app: JiebangApp, receipt: Receipt, created: str | None, details: Details | None
) -> JSONResponse:
    """The receipt as the answer: body, ETag, log position, Location for a creation."""
    extra = details(app, receipt) if details else {}
    body = ReceiptOut(
        aggregate_id=receipt.aggregate_id,
        version=receipt.version,
        position=receipt.position,
        events=list(receipt.events),
        seal=receipt.seal or None,
        **extra,
    )
    headers = {"ETag": f'"{receipt.version}"', "X-Log-Position": str(receipt.position)}
    if created is not None:
        headers["Location"] = f"{created}/{receipt.aggregate_id}"
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=201 if created is not None else 200,
        headers=headers,
    )


def new_id_of(event_name: str, attribute: str) -> Details:
    """The id a command minted (an objection's, a change's), read from the event it recorded,
    so that a replayed answer names it too."""

    def read(app: JiebangApp, receipt: Receipt) -> dict[str, str]:
        for e in app.events_of(receipt.aggregate_id):
            if e.originator_version == receipt.version and type(e).__name__ == event_name:
                return {attribute: str(getattr(e, attribute))}
        return {}

    return read
