"""What redaction hides (docs/personal-information.md): personal identifiers, by their shapes and
check digits; and what it quotes as it is: ids, credit codes, other long numbers."""

from __future__ import annotations

import pytest

from jiebang_es.domain.values import uscc_check_char
from jiebang_es.privacy.redact import luhn_valid, redact, redact_text

CARD = "[银行卡号已隐去]"


def with_luhn_digit(body: str) -> str:
    """``body`` and the check digit that makes it pass the Luhn check."""
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def test_luhn_check_of_known_numbers() -> None:
    assert luhn_valid("79927398713")
    assert luhn_valid("4539578763621486")
    assert not luhn_valid("4539578763621487")


@pytest.mark.parametrize("length", [16, 17, 18, 19])
def test_bank_card_numbers_are_hidden_whole_or_grouped(length: int) -> None:
    card = with_luhn_digit("622202" + "1234567890123"[: length - 7])
    assert redact_text(f"收款卡号 {card}，请核对") == f"收款卡号 {CARD}，请核对"
    grouped = " ".join(card[i : i + 4] for i in range(0, len(card), 4))
    assert redact_text(f"卡号：{grouped}。") == f"卡号：{CARD}。"


def test_long_numbers_that_are_not_card_numbers_are_quoted() -> None:
    card = with_luhn_digit("622202123456789")
    digits = card[:-1] + str((int(card[-1]) + 1) % 10)  # the check digit off by one
    assert redact_text(f"卡号 {digits}") == f"卡号 {digits}"
    assert redact_text("less than or equal to 9223372036854775807").endswith("9223372036854775807")


def test_an_all_digit_credit_code_is_quoted_even_when_it_passes_luhn() -> None:
    code = next(
        c
        for n in range(10**16, 10**16 + 10_000)
        if luhn_valid(c := f"1{n}"[:17] + uscc_check_char(f"1{n}"[:17])) and c.isdigit()
    )
    assert redact_text(f"嘉陵医科大学 ({code}) was last checked") == (
        f"嘉陵医科大学 ({code}) was last checked"
    )


def test_ids_are_quoted_whole() -> None:
    ids = [
        "00000000-0000-0000-0000-000000000001",
        "00000000-0000-4000-8000-000000000000",
        "7d26a5c4-1111-4222-8333-444455556666",
    ]
    for ident in ids:
        text = f"no project with id {ident}; instance /v1/projects/{ident}/disbursements"
        assert redact_text(text) == text
    # a card number beside an id is still hidden
    card = with_luhn_digit("622202123456789012")
    assert redact_text(f"{ids[0]} 卡号 {card}") == f"{ids[0]} 卡号 {CARD}"


def test_other_identifiers_keep_their_markers() -> None:
    body = {
        "detail": "联系 13812345678 或 023-68881234，身份证 110101199003074514，邮箱 a@b.cn",
        "errors": [{"message": "x"}],
    }
    assert redact(body)["detail"] == (
        "联系 [电话已隐去] 或 [电话已隐去]，身份证 [身份证号已隐去]，邮箱 [邮箱已隐去]"
    )
