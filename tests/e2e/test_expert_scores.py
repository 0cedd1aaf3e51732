"""R-CONFLICT and the panel's independence over HTTP: an expert sees the other experts' scores
of an application only once his own is recorded, so no score is anchored on another's."""

from __future__ import annotations

from datetime import date

from tests.e2e.journey import HttpJourney, ok


def test_r_conflict_an_expert_sees_others_scores_only_after_his_own(server):
    j = HttpJourney(server, "blind-scores").draft().argue().list().publish()
    application_id = j.apply()
    j.panel()
    first, second = j.sample_experts()[:2]
    base = f"/v1/applications/{application_id}"
    a, b = j.expert_client(first), j.expert_client(second)
    server.on(date(2026, 5, 12))
    for client in (a, b):
        ok(client.post(f"{base}/conflict-declaration", json={"conflict": False}))
    ok(a.post(f"{base}/score", json={"score": 91, "opinion": "方案可行"}))

    before = ok(b.get(base))
    assert before["scores"] is None  # the first expert's 91 stays hidden
    assert before["cleared"] is not None  # declarations are not scores
    mine = ok(a.get(base))
    assert [s["score"] for s in mine["scores"]] == ["91"]

    ok(b.post(f"{base}/score", json={"score": 75, "opinion": "尚需论证"}))
    after = ok(b.get(base))
    assert sorted(s["score"] for s in after["scores"]) == ["75", "91"]
    # the bureau and the end user see every score at any time
    assert len(ok(j.bureau.get(base))["scores"]) == 2
    assert len(ok(j.eu.get(base))["scores"]) == 2
