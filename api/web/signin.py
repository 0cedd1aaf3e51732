"""Sign-in with the existing bearer tokens, a signed session cookie, and CSRF protection.

A token entered once on the sign-in form becomes a session cookie: the token itself, signed
(itsdangerous) with ``JIEBANG_SESSION_SECRET``, HttpOnly (no script reads it), SameSite=Strict
(no other site sends it), Secure when the page came over HTTPS. Every request verifies the
token again exactly as the API does (issuer, audience, signature, expiry), so a session never
outlives its token. Without a configured secret, sign-in is off, unless dev mode generates one
in ``./var`` (as it does the JWT secret).

Every form that changes state carries a CSRF token: a random value held in a signed HttpOnly
cookie and repeated in the form (double submit); a post whose field does not match is refused
with 403 and changes nothing.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import RedirectResponse, Response

from api.auth import AuthenticationError, Keys, Principal, authenticate
from api.web.render import PageError, SignInRequiredError, page
from jiebang_es.config import Settings
from jiebang_es.domain.values import Role

router = APIRouter(include_in_schema=False)
SESSION_COOKIE = "jiebang_session"
CSRF_COOKIE = "jiebang_csrf"
CSRF_FIELD = "csrf"
DEV_SESSION_SECRET_FILE = Path("var/dev-session-secret")
MAX_FORM_BYTES = 16_384
# Where each role lands after signing in.
HOME = {Role.SUPERVISOR: "/console", Role.ANALYST: "/dashboard", Role.BUREAU: "/dashboard"}


def session_secret(settings: Settings) -> str | None:
    """The configured secret; in dev mode one generated once into ./var; otherwise None."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    if not settings.dev_mode:
        return None
    if not DEV_SESSION_SECRET_FILE.exists():
        DEV_SESSION_SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
        DEV_SESSION_SECRET_FILE.write_text(secrets.token_urlsafe(48))
        DEV_SESSION_SECRET_FILE.chmod(0o600)
    return DEV_SESSION_SECRET_FILE.read_text().strip()


def _serializer(request: Request, salt: str) -> URLSafeTimedSerializer:
    state = request.app.state
    secret: str | None = getattr(state, "session_secret", None)
    if secret is None:
        secret = session_secret(state.settings)
        if secret is None:
            raise PageError(
                503,
                "登录未开启",
                "本服务未配置会话签名密钥（JIEBANG_SESSION_SECRET），暂不能登录。",
            )
        state.session_secret = secret
    return URLSafeTimedSerializer(secret, salt=salt)


def _cookie(request: Request, name: str, value: str, max_age: int | None) -> dict[str, Any]:
    return {
        "key": name,
        "value": value,
        "max_age": max_age,
        "httponly": True,
        "samesite": "strict",
        "secure": request.url.scheme == "https",
        "path": "/",
    }


def csrf_token(request: Request) -> str:
    """The reader's CSRF value for the forms of this page; a new cookie when it has none."""
    signer = _serializer(request, "csrf")
    raw = request.cookies.get(CSRF_COOKIE)
    if raw:
        try:
            value: str = signer.loads(raw)
            return value
        except BadSignature:
            pass
    value = secrets.token_urlsafe(32)
    request.state.csrf_cookie = _cookie(request, CSRF_COOKIE, signer.dumps(value), None)
    return value


async def form_fields(request: Request) -> dict[str, str]:
    """An urlencoded form, bounded; the first value of each field."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise PageError(413, "表单过大", "提交的表单超过允许的大小。")
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


def check_csrf(request: Request, fields: dict[str, str]) -> None:
    """Refuse (403, nothing changed) a form post whose CSRF field does not match its cookie."""
    raw = request.cookies.get(CSRF_COOKIE, "")
    given = fields.get(CSRF_FIELD, "")
    try:
        expected = str(_serializer(request, "csrf").loads(raw)) if raw else ""
    except BadSignature:
        expected = ""
    if not expected or not hmac.compare_digest(expected, given):
        raise PageError(
            403, "请求被拒绝", "表单缺少有效的防伪令牌（CSRF），未执行任何操作。请刷新页面后重试。"
        )


def current_reader(request: Request) -> Principal | None:
    """The signed-in reader, verified as the API verifies a bearer token; None if anonymous."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    settings: Settings = request.app.state.settings
    try:
        token = str(_serializer(request, "session").loads(raw, max_age=settings.session_max_age))
        keys: Keys = request.app.state.keys
        principal = authenticate(settings, keys, token)
    except (BadSignature, AuthenticationError):
        return None
    request.state.actor = principal.sub
    request.state.role = principal.role.value
    request.state.org = principal.org
    return principal


def signed_in(*roles: Role) -> Callable[[Request], Principal]:
    """A page dependency: anonymous readers are sent to sign in; other roles get 403."""

    def check(request: Request) -> Principal:
        principal = current_reader(request)
        if principal is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequiredError(target)
        if principal.role not in roles:
            names = "、".join(
                {"supervisor": "监督人员", "analyst": "分析人员", "bureau": "区科技局"}.get(
                    r.value, r.value
                )
                for r in roles
            )
            raise PageError(403, "无权访问", f"此页面仅供{names}使用。")
        return principal

    return check


def _local(target: str | None) -> str | None:
    """Only a path of this site may follow sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


@router.get("/sign-in")
def sign_in_form(request: Request, next: str | None = None) -> Response:
    return page(
        request,
        "sign_in.html",
        {"csrf": csrf_token(request), "next": _local(next) or "", "error": None},
        private=True,
    )


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    fields = await form_fields(request)
    check_csrf(request, fields)
    settings: Settings = request.app.state.settings
    token = fields.get("token", "").strip()
    target = _local(fields.get("next"))
    try:
        principal = authenticate(settings, request.app.state.keys, token)
    except AuthenticationError:
        context = {
            "csrf": csrf_token(request),
            "next": target or "",
            "error": "令牌无效或已过期，请向管理员重新申领。",
        }
        return page(request, "sign_in.html", context, status=401, private=True)
    claims_exp = _expiry(token)
    max_age = max(1, min(settings.session_max_age, claims_exp - int(time.time())))
    response = RedirectResponse(target or HOME.get(principal.role, "/"), status_code=303)
    value = _serializer(request, "session").dumps(token)
    response.set_cookie(**_cookie(request, SESSION_COOKIE, value, max_age))
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    check_csrf(request, await form_fields(request))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", samesite="strict", httponly=True)
    response.headers["Cache-Control"] = "no-store"
    return response


def _expiry(token: str) -> int:
    """The verified token's ``exp`` (it was verified just before)."""
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    return int(claims["exp"])


ReaderDep = Annotated[Principal | None, Depends(current_reader)]
