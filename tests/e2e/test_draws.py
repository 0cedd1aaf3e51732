"""R-DRAW over HTTP: a draw scheduled, performed, verified and replaced by the bureau; who may
read it; the public record only once the panel's work is done."""

from __future__ import annotations

from datetime import date

from jiebang_es.domain.values import Role
from jiebang_es.draws.algorithm import commitment_of
from jiebang_es.sample import INSTITUTE_WEST, make_code
from tests.e2e.journey import HttpJourney, ok

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
                    "specialities": ["智能科技"],
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
    assert j.solver(INSTITUTE_WEST).get(f"/v1/draws/{draw_id}").status_code == 404
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
