"""The business clock of a served application.

In production it is the system clock (China time). For rehearsals and the end-to-end tests,
``JIEBANG_CLOCK_FILE`` names a file holding an ISO date-time with its zone: business time is
read from it on every command, so a whole year's procedure (a five-working-day notice, a window
that closes) can be played through the real server. Recording times stay real either way.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jiebang_es.errors import InvalidValueError
from jiebang_es.service_base import CHINA_TZ, Clock, SystemClock


class FileClock:
    """Business time from a file that a rehearsal (or a test) moves forward."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        """The business time written in the file, in China time."""
        try:
            text = self.path.read_text().strip()
            value = datetime.fromisoformat(text)
        except (OSError, ValueError) as e:
            raise InvalidValueError("JIEBANG_CLOCK_FILE", f"no readable date-time: {e}") from None
        if value.tzinfo is None:
            raise InvalidValueError("JIEBANG_CLOCK_FILE", "the date-time carries its time zone")
        return value.astimezone(CHINA_TZ)


def clock_for(path: Path | None) -> Clock:
    """The system clock, or the simulated one a rehearsal configured."""
    return SystemClock() if path is None else FileClock(path)
