"""Authentication over HTTP: only a token this API issued, unexpired, for it, gets in."""

from __future__ import annotations

import base64
import json
import time

import httpx
import jwt
import pytest

from jiebang_es.sample import BUREAU
from tests.e2e.conftest import SECRET, Server
from tests.e2e.journey import org_json

pytestmark = pytest.mark.postgres
CLAIMS = {"sub": "bureau-li", "role": "bureau", "org": BUREAU.credit_code}


def claims(server: Server, **overrides: object) -> dict[str, object]:
    now = int(time.time())
    base = {
        **CLAIMS,
        "iss": server.settings.jwt_issuer,
        "aud": server.settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def unsigned(payload: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def get_with(server: Server, token: str | None) -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{server.base_url}/v1/experts", headers=headers, timeout=10)


BAD_TOKENS = {
    "missing": lambda _server: None,
    "forged": lambda s: jwt.encode(claims(s), "another-secret-" + "y" * 60, algorithm="HS256"),
    "expired": lambda s: jwt.encode(
        claims(s, exp=int(time.time()) - 3600), SECRET, algorithm="HS256"
    ),
    "alg_none": lambda s: unsigned(claims(s)),
    "wrong_audience": lambda s: jwt.encode(claims(s, aud="another-api"), SECRET, algorithm="HS256"),
    "wrong_issuer": lambda s: jwt.encode(claims(s, iss="someone-else"), SECRET, algorithm="HS256"),
    "no_expiry": lambda s: jwt.encode(claims(s, exp=None), SECRET, algorithm="HS256"),
    "unknown_role": lambda s: jwt.encode(claims(s, role="mayor"), SECRET, algorithm="HS256"),
    "disallowed_algorithm": lambda s: jwt.encode(claims(s), SECRET, algorithm="HS512"),
    "no_issued_at": lambda s: jwt.encode(claims(s, iat=None), SECRET, algorithm="HS256"),
    "longer_than_max_lifetime": lambda s: jwt.encode(
        claims(s, exp=int(time.time()) + 2 * 86400), SECRET, algorithm="HS256"
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_bad_token_is_refused_401_with_bearer_challenge(server: Server, kind: str) -> None:
    response = get_with(server, BAD_TOKENS[kind](server))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 401
    assert problem["type"] == "/problems/unauthenticated"


def test_valid_token_is_accepted(server: Server) -> None:
    token = jwt.encode(claims(server), SECRET, algorithm="HS256")
    assert get_with(server, token).status_code == 200


@pytest.mark.parametrize(
    ("claim", "value"),
    [("sub", "bureau\u0000li"), ("org", BUREAU.credit_code + "\u0000"), ("name", "李\u0007"),
     ("sub", "bureau\u009bli"), ("org", "\ud800")],
)  # fmt: skip
def test_r_audit_who_token_claim_with_control_character_is_refused_401_naming_it(
    server: Server, claim: str, value: str
) -> None:
    # A validly signed token from an identity provider is input like any other: a NUL in the
    # subject once recorded an event the PostgreSQL read models could not hold.
    token = jwt.encode(claims(server, **{claim: value}), SECRET, algorithm="HS256")
    response = httpx.post(
        f"{server.base_url}/v1/demands",
        headers={"Authorization": f"Bearer {token}"},
        json={"source": "survey_visit", "enterprise": org_json(BUREAU), "industry": "智能科技",
              "title": "claims"},
        timeout=10,
    )  # fmt: skip
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert f"'{claim}'" in response.json()["detail"]
