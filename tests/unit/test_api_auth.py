"""Bearer tokens: keys from settings, the algorithm allow-list, and the development secret."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from api.auth import AuthenticationError, TokenCache, authenticate, issue_token, load_keys
from jiebang_es.config import Settings
from jiebang_es.domain.values import Role
from jiebang_es.errors import InvalidValueError
from jiebang_es.sample import BUREAU

JIEBANG = Path(sys.executable).parent / "jiebang"


def ed25519_files(tmp_path: Path) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private = tmp_path / "token.key"
    public = tmp_path / "token.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def test_eddsa_token_round_trips_with_keys_from_files(tmp_path: Path) -> None:
    private, public = ed25519_files(tmp_path)
    settings = Settings(
        jwt_algorithms=("EdDSA",), jwt_private_key_file=private, jwt_public_key_file=public
    )
    keys = load_keys(settings)
    token = issue_token(settings, keys, role=Role.EXPERT, org=BUREAU.credit_code, sub="exp-1")
    principal = authenticate(settings, keys, token)
    assert (principal.sub, principal.role, principal.org) == (
        "exp-1",
        Role.EXPERT,
        BUREAU.credit_code,
    )


def test_hs256_token_signed_with_the_public_key_is_refused(tmp_path: Path) -> None:
    # Algorithm confusion: the public key used as an HMAC secret must not verify.
    _, public = ed25519_files(tmp_path)
    settings = Settings(jwt_algorithms=("EdDSA",), jwt_public_key_file=public)
    keys = load_keys(settings)
    forged = jwt.encode(
        {"sub": "x", "role": "bureau", "org": "X", "iss": "jiebang", "aud": "jiebang-api",
         "exp": 2**40},
        "k" * 64,
        algorithm="HS256",
    )  # fmt: skip
    with pytest.raises(AuthenticationError):
        authenticate(settings, keys, forged)


def test_server_keys_refused_without_a_configured_key_unless_dev_mode() -> None:
    with pytest.raises(InvalidValueError) as refused:
        load_keys(Settings(jwt_secret=None, jwt_public_key_file=None, dev_mode=False))
    assert refused.value.field == "JIEBANG_JWT_SECRET"


def test_short_secret_is_refused() -> None:
    with pytest.raises(InvalidValueError):
        load_keys(Settings(jwt_secret=SecretStr("short")))


def test_none_is_not_an_allowed_algorithm() -> None:
    with pytest.raises(ValueError, match="allowed are"):
        Settings(jwt_algorithms=("none",))


def test_dev_mode_generates_one_secret_that_token_issue_uses(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIEBANG_")}
    env["JIEBANG_DEV_MODE"] = "true"
    issued = subprocess.run(  # noqa: S603 - our own CLI
        [str(JIEBANG), "token", "issue", "--role", "analyst", "--org", BUREAU.credit_code,
         "--sub", "ana"],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    secret_file = tmp_path / "var" / "dev-jwt-secret"
    assert secret_file.stat().st_mode & 0o077 == 0
    settings = Settings(jwt_secret=SecretStr(secret_file.read_text().strip()))
    principal = authenticate(settings, load_keys(settings), issued.stdout.strip())
    assert principal.role is Role.ANALYST


@pytest.mark.parametrize("claim", ["sub", "org", "name", "role"])
def test_r_audit_who_claim_with_nul_is_refused_naming_the_claim(claim: str) -> None:
    settings = Settings(jwt_secret=SecretStr("s" * 40))
    keys = load_keys(settings)
    token = issue_token(settings, keys, role=Role.BUREAU, org=BUREAU.credit_code, sub="li")
    payload = jwt.decode(token, options={"verify_signature": False})
    payload[claim] = str(payload[claim]) + "\x00"
    forged = jwt.encode(payload, "s" * 40, algorithm="HS256")
    with pytest.raises(AuthenticationError, match=f"'{claim}'"):
        authenticate(settings, keys, forged)


def misconfigured(tmp_path: Path) -> dict[str, tuple[dict[str, str], str]]:
    """Environments that would start a server refusing every token, with the setting named."""
    _, public = ed25519_files(tmp_path)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")
    secret = "s" * 40
    return {
        "public key with HS algorithms only": (
            {"JIEBANG_JWT_PUBLIC_KEY_FILE": str(public), "JIEBANG_JWT_ALGORITHMS": "HS256"},
            "JIEBANG_JWT_ALGORITHMS",
        ),
        "secret and public key": (
            {"JIEBANG_JWT_SECRET": secret, "JIEBANG_JWT_PUBLIC_KEY_FILE": str(public),
             "JIEBANG_JWT_ALGORITHMS": "HS256,EdDSA"},
            "JIEBANG_JWT_SECRET",
        ),
        "secret with asymmetric algorithms only": (
            {"JIEBANG_JWT_SECRET": secret, "JIEBANG_JWT_ALGORITHMS": "EdDSA"},
            "JIEBANG_JWT_ALGORITHMS",
        ),
        "unparsable public key": (
            {"JIEBANG_JWT_PUBLIC_KEY_FILE": str(garbage), "JIEBANG_JWT_ALGORITHMS": "EdDSA"},
            "JIEBANG_JWT_PUBLIC_KEY_FILE",
        ),
        "missing public key file": (
            {"JIEBANG_JWT_PUBLIC_KEY_FILE": str(tmp_path / "none.pem"),
             "JIEBANG_JWT_ALGORITHMS": "EdDSA"},
            "JIEBANG_JWT_PUBLIC_KEY_FILE",
        ),
        "no key": ({}, "JIEBANG_JWT_SECRET"),
    }  # fmt: skip


MISCONFIGURATIONS = [
    "public key with HS algorithms only",
    "secret and public key",
    "secret with asymmetric algorithms only",
    "unparsable public key",
    "missing public key file",
    "no key",
]


@pytest.mark.parametrize("case", MISCONFIGURATIONS)
def test_misconfigured_keys_are_refused_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    env, setting = misconfigured(tmp_path)[case]
    for name in [n for n in os.environ if n.startswith("JIEBANG_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(InvalidValueError) as refused:
        load_keys(Settings())
    assert refused.value.field == setting


@pytest.mark.parametrize("case", ["no key", "secret and public key"])
def test_serve_refuses_to_start_with_misconfigured_keys(tmp_path: Path, case: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIEBANG_")}
    env["JIEBANG_DATABASE_URL"] = f"sqlite:///{tmp_path}/events.db"
    given, setting = misconfigured(tmp_path)[case]
    refused = subprocess.run(  # noqa: S603 - our own CLI
        [str(JIEBANG), "serve", "--port", "1"],
        env=env | given, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 2
    assert setting in refused.stderr
    assert not (tmp_path / "var" / "dev-jwt-secret").exists()


def signed(settings: Settings, **claims: object) -> str:
    now = int(time.time())
    payload = {"sub": "li", "role": "bureau", "org": BUREAU.credit_code,
               "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "iat": now,
               "exp": now + 600, **claims}  # fmt: skip
    secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else ""
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, "HS256")


def test_token_without_iat_is_refused() -> None:
    settings = Settings(jwt_secret=SecretStr("s" * 40))
    with pytest.raises(AuthenticationError, match="iat"):
        authenticate(settings, load_keys(settings), signed(settings, iat=None))


def test_token_living_longer_than_the_maximum_lifetime_is_refused() -> None:
    settings = Settings(jwt_secret=SecretStr("s" * 40), jwt_max_lifetime=3600)
    keys = load_keys(settings)
    now = int(time.time())
    assert authenticate(settings, keys, signed(settings, iat=now, exp=now + 3600)).sub == "li"
    with pytest.raises(AuthenticationError, match="longer than the 3600 s"):
        authenticate(settings, keys, signed(settings, iat=now, exp=now + 3601))
    with pytest.raises(InvalidValueError) as refused:
        issue_token(settings, keys, role=Role.BUREAU, org=BUREAU.credit_code, sub="li",
                    ttl_seconds=3601)  # fmt: skip
    assert refused.value.field == "ttl"


def cached_settings() -> Settings:
    return Settings(jwt_secret=SecretStr("s" * 40))


def test_a_verified_token_is_answered_from_the_cache_until_it_expires(monkeypatch) -> None:
    settings = cached_settings()
    keys = load_keys(settings)
    cache = TokenCache(keys)
    token = issue_token(settings, keys, role=Role.BUREAU, org=BUREAU.credit_code, sub="li")
    first = cache.authenticate(settings, token)
    verified: list[str] = []
    monkeypatch.setattr(jwt, "decode", lambda *_, **__: verified.append("decode"))
    assert cache.authenticate(settings, token) is first  # the signature is not checked again
    assert verified == []
    # Past its exp, the token is verified afresh (here: as pyjwt would then find it).
    later = time.time() + 3600 + 31

    def expired(*_: object, **__: object) -> None:
        verified.append("decode")
        raise jwt.ExpiredSignatureError("Signature has expired")

    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(jwt, "decode", expired)
    with pytest.raises(AuthenticationError, match="expired"):
        cache.authenticate(settings, token)
    assert verified == ["decode"]
    assert token not in cache._entries


def test_the_token_cache_is_bounded_and_never_keeps_a_refused_token() -> None:
    settings = cached_settings()
    keys = load_keys(settings)
    cache = TokenCache(keys, size=2)
    tokens = [
        issue_token(settings, keys, role=Role.BUREAU, org=BUREAU.credit_code, sub=f"p{i}")
        for i in range(3)
    ]
    for token in tokens:
        cache.authenticate(settings, token)
    assert list(cache._entries) == tokens[1:]
    forged = tokens[0][:-2] + ("AA" if not tokens[0].endswith("AA") else "BB")
    with pytest.raises(AuthenticationError):
        cache.authenticate(settings, forged)
    assert forged not in cache._entries


@pytest.mark.parametrize(
    ("field", "sub", "org"), [("sub", " ", BUREAU.credit_code), ("org", "li", "")]
)
def test_r_audit_who_no_token_is_issued_that_the_api_would_refuse(
    field: str, sub: str, org: str
) -> None:
    settings = Settings(jwt_secret=SecretStr("s" * 40))
    with pytest.raises(InvalidValueError) as refused:
        issue_token(settings, load_keys(settings), role=Role.BUREAU, org=org, sub=sub)
    assert refused.value.field == field
