"""Bearer tokens (JWT, pyjwt): issuer, audience and expiry required, algorithms allow-listed.

The key comes from the settings: an HS256 secret, or a PEM public key for RS256/ES256/EdDSA
(with the private key only where operators issue tokens). Without any configured key the API
refuses to start, unless ``JIEBANG_DEV_MODE=true``: then a random secret is generated once into
``dev-jwt-secret`` beside the store (``dev_secret_path``) and said so on start-up, so that
`jiebang token issue` finds it from any directory that names the same store.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jwt

from jiebang_es.config import Settings, store_env
from jiebang_es.domain.values import Actor, Role
from jiebang_es.errors import InvalidValueError

DEV_SECRET_NAME = "dev-jwt-secret"  # noqa: S105 - a file name, not a secret
SYMMETRIC = ("HS256", "HS384", "HS512")


class AuthenticationError(Exception):
    """The bearer token is missing, malformed, forged, expired or not for this API."""


@dataclass(frozen=True)
class Principal:
    """Who calls: the token's subject, role and organisation (unified social credit code)."""

    sub: str
    role: Role
    org: str
    name: str = ""

    @property
    def actor(self) -> Actor:
        """The actor every command of this caller names."""
        return Actor(id=self.sub, role=self.role, org_code=self.org, name=self.name)


@dataclass(frozen=True)
class Keys:
    """What verifies tokens, and what signs them where this process may issue them."""

    verify: str | bytes
    sign: str | bytes | None
    algorithms: tuple[str, ...]
    generated: bool = False
    path: Path | None = None  # dev mode: where the generated secret lives


def load_keys(settings: Settings) -> Keys:
    """The configured keys; a generated dev secret only when dev mode is on."""
    algorithms = settings.jwt_algorithms
    if settings.jwt_public_key_file is not None:
        public = settings.jwt_public_key_file.read_bytes()
        private = (
            settings.jwt_private_key_file.read_bytes() if settings.jwt_private_key_file else None
        )
        return Keys(public, private, tuple(a for a in algorithms if a not in SYMMETRIC))
    symmetric = tuple(a for a in algorithms if a in SYMMETRIC)
    if settings.jwt_secret is not None:
        secret = settings.jwt_secret.get_secret_value()
        if len(secret) < 32:
            raise InvalidValueError("JIEBANG_JWT_SECRET", "use at least 32 characters")
        return Keys(secret, secret, symmetric)
    if not settings.dev_mode:
        raise InvalidValueError(
            "JIEBANG_JWT_SECRET",
            "no token key is configured: set JIEBANG_JWT_SECRET or JIEBANG_JWT_PUBLIC_KEY_FILE "
            "(or JIEBANG_DEV_MODE=true to generate a development secret beside the store)",
        )
    path = dev_secret_path(settings)
    generated = not path.exists()
    if generated:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    secret = path.read_text().strip()
    return Keys(secret, secret, symmetric or ("HS256",), generated=generated, path=path)


def dev_secret_path(settings: Settings) -> Path:
    """Where dev mode keeps its generated secret: ``JIEBANG_DEV_SECRET_FILE``; else beside the
    SQLite file; else (PostgreSQL) in the user's configuration folder."""
    if settings.dev_secret_file is not None:
        return settings.dev_secret_file.expanduser().absolute()
    env = store_env(settings.database_url)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        name = env["SQLITE_DBNAME"]
        if name.startswith("file:"):
            name = unquote(urlsplit(name).path)
        if name and name != ":memory:":
            return Path(name).absolute().parent / DEV_SECRET_NAME
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "jiebang" / DEV_SECRET_NAME


def issue_token(
    settings: Settings,
    keys: Keys,
    *,
    role: Role,
    org: str,
    sub: str,
    name: str = "",
    ttl_seconds: int = 3600,
) -> str:
    """A signed token for one person acting in one role for one organisation."""
    if keys.sign is None:
        raise InvalidValueError("JIEBANG_JWT_PRIVATE_KEY_FILE", "this process has no signing key")
    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": sub,
        "role": role.value,
        "org": org.strip().upper(),
        "name": name,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, keys.sign, algorithm=keys.algorithms[0])


def authenticate(settings: Settings, keys: Keys, token: str) -> Principal:
    """Verify signature, issuer, audience and expiry; the header's algorithm must be allowed."""
    try:
        claims = jwt.decode(
            token,
            keys.verify,
            algorithms=list(keys.algorithms),
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iss", "aud", "sub"]},
            leeway=30,
        )
    except jwt.PyJWTError as e:
        raise AuthenticationError(str(e)) from None
    try:
        role = Role(claims.get("role"))
    except ValueError:
        raise AuthenticationError("the token names no known role") from None
    org = claims.get("org")
    sub = claims["sub"]
    if not isinstance(org, str) or not org.strip() or not isinstance(sub, str) or not sub.strip():
        raise AuthenticationError("the token names no subject or organisation")
    name = claims.get("name")
    return Principal(sub=sub, role=role, org=org.strip().upper(), name=str(name or ""))
