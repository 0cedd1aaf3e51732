"""R-DRAW over HTTP: a draw scheduled, performed, verified and replaced by the bureau; who may
read it; the public record only once the panel's work is done."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from jiebang_es.domain.values import Role
from jiebang_es.draws.algorithm import commitment_of
from jiebang_es.sample import INSTITUTE_WEST, make_code
from jiebang_es.service import JiebangApp
from tests.e2e.journey import HttpJourney, ok
from tests.support import journey_field

SEED = "c3" * 32


def test_r_draw_over_http_schedule_perform_verify_replace(server):
    j = HttpJourney(server, "draw-http").draft()
    for i in range(3):
        ok(
            j.bureau.post(
                "/v1/experts",
                json={
                    "person_id": f"draw-http-peer-{i}",
                    "name": f"同行专家{i}",
                    "org_code": make_code(f"1250010{i}MB007770{i}"),
                    "org_name": f"研究院{i}",
                    "kind": "peer_inside",
                    # a field of this test's own: the server's pool holds other tests' experts,
                    # whose later steps would put a drawn seat out of order (R-ORDER)
                    "specialities": ["智能科技", journey_field("draw-http")],
                    "region": "500106",
                },
            ),
            201,
        )
    server.on(date(2026, 3, 3))
    scheduled = j.bureau.post(
        f"/v1/challenges/{j.challenge_id}/draws",
        json={
            "purpose": "argumentation",
            "needs": [{"kind": "peer_inside", "count": 2}],
            "specialities": [journey_field("draw-http")],
            "commitment": commitment_of(SEED),
            "randomness_source": "中国福利彩票双色球第2026030期开奖号码",
            "randomness_date": "2026-03-05",
            "reason": "榜单论证专家抽取",
        },
    )
    draw_id = ok(scheduled, 201)["aggregate_id"]
    assert scheduled.headers["Location"].endswith(draw_id)

    # who may read it: the bureau and the challenge's end user; an applicant and the public not
    assert ok(j.eu.get(f"/v1/draws/{draw_id}"))["status"] == "scheduled"
    hidden = j.solver(INSTITUTE_WEST).get(f"/v1/draws/{draw_id}")
    assert hidden.status_code == 404
    assert j.challenge_id not in hidden.text  # the same 404 as no draw: it names nothing
    assert server.client().get(f"/v1/public/draws/{draw_id}").status_code == 404

    server.on(date(2026, 3, 5), 21)
    wrong = j.bureau.post(
        f"/v1/draws/{draw_id}/perform", json={"seed": "d4" * 32, "public_value": "01 02 03"}
    )
    assert wrong.status_code == 422
    assert wrong.json()["rule_id"] == "R-DRAW"
    ok(
        j.bureau.post(
            f"/v1/draws/{draw_id}/perform", json={"seed": SEED, "public_value": "01 02 03"}
        )
    )
    draw = ok(j.bureau.get(f"/v1/draws/{draw_id}"))
    assert draw["seed"] == SEED
    assert len(draw["seated"]) == 2
    assert ok(j.bureau.get(f"/v1/draws/{draw_id}/verification")) == {
        "draw_id": draw_id,
        "matches": True,
        "problems": [],
    }

    leaving = draw["seated"][0]["expert_id"]
    ok(
        j.bureau.post(
            f"/v1/draws/{draw_id}/replacements",
            json={"expert_id": leaving, "cause": "refused", "reason": "出差无法参会"},
        )
    )
    after = ok(j.bureau.get(f"/v1/draws/{draw_id}"))
    ranked = after["rankings"][0]["ranked"]
    assert [m["expert_id"] for m in after["seated"]] == [ranked[1], ranked[2]]
    assert after["replacements"] == [{"kind": "peer_inside", "place": 3, "expert_id": ranked[2]}]
    assert ok(j.bureau.get(f"/v1/draws/{draw_id}/verification"))["matches"] is True


def test_r_draw_only_the_bureau_schedules_over_http(server):
    j = HttpJourney(server, "draw-eu").draft()
    server.on(date(2026, 3, 3))
    refused = j.eu.post(
        f"/v1/challenges/{j.challenge_id}/draws",
        json={
            "purpose": "argumentation",
            "needs": [{"kind": "peer_inside", "count": 1}],
            "commitment": commitment_of(SEED),
            "randomness_source": "某彩票",
            "randomness_date": "2026-03-05",
        },
    )
    assert refused.status_code == 403
    assert refused.json()["rule_id"] == "R-DRAW"
    expert = server.client(Role.EXPERT, INSTITUTE_WEST, "someone")
    assert expert.post(
        f"/v1/challenges/{j.challenge_id}/draws", json={"purpose": "argumentation"}
    ).status_code in (404, 422)


def test_r_draw_a_kind_named_twice_in_the_needs_is_a_malformed_request(server):
    j = HttpJourney(server, "draw-twice").draft()
    server.on(date(2026, 3, 3))
    before = _log_position(server)
    answer = j.bureau.post(
        f"/v1/challenges/{j.challenge_id}/draws",
        json={
            "purpose": "argumentation",
            "needs": [{"kind": "peer_inside", "count": 1}, {"kind": "peer_inside", "count": 2}],
            "commitment": commitment_of(SEED),
            "randomness_source": "某彩票",
            "randomness_date": "2026-03-05",
        },
    )
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["field"] == "body.needs"
    assert "peer_inside" in error["message"]
    assert _log_position(server) == before  # refused: nothing recorded


def _log_position(server) -> int:
    app = JiebangApp(server.settings)
    try:
        return app.position()
    finally:
        app.close()


def test_r_draw_drawn_review_panel_and_the_experts_own_work_over_http(server):
    """The review panel is the draw's result with the end user's head; each drawn expert lists
    its assignments, declares and scores; a recusal is filled from the draw's order and
    confirmed again by both parties (R-PANEL-JOINT)."""
    j = HttpJourney(server, "draw-panel-http").to_published()
    application_id = j.apply(INSTITUTE_WEST)
    spare = ok(
        j.bureau.post(
            "/v1/experts",
            json={
                "person_id": "draw-panel-http-front-spare",
                "name": "备选一线专家",
                "org_code": make_code("12500100MB0088800"),
                "org_name": "备选单位",
                "kind": "front_line",
                "specialities": [journey_field(j.tag)],
            },
        ),
        201,
    )["aggregate_id"]
    j.panel()
    panel = j.panel_experts()
    assert len(panel) == 5  # 4 drawn (not the applicant's peer inside) and the end user's head
    first = j.expert_client(panel[0])
    mine = ok(first.get("/v1/experts/me/assignments"))
    assert mine["expert_id"] == j.experts[panel[0].person_id]
    assert [(a["application_id"], a["state"]) for a in mine["items"]] == [
        (application_id, "to_declare")
    ]
    server.on(date(2026, 5, 12))
    base = f"/v1/applications/{application_id}"
    ok(first.post(f"{base}/conflict-declaration", json={"conflict": False}))
    ok(first.post(f"{base}/score", json={"score": 90, "opinion": "可行"}))
    assert [a["state"] for a in ok(first.get("/v1/experts/me/assignments"))["items"]] == ["scored"]
    # the drawn front-line expert recuses: the next front-line expert in the draw's order is
    # proposed in his place, and takes the seat once bureau and end user both confirmed it
    draw = ok(j.bureau.get(f"/v1/draws/{j.review_draw}"))
    (front,) = [m["expert_id"] for m in draw["seated"] if m["kind"] == "front_line"]
    successor = next(r for r in draw["rankings"] if r["kind"] == "front_line")["ranked"][1]
    second = j.expert_client(next(e for e in panel if j.experts[e.person_id] == front))
    recused = ok(
        second.post(
            f"{base}/conflict-declaration",
            json={"conflict": True, "statement": "与项目负责人合作过"},
        )
    )
    assert recused["events"] == [
        "ExpertRecused",
        "ReplacementDrawn",
        "SeatTaken",
        "ReplacementExpertProposed",
    ]
    assert [a["state"] for a in ok(second.get("/v1/experts/me/assignments"))["items"]] == [
        "recused"
    ]
    path = f"/v1/challenges/{j.challenge_id}/review-panel/replacements/{successor}/confirm"
    ok(j.bureau.post(path, json={}))
    ok(j.eu.post(path, json={}))
    assert successor in {front, spare} | set(j.experts.values())
    newcomer = ok(j.bureau.get(f"/v1/experts/{successor}"))
    as_newcomer = server.client(
        Role.EXPERT,
        replace(INSTITUTE_WEST, credit_code=newcomer["org_code"]),
        newcomer["person_id"],
    )
    assigned = ok(as_newcomer.get("/v1/experts/me/assignments"))["items"]
    assert [(a["application_id"], a["state"]) for a in assigned] == [(application_id, "to_declare")]
    # someone who is no expert of the pool has no assignments to list
    stranger = server.client(Role.EXPERT, INSTITUTE_WEST, "nobody-in-the-pool")
    assert stranger.get("/v1/experts/me/assignments").status_code == 404
    assert j.bureau.get("/v1/experts/me/assignments").status_code == 403
