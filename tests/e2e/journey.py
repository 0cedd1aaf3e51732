"""The nine steps over HTTP, each by the role the plan gives it (mirrors tests/support.Journey)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx

from jiebang_es.domain.content import ChallengeContent
from jiebang_es.domain.values import Organisation, Role
from jiebang_es.draws.algorithm import commitment_of
from jiebang_es.sample import (
    BUREAU,
    END_USER_EQUIPMENT,
    INSTITUTE_WEST,
    SampleExpert,
    experts_for,
    key_challenge_content,
)
from jiebang_es.service_base import CHINA_TZ
from tests.e2e.conftest import Server
from tests.support import (
    DRAW_PUBLIC_VALUE,
    DRAW_SEED,
    DRAW_SOURCE,
    HAND_PICKED_REASON,
    SOLVER_UNITS,
    journey_field,
)


def at(day: date, hour: int = 10) -> str:
    return datetime.combine(day, time(hour), tzinfo=CHINA_TZ).isoformat()


def org_json(org: Organisation) -> dict[str, Any]:
    return {
        "credit_code": org.credit_code,
        "name": org.name,
        "unit_type": org.unit_type.value,
        "in_district": org.in_district,
    }


def content_json(c: ChallengeContent) -> dict[str, Any]:
    return {
        "name": c.name,
        "industry": c.industry,
        "category": c.category.value,
        "chokepoint": c.chokepoint,
        "industry_effect": c.industry_effect,
        "indicators": [{"name": i.name, "target": i.target, "unit": i.unit} for i in c.indicators],
        "benchmarking": c.benchmarking,
        "funding": None if c.funding is None else str(c.funding),
        "period_months": c.period_months,
        "milestones": [
            {"name": m.name, "due_month": m.due_month, "deliverable": m.deliverable}
            for m in c.milestones
        ],
        "solver_conditions": c.solver_conditions,
        "scope": None if c.scope is None else c.scope.value,
        "recipients": list(c.recipients),
        "commitment": None
        if c.commitment is None
        else {
            "own_investment": str(c.commitment.own_investment),
            "support": c.commitment.support,
            "first_application": c.commitment.first_application,
        },
        "classified": c.classified,
    }


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    """The JSON of a response that must have ``status``; the problem shown otherwise."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


# The smallest command: a demand collected by the bureau (for tests about the store, not steps).
DEMAND = {
    "source": "survey_visit",
    "enterprise": org_json(BUREAU),
    "industry": "智能科技",
    "title": "需求",
}


