"""RFC 9457 problem details: every 4xx and 5xx answer, from one mapping of the error tree.

A refusal under a rule is 422 with its ``rule_id`` (the client must change the request, not
retry it), except the rules that say the actor may not do this step (403, with the rule id). A
stale ``If-Match`` is 412, a race lost to another command 409 (retry with the new version):
nothing was recorded in these. A store that cannot take the command is 503 with
``Retry-After`` and what is wrong with it (``fault``: read-only, disk full, unreachable). A
read-only or full store recorded nothing; an unreachable one may have recorded a command
before the connection broke, so the answer says so and that a retry with the same
``Idempotency-Key`` is safe.
"""

from __future__ import annotations

import re
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from api.auth import AuthenticationError
from api.problem_text import in_chinese, prefers_chinese
from api.validation_text import validation_lead_zh
from jiebang_es.errors import (
    CalendarNotCoveredError,
    ConcurrentWriteError,
    ConflictError,
    DocumentRefusedError,
    InvalidValueError,
    JiebangError,
    NotFoundError,
    NotPermittedError,
    RuleViolationError,
    StaleVersionError,
    StoreUnavailableError,
)
from jiebang_es.privacy.redact import redact
from jiebang_es.store_faults import StoreFault

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5
log = structlog.get_logger("api")


class FieldError(BaseModel):
    """One field of the request that is wrong, and why."""

    field: str = Field(examples=["body.content.funding"])
    message: str = Field(examples=["String should match pattern '^-?[0-9]+(\\.[0-9]+)?$'"])


