"""Working days of the public notice, with statutory holidays and make-up workdays (调休)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from jiebang_es.domain.working_days import WorkingDayCalendar
from jiebang_es.errors import CalendarNotCoveredError, InvalidValueError


def test_r_publicity_spring_festival_and_its_make_up_saturday():
    # 2026: 15–23 Feb off; Saturday 14 Feb is a make-up workday.
    assert WorkingDayCalendar().working_days_end(date(2026, 2, 13), 5) == date(2026, 2, 26)


def test_r_publicity_ordinary_week():
    assert WorkingDayCalendar().working_days_end(date(2026, 5, 18), 5) == date(2026, 5, 22)


def test_r_publicity_start_on_a_weekend_counts_from_the_next_workday():
    assert WorkingDayCalendar().working_days_end(date(2026, 5, 16), 1) == date(2026, 5, 18)


def test_r_publicity_unknown_year_is_refused_with_what_to_load():
    with pytest.raises(CalendarNotCoveredError) as caught:
        WorkingDayCalendar().working_days_end(date(2026, 12, 28), 10)
    assert caught.value.year == 2027


def test_r_publicity_loaded_schedule_covers_the_next_year(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(
        json.dumps([{"year": 2027, "holidays": ["2027-01-01"], "workdays": ["2027-01-02"]}])
    )
    calendar = WorkingDayCalendar.load(path)
    assert calendar.working_days_end(date(2026, 12, 31), 2) == date(2027, 1, 2)
    assert "schedule 2027 sha256:" in calendar.version


def test_malformed_schedule_names_the_setting(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('{"year": "x"}')
    with pytest.raises(InvalidValueError) as caught:
        WorkingDayCalendar.load(path)
    assert caught.value.field == "JIEBANG_HOLIDAY_SCHEDULE"
