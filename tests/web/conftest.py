"""The web pages on the demo's data: one SQLite store per session, the demo played into it and
every read model caught up; an in-process client of the whole application (API and pages)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from rich.console import Console

from api.app import create_app
from api.auth import Keys, issue_token
from jiebang_es.audit.queries import log_events
from jiebang_es.config import Settings
from jiebang_es.demo import SimulatedClock, run_demo
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.draw import Draw, DrawPurpose
from jiebang_es.domain.values import Role
from jiebang_es.sample import key_challenge_content, major_challenge_content
from jiebang_es.service import JiebangApp
from projections import queries
from projections.readstore import ReadStore
from projections.runner import run

SECRET = "web-tests-jwt-secret-" + "x" * 40
SESSION_SECRET = "web-tests-session-secret-" + "y" * 40
SUPERVISOR_ORG = "11500106MB0000000X"


@dataclass(frozen=True)
class Demo:
    """The demo's store and what the tests look for in it."""

    settings: Settings
    public_id: str
    public_name: str
    restricted_id: str
    restricted_name: str
    public_draw_id: str
    restricted_draw_id: str

    def token(self, role: Role, sub: str = "person-1", org: str = SUPERVISOR_ORG) -> str:
        keys = Keys(SECRET, SECRET, ("HS256",))
        return issue_token(self.settings, keys, role=role, org=org, sub=sub, ttl_seconds=3600)


def demo_settings(path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{path}",
        jwt_secret=SecretStr(SECRET),
        session_secret=SecretStr(SESSION_SECRET),
        evidence_required=True,  # the demo as deployed: every step keeps its papers
    )


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    settings = demo_settings(tmp_path_factory.mktemp("web") / "demo.db")
    clock = SimulatedClock()
    app = JiebangApp(settings, clock=clock)
    try:
        run_demo(app, Console(file=io.StringIO(), width=200))
        draws = {name: review_draw(app, name) for name in (PUBLIC_NAME, RESTRICTED_NAME)}
    finally:
        app.close()
    run(settings, until_caught_up=True)
    store = ReadStore.open(settings)
    try:
        rows = queries.list_challenges(store, limit=500).items
    finally:
        store.close()
    public = next(c for c in rows if c.name == PUBLIC_NAME)
    restricted = next(c for c in rows if c.name == RESTRICTED_NAME)
    return Demo(
        settings,
        public.challenge_id,
        public.name,
        restricted.challenge_id,
        restricted.name,
        draws[PUBLIC_NAME],
        draws[RESTRICTED_NAME],
    )


PUBLIC_NAME = key_challenge_content().name
RESTRICTED_NAME = major_challenge_content().name


def review_draw(app: JiebangApp, name: str) -> str:
    """The demo's review panel draw for the challenge named: the public one's record is
    published (its solver is selected); the restricted one's never."""
    challenge_id = next(
        str(e.originator_id)
        for _, e in log_events(app)
        if isinstance(e, Challenge.Drafted) and e.content.name == name
    )
    return next(
        str(e.originator_id)
        for _, e in log_events(app)
        if isinstance(e, Draw.DrawScheduled)
        and str(e.challenge_id) == challenge_id
        and e.purpose is DrawPurpose.REVIEW
    )


@pytest.fixture
def web(demo: Demo) -> Iterator[TestClient]:
    """The whole application in-process, over the demo's store (HTTP, so cookies are plain)."""
    with TestClient(create_app(demo.settings), base_url="http://testserver") as client:
        yield client


def sign_in(client: TestClient, token: str) -> httpx.Response:
    """Sign in through the form, as a browser does (CSRF cookie, then the post)."""
    form = client.get("/sign-in")
    csrf = client.cookies.get("jiebang_csrf")
    assert csrf is not None
    value = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = client.post(
        "/sign-in", data={"csrf": value, "token": token, "next": ""}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return answer
