"""The public listing over HTTP: what the plan publishes, to anyone, and nothing else."""

from __future__ import annotations

import uuid

import pytest

from jiebang_es.sample import END_USER_PHARMA, major_challenge_content
from tests.e2e.conftest import Server
from tests.e2e.journey import HttpJourney, ok

pytestmark = pytest.mark.postgres


def public_ids(server: Server, position: int) -> set[str]:
    anonymous = server.client()
    ids: set[str] = set()
    cursor = None
    while True:
        params: dict[str, str | int] = {"min_position": position, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = ok(anonymous.get("/v1/public/challenges", params=params))
        ids |= {item["challenge_id"] for item in page["items"]}
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


def test_public_listing_shows_public_challenges_and_never_restricted_ones(server: Server) -> None:
    public = HttpJourney(server, uuid.uuid4().hex[:8]).to_published()
    restricted = HttpJourney(
        server, uuid.uuid4().hex[:8], end_user=END_USER_PHARMA, content=major_challenge_content()
    ).to_published()
    ids = public_ids(server, restricted.last_position)
    assert public.challenge_id in ids
    assert restricted.challenge_id not in ids
    anonymous = server.client()
    one = ok(anonymous.get(f"/v1/public/challenges/{public.challenge_id}"))
    assert one["guide"] == "申报指南：…"
    assert anonymous.get(f"/v1/public/challenges/{restricted.challenge_id}").status_code == 404


def test_public_notice_lists_a_publicized_project(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_selected().publicize()
    page = ok(
        server.client().get(
            "/v1/public/notices", params={"min_position": journey.last_position, "limit": 500}
        )
    )
    notices = {n["project_id"]: n for n in page["items"]}
    assert notices[journey.project_id]["starts_on"] == "2026-05-18"


def test_catalogue_hides_restricted_challenges_from_applicants(server: Server) -> None:
    restricted = HttpJourney(
        server, uuid.uuid4().hex[:8], end_user=END_USER_PHARMA, content=major_challenge_content()
    ).to_published()
    params = {"min_position": restricted.last_position, "limit": 500, "status": "published"}
    seen_by_bureau = ok(restricted.bureau.get("/v1/challenges", params=params))
    seen_by_applicant = ok(restricted.solver().get("/v1/challenges", params=params))
    assert restricted.challenge_id in {c["challenge_id"] for c in seen_by_bureau["items"]}
    assert restricted.challenge_id not in {c["challenge_id"] for c in seen_by_applicant["items"]}


FORGED_CURSORS = {
    "bool": "eyJhZnRlciI6IHRydWV9",  # {"after": true}
    "string": "eyJhZnRlciI6ICI1In0",  # {"after": "5"}
    "float": "eyJhZnRlciI6IDEuNX0",  # {"after": 1.5}
    "huge": "eyJhZnRlciI6IDEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMH0",  # {"after": 10**23}
    "negative": "eyJhZnRlciI6IC0xfQ",  # {"after": -1}
    "extra": "eyJhZnRlciI6IDEsICJ4IjogMn0",  # {"after": 1, "x": 2}
    "list": "WzFd",  # [1]
    "null": "eyJhZnRlciI6IG51bGx9",  # {"after": null}
}


@pytest.mark.parametrize("kind", sorted(FORGED_CURSORS))
@pytest.mark.parametrize("path", ["/v1/public/challenges", "/v1/public/notices"])
def test_forged_cursor_is_refused_naming_the_cursor(server: Server, path: str, kind: str) -> None:
    # {"after": true} once reached the database and answered 500 with a traceback.
    response = server.client().get(path, params={"cursor": FORGED_CURSORS[kind]})
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["cursor"]
