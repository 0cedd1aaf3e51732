"""Slow clients are timed out: a body or headers trickled a byte at a time do not hold a
connection past the configured deadlines (JIEBANG_BODY_TIMEOUT, JIEBANG_HEADER_TIMEOUT)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import Server, start_server, stop_server

DEADLINE = 1.5


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("slow")
    process, server = start_server(
        f"sqlite:///{workdir}/events.db",
        workdir,
        JIEBANG_BODY_TIMEOUT=str(DEADLINE),
        JIEBANG_HEADER_TIMEOUT=str(DEADLINE),
        JIEBANG_SERVE_PROJECTIONS="false",
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
