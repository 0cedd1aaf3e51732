"""Values: money, credit codes, categories, and how they are stored."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from eventsourcing.persistence import JSONTranscoder

from jiebang_es.domain.values import Actor, Category, Role, credit_code, parse_category, yuan
from jiebang_es.errors import InvalidValueError, RuleViolationError
from jiebang_es.sample import END_USER_EQUIPMENT, key_challenge_content, make_code
from jiebang_es.service_base import CHINA_TZ
from jiebang_es.transcodings import register_domain_transcodings


def test_r_fund_cap_yuan_keeps_fen_precision_exactly():
    assert str(yuan("100000")) == "100000.00"
    assert str(yuan(Decimal("0.10"))) == "0.10"
    assert yuan(5) == Decimal("5.00")


@pytest.mark.parametrize("bad", [0.1, True, "0.001", Decimal("99999.999")])
def test_float_or_sub_fen_amount_is_an_invalid_value_not_r_fund_cap(bad):
    """Version 2: a malformed amount names its field; the cap is not what it breaks."""
    with pytest.raises(InvalidValueError) as caught:
        yuan(bad, field_name="funding")
    assert caught.value.field == "funding"
    assert not isinstance(caught.value, RuleViolationError)


@pytest.mark.parametrize("bad", ["abc", "0", "-5", "NaN", "1e20"])
def test_malformed_or_non_positive_amounts_name_the_field(bad):
    with pytest.raises(InvalidValueError) as caught:
        yuan(bad, field_name="budget")
    assert caught.value.field == "budget"


def test_credit_code_checks_the_gb_32100_check_character():
    code = END_USER_EQUIPMENT.credit_code
    assert credit_code(code.lower()) == code
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(InvalidValueError):
        credit_code(wrong)
    with pytest.raises(InvalidValueError):
        credit_code("12345")


def test_credit_code_of_a_published_example_is_valid():
    # An example published with GB 32100-2015 explanations.
    assert make_code("91350100M000100Y4") == "91350100M000100Y43"


def test_r_category_parse_refuses_anything_but_key_or_major():
    assert parse_category("major") is Category.MAJOR
    with pytest.raises(RuleViolationError) as caught:
        parse_category("general")
    assert caught.value.rule_id == "R-CATEGORY"


def test_values_round_trip_exactly_through_the_transcoder():
    transcoder = JSONTranscoder()
    from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr

    transcoder.register(DecimalAsStr())
    transcoder.register(DatetimeAsISO())
    register_domain_transcodings(transcoder)
    content = key_challenge_content()
    state = {
        "content": content,
        "when": datetime(2026, 4, 10, 9, 30, tzinfo=CHINA_TZ),
        "day": date(2026, 4, 10),
        "money": Decimal("100000.00"),
        "org": END_USER_EQUIPMENT,
    }
    decoded = transcoder.decode(transcoder.encode(state))
    assert decoded == state
    assert str(decoded["content"].funding) == "100000.00"
    assert decoded["content"].indicators == content.indicators
    assert isinstance(decoded["content"].indicators, tuple)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [("actor.id", {"id": "li\x00"}), ("actor.org_code", {"org_code": "91\x1f"}),
     ("actor.name", {"name": "\x7f"})],
)  # fmt: skip
def test_r_audit_who_actor_with_control_character_is_refused(field, kwargs):
    # No path may record a NUL: the PostgreSQL read models cannot hold one.
    with pytest.raises(InvalidValueError) as refused:
        Actor(**{"id": "li", "role": Role.BUREAU, "org_code": "91", **kwargs})
    assert refused.value.field == field
