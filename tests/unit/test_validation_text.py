"""Field errors said in Chinese: every error type our request schemas can raise has its own
sentence, filled from pydantic's context of that very error."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

import pytest
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from api.validation_text import GENERIC_ZH, field_message_zh, validation_lead_zh


class Category(StrEnum):
    KEY = "key"
    MAJOR = "major"


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=2, max_length=3, pattern="^[a-z]+$")
    count: int = Field(gt=0, le=10)
    share: int = Field(ge=1, lt=5)
    amount: Decimal = Field(max_digits=5, decimal_places=2)
    choice: Literal["x", "y"]
    category: Category
    day: date
    at: AwareDatetime
    ref: UUID
    flag: bool
    items: list[int] = Field(max_length=2)


def _errors(data: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as raised:
        Body.model_validate(data)
    return [dict(e) for e in raised.value.errors()]


BAD_BODIES = [
    {},
    {
        "code": 1,
        "count": "a",
        "amount": "x",
        "choice": "z",
        "category": "q",
        "day": "x",
        "at": "2020-01-01T00:00",
        "ref": "x",
        "flag": "maybe",
        "items": "x",
        "zz": 1,
    },
    {"code": "abcd", "count": 0, "share": 5, "amount": "1234.567", "items": [1, 2, 3], "at": "x"},
    {"code": "A1", "count": 11, "share": 0, "amount": "1.234"},
    {"code": "a"},
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_every_error_of_the_schemas_kinds_has_a_filled_chinese_sentence(
    body: dict[str, Any],
) -> None:
    for error in _errors(body):
        said = field_message_zh(error["type"], error.get("ctx"))
        assert said != GENERIC_ZH, error["type"]
        assert "{" not in said, said
        assert not said.isascii(), said


def test_sentences_carry_the_limits_from_the_context() -> None:
    assert field_message_zh("greater_than_equal", {"ge": 1}) == "应大于或等于 1"
    assert field_message_zh("string_too_long", {"max_length": 200}) == "至多 200 个字符"
    assert field_message_zh("enum", {"expected": "'key' or 'major'"}) == (
        "应为以下之一：'key' or 'major'"
    )


def test_unknown_type_or_missing_context_is_said_generally() -> None:
    assert field_message_zh("some_future_type", None) == GENERIC_ZH
    assert field_message_zh("greater_than", None) == "应大于"
    assert field_message_zh("datetime_parsing", {}).startswith("应为带时区的时间")


def test_lead_lists_each_field() -> None:
    lead = validation_lead_zh(
        [("body.title", "missing", None), ("query.limit", "less_than_equal", {"le": 200})]
    )
    assert (
        lead
        == "请求中有字段不符合要求：body.title：必填，但请求中没有；query.limit：应小于或等于 200"
    )
    assert validation_lead_zh([]) == "请求中有字段不符合要求，详见 errors"