@dataclass
class HttpJourney:
    """One challenge from demand to funds, every step an HTTP request by the right party."""

    server: Server
    tag: str
    end_user: Organisation = END_USER_EQUIPMENT
    content: ChallengeContent = field(default_factory=key_challenge_content)
    challenge_id: str = ""
    project_id: str = ""
    experts: dict[str, str] = field(default_factory=dict)  # person id -> expert id
    applications: list[str] = field(default_factory=list)
    last_position: int = 0
    review_draw: str = ""

    def __post_init__(self) -> None:
        self.bureau = self.server.client(Role.BUREAU, BUREAU, f"bureau-{self.tag}")
        self.eu = self.server.client(Role.END_USER, self.end_user, f"eu-{self.tag}")

    def sample_experts(self) -> list[SampleExpert]:
        return experts_for(self.end_user, self.tag)

    def expert_client(self, e: SampleExpert) -> httpx.Client:
        return self.server.client(Role.EXPERT, e.org, e.person_id)

    def solver(self, lead: Organisation = INSTITUTE_WEST) -> httpx.Client:
        return self.server.client(Role.APPLICANT, lead, f"lead-{lead.credit_code[-4:]}")

    def record(self, response: httpx.Response, status: int = 200) -> dict[str, Any]:
        body = ok(response, status)
        self.last_position = body["position"]
        return body

    # ---- steps 1–5 ---------------------------------------------------------------------
    def draft(self) -> HttpJourney:
        self.server.on(date(2026, 2, 24))
        demand = self.record(
            self.bureau.post(
                "/v1/demands",
                json={
                    "source": "survey_visit",
                    "enterprise": org_json(self.end_user),
                    "industry": self.content.industry,
                    "title": "关键核心技术需求",
                    "description": "调研走访记录",
                },
            ),
            201,
        )
        for e in self.sample_experts():
            r = self.bureau.post(
                "/v1/experts",
                json={
                    "person_id": e.person_id,
                    "name": e.name,
                    "org_code": e.org.credit_code,
                    "org_name": e.org.name,
                    "kind": e.kind.value,
                    "speciality": e.speciality,
                    "specialities": [e.speciality, journey_field(self.tag)],
                },
            )
            self.experts[e.person_id] = self.record(r, 201)["aggregate_id"]
        self.server.on(date(2026, 3, 2))
        body = self.record(
            self.bureau.post(
                "/v1/challenges",
                json={
                    "end_user": org_json(self.end_user),
                    "content": content_json(self.content),
                    "demand_ids": [demand["aggregate_id"]],
                },
            ),
            201,
        )
        self.challenge_id = body["aggregate_id"]
        return self.confirm()

    def confirm(self) -> HttpJourney:
        """R-EU-DRAFTS: the end user reads the draft and confirms what it read."""
        read = ok(self.eu.get(f"/v1/challenges/{self.challenge_id}"))
        self.record(
            self.eu.post(
                f"/v1/challenges/{self.challenge_id}/confirm",
                json={"content_digest": read["content_digest"]},
            )
        )
        return self

    def ensure_budget(self, year: int = 2026) -> None:
        """R-BUDGET: the year's envelope, recorded once for every journey on the server."""
        if self.bureau.get(f"/v1/budgets/{year}").status_code == 404:
            r = self.bureau.post(
                "/v1/budgets",
                json={"year": year, "amount": "100000000.00", "effective_at": at(date(year, 1, 5))},
            )
            assert r.status_code in (201, 409), r.text

    def draw(
        self, purpose: str, day: date, hour: int = 10, avoid: frozenset[str] = frozenset()
    ) -> str:
        """R-DRAW: the bureau schedules a draw of the journey's experts (those not of a unit
        to avoid) on ``day`` and performs it the next morning, when the public value is out."""
        needs: dict[str, int] = {}
        for e in self.sample_experts():
            if e.kind.value != "end_user_rep" and e.org.credit_code not in avoid:
                needs[e.kind.value] = needs.get(e.kind.value, 0) + 1
        self.server.on(day, hour)
        out = day + timedelta(days=1)
        draw_id = self.record(
            self.bureau.post(
                f"/v1/challenges/{self.challenge_id}/draws",
                json={
                    "purpose": purpose,
                    "needs": [{"kind": k, "count": n} for k, n in needs.items()],
                    "specialities": [journey_field(self.tag)],
                    "commitment": commitment_of(DRAW_SEED),
                    "randomness_source": DRAW_SOURCE,
                    "randomness_date": out.isoformat(),
                },
            ),
            201,
        )["aggregate_id"]
        self.server.on(out, 9)
        self.record(
            self.bureau.post(
                f"/v1/draws/{draw_id}/perform",
                json={"seed": DRAW_SEED, "public_value": DRAW_PUBLIC_VALUE},
            )
        )
        return str(draw_id)

    def seated(self, draw_id: str) -> list[str]:
        return [m["expert_id"] for m in ok(self.bureau.get(f"/v1/draws/{draw_id}"))["seated"]]

    def argue(self) -> HttpJourney:
        """The argumentation by the panel drawn from the pool (R-DRAW)."""
        draw_id = self.draw(
            "argumentation", date(2026, 3, 17), avoid=frozenset({self.end_user.credit_code})
        )
        self.server.on(date(2026, 3, 20))
        opinions = [{"expert_id": x, "opinion": "同意"} for x in self.seated(draw_id)]
        self.record(
            self.bureau.post(
                f"/v1/challenges/{self.challenge_id}/argumentation",
                json={"conclusion": "pass", "opinions": opinions, "draw_id": draw_id},
            )
        )
        return self

    def list(self) -> HttpJourney:
        self.server.on(date(2026, 4, 8), 15)
        self.ensure_budget()
        self.record(
            self.bureau.post(
                "/v1/annual-lists",
                json={
                    "year": 2026,
                    "meeting_date": "2026-04-08",
                    "minutes_ref": "党组会〔2026〕7号",
                    "challenge_ids": [self.challenge_id],
                },
            )
        )
        return self

    def publish(self) -> HttpJourney:
        self.server.on(date(2026, 4, 10), 8)
        self.record(
            self.bureau.post(
                f"/v1/challenges/{self.challenge_id}/publish",
                json={
                    "guide": "申报指南：…",
                    "window_opens": at(date(2026, 4, 10), 9),
                    "window_closes": at(date(2026, 5, 10), 17),
                },
            )
        )
        self.check_credit()
        return self

    def check_credit(self) -> None:
        """R-CREDIT: the bureau checks the sample's solver units today (a check counts 30
        days). Another journey on this server may have checked one later in the simulated
        year: its record cannot go back in business time, and that earlier check stands."""
        for org in SOLVER_UNITS:
            response = self.bureau.post(
                "/v1/credit-records",
                json={"org_code": org.credit_code, "status": "good", "source": "信用中国 查询"},
            )
            if response.status_code == 422 and response.json().get("rule_id") == "R-ORDER":
                continue
            self.record(response)

    # ---- step 6 -------------------------------------------------------------------------
    def apply_json(
        self, lead: Organisation = INSTITUTE_WEST, budget: str = "90000.00"
    ) -> dict[str, Any]:
        return {
            "lead": org_json(lead),
            "leader_name": "张工",
            "technical_plan": "基于磁电复合的编码方案",
            "ip_declaration": True,
            "budget": budget,
            "period_months": 18,
        }

    def apply(self, lead: Organisation = INSTITUTE_WEST) -> str:
        self.server.on(date(2026, 4, 20))
        body = self.record(
            self.solver(lead).post(
                f"/v1/challenges/{self.challenge_id}/applications", json=self.apply_json(lead)
            ),
            201,
        )
        self.applications.append(body["aggregate_id"])
        return str(body["aggregate_id"])

    def panel(self, *, drawn: bool = True) -> HttpJourney:
        """The review panel drawn once the window closed, avoiding the applicants' units, with
        the end user's head named beside it — or all sample experts named by hand with the
        bureau's justification (R-DRAW); both parties confirm it (R-PANEL-JOINT)."""
        path = f"/v1/challenges/{self.challenge_id}/review-panel"
        head = self.experts[self.sample_experts()[-1].person_id]
        if drawn:
            units: set[str] = set()
            listed = f"/v1/challenges/{self.challenge_id}/applications"
            for body in ok(self.bureau.get(listed, params={"limit": 200}))["items"]:
                if body["status"] == "applied":
                    for unit in (body["lead"], *body["participants"]):
                        units.add(unit["organisation"]["credit_code"])
            self.review_draw = self.draw("review", date(2026, 5, 10), 18, avoid=frozenset(units))
            proposal: dict[str, Any] = {"draw_id": self.review_draw, "expert_ids": [head]}
        else:
            proposal = {
                "expert_ids": [self.experts[e.person_id] for e in self.sample_experts()],
                "exception_reason": HAND_PICKED_REASON,
            }
        self.server.on(date(2026, 5, 11))
        self.record(self.bureau.post(path, json=proposal))
        self.record(self.bureau.post(f"{path}/confirm", json={}))
        self.record(self.eu.post(f"{path}/confirm", json={}))
        return self

    def panel_experts(self) -> list[SampleExpert]:
        """The sample experts on the review panel."""
        if not self.review_draw:
            return self.sample_experts()
        members = set(self.seated(self.review_draw)) | {
            self.experts[self.sample_experts()[-1].person_id]
        }
        return [e for e in self.sample_experts() if self.experts[e.person_id] in members]

    def review(self, application_id: str) -> None:
        """Every panel member declares and, unless recused, scores."""
        self.server.on(date(2026, 5, 12))
        for e in self.panel_experts():
            client = self.expert_client(e)
            base = f"/v1/applications/{application_id}"
            declared = self.record(
                client.post(f"{base}/conflict-declaration", json={"conflict": False})
            )
            if declared["events"] == ["ExpertRecused"]:
                continue
            self.record(client.post(f"{base}/score", json={"score": 88, "opinion": "方案可行"}))

    def select(self, application_id: str) -> HttpJourney:
        self.server.on(date(2026, 5, 15))
        self.check_credit()
        body = self.record(
            self.eu.post(
                f"/v1/challenges/{self.challenge_id}/select",
                json={"application_id": application_id},
            ),
            201,
        )
        self.project_id = body["aggregate_id"]
        return self

    # ---- steps 7–9 ----------------------------------------------------------------------
    def publicize(self) -> HttpJourney:
        self.server.on(date(2026, 5, 18))
        self.record(self.bureau.post(f"/v1/projects/{self.project_id}/publicize", json={}))
        return self

    def close_notice(self) -> HttpJourney:
        self.server.on(date(2026, 5, 25))
        self.record(self.bureau.post(f"/v1/projects/{self.project_id}/close-notice", json={}))
        return self

    def terms(self, budget: str = "90000.00") -> dict[str, Any]:
        c = content_json(self.content)
        return {
            "indicators": c["indicators"],
            "milestones": c["milestones"],
            "budget": budget,
            "period_months": 18,
        }

    def contract(self, lead: Organisation = INSTITUTE_WEST) -> HttpJourney:
        self.server.on(date(2026, 6, 1))
        self.check_credit()
        base = f"/v1/projects/{self.project_id}/contract"
        self.record(self.bureau.post(f"{base}/draft", json={"terms": self.terms()}))
        for client in (self.bureau, self.eu, self.solver(lead)):
            self.record(client.post(f"{base}/sign", json={}))
        return self

    def disburse(self, amount: str) -> httpx.Response:
        self.server.on(date(2026, 6, 10))
        return self.bureau.post(
            f"/v1/projects/{self.project_id}/disbursements",
            json={"amount": amount, "purpose": "首期拨付"},
        )

    def deliver(self, lead: Organisation = INSTITUTE_WEST) -> HttpJourney:
        """Each milestone reported by the solver and passed by the end user; the final pass."""
        self.server.on(date(2026, 12, 1))
        base = f"/v1/projects/{self.project_id}"
        solver = self.solver(lead)
        for milestone in (m.name for m in self.content.milestones):
            self.record(
                solver.post(f"{base}/milestones/{milestone}/report", json={"report": "完成"})
            )
            self.record(
                self.eu.post(f"{base}/milestones/{milestone}/assess", json={"verdict": "pass"})
            )
        self.record(self.eu.post(f"{base}/assess", json={"verdict": "pass", "remarks": "达标"}))
        return self

    # ---- whole stretches ----------------------------------------------------------------
    def to_published(self) -> HttpJourney:
        return self.draft().argue().list().publish()

    def to_selected(self) -> HttpJourney:
        self.to_published()
        application_id = self.apply()
        self.panel()
        self.review(application_id)
        return self.select(application_id)

    def to_contracted(self) -> HttpJourney:
        return self.to_selected().publicize().close_notice().contract()
