"""One ASGI middleware at the edge: the request id, the body size limit, one log line per request.

The request id is taken from ``X-Request-ID`` (or made) and returned in it; the actor is filled
in by authentication; the line carries route, status and duration. A body larger than the
configured limit is refused with 413 before the endpoint sees it.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_JSON, BodyTooLargeError

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = structlog.get_logger("api.access")
# On every answer: no content sniffing, no framing, no referrer to other sites.
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
NOT_STORED = ((b"cache-control", b"no-store"),)


def _problem_413(path: str, request_id: str, limit: int) -> bytes:
    return json.dumps(
        {
            "type": "/problems/body-too-large",
            "title": "The request body is too large",
            "status": 413,
            "detail": f"the body exceeds the limit of {limit} bytes",
            "instance": path,
            "request_id": request_id,
        }
    ).encode()


class EdgeMiddleware:
    """Request id, body limit and the access log, for every HTTP request."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, log_level: str) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
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

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLargeError(self.max_body_bytes)
            return message

        try:
            declared = int(headers.get("content-length", "0") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > self.max_body_bytes:
                raise BodyTooLargeError(self.max_body_bytes)
            await self.app(scope, limited_receive, send_with_id)
        except BodyTooLargeError:
            if response_started:
                raise
            await self._send_413(scope, send_with_id, request_id)
        finally:
            self._log(scope, state, request_id, status, started)

    async def _send_413(self, scope: Scope, send: Send, request_id: str) -> None:
        body = _problem_413(scope["path"], request_id, self.max_body_bytes)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _log(
        self, scope: Scope, state: dict[str, Any], request_id: str, status: int, started: float
    ) -> None:
        route = scope.get("route")
        access_log.log(
            self.level,
            "request",
            request_id=request_id,
            method=scope["method"],
            route=getattr(route, "path", scope["path"]),
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            actor=state.get("actor"),
            role=state.get("role"),
            org=state.get("org"),
        )
