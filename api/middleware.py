"""One ASGI middleware at the edge: the request id, the body size limit, one log line per request.

The request id is taken from ``X-Request-ID`` (or made) and returned in it; the actor is filled
in by authentication; the line carries route, status and duration. A body larger than the
configured limit is refused with 413 before the endpoint sees it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problem_text import in_chinese, prefers_chinese
from api.problems import EDGE_PROBLEMS, PROBLEM_JSON, BodyTimeoutError, BodyTooLargeError
from jiebang_es.logging_setup import REQUEST_LINE, enabled

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = structlog.get_logger("api.access")
# On every answer: no content sniffing, no framing, no referrer to other sites.
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
NOT_STORED = ((b"cache-control", b"no-store"),)
UPLOAD_PATHS = frozenset({"/v1/documents"})


def _problem(
    path: str, request_id: str, status: int, slug: str, title: str, detail: str, *, chinese: bool
) -> bytes:
    # The field at fault is the body itself (its size or its pace), said in English as
    # every ``errors`` message is; the detail follows the reader's language.
    errors = [{"field": "body", "message": detail}]
    if chinese:  # as problem_response says it (api/problem_text.py)
        title, detail = in_chinese(slug, title, detail, None)
    return json.dumps(
        {
            "type": f"/problems/{slug}",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": path,
            "request_id": request_id,
            "errors": errors,
        },
        ensure_ascii=False,
    ).encode()


class EdgeMiddleware:
    """Request id, body limit and the access log, for every HTTP request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        log_level: str,
        body_timeout: float = 30.0,
        upload_max_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # Document uploads stream to the store, which applies its own limit (413 naming it).
        self.upload_max_bytes = max(upload_max_bytes, max_body_bytes)
        self.body_timeout = body_timeout
        self.level = logging.getLevelNamesMapping()[log_level.upper()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500
        response_started = False
        # An answer to a request with credentials is the caller's own: no cache keeps it.
        authenticated = "authorization" in headers

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    *SECURITY_HEADERS,
                    *(NOT_STORED if authenticated else ()),
                ]
            await send(message)

        limit = self.upload_max_bytes if scope["path"] in UPLOAD_PATHS else self.max_body_bytes
        received = 0
        body_done = False
        body_deadline = time.monotonic() + self.body_timeout

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if body_done:  # later receives wait for a disconnect: no deadline
                return await receive()
            try:
                message = await asyncio.wait_for(
                    receive(), timeout=max(body_deadline - time.monotonic(), 0)
                )
            except TimeoutError:
                raise BodyTimeoutError(self.body_timeout) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        try:
            declared = int(headers.get("content-length", "0") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > limit:
                raise BodyTooLargeError(limit)
            await self.app(scope, limited_receive, send_with_id)
        except (BodyTooLargeError, BodyTimeoutError) as e:
            if response_started:
                raise
            status, slug, title = EDGE_PROBLEMS[type(e)]
            chinese = prefers_chinese(headers.get("accept-language"))
            body = _problem(scope["path"], request_id, status, slug, title, str(e), chinese=chinese)
            await self._send_problem(send_with_id, body, status, chinese=chinese)
        finally:
            self._log(scope, state, request_id, status, started)

    @staticmethod
    async def _send_problem(send: Send, body: bytes, status: int, *, chinese: bool) -> None:
        """A problem answered by the edge itself; the connection is closed after it."""
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"content-language", b"zh" if chinese else b"en"),
                    (b"vary", b"Accept-Language"),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _log(
        self, scope: Scope, state: dict[str, Any], request_id: str, status: int, started: float
    ) -> None:
        if not enabled(self.level):
            return
        route = scope.get("route")
        access_log.log(
            self.level,
            "request",
            **{REQUEST_LINE: True},
            request_id=request_id,
            method=scope["method"],
            route=getattr(route, "path", scope["path"]),
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            actor=state.get("actor"),
            role=state.get("role"),
            org=state.get("org"),
        )
