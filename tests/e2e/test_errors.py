"""Errors over HTTP: problem+json for every 4xx/5xx, fields named, bodies bounded, one log line
per request with its request id, actor, route, status and duration."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from jiebang_es.config import Settings
from jiebang_es.domain.values import Role
from jiebang_es.sample import BUREAU
from jiebang_es.service import JiebangApp
from tests.e2e.conftest import Server
from tests.e2e.journey import HttpJourney, org_json

pytestmark = pytest.mark.postgres


def test_validation_error_names_each_field_and_why(server: Server) -> None:
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-errors")
    response = bureau.post(
        "/v1/demands",
        json={"source": "rumour", "enterprise": org_json(BUREAU), "title": "t", "surplus": 1},
    )
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    fields = {e["field"] for e in problem["errors"]}
    assert {"body.source", "body.industry", "body.surplus"} <= fields
    assert all(e["message"] for e in problem["errors"])


def test_float_amount_is_refused_naming_the_field(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_contracted()
    response = journey.bureau.post(
        f"/v1/projects/{journey.project_id}/disbursements",
        json={"amount": 1000.5, "purpose": "x"},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.amount"]


def test_domain_invalid_value_names_the_field(server: Server) -> None:
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-errors")
    enterprise = org_json(BUREAU) | {"credit_code": "91500106MA5U7KX2Q0"}
    response = bureau.post(
        "/v1/demands",
        json={
            "source": "survey_visit",
            "enterprise": enterprise,
            "industry": "智能科技",
            "title": "t",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "enterprise.credit_code"


def _log_head(server: Server) -> int:
    """How far the store's log goes (read from the store, not from a read model that lags)."""
    app = JiebangApp(Settings(database_url=server.database_url))
    try:
        return app.position()
    finally:
        app.close()


