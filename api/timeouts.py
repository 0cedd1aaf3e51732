"""Deadlines for slow clients: the request line and headers, at the connection.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but waits for ever on a
client that trickles its headers a byte at a time; each such client holds a connection. These
protocols close a connection whose request headers are not complete within the deadline. The
body has its own deadline in the edge middleware (``api.middleware``), where a 408 can be sent.

Two parsers, the same deadline: httptools (llhttp, in C; the default, ~0.1 ms less CPU per
request than h11 in ``ops/bench/api.py``) and h11 (pure Python), chosen by ``JIEBANG_HTTP``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _HeaderDeadline:
    """The deadline's clock, shared by both protocols: armed when a request's first byte (or
    the connection) arrives, disarmed when its headers are complete."""

    header_timeout: float = 10.0
    _header_deadline: asyncio.TimerHandle | None = None
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    logger: Any

    def _arm_header_deadline(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(
                self.header_timeout, self._headers_too_slow
            )

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self._awaiting_headers() and not self.transport.is_closing():
            self.logger.warning("request headers not complete within %ss", self.header_timeout)
            self.transport.close()

    if TYPE_CHECKING:  # each protocol says so from its own parser's state

        def _awaiting_headers(self) -> bool: ...


class HeaderDeadlineProtocol(_HeaderDeadline, H11Protocol):
    """uvicorn's h11 protocol, with a deadline for each request's line and headers."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._awaiting_headers():
            # Bytes of a request whose headers are not complete yet: its clock runs.
            self._arm_header_deadline()
        else:
            self._disarm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        # Between requests the keep-alive timeout applies; the next request's clock starts
        # with its first byte.
        self._disarm_header_deadline()
        super().on_response_complete()

    def _awaiting_headers(self) -> bool:
        return bool(self.conn.their_state is h11.IDLE)


class HttpToolsHeaderDeadlineProtocol(_HeaderDeadline, HttpToolsProtocol):
    """uvicorn's httptools protocol, with the same deadline (llhttp calls back at a request's
    first byte and when its headers are complete)."""

    _headers_pending = True  # from the connection's start until its first request's headers

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._headers_pending = True
        self._arm_header_deadline()

    def on_headers_complete(self) -> None:
        self._headers_pending = False
        self._disarm_header_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _awaiting_headers(self) -> bool:
        return self._headers_pending


# By JIEBANG_HTTP: the protocol that parses requests with that parser.
PROTOCOLS: dict[str, type[_HeaderDeadline]] = {
    "httptools": HttpToolsHeaderDeadlineProtocol,
    "h11": HeaderDeadlineProtocol,
}


def protocol_with_header_deadline(seconds: float, parser: str = "httptools") -> type[Any]:
    """The protocol class for uvicorn, with the configured parser and header deadline."""

    base = PROTOCOLS[parser]

    class Configured(base):  # type: ignore[valid-type,misc]
        header_timeout = seconds

    return Configured


def set_header_timeout(seconds: float) -> None:
    """The deadline for protocols named by import path (worker processes)."""
    _HeaderDeadline.header_timeout = seconds


def protocol_path(parser: str) -> str:
    """The protocol by import path, for worker processes (they configure the deadline)."""
    return f"api.timeouts:{PROTOCOLS[parser].__name__}"
