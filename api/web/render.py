"""Rendering pages: one Jinja2 environment (autoescaped), the headers every page carries, and
pages for the errors a browser meets (404, 403, 503) instead of problem+json."""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, RedirectResponse, Response

from jiebang_es.labels_zh import (
    CATEGORY_ZH,
    CHALLENGE_STATUS_ZH,
    NOTICE_STATUS_ZH,
    PROJECT_STATUS_ZH,
    ROLE_ZH,
    SCOPE_ZH,
    aggregate_zh,
    code_zh,
    event_zh,
    field_zh,
)
from jiebang_es.rule_titles import rule_named
from jiebang_es.service_base import CHINA_TZ

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
# Pages carry no inline script or style: everything comes from /static of this application.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# The pages' query parameters as their forms label them (a malformed one is named so).
PARAMETER_ZH = {
    "year": "年度",
    "q": "关键词",
    "industry": "产业领域",
    "category": "类别",
    "state": "申报状态",
    "as_of": "查看时刻",
    "cursor": "翻页位置",
    "actor_id": "人员编号",
    "request_id": "请求编号",
    "correlation_id": "关联编号",
    "recorded_from": "记录时间自",
    "recorded_until": "记录时间至",
    "next": "返回地址",
}
# Every status a page shows, challenges' and notices' (the public listing and the catalogue).
STATUS_ZH = {**CHALLENGE_STATUS_ZH, **NOTICE_STATUS_ZH}


def yuan(value: Any) -> str:
    """An amount in yuan with thousands separators, or a dash."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)):,.2f} 元"


def when(value: Any) -> str:
    """An ISO date-time as the reader expects it (date and minutes), or a dash."""
    if not value:
        return "—"
    text = str(value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if len(text) <= 10:
        return moment.strftime("%Y-%m-%d")
    if moment.tzinfo is not None:
        # Beijing time, whatever zone the moment was written in (a server's own clock is often
        # UTC): every time on a page is in the zone its readers live in.
        moment = moment.astimezone(CHINA_TZ)
    return moment.strftime("%Y-%m-%d %H:%M")


def moment(value: Any) -> Any:
    """A stored value as a page shows it: a date-time with its zone as Beijing minutes (the
    stored text is in the JSON of the state page); anything else as it is."""
    if isinstance(value, str) and len(value) > 19 and value[10:11] == "T" and value[4:5] == "-":
        try:
            if datetime.fromisoformat(value).tzinfo is not None:
                return when(value)
        except ValueError:
            return value
    return value


def filesize(value: Any) -> str:
    """A size in bytes as the reader expects it (字节, KB, MB)."""
    size = int(value or 0)
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


TEMPLATES.env.filters.update(
    filesize=filesize,
    yuan=yuan,
    when=when,
    category=lambda v: CATEGORY_ZH.get(str(v), v or "—"),
    status=lambda v: STATUS_ZH.get(str(v), v or "—"),
    project_status=lambda v: PROJECT_STATUS_ZH.get(str(v), v or "—"),
    scope=lambda v: SCOPE_ZH.get(str(v), v or "—"),
    role=lambda v: ROLE_ZH.get(str(v), v or "—"),
    plain=lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True),
    event=event_zh,
    aggregate=aggregate_zh,
    field=field_zh,
    coded=code_zh,
    rule=lambda v: rule_named(str(v)) if v else "—",
    moment=moment,
)


def page(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    private: bool = False,
) -> HTMLResponse:
    """A page; a signed-in reader's pages are never stored by a cache."""
    response = TEMPLATES.TemplateResponse(
        request, template, dict(context or {}), status_code=status
    )
    set_page_headers(response, private=private)
    fresh = getattr(request.state, "csrf_cookie", None)
    if fresh is not None:
        response.set_cookie(**fresh)
    return response


def set_page_headers(response: Response, *, private: bool) -> None:
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Content-Language"] = "zh-CN"
    if private:
        response.headers["Cache-Control"] = "no-store"


class PageError(Exception):
    """An error a page answers with a page of its own (not problem+json)."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail


class SignInRequiredError(Exception):
    """An anonymous (or expired) reader of a signed-in page: sent to sign in, then back."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def install_page_errors(app: FastAPI) -> None:
    async def on_sign_in_required(request: Request, exc: Exception) -> Response:  # noqa: ARG001
        assert isinstance(exc, SignInRequiredError)  # noqa: S101
        target = "/sign-in?" + urlencode({"next": exc.path})
        return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})

    app.add_exception_handler(SignInRequiredError, on_sign_in_required)

    async def on_page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)  # noqa: S101 - registered for this class only
        context = {"title": exc.title, "detail": exc.detail, "status": exc.status}
        return page(request, "error.html", context, status=exc.status, private=True)

    app.add_exception_handler(PageError, on_page_error)

    # A page's malformed address (a path that is no id, a query value of the wrong kind) or a
    # browser's request for a page that does not exist gets a page, not the API's problem+json;
    # the API's own requests keep their problems (the handlers installed before these).
    api_validation = app.exception_handlers[RequestValidationError]
    api_http = app.exception_handlers[HTTPException]

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)  # noqa: S101
        if not wants_page(request):
            return await _answer(api_validation, request, exc)
        errors = exc.errors()
        if any(tuple(e.get("loc", ()))[:1] == ("path",) for e in errors):
            return await on_page_error(request, not_found())
        names = "、".join(
            sorted({PARAMETER_ZH.get(str(e.get("loc", ("", "?"))[-1]), "某项") for e in errors})
        )
        error = PageError(400, "请求无效", f"地址中的{names}取值无效，请返回上一页重新选择。")
        return await on_page_error(request, error)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # noqa: S101
        if exc.status_code == 404 and wants_page(request):
            return await on_page_error(request, not_found())
        return await _answer(api_http, request, exc)

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)


async def _answer(handler: Any, request: Request, exc: Exception) -> Response:
    """What an exception handler (plain or async) answers."""
    answer = handler(request, exc)
    if inspect.isawaitable(answer):
        answer = await answer
    assert isinstance(answer, Response)  # noqa: S101 - the API's handlers answer responses
    return answer


# The pages' addresses (the API is under /v1; its documents at /docs, /redoc, /openapi.json).
PAGE_PREFIXES = ("/portal", "/console", "/dashboard", "/sign-in")
NOT_PAGES = ("/v1/", "/static/", "/metrics", "/docs", "/redoc", "/openapi.json")


def wants_page(request: Request) -> bool:
    """A page's address, or a browser (it accepts HTML) asking for something not the API's."""
    path = request.url.path
    if path.startswith(PAGE_PREFIXES):
        return True
    if path.startswith(NOT_PAGES):
        return False
    return "text/html" in request.headers.get("accept", "")


def not_found() -> PageError:
    return PageError(404, "未找到", "该页面不存在，或您无权查看。")
