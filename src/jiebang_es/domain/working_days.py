"""Working days for public-notice periods (公示期), with China's statutory holidays and 调休.

The calendar package only knows the years the State Council has already announced. The bureau
can load a later year's announced schedule as a JSON file::

    {"year": 2027, "holidays": ["2027-01-01", ...], "workdays": ["2027-02-07", ...]}

where ``holidays`` are weekdays off and ``workdays`` are weekend make-up workdays (调休上班).
A date that neither source covers is refused (CalendarNotCoveredError), never guessed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar

from jiebang_es.errors import CalendarNotCoveredError, InvalidValueError

# The years whose announced schedule the package carries (it knows nothing of the others).
PACKAGE_YEARS = frozenset(d.year for d in (*chinese_calendar.holidays, *chinese_calendar.workdays))


@dataclass(frozen=True)
class YearSchedule:
    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


@dataclass(frozen=True)
class WorkingDayCalendar:
    """China's working days: the package's years, plus any announced schedules loaded."""

    extra: dict[int, YearSchedule] = field(default_factory=dict)
    extra_digest: str = ""

    @classmethod
    def load(cls, schedule_file: Path | None) -> WorkingDayCalendar:
        if schedule_file is None:
            return cls()
        raw = schedule_file.read_bytes()
        try:
            data = json.loads(raw)
            entries = data if isinstance(data, list) else [data]
            schedules = {
                int(e["year"]): YearSchedule(
                    year=int(e["year"]),
                    holidays=frozenset(date.fromisoformat(d) for d in e.get("holidays", [])),
                    workdays=frozenset(date.fromisoformat(d) for d in e.get("workdays", [])),
                )
                for e in entries
            }
        except (ValueError, KeyError, TypeError) as e:
            raise InvalidValueError(
                "JIEBANG_HOLIDAY_SCHEDULE", f"{schedule_file} is not a holiday schedule: {e}"
            ) from None
        return cls(extra=schedules, extra_digest=hashlib.sha256(raw).hexdigest()[:12])

    @property
    def version(self) -> str:
        """Recorded in every event that used the calendar, so a notice can be re-checked."""
        base = f"chinesecalendar {chinese_calendar.__version__}"
        if self.extra:
            years = ",".join(str(y) for y in sorted(self.extra))
            return f"{base} + schedule {years} sha256:{self.extra_digest}"
        return base

    def is_workday(self, day: date) -> bool:
        # An announced schedule loaded by the bureau wins over the package for its year.
        if day.year in self.extra:
            return self.extra[day.year].is_workday(day)
        if day.year not in PACKAGE_YEARS:
            raise CalendarNotCoveredError(day.year, self.version)
        return bool(chinese_calendar.is_workday(day))

    def working_days_end(self, start: date, working_days: int) -> date:
        """The date of the ``working_days``-th working day counting from ``start`` inclusive."""
        if working_days < 1:
            raise InvalidValueError("working_days", "a notice lasts at least one working day")
        day = start
        counted = 0
        while True:
            if self.is_workday(day):
                counted += 1
                if counted == working_days:
                    return day
            day += timedelta(days=1)
