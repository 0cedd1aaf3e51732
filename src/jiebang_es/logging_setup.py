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


def configure_logging(level: str = "warning") -> None:
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            # No personal identifier leaves in a log line (docs/personal-information.md).
            redact_log_event,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
