"""Sign-in with a bearer token: a signed HttpOnly SameSite=Strict session cookie, sign-out, CSRF
on every form, anonymous readers sent to sign in, other roles refused, the same 404 as the
API for what does not exist."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from jiebang_es.domain.values import Role
from tests.web.conftest import Demo, sign_in

CONSOLE_PAGES = (
    "/console",
    "/console/activity",
    "/console/compliance",
    "/console/seal",
    "/dashboard",
)


def test_anonymous_reader_of_a_console_page_is_sent_to_sign_in(web: TestClient) -> None:
    for path in CONSOLE_PAGES:
        answer = web.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/sign-in?next=")


def test_a_token_becomes_a_signed_http_only_strict_session_cookie(
    web: TestClient, demo: Demo
) -> None:
    form = web.get("/sign-in")
    value = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = web.post(
        "/sign-in",
        data={"csrf": value, "token": demo.token(Role.SUPERVISOR), "next": "/console/seal"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/seal"
    cookie = answer.headers["set-cookie"]
    assert "jiebang_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain HTTP here; Secure over HTTPS
    assert web.get("/console").status_code == 200


def test_session_cookie_is_secure_over_https(demo: Demo) -> None:
    from api.app import create_app

    with TestClient(create_app(demo.settings), base_url="https://testserver") as client:
        answer = sign_in(client, demo.token(Role.SUPERVISOR))
        assert "Secure" in answer.headers["set-cookie"]
        assert client.get("/console").status_code == 200


def test_a_forged_session_cookie_is_anonymous(web: TestClient) -> None:
    web.cookies.set("jiebang_session", "forged.value.here")
    assert web.get("/console", follow_redirects=False).status_code == 303


def test_a_bad_token_is_refused_with_the_form_again(web: TestClient) -> None:
    form = web.get("/sign-in")
    value = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = web.post("/sign-in", data={"csrf": value, "token": "not-a-token"})
    assert answer.status_code == 401
    assert "令牌无效" in answer.text
    assert "jiebang_session" not in answer.headers.get("set-cookie", "")


def test_csrf_less_form_posts_are_refused_and_change_nothing(web: TestClient, demo: Demo) -> None:
    # sign-in without the CSRF field: no session
    web.get("/sign-in")
    answer = web.post("/sign-in", data={"token": demo.token(Role.SUPERVISOR)})
    assert answer.status_code == 403
    assert "jiebang_session" not in answer.headers.get("set-cookie", "")
    sign_in(web, demo.token(Role.SUPERVISOR))
    for path in ("/console/seal/verify", "/sign-out"):
        refused = web.post(path, data={"csrf": "wrong"})
        assert refused.status_code == 403, path
    # still signed in: the sign-out without a CSRF token did nothing
    assert web.get("/console").status_code == 200
    assert "最近一次校验" in web.get("/console/seal").text
    assert "本服务进程启动后尚未校验" in web.get("/console/seal").text


def test_sign_out_ends_the_session(web: TestClient, demo: Demo) -> None:
    sign_in(web, demo.token(Role.SUPERVISOR))
    page = web.get("/console")
    value = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = web.post("/sign-out", data={"csrf": value}, follow_redirects=False)
    assert answer.status_code == 303
    assert (
        'jiebang_session=""' in answer.headers["set-cookie"]
        or "Max-Age=0" in answer.headers["set-cookie"]
    )
    web.cookies.delete("jiebang_session")
    assert web.get("/console", follow_redirects=False).status_code == 303


def test_r_audit_who_console_is_for_supervisors_only(web: TestClient, demo: Demo) -> None:
    sign_in(web, demo.token(Role.APPLICANT, org="91500106MA5U000001"))
    assert web.get("/console").status_code == 403
    assert web.get(f"/console/aggregates/{demo.public_id}").status_code == 403
    assert web.get("/dashboard").status_code == 403


def test_a_page_the_api_would_404_answers_404(web: TestClient, demo: Demo) -> None:
    token = demo.token(Role.SUPERVISOR)
    missing = "00000000-0000-4000-8000-000000000000"
    api = web.get(
        f"/v1/audit/aggregates/{missing}/history", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 404
    sign_in(web, token)
    assert web.get(f"/console/aggregates/{missing}").status_code == 404


def test_sign_in_never_redirects_to_another_site(web: TestClient, demo: Demo) -> None:
    form = web.get("/sign-in", params={"next": "//evil.example/x"})
    assert "evil.example" not in form.text
    value = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = web.post(
        "/sign-in",
        data={"csrf": value, "token": demo.token(Role.SUPERVISOR), "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/console"


def test_a_short_session_secret_is_refused_at_start_naming_the_setting(demo: Demo) -> None:
    from pydantic import SecretStr

    from api.app import create_app
    from jiebang_es.errors import InvalidValueError

    short = demo.settings.model_copy(update={"session_secret": SecretStr("too-short")})
    with pytest.raises(InvalidValueError, match="JIEBANG_SESSION_SECRET"):
        create_app(short)


def test_without_a_session_secret_sign_in_is_off_and_the_portal_works(demo: Demo) -> None:
    from api.app import create_app

    unset = demo.settings.model_copy(update={"session_secret": None, "dev_mode": False})
    with TestClient(create_app(unset)) as client:
        assert client.get("/sign-in").status_code == 503
        assert client.get("/portal").status_code == 200