class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong, and for rule refusals the rule's id."""

    type: str = Field(examples=["/problems/rule-violation"])
    title: str = Field(examples=["Refused by a rule of the plan"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["R-FUND-CAP: funding 150000.00 exceeds the key cap 100000.00"])
    instance: str | None = Field(default=None, examples=["/v1/challenges/…/revise"])
    rule_id: str | None = Field(default=None, examples=["R-FUND-CAP"])
    errors: list[FieldError] | None = None
    year: int | None = None
    fault: str | None = Field(
        default=None,
        description="503 from the store: read-only, disk-full, unreachable or failed",
        examples=["read-only"],
    )
    request_id: str | None = None


class BodyTooLargeError(Exception):
    """The request body grew past the configured limit while it was read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body exceeds the limit of {limit} bytes")
        self.limit = limit


class BodyTimeoutError(Exception):
    """The request body did not arrive within the configured deadline (a slow client)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the body did not arrive within {seconds:g} seconds")
        self.seconds = seconds


# The edge's own refusals while a body is read: status, slug and title.
EDGE_PROBLEMS: dict[type[Exception], tuple[int, str, str]] = {
    BodyTooLargeError: (413, "body-too-large", "The request body is too large"),
    BodyTimeoutError: (408, "body-timeout", "The request body came too slowly"),
}


class ProblemError(Exception):
    """An answer the API itself gives (not the domain): status, slug, title and detail."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        errors: list[FieldError] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.errors = errors


def problem_response(
    request: Request,
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    lead_zh: str | None = None,
    **extra: Any,
) -> JSONResponse:
    """An application/problem+json answer; title and detail in Chinese when the request's
    ``Accept-Language`` prefers it (type, status, rule id and errors unchanged); ``lead_zh``
    says this problem's detail in Chinese where the type's general sentence would not."""
    chinese = prefers_chinese(request.headers.get("accept-language"))
    if chinese:
        title, detail = in_chinese(slug, title, detail, extra.get("rule_id"), lead_zh, status)
    body = Problem(
        type=f"/problems/{slug}",
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        request_id=getattr(request.state, "request_id", None),
        **extra,
    )
    return JSONResponse(
        # No personal identifier leaves in a problem body (docs/personal-information.md).
        redact(body.model_dump(mode="json", exclude_none=True)),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers={
            **(headers or {}),
            "Content-Language": "zh" if chinese else "en",
            "Vary": "Accept-Language",
        },
    )


def _domain_problem(request: Request, e: JiebangError) -> JSONResponse:
    if isinstance(e, NotPermittedError):
        return problem_response(
            request, 403, "not-permitted", "Not this actor's step", str(e), rule_id=e.rule_id
        )
    if isinstance(e, RuleViolationError):
        return problem_response(
            request,
            422,
            "rule-violation",
            "Refused by a rule of the plan",
            str(e),
            rule_id=e.rule_id,
        )
    if isinstance(e, InvalidValueError):
        return problem_response(
            request,
            e.status if isinstance(e, DocumentRefusedError) else 422,
            "invalid-value",
            "A value is not valid",
            str(e),
            errors=[FieldError(field=e.field, message=e.message)],
            lead_zh=f"字段 {e.field} 取值无效，未记录任何内容",
        )
    if isinstance(e, NotFoundError):
        return problem_response(request, 404, "not-found", "Not found", str(e))
    if isinstance(e, StaleVersionError):
        return problem_response(
            request,
            412,
            "stale-version",
            "The If-Match version is not the current one",
            str(e),
            headers={"ETag": f'"{e.actual}"'},
        )
    if isinstance(e, ConcurrentWriteError):
        return problem_response(request, 409, "conflict", "Conflicting change", str(e))
    if isinstance(e, ConflictError):
        # Not a race: what the command would create is recorded already; a retry cannot help.
        return problem_response(request, 409, "already-recorded", "Already recorded", str(e))
    if isinstance(e, CalendarNotCoveredError):
        return problem_response(
            request,
            422,
            "calendar-not-covered",
            "The holiday calendar lacks a year",
            str(e),
            year=e.year,
        )
    if isinstance(e, StoreUnavailableError):
        return problem_response(
            request,
            503,
            "store-unavailable",
            "The event store is unavailable",
            f"{StoreFault(e.fault).sentence}; "
            + (
                "nothing was recorded, retry later"
                if e.fault in (StoreFault.READ_ONLY, StoreFault.DISK_FULL)
                else "a command may or may not have been recorded. Retrying with the same "
                "Idempotency-Key is safe: a recorded command is answered with its receipt, once"
            ),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            fault=e.fault,
        )
    log.error("unmapped_error", error=type(e).__name__, detail=str(e))
    return problem_response(request, 500, "internal", "Internal error", "an unexpected error")


def _field_name(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def allowed_methods(request: Request) -> str:
    """Every method the API serves on the request's path. Starlette names only the first
    matching route's, and two routers (commands, queries) share some paths; the OpenAPI
    document has them all, per path template."""
    app = request.app
    templates: list[tuple[re.Pattern[str], set[str]]] | None = getattr(
        app.state, "path_methods", None
    )
    if templates is None:
        paths = app.openapi()["paths"]
        # A literal path (``/v1/documents/written``) is a resource of its own: it is matched
        # before any template it also fits (``/v1/documents/{digest}``).
        ordered = sorted(paths.items(), key=lambda item: "{" in item[0])
        templates = [
            (compile_path(path)[0], {m.upper() for m in operations}) for path, operations in ordered
        ]
        app.state.path_methods = templates
    methods: set[str] = set()
    for pattern, verbs in templates:
        if not pattern.match(request.url.path):
            continue
        if "(?P<" not in pattern.pattern:
            return ", ".join(sorted(verbs))  # the literal resource names its own methods
        methods |= verbs
    if not methods:
        # The pages (left out of the OpenAPI document): their own routes say their methods.
        for route in getattr(app.state, "page_routes", ()):
            regex = getattr(route, "path_regex", None)
            if regex is not None and regex.match(request.url.path):
                methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def install_problem_handlers(app: FastAPI) -> None:
    """Every error answer of the app becomes application/problem+json."""

    async def on_domain(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, JiebangError)  # noqa: S101 - registered for this class only
        return _domain_problem(request, exc)

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)  # noqa: S101
        return problem_response(
            request,
            exc.status,
            exc.slug,
            exc.title,
            exc.detail,
            headers=exc.headers,
            errors=exc.errors,
        )

    async def on_auth(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(
            request,
            401,
            "unauthenticated",
            "A valid bearer token is required",
            str(exc),
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)  # noqa: S101
        malformed = [
            e
            for e in exc.errors()
            if e.get("type") == "json_invalid"
            # Without a JSON Content-Type the body reaches validation as its raw bytes.
            or (tuple(e.get("loc", ())) == ("body",) and isinstance(e.get("input"), bytes))
        ]
        if malformed:
            # Not JSON at all: the documented 400, not a 422 about fields it cannot have.
            message = str(malformed[0].get("ctx", {}).get("error", "not a JSON document"))
            return problem_response(
                request,
                400,
                "malformed-json",
                "The body is not parseable JSON",
                f"body: {message}",
                errors=[FieldError(field="body", message=message)],
            )
        found = exc.errors()
        errors = [
            FieldError(field=_field_name(tuple(err["loc"])), message=err["msg"]) for err in found
        ]
        detail = "; ".join(f"{err.field}: {err.message}" for err in errors)
        lead_zh = validation_lead_zh(
            [(e.field, err["type"], err.get("ctx")) for e, err in zip(errors, found, strict=True)]
        )
        return problem_response(
            request,
            422,
            "validation",
            "The request is not valid",
            detail,
            errors=errors,
            lead_zh=lead_zh,
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)  # noqa: S101
        if isinstance(exc.__cause__, BodyTooLargeError | BodyTimeoutError):
            # FastAPI reports any failure while reading the body as 400; these are 413, 408.
            return await on_edge(request, exc.__cause__)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return problem_response(
            request,
            exc.status_code,
            "http",
            str(exc.detail),
            str(exc.detail),
            headers=headers,
        )

    async def on_edge(request: Request, exc: Exception) -> JSONResponse:
        # A body too large or too slow: answered, then the connection is closed (the rest of
        # the body is not awaited).
        status, slug, title = EDGE_PROBLEMS[type(exc)]
        return problem_response(
            request,
            status,
            slug,
            title,
            str(exc),
            headers={"Connection": "close"},
            errors=[FieldError(field="body", message=str(exc))],
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected_error", error=type(exc).__name__)
        return problem_response(
            request, 500, "internal", "Internal error", "an unexpected error; nothing is assumed"
        )

    app.add_exception_handler(JiebangError, on_domain)
    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(AuthenticationError, on_auth)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(BodyTooLargeError, on_edge)
    app.add_exception_handler(BodyTimeoutError, on_edge)
    app.add_exception_handler(Exception, on_unexpected)


PROBLEM_STATUSES = {
    400: "The body is not parseable JSON",
    401: "Missing, forged, expired or foreign bearer token",
    403: "The actor's role or organisation may not do this (rule_id says which rule)",
    404: "Not found, or not visible to this actor",
    409: "Another command changed the object at the same time; retry",
    412: "If-Match names a version that is not the current one",
    413: "The body is larger than the configured limit",
    415: "The document's content is not an accepted format, or not the one it claims",
    416: "The byte range asked for is outside the document",
    422: "Refused by a rule (rule_id), an invalid value, or a malformed request",
    503: "The store is unavailable or a read did not catch up; retry after Retry-After",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem answers a route can give."""
    return {
        status: {
            "description": PROBLEM_STATUSES[status],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
