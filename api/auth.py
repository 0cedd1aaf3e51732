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
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from jiebang_es.config import Settings, store_env
from jiebang_es.domain.values import Actor, Role, control_character
from jiebang_es.errors import InvalidValueError

DEV_SECRET_NAME = "dev-jwt-secret"  # noqa: S105 - a file name, not a secret
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
    path: Path | None = None  # dev mode: where the generated secret lives


def load_keys(settings: Settings) -> Keys:
    """The configured keys; a generated dev secret only when dev mode is on.

    A configuration that would start a server refusing every token is refused here, naming the
    setting, so that ``jiebang serve`` does not start: a secret and a public key at once (which
    one verifies?), a key without an allowed algorithm of its kind, a private key alone."""
    algorithms = settings.jwt_algorithms
    symmetric = tuple(a for a in algorithms if a in SYMMETRIC)
    asymmetric = tuple(a for a in algorithms if a not in SYMMETRIC)
    if settings.jwt_secret is not None and settings.jwt_public_key_file is not None:
        raise InvalidValueError(
            "JIEBANG_JWT_SECRET",
            "set either JIEBANG_JWT_SECRET (HS algorithms) or JIEBANG_JWT_PUBLIC_KEY_FILE "
            "(RS256, ES256, EdDSA), not both",
        )
    if settings.jwt_public_key_file is not None:
        if not asymmetric:
            raise InvalidValueError(
                "JIEBANG_JWT_ALGORITHMS",
                f"{', '.join(algorithms)} cannot verify with JIEBANG_JWT_PUBLIC_KEY_FILE: "
                "allow RS256, ES256 or EdDSA",
            )
        public = _read_key(settings.jwt_public_key_file, "JIEBANG_JWT_PUBLIC_KEY_FILE")
        try:
            serialization.load_pem_public_key(public)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise InvalidValueError(
                "JIEBANG_JWT_PUBLIC_KEY_FILE", "not a PEM public key (RSA, EC or Ed25519)"
            ) from None
        private = (
            _read_key(settings.jwt_private_key_file, "JIEBANG_JWT_PRIVATE_KEY_FILE")
            if settings.jwt_private_key_file
            else None
        )
        return Keys(public, private, asymmetric)
    if settings.jwt_private_key_file is not None:
        raise InvalidValueError(
            "JIEBANG_JWT_PUBLIC_KEY_FILE",
            "JIEBANG_JWT_PRIVATE_KEY_FILE is set without the public key that verifies its tokens",
        )
    if settings.jwt_secret is not None:
        secret = settings.jwt_secret.get_secret_value()
        if len(secret) < 32:
            raise InvalidValueError("JIEBANG_JWT_SECRET", "use at least 32 characters")
        if not symmetric:
            raise InvalidValueError(
                "JIEBANG_JWT_ALGORITHMS",
                f"{', '.join(algorithms)} cannot verify with JIEBANG_JWT_SECRET: "
                "allow HS256, HS384 or HS512",
            )
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


def _read_key(path: Path, setting: str) -> bytes:
    """A PEM key file's bytes, or a refusal naming the setting."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InvalidValueError(setting, f"{path} cannot be read: {e.strerror}") from None
    if b"-----BEGIN " not in data:
        raise InvalidValueError(setting, f"{path} is not a PEM key")
    return data


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
    # As the API checks a token (R-AUDIT-WHO): one it would refuse is not issued.
    for field, value in (("sub", sub), ("org", org)):
        if not value.strip():
            raise InvalidValueError(field, "a token names its person and organisation")
    if ttl_seconds > settings.jwt_max_lifetime:
        raise InvalidValueError(
            "ttl",
            f"{ttl_seconds} s exceeds JIEBANG_JWT_MAX_LIFETIME ({settings.jwt_max_lifetime} s); "
            "the API would refuse the token",
        )
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
    return _verified(settings, keys, token)[0]


class TokenCache:
    """Tokens already verified with one set of keys, each with its principal, until its ``exp``.

    A client sends the same token with every request: its signature and claims are checked
    once, then the answer is reused until the token expires (never past ``exp``: the leeway the
    verification allows is left to the full check). Bounded: the least recently used goes."""

    def __init__(self, keys: Keys, size: int = 4096) -> None:
        self.keys = keys
        self.size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def authenticate(self, settings: Settings, token: str) -> Principal:
        """``authenticate`` with these keys, from the cache where the token is known."""
        with self._lock:
            hit = self._entries.get(token)
            if hit is not None:
                if time.time() < hit[1]:
                    self._entries.move_to_end(token)
                    return hit[0]
                del self._entries[token]
        principal, expires = _verified(settings, self.keys, token)
        with self._lock:
            self._entries[token] = (principal, expires)
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return principal


def _verified(settings: Settings, keys: Keys, token: str) -> tuple[Principal, float]:
    """The token's principal and its expiry (s since the epoch), or AuthenticationError."""
    try:
        claims = jwt.decode(
            token,
            keys.verify,
            algorithms=list(keys.algorithms),
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            leeway=30,
        )
    except jwt.PyJWTError as e:
        raise AuthenticationError(str(e)) from None
    lifetime = claims["exp"] - claims["iat"]
    if lifetime > settings.jwt_max_lifetime:
        raise AuthenticationError(
            f"the token lives {lifetime} s (exp - iat), longer than the "
            f"{settings.jwt_max_lifetime} s this API accepts"
        )
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
    principal = Principal(
        sub=text["sub"], role=role, org=text["org"].strip().upper(), name=text["name"]
    )
    return principal, float(claims["exp"])


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
