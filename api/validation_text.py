"""What is wrong with a field, said in Chinese, from pydantic's error type and its context.

pydantic words its messages in English only. The problem's ``errors`` keep those words (clients
branch on the field and the problem type, and the docs promise they never change with the
language); a caller who prefers Chinese reads each field's trouble in the detail instead, e.g.
``limit：应大于或等于 1``. An error type not listed here is said generically; the English
original always follows in brackets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# pydantic's error type → the Chinese sentence; ``{…}`` are members of the error's context.
FIELD_MESSAGES_ZH: dict[str, str] = {
    "missing": "必填，但请求中没有",
    "extra_forbidden": "不是此请求接受的字段",
    "string_type": "应为文本",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "至多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符合要求（应匹配 {pattern}）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数，不能带小数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_type": "应为金额或小数",
    "decimal_parsing": "应为金额或小数",
    "decimal_max_digits": "总位数至多 {max_digits} 位",
    "decimal_max_places": "小数至多 {decimal_places} 位",
    "decimal_whole_digits": "整数部分至多 {whole_digits} 位",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应大于或等于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应小于或等于 {le}",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "finite_number": "应为有限的数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "date_type": "应为日期（如 2026-03-01）",
    "date_parsing": "应为日期（如 2026-03-01）",
    "date_from_datetime_parsing": "应为日期（如 2026-03-01）",
    "date_from_datetime_inexact": "应为日期，不带时刻",
    "datetime_type": "应为带时区的时间（如 2026-03-01T09:00:00+08:00）",
    "datetime_parsing": "应为带时区的时间（如 2026-03-01T09:00:00+08:00）",
    "datetime_from_date_parsing": "应为带时区的时间（如 2026-03-01T09:00:00+08:00）",
    "timezone_aware": "应带时区（如 +08:00）",
    "timezone_naive": "不应带时区",
    "uuid_type": "应为 UUID 标识",
    "uuid_parsing": "应为 UUID 标识",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "set_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "too_short": "至少 {min_length} 项",
    "too_long": "至多 {max_length} 项",
    "url_parsing": "应为网址",
    "url_type": "应为网址",
    "json_type": "应为 JSON 文本",
    "bytes_type": "应为字节",
    "value_error": "取值无效",
    "assertion_error": "取值无效",
    "union_tag_invalid": "类型标记 {tag} 无效，应为 {expected_tags}",
    "union_tag_not_found": "缺少类型标记 {discriminator}",
}
GENERIC_ZH = "不符合要求"


def field_message_zh(error_type: str, context: Mapping[str, Any] | None) -> str:
    """One field's trouble in Chinese; a template whose context is missing says it generally."""
    template = FIELD_MESSAGES_ZH.get(error_type)
    if template is None:
        return GENERIC_ZH
    try:
        return template.format(**(context or {}))
    except (KeyError, IndexError, ValueError):
        return template.split("（", 1)[0].split("{", 1)[0].rstrip("：，, ") or GENERIC_ZH


def validation_lead_zh(fields: list[tuple[str, str, Mapping[str, Any] | None]]) -> str:
    """The Chinese lead of a validation problem: each field with what is wrong with it."""
    said = "；".join(f"{field}：{field_message_zh(kind, ctx)}" for field, kind, ctx in fields)
    return f"请求中有字段不符合要求：{said}" if said else "请求中有字段不符合要求，详见 errors"
