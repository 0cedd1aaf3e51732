"""JIEBANG_LOG_LEVEL and JIEBANG_REQUEST_LOG_LEVEL are independent: the access log's line is
shown at its own level, and no other line below the general level gets through with it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import structlog

from jiebang_es.logging_setup import REQUEST_LINE, configure_logging


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    yield
    configure_logging("warning")


def _lines(text: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_general_level_error_keeps_the_info_request_line_and_drops_other_info(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("error", "info")
    log = structlog.get_logger("x")
    log.info("checkpoint_taken")
    log.warning("slow")
    log.info("request", **{REQUEST_LINE: True})
    log.error("store_unavailable")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("unexpected_error")
    events = [line["event"] for line in _lines(capsys.readouterr().err)]
    assert events == ["request", "store_unavailable", "unexpected_error"]


def test_request_level_above_the_general_level_hides_nothing_general(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info", "warning")
    log = structlog.get_logger("x")
    log.debug("noise")
    log.info("checkpoint_taken")
    log.warning("request", **{REQUEST_LINE: True})  # the access log writes at its own level
    lines = _lines(capsys.readouterr().err)
    assert [line["event"] for line in lines] == ["checkpoint_taken", "request"]
    assert all(REQUEST_LINE not in line for line in lines)  # the marker is not written
