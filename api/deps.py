"""Typed dependencies of the routes: the application, the settings, the caller, role checks,
and the context every command carries (request id, If-Match, Idempotency-Key)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import AuthenticationError, Keys, Principal, TokenCache, authenticate
from api.problems import FieldError, ProblemError
from jiebang_es.config import Settings
from jiebang_es.domain.values import Role
from jiebang_es.errors import InvalidValueError, NotPermittedError
from jiebang_es.service import JiebangApp

bearer = HTTPBearer(
    bearerFormat="JWT", auto_error=False, description="a token of `jiebang token issue`"
)
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
ETAG = re.compile(r'^(?:W/)?"?(\d{1,12})"?$')
READ_ONLY_ROLES = (Role.SUPERVISOR, Role.ANALYST)


# The cheap dependencies are ``async def``: FastAPI runs a plain ``def`` dependency in the thread
# pool, and each such hand-off costs more than the work it carries.
async def get_app(request: Request) -> JiebangApp:
    """The process's one application service."""
    app: JiebangApp = request.app.state.jiebang
    return app


async def get_settings(request: Request) -> Settings:
    """The settings the app was made with."""
    settings: Settings = request.app.state.settings
    return settings


AppDep = Annotated[JiebangApp, Depends(get_app)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def current_principal(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller, from a verified bearer token; 401 otherwise."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("send Authorization: Bearer <token>")
    tokens: TokenCache | None = getattr(request.app.state, "tokens", None)
    if tokens is not None and tokens.keys is request.app.state.keys:
        principal = tokens.authenticate(settings, credentials.credentials)
    else:
        keys: Keys = request.app.state.keys
        principal = authenticate(settings, keys, credentials.credentials)
    request.state.actor = principal.sub
    request.state.role = principal.role.value
    request.state.org = principal.org
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def writer(principal: PrincipalDep) -> Principal:
    """Supervisors and analysts read everything and write nothing."""
    if principal.role in READ_ONLY_ROLES:
        raise NotPermittedError(
            "R-AUDIT-WHO", f"the {principal.role.value} role reads; it issues no command"
        )
    return principal


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only the given roles (403 otherwise)."""

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            names = ", ".join(r.value for r in roles)
            raise NotPermittedError(
                "R-AUDIT-WHO", f"this is for {names}; not {principal.role.value}"
            )
        return principal

    return check


@dataclass(frozen=True)
class CommandContext:
    """What a command request carries besides its body."""

    app: JiebangApp
    principal: Principal
    request_id: str
    expected_version: int | None
    idempotency_key: str | None  # as stored: ``stored_key`` of the subject and the header
    fingerprint: str
    legacy_key: str | None = None  # the same request as the first release stored it
    command: str = ""  # the route's name: the application's command (for the metrics)
    # R-EVIDENCE: (digest, kind) of each document the body names, validated by its shape.
    documents: tuple[tuple[str, str], ...] = ()


def stored_key(subject: str, key: str) -> str:
    """The stored form of an Idempotency-Key, scoped per subject (two callers never share one).

    A hash of both, each length-prefixed: no subject and key can produce another pair's form.
    The first release stored ``subject:key``, where subject ``urn:a`` with key ``b:c`` and
    subject ``urn:a:b`` with key ``c`` collided; this form has no colon, so it never equals a
    row of that release."""
    digest = hashlib.sha256()
    for part in (subject.encode(), key.encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return "v2-" + digest.hexdigest()


def legacy_key(subject: str, key: str) -> str | None:
    """The first release's ``subject:key``, honoured for retries across the upgrade only where
    it is unambiguous: neither part has a colon, so the row has exactly one writer."""
    return None if ":" in subject or ":" in key else f"{subject}:{key}"


def fingerprint(method: str, path: str, body: bytes, decoded: Any = None) -> str:
    """What identifies a request under its Idempotency-Key: method, path and canonical body
    (``decoded``: the body's JSON when the caller has already read it)."""
    digest = hashlib.sha256()
    data = _decoded(body) if decoded is None else decoded
    for part in (method.encode(), path.encode(), _canonical(body, data)):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    found = ETAG.match(if_match.strip())
    if found is None:
        raise ProblemError(
            422,
            "validation",
            "The request is not valid",
            'If-Match: give the ETag of the version the command was decided on, e.g. "3"',
            errors=[FieldError(field="header.If-Match", message="not an ETag of this API")],
        )
    return int(found.group(1))


_NOT_JSON = object()


class _RepeatedKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _each_key_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose every key is given once. Given twice, the parser would keep the
    last and the record could not say which the caller meant (another reader of the same
    bytes, a proxy or a log, may keep the first)."""
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKeyError(key)
            seen.add(key)
    return data


def _decoded(body: bytes) -> Any:
    """The body's JSON, read once per request (``_NOT_JSON`` when it is none); a key given
    twice in one object is refused (422 naming it), before anything is decided on it."""
    try:
        return json.loads(body, object_pairs_hook=_each_key_once)
    except _RepeatedKeyError as e:
        raise InvalidValueError(
            f"body.{e.key}", "given more than once in one object: give each field once"
        ) from None
    except ValueError:
        return _NOT_JSON


def _canonical(body: bytes, data: Any) -> bytes:
    """The body as a fingerprint sees it: the same JSON, whatever its spacing or key order."""
    if data is _NOT_JSON:
        return body
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


async def command_context(
    request: Request,
    app: AppDep,
    principal: Annotated[Principal, Depends(writer)],
    if_match: Annotated[
        str | None, Header(description='ETag of the version decided on, e.g. "3"; stale → 412')
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Header(description="a retry with the same key and body replays the first answer"),
    ] = None,
) -> CommandContext:
    """The context of a command: caller, request id, expected version, idempotency key."""
    if idempotency_key is not None and not IDEMPOTENCY_KEY.match(idempotency_key):
        raise ProblemError(
            422,
            "validation",
            "The request is not valid",
            "Idempotency-Key: 1 to 200 visible ASCII characters",
            errors=[FieldError(field="header.Idempotency-Key", message="1–200 visible ASCII")],
        )
    body = await request.body()
    data = _decoded(body)
    # The route's visibility checks load what the command loads again: keep it for it.
    app.preload_for_command()
    return CommandContext(
        app=app,
        principal=principal,
        request_id=request.state.request_id,
        expected_version=_expected_version(if_match),
        idempotency_key=None
        if idempotency_key is None
        else stored_key(principal.sub, idempotency_key),
        fingerprint=fingerprint(request.method, request.url.path, body, data),
        legacy_key=None if idempotency_key is None else legacy_key(principal.sub, idempotency_key),
        command=getattr(request.scope.get("route"), "name", "") or request.url.path,
        documents=_documents_in(data),
    )


def _documents_in(data: Any) -> tuple[tuple[str, str], ...]:
    """The ``documents`` of a command body. Every command body is a ``CommandIn``, whose shape
    validates them (422 naming the field); here they are only picked up for ``execute``."""
    found = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(found, list):
        return ()
    return tuple(
        (str(d.get("digest", "")), str(d.get("kind", ""))) for d in found if isinstance(d, dict)
    )


CommandDep = Annotated[CommandContext, Depends(command_context)]
