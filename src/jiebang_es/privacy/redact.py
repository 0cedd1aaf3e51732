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

from jiebang_es.domain.values import uscc_check_char

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
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[邮箱已隐去]"),
)  # fmt: skip
# Bank card numbers: 16 to 19 digits, whole or in groups of four, that pass the Luhn check every
# card number carries (ISO/IEC 7812). Without the check, any long number was taken for a card:
# an all-digit credit code, a position, a limit in a validation message.
_CARD = re.compile(_ALONE_BEFORE + r"\d{4}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?" + _ALONE_AFTER)
_CARD_MARKER = "[银行卡号已隐去]"
# Ids are not personal and are quoted whole: a UUID's digit groups are not a card number.
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


def luhn_valid(digits: str) -> bool:
    """The Luhn check of a string of digits (the last one the check digit)."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = ord(c) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    text = match.group()
    digits = text.replace(" ", "").replace("-", "")
    if not luhn_valid(digits):
        return text
    # An organisation's unified social credit code may be 18 digits: not personal (the plan
    # publishes them); kept when its GB 32100-2015 check character holds.
    if len(digits) == 18 and text == digits and uscc_check_char(digits[:17]) == digits[17]:
        return text
    return _CARD_MARKER


def _redact_part(text: str) -> str:
    for pattern, marker in _PATTERNS:
        text = pattern.sub(marker, text)
    return _CARD.sub(_card, text)


def redact_text(text: str) -> str:
    """``text`` with every personal identifier replaced by a marker of its kind (the UUIDs in
    it quoted as they are)."""
    parts = _UUID.split(text)
    if len(parts) == 1:
        return _redact_part(text)
    ids = _UUID.findall(text)
    out = [_redact_part(parts[0])]
    for ident, part in zip(ids, parts[1:], strict=True):
        out += [ident, _redact_part(part)]
    return "".join(out)


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