def test_a_key_given_twice_is_refused_naming_it_and_nothing_is_recorded(server: Server) -> None:
    """Given twice, a parser keeps one of the two (json: the last; others: the first): the
    record could not say which the caller meant."""
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-errors")
    before = _log_head(server)
    enterprise = json.dumps(org_json(BUREAU), ensure_ascii=False)
    body = (
        '{"source": "survey_visit", "enterprise": %s, "industry": "智能科技", '  # noqa: UP031
        '"title": "一", "title": "二"}' % enterprise
    )
    response = bureau.post(
        "/v1/demands",
        content=body.encode(),
        headers={"Content-Type": "application/json", "Accept-Language": "zh-CN"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["body.title"]
    assert "body.title" in response.json()["detail"]  # said in Chinese, naming the field
    assert _log_head(server) == before


def test_a_yes_or_no_is_json_true_or_false_not_a_word(server: Server) -> None:
    """R-PLAN-IP's declaration and the other flags are recorded as given: "yes" is refused,
    naming the field, rather than read as true."""
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-errors")
    before = _log_head(server)
    for loose in ("yes", "true", 1):
        response = bureau.post(
            "/v1/demands",
            json={
                "source": "survey_visit",
                "enterprise": org_json(BUREAU) | {"in_district": loose},
                "industry": "智能科技",
                "title": "t",
            },
        )
        assert response.status_code == 422, (loose, response.text)
        assert [e["field"] for e in response.json()["errors"]] == ["body.enterprise.in_district"]
    assert _log_head(server) == before


def test_body_over_the_limit_names_the_body_as_the_field_at_fault(server: Server) -> None:
    """Refused by its declared length, or while it streams without one: either way the
    problem's errors name the body and the limit."""
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-errors")
    oversized = b'{"title": "' + b"x" * 70000 + b'"}'

    def streamed() -> Iterator[bytes]:
        for start in range(0, len(oversized), 8192):
            yield oversized[start : start + 8192]

    for content in (oversized, streamed()):
        response = bureau.post(
            "/v1/demands", content=content, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        (error,) = response.json()["errors"]
        assert error["field"] == "body"
        assert "65536 bytes" in error["message"]


def test_body_over_the_limit_is_413(server: Server) -> None:
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-errors")
    response = bureau.post(
        "/v1/demands",
        content=b'{"title": "' + b"x" * 70000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 413
    assert response.headers["Content-Language"] == "en"
    # refused by its Content-Length, before the body is read: said in Chinese when asked
    chinese = bureau.post(
        "/v1/demands",
        content=b'{"title": "' + b"x" * 70000 + b'"}',
        headers={"Content-Type": "application/json", "Accept-Language": "zh-CN,zh;q=0.9"},
    )
    assert chinese.status_code == 413
    assert chinese.headers["Content-Language"] == "zh"
    assert chinese.headers["Vary"] == "Accept-Language"
    assert chinese.json()["title"] == "请求体过大"
    assert chinese.json()["detail"].startswith("请求体超过配置的上限")


def test_chunked_body_over_the_limit_is_413(server: Server) -> None:
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-errors")

    def chunks() -> Iterator[bytes]:
        yield b'{"title": "'
        for _ in range(20):
            yield b"x" * 8192
        yield b'"}'

    response = bureau.post(
        "/v1/demands", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"


def test_unknown_route_and_missing_object_are_problems(server: Server) -> None:
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-errors")
    for path in ("/v1/nowhere", f"/v1/challenges/{uuid.uuid4()}"):
        response = bureau.get(path)
        assert response.status_code == 404
        assert response.headers["Content-Type"] == "application/problem+json"


def test_min_position_beyond_the_log_is_422_naming_it(server: Server) -> None:
    far = 10**12
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-errors")
    for path in ("/v1/public/challenges", "/v1/challenges", f"/v1/experts/{uuid.uuid4()}"):
        response = bureau.get(path, params={"min_position": far})
        assert response.status_code == 422, path
        assert response.json()["errors"][0]["field"] == "query.min_position"


def test_every_request_is_one_log_line_with_its_request_id_and_actor(server: Server) -> None:
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-logged")
    request_id = f"log-{uuid.uuid4().hex}"
    response = bureau.get(f"/v1/challenges/{uuid.uuid4()}", headers={"X-Request-ID": request_id})
    assert response.headers["X-Request-ID"] == request_id
    generated = server.client().get("/v1/health").headers["X-Request-ID"]
    lines = [
        json.loads(line)
        for line in server.log_file.read_text().splitlines()
        if line.startswith("{")
    ]
    (mine,) = [line for line in lines if line.get("request_id") == request_id]
    assert mine["event"] == "request"
    assert mine["actor"] == "bureau-logged"
    assert mine["role"] == "bureau"
    assert mine["route"] == "/v1/challenges/{challenge_id}"
    assert mine["status"] == 404
    assert mine["duration_ms"] >= 0
    assert [line for line in lines if line.get("request_id") == generated]


def test_text_with_nul_is_refused_naming_the_field(server: Server) -> None:
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-errors")
    response = bureau.post(
        "/v1/demands",
        json={
            "source": "survey_visit",
            "enterprise": org_json(BUREAU),
            "industry": "智能科技",
            "title": "a\u0000b",
        },
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.title"]


@pytest.mark.parametrize("content_type", ["application/json", None])
def test_body_that_is_not_json_is_400_as_documented(
    server: Server, content_type: str | None
) -> None:
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-errors")
    headers = {"Content-Type": content_type} if content_type else {}
    response = bureau.post("/v1/demands", content=b"{not json", headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/malformed-json"
    assert [e["field"] for e in response.json()["errors"]] == ["body"]


def test_405_allow_names_the_methods_of_every_router_on_the_path(server: Server) -> None:
    # GET /v1/challenges is a query router's, POST the command router's.
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-errors")
    response = bureau.delete("/v1/challenges")
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed
    assert response.headers["Content-Type"] == "application/problem+json"


def test_405_allow_of_a_literal_path_names_its_own_methods_only(server: Server) -> None:
    # /v1/documents/written fits the template /v1/documents/{digest} too, but is its own
    # resource (found by schemathesis: `Allow: GET, POST` advertised an undocumented GET).
    bureau = server.client(Role.BUREAU, BUREAU, "bureau-errors")
    response = bureau.delete("/v1/documents/written")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_answers_carry_security_headers_and_no_server_banner(server: Server) -> None:
    public = server.client().get("/v1/public/challenges")
    private = server.client(Role.BUREAU, BUREAU, "bureau-errors").get("/v1/challenges")
    for response in (public, private):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "server" not in response.headers
    assert private.headers["Cache-Control"] == "no-store"
    assert "no-store" not in public.headers.get("Cache-Control", "")


def test_405_allow_of_a_page_names_the_page_s_methods(server: Server) -> None:
    """The pages are not in the OpenAPI document; their routes still name their methods."""
    public = server.client()
    assert public.post("/portal").headers["Allow"] == "GET, HEAD"  # HEAD wherever GET is
    assert public.get("/sign-out").headers["Allow"] == "POST"
