"""problem+json in Chinese when the request prefers it (`Accept-Language: zh`), English
otherwise; the type, status, rule id and field errors never change with the language."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.problem_text import prefers_chinese
from jiebang_es.domain.values import Role
from tests.web.conftest import Demo


def _refused_draft(web: TestClient, demo: Demo, language: str | None) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {demo.token(Role.SUPERVISOR)}"}
    if language is not None:
        headers["Accept-Language"] = language
    # A supervisor reads and writes nothing (R-AUDIT-WHO): refused before any body is read.
    answer = web.post(f"/v1/challenges/{demo.public_id}/revise", json={}, headers=headers)
    assert answer.status_code == 403
    return dict(answer.json())


def test_r_audit_who_refusal_in_chinese_keeps_its_rule_id(web: TestClient, demo: Demo) -> None:
    english = _refused_draft(web, demo, None)
    chinese = _refused_draft(web, demo, "zh-CN,zh;q=0.9,en;q=0.5")
    assert english["rule_id"] == chinese["rule_id"] == "R-AUDIT-WHO"
    assert english["type"] == chinese["type"] == "/problems/not-permitted"
    assert english["title"] == "Not this actor's step"
    assert chinese["title"] == "无权执行此步骤"
    assert "依据规则 R-AUDIT-WHO（记录何人、何时、何事、何故）" in str(chinese["detail"])
    # the English explanation is kept, in brackets, after the Chinese sentence
    assert str(english["detail"]) in str(chinese["detail"])


def test_validation_problem_in_chinese_keeps_field_errors(web: TestClient) -> None:
    english = web.get("/v1/public/challenges", params={"limit": 0})
    chinese = web.get(
        "/v1/public/challenges", params={"limit": 0}, headers={"Accept-Language": "zh"}
    )
    assert english.status_code == chinese.status_code == 422
    assert english.json()["errors"] == chinese.json()["errors"]
    assert chinese.json()["title"] == "请求无效"
    assert chinese.headers["content-language"] == "zh"
    assert english.headers["content-language"] == "en"


def test_not_found_and_unauthenticated_in_chinese(web: TestClient) -> None:
    missing = web.get(
        "/v1/public/challenges/00000000-0000-0000-0000-000000000000",
        headers={"Accept-Language": "zh"},
    )
    assert missing.status_code == 404
    assert missing.json()["title"] == "未找到"
    anonymous = web.get("/v1/audit/events", headers={"Accept-Language": "zh-Hans"})
    assert anonymous.status_code == 401
    assert anonymous.json()["title"] == "需要有效的持有者令牌"


def test_unknown_path_and_wrong_method_are_said_by_their_status(web: TestClient) -> None:
    zh = {"Accept-Language": "zh"}
    nowhere = web.get("/v1/nowhere", headers=zh).json()
    assert nowhere["title"] == "未找到"
    assert nowhere["detail"].startswith("没有这个地址")
    wrong = web.delete("/v1/public/challenges", headers=zh)
    assert wrong.status_code == 405
    assert wrong.json()["title"] == "不支持此方法"
    assert wrong.json()["type"] == "/problems/http"  # the type never changes with the language
    assert web.get("/v1/nowhere").json()["title"] == "Not Found"


@pytest.mark.parametrize(
    ("header", "chinese"),
    [
        ("zh", True),
        ("zh-CN", True),
        ("en-US,en;q=0.9,zh;q=0.8", False),
        ("en;q=0.5, zh-TW", True),
        ("zh;q=0", False),
        ("", False),
        (None, False),
        ("zhx", False),
        ("en;q=abc, zh;q=0.1", True),
    ],
)
def test_accept_language_preference(header: str | None, chinese: bool) -> None:
    assert prefers_chinese(header) is chinese


def test_validation_detail_says_each_fields_trouble_in_chinese(web: TestClient) -> None:
    chinese = web.get(
        "/v1/public/challenges", params={"limit": 0}, headers={"Accept-Language": "zh"}
    ).json()
    english = web.get("/v1/public/challenges", params={"limit": 0}).json()
    assert chinese["detail"].startswith("请求中有字段不符合要求：query.limit：应大于或等于 1")
    assert english["detail"] in chinese["detail"]  # the English original, in brackets


def test_body_validation_names_missing_and_unknown_fields_in_chinese(
    web: TestClient, demo: Demo
) -> None:
    headers = {
        "Authorization": f"Bearer {demo.token(Role.END_USER)}",
        "Accept-Language": "zh-CN",
    }
    answer = web.post("/v1/demands", json={"no_such_field": 1}, headers=headers)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert "body.no_such_field：不是此请求接受的字段" in detail
    assert "：必填，但请求中没有" in detail
    # the fields' own messages stay pydantic's, whatever the language
    assert all(e["message"].isascii() for e in answer.json()["errors"])
