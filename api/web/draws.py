"""The published records of expert draws on the public portal (R-DRAW): for each public
challenge, the draws whose panel's work is done, each with its commitment, public randomness
source and value, revealed seed, candidates' digest and the result as ranks of expert ids (no
name, unit or other personal data of any expert), and how anyone verifies it.

A draw is shown exactly when ``GET /v1/public/draws/{id}`` answers it
(``api.routers.draws.published_draw``): performed, its panel's work done, its challenge public.
A draw of a restricted or classified challenge never reaches a page, a link, a count, the feed
or the sitemap.

Which draws a challenge has is found in the log by the scheduling events' topic, the way the
commands find the expert pool; the scan is kept per application and continues from the last
position it read, so a page reads only the events recorded since the previous page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from api.deps import AppDep
from api.routers.draws import published_draw
from api.web.render import not_found, page
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.draw import Draw, DrawPurpose
from jiebang_es.errors import NotFoundError
from jiebang_es.event_keys import draws_of
from jiebang_es.service import JiebangApp

router = APIRouter(include_in_schema=False)
PURPOSE_ZH = {DrawPurpose.ARGUMENTATION: "榜单论证专家", DrawPurpose.REVIEW: "揭榜评审专家"}
KIND_ZH = {
    "management": "行业主管部门管理专家",
    "front_line": "产业一线专家",
    "peer_inside": "区内同行技术专家",
    "peer_outside": "区外同行技术专家",
    "end_user_rep": "最终用户负责人",
}


@dataclass(frozen=True)
class Place:
    place: int
    expert_id: str
    outcome: str


def published_draws(app: JiebangApp, challenge_id: str) -> list[Draw]:
    """A challenge's draws whose records are published, in the order they were scheduled."""
    shown = []
    for _, scheduled in app.keyed_events(draws_of(challenge_id), Draw.DrawScheduled):
        try:
            shown.append(published_draw(app, str(scheduled.originator_id)))
        except NotFoundError:
            continue
    return shown


def record(draw: Draw) -> dict[str, Any]:
    """What the record page shows: each kind's ranking with what became of each place."""
    replaced = set(draw.replaced)
    brought_in = {expert_id: place for _, place, expert_id in draw.replacements}
    rankings = []
    for r in draw.rankings:
        places = []
        for i, expert_id in enumerate(r.ranked, start=1):
            if expert_id in replaced:
                outcome = "抽中，后被替换"
            elif i <= r.taken:
                outcome = "抽中"
            elif expert_id in brought_in:
                outcome = "依序递补"
            else:
                outcome = "备选"
            places.append(Place(i, expert_id, outcome))
        rankings.append({"kind": KIND_ZH.get(r.kind.value, r.kind.value), "places": places})
    return {
        "draw": draw,
        "purpose": PURPOSE_ZH[draw.purpose],
        "needs": [(KIND_ZH.get(n.kind.value, n.kind.value), n.count) for n in draw.needs],
        "rankings": rankings,
        "candidates": len(draw.candidates),
        "exclusions": len(draw.exclusions),
    }


@router.get("/portal/draws/{draw_id}")
def draw(request: Request, draw_id: Annotated[UUID, Path()], app: AppDep) -> Response:
    """One published draw record, and how to verify it."""
    try:
        found = published_draw(app, str(draw_id))
        challenge: Challenge = app.challenge(str(found.challenge_id))
    except NotFoundError:
        raise not_found() from None
    context = {**record(found), "challenge_name": challenge.content.name}
    return page(request, "portal_draw.html", context)
