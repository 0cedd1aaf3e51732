"""Deadlines for slow clients: the request line and headers, at the connection.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but waits for ever on a
client that trickles its headers a byte at a time; each such client holds a connection. This
protocol closes a connection whose request headers are not complete within the deadline. The
body has its own deadline in the edge middleware (``api.middleware``), where a 408 can be sent.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, with a deadline for each request's line and headers."""

    header_timeout: float = 10.0
    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:
            # Bytes of a request whose headers are not complete yet: its clock runs.
            if self._header_deadline is None:
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

    def _arm_header_deadline(self) -> None:
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.warning("request headers not complete within %ss", self.header_timeout)
            self.transport.close()


def protocol_with_header_deadline(seconds: float) -> type[H11Protocol]:
    """The protocol class for uvicorn, with the configured header deadline."""

    class Configured(HeaderDeadlineProtocol):
        header_timeout = seconds

    return Configured
