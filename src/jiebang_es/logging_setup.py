"""structlog: JSON lines on stderr, one event per line, at the configured level."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from jiebang_es.privacy.redact import redact_log_event


class _StderrLogger:
    """Writes each line to the process's stderr *as it is now*: a stream swapped after
    configuration (a test runner's capture, a daemon's redirect) is followed, never a closed one."""

    def msg(self, message: str) -> None:
        stream = sys.stderr
        stream.write(message + "\n")
        stream.flush()

    debug = info = warning = warn = error = critical = exception = fatal = msg


def _stderr_logger(*_: Any) -> _StderrLogger:
    return _StderrLogger()


_min_level = logging.NOTSET  # structlog's default before configuration: everything is emitted
_general_level = logging.NOTSET
_METHOD_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "exception": logging.ERROR,
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
}
REQUEST_LINE = "_request_line"  # a key the access log sets: its line is shown at its own level


def enabled(level: int) -> bool:
    """Whether a line at ``level`` would be emitted: callers skip building what is not."""
    return level >= _min_level


def configure_logging(level: str = "warning", request_level: str | None = None) -> None:
    """Lines at ``level`` and above; with ``request_level``, the one-line-per-request access
    log at that level whatever ``level`` says (``JIEBANG_REQUEST_LOG_LEVEL``), and no other
    line below ``level``."""
    global _min_level, _general_level
    levels = logging.getLevelNamesMapping()
    _general_level = levels[level.upper()]
    _min_level = min(_general_level, levels[(request_level or level).upper()])
    structlog.configure(
        processors=[
            _general_level_gate,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            # No personal identifier leaves in a log line (docs/personal-information.md).
            redact_log_event,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_min_level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


def _general_level_gate(_: Any, method_name: str, event_dict: Any) -> Any:
    """Drop a line below the general level, unless it is the access log's own line."""
    if event_dict.pop(REQUEST_LINE, False):
        return event_dict
    level = _METHOD_LEVELS.get(method_name, logging.CRITICAL)  # an unknown method: kept
    if level < _general_level:
        raise structlog.DropEvent
    return event_dict
