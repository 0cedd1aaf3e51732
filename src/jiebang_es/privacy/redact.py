"""Redaction of personal information from what leaves the record: log lines, problem details,
the compliance report and the readable parts of audit bundles.

Names are never written there by the code (errors and log events name ids, not people); what a
person may type into free text (a reason, a statement, an objection's grounds) is caught by the
shapes of China's personal identifiers: resident ID numbers (GB 11643), mobile and landline
numbers, e-mail addresses and bank card numbers. Each is replaced by a marker of its kind."""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

_ALONE_BEFORE, _ALONE_AFTER = r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])"
_PATTERNS = (
    # GB 11643 resident identity number: 6-digit area, birth date, sequence, check character.
    (
        re.compile(_ALONE_BEFORE + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])"
                   r"(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]" + _ALONE_AFTER),
        "[身份证号已隐去]",
    ),
    # Mobile numbers (with or without +86) and landlines with an area code.
    (
        re.compile(_ALONE_BEFORE + r"(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}" + _ALONE_AFTER),
        "[电话已隐去]",
    ),
    (re.compile(_ALONE_BEFORE + r"0\d{2,3}-\d{7,8}" + _ALONE_AFTER), "[电话已隐去]"),
    # Bank card numbers: 16 to 19 digits, whole or in groups of four.
    (
        re.compile(_ALONE_BEFORE + r"\d{4}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?" + _ALONE_AFTER),
        "[银行卡号已隐去]",
    ),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[邮箱已隐去]"),
)  # fmt: skip


def redact_text(text: str) -> str:
    """``text`` with every personal identifier replaced by a marker of its kind."""
    for pattern, marker in _PATTERNS:
        text = pattern.sub(marker, text)
    return text


def redact(value: Any) -> Any:
    """Any JSON-like value with its strings redacted."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def redact_log_event(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Any:
    """A structlog processor: every value of the line redacted."""
    for key, value in event_dict.items():
        if isinstance(value, str | dict | list | tuple):
            event_dict[key] = redact(value)
    return event_dict
