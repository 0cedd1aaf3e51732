"""Bearer tokens (JWT, pyjwt): issuer, audience and expiry required, algorithms allow-listed.

The key comes from the settings: an HS256 secret, or a PEM public key for RS256/ES256/EdDSA
(with the private key only where operators issue tokens). Without any configured key the API
refuses to start, unless ``JIEBANG_DEV_MODE=true``: then a random secret is generated once into
``./var/dev-jwt-secret`` and said so on start-up, so that `jiebang token issue` finds it too.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import jwt

from jiebang_es.config import Settings
from jiebang_es.domain.values import Actor, Role, control_character
from jiebang_es.errors import InvalidValueError

DEV_SECRET_FILE = Path("var/dev-jwt-secret")
SYMMETRIC = ("HS256", "HS384", "HS512")
# The claims that become recorded text, with their longest accepted length.
TEXT_CLAIMS = {"sub": 200, "org": 40, "name": 200, "role": 40}


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
            "(or JIEBANG_DEV_MODE=true to generate a development secret in ./var)",
        )
    generated = not DEV_SECRET_FILE.exists()
    if generated:
        DEV_SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
        DEV_SECRET_FILE.write_text(secrets.token_urlsafe(48))
        DEV_SECRET_FILE.chmod(0o600)
    secret = DEV_SECRET_FILE.read_text().strip()
    return Keys(secret, secret, symmetric or ("HS256",), generated=generated)


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
    text = {claim: _text_claim(claims, claim, limit) for claim, limit in TEXT_CLAIMS.items()}
    for claim, value in claims.items():
        if isinstance(value, str) and control_character(value) is not None:
            raise AuthenticationError(f"the token's claim '{claim}' contains a control character")
    try:
        role = Role(text["role"])
    except ValueError:
        raise AuthenticationError("the token names no known role") from None
    if not text["org"].strip() or not text["sub"].strip():
        raise AuthenticationError("the token names no subject or organisation")
    return Principal(sub=text["sub"], role=role, org=text["org"].strip().upper(), name=text["name"])


def _text_claim(claims: dict[str, object], claim: str, limit: int) -> str:
    """A claim that is recorded as text: a string, bounded, without control characters. An
    identity provider's token is input like any other (a NUL cannot be held by PostgreSQL)."""
    value = claims.get(claim, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise AuthenticationError(f"the token's claim '{claim}' is not a string")
    if len(value) > limit:
        raise AuthenticationError(f"the token's claim '{claim}' is longer than {limit} characters")
    found = control_character(value)
    if found is not None:
        raise AuthenticationError(
            f"the token's claim '{claim}' contains the control character U+{ord(found):04X}"
        )
    return value
