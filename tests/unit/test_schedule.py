"""The payment schedule's pure rules (R-CONTRACT, R-DISBURSE) and its configured default."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jiebang_es.config import Settings
from jiebang_es.domain.schedule import check_schedule, default_tranches, fallen_due
from jiebang_es.domain.values import Milestone, Tranche
from jiebang_es.errors import InvalidValueError, RuleViolationError

MILESTONES = (Milestone("样机", 9, "样机"), Milestone("验证", 18, "验证"))


def test_r_disburse_default_shares_always_total_the_budget():
    tranches = default_tranches(
        "signature:33,milestone:1:33,final_assessment:34", Decimal("100.01")
    )
    assert [t.amount for t in tranches] == [Decimal("33.00"), Decimal("33.00"), Decimal("34.01")]
    assert sum(t.amount for t in tranches) == Decimal("100.01")


def test_r_disburse_only_met_conditions_fall_due():
    tranches = default_tranches("signature:50,milestone:2:30,final_assessment:20", Decimal(1000))
    assert fallen_due(tranches, lambda c: c == "signature") == Decimal("500.00")
    assert fallen_due(tranches, lambda c: c != "final_assessment") == Decimal("800.00")


def test_r_contract_schedule_must_pay_exactly_the_budget():
    with pytest.raises(RuleViolationError) as caught:
        check_schedule((Tranche(Decimal("10.00"), "signature"),), Decimal("11.00"), MILESTONES)
    assert caught.value.rule_id == "R-CONTRACT"


def test_r_contract_schedule_conditions_are_known():
    with pytest.raises(InvalidValueError) as caught:
        check_schedule((Tranche(Decimal("11.00"), "milestone:0"),), Decimal("11.00"), MILESTONES)
    assert caught.value.field == "tranches"


@pytest.mark.parametrize(
    "value",
    ["signature:50", "signature:50,bonus:50", "signature:x", "final_assessment:-10,signature:110"],
)
def test_r_disburse_bad_default_schedule_is_a_configuration_error(value):
    with pytest.raises(ValueError, match="payment_schedule_default"):
        Settings(payment_schedule_default=value)
