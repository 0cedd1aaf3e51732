"""A business time at the edge of the calendar is a clear error naming the field, never a crash."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from jiebang_es.domain.values import DemandSource
from jiebang_es.errors import InvalidValueError
from jiebang_es.sample import END_USER_EQUIPMENT
from jiebang_es.service_base import CommandMeta
from tests.support import BUREAU_STAFF


def test_effective_time_before_year_one_in_china_time_is_invalid(app, clock):
    clock.on(date(2026, 2, 24))
    earliest = datetime(1, 1, 1, 4, tzinfo=timezone(timedelta(hours=13, minutes=36)))
    with pytest.raises(InvalidValueError) as refused:
        app.collect_demand(
            BUREAU_STAFF,
            source=DemandSource.SURVEY_VISIT,
            enterprise=END_USER_EQUIPMENT,
            industry="智能科技",
            title="需求",
            description="调研走访记录",
            meta=CommandMeta(effective_at=earliest),
        )
    assert refused.value.field == "effective_at"
    assert app.position() == 0
