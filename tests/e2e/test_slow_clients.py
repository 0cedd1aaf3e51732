"""Slow clients are timed out: a body or headers trickled a byte at a time do not hold a
connection past the configured deadlines (JIEBANG_BODY_TIMEOUT, JIEBANG_HEADER_TIMEOUT), with
either HTTP parser (JIEBANG_HTTP) and event loop (JIEBANG_EVENT_LOOP)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import Server, start_server, stop_server

DEADLINE = 1.5


@pytest.fixture(scope="module", params=[("httptools", "uvloop"), ("h11", "asyncio")], ids=str)
def strict_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    parser, loop = request.param
    workdir = tmp_path_factory.mktemp("slow")
    process, server = start_server(
        f"sqlite:///{workdir}/events.db",
        workdir,
        JIEBANG_BODY_TIMEOUT=str(DEADLINE),
        JIEBANG_HEADER_TIMEOUT=str(DEADLINE),
        JIEBANG_SERVE_PROJECTIONS="false",
        JIEBANG_HTTP=parser,
        JIEBANG_EVENT_LOOP=loop,
    )
    try:
        yield server
    finally:
        server.close()
        stop_server(process)


def connect(server: Server) -> socket.socket:
    parts = urlsplit(server.base_url)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def trickle(sock: socket.socket, data: bytes, *, for_seconds: float) -> float:
    """Send ``data`` a byte at a time until the server closes or ``for_seconds`` pass; the
    seconds it took the server to close (or ``for_seconds``)."""
    started = time.monotonic()
    for byte in data:
        if time.monotonic() - started > for_seconds:
            break
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            break
        time.sleep(0.2)
    return time.monotonic() - started


def read_response(sock: socket.socket) -> bytes:
    """One whole response (headers and a Content-Length body), however it arrives."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return data


def test_trickled_body_is_answered_408_within_the_deadline(strict_server: Server) -> None:
    with connect(strict_server) as sock:
        sock.sendall(
            b"POST /v1/demands HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        trickle(sock, b'"title": "' + b"x" * 200, for_seconds=DEADLINE + 3)
        sock.settimeout(5)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"/problems/body-timeout" in answer


def test_trickled_headers_are_cut_off_within_the_deadline(strict_server: Server) -> None:
    with connect(strict_server) as sock:
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: test\r\n")
        took = trickle(sock, b"X-Slow: " + b"y" * 100, for_seconds=DEADLINE + 3)
        sock.settimeout(5)
        try:
            answer = sock.recv(65536)
        except ConnectionResetError:
            answer = b""
    assert answer == b""  # closed, nothing answered
    assert took < DEADLINE + 1.5


def test_prompt_client_is_not_affected(strict_server: Server) -> None:
    assert strict_server.client().get("/v1/health").status_code == 200


def test_a_keep_alive_connection_s_next_request_has_its_own_deadline(
    strict_server: Server,
) -> None:
    """A prompt first request, then a second one on the same connection whose headers
    trickle: the second is cut off, counted from its own first byte."""
    with connect(strict_server) as sock:
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: test\r\n\r\n")
        sock.settimeout(5)
        assert read_response(sock).startswith(b"HTTP/1.1 200")
        time.sleep(DEADLINE / 2)  # idle between requests: the keep-alive timeout's (5 s)
        sock.sendall(b"GET /v1/health HTTP/1.1\r\n")
        took = trickle(sock, b"X-Slow: " + b"y" * 100, for_seconds=DEADLINE + 3)
        try:
            answer = sock.recv(65536)
        except ConnectionResetError:
            answer = b""
    assert answer == b""
    assert DEADLINE - 0.5 < took < DEADLINE + 1.5
