"""Object-level authorisation over HTTP, as a matrix of roles × routes.

Three challenges of one sample: P (public, selected, its notice running), R (restricted to
the medical university by credit code, published) and C (classified, selected: its project
is classified). What a role may not see answers 404; what it may see but not change, 403.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

import httpx
import pytest

from jiebang_es.domain.values import Role, Scope
from jiebang_es.sample import (
    BUREAU,
    END_USER_EQUIPMENT,
    END_USER_PHARMA,
    ENTERPRISE_HUADONG,
    INSTITUTE_WEST,
    UNIVERSITY_MEDICAL,
    key_challenge_content,
    major_challenge_content,
)
from tests.e2e.conftest import Server
from tests.e2e.journey import HttpJourney, ok

pytestmark = pytest.mark.postgres


class Scene:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.p = HttpJourney(server, uuid.uuid4().hex[:8]).to_selected().publicize()
        self.r = HttpJourney(
            server,
            uuid.uuid4().hex[:8],
            end_user=END_USER_PHARMA,
            content=major_challenge_content(recipients=(UNIVERSITY_MEDICAL.credit_code,)),
        ).to_published()
        self.r_application = self.r.apply(UNIVERSITY_MEDICAL)
        secret = replace(
            key_challenge_content(),
            scope=Scope.RESTRICTED,
            classified=True,
            recipients=(INSTITUTE_WEST.credit_code,),
        )
        self.c = HttpJourney(server, uuid.uuid4().hex[:8], content=secret).to_selected()
        # Restricted but not classified: its project's notice is no reason to show it to
        # those who may not see the challenge (R-SCOPE).
        restricted = replace(
            key_challenge_content(),
            scope=Scope.RESTRICTED,
            recipients=(INSTITUTE_WEST.credit_code,),
        )
        self.rp = (
            HttpJourney(server, uuid.uuid4().hex[:8], content=restricted).to_selected().publicize()
        )
        panel_expert = self.p.panel_experts()[0]  # drawn (R-DRAW)
        self.panel_expert_id = self.p.experts[panel_expert.person_id]
        other_expert = self.r.sample_experts()[2]
        self.clients: dict[str, httpx.Client] = {
            "bureau": server.client(Role.BUREAU, BUREAU, "bureau-matrix"),
            "end_user_own": server.client(Role.END_USER, END_USER_EQUIPMENT, "eu-own"),
            "end_user_other": server.client(Role.END_USER, END_USER_PHARMA, "eu-other"),
            "applicant_own": server.client(Role.APPLICANT, INSTITUTE_WEST, "app-own"),
            "applicant_other": server.client(Role.APPLICANT, ENTERPRISE_HUADONG, "app-other"),
            "applicant_recipient": server.client(Role.APPLICANT, UNIVERSITY_MEDICAL, "app-rec"),
            "expert_on_panel": self.p.expert_client(panel_expert),
            "expert_other": self.r.expert_client(other_expert),
            "supervisor": server.client(Role.SUPERVISOR, BUREAU, "supervisor"),
            "analyst": server.client(Role.ANALYST, BUREAU, "analyst"),
        }

    def path(self, template: str) -> str:
        return template.format(
            p_challenge=self.p.challenge_id,
            p_application=self.p.applications[0],
            p_project=self.p.project_id,
            r_challenge=self.r.challenge_id,
            r_application=self.r_application,
            c_project=self.c.project_id,
            rp_project=self.rp.project_id,
            panel_expert=self.panel_expert_id,
        )


@pytest.fixture(scope="module")
def scene(server: Server) -> Scene:
    return Scene(server)


ROLES = (
    "bureau",
    "end_user_own",
    "end_user_other",
    "applicant_own",
    "applicant_other",
    "applicant_recipient",
    "expert_on_panel",
    "expert_other",
    "supervisor",
    "analyst",
)
# route -> expected status per role, in the order of ROLES.
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    # An expert's own assignments: experts only, each its own.
    ("GET", "/v1/experts/me/assignments"): (403, 403, 403, 403, 403, 403, 200, 200, 403, 403),
    # An expert's record (name, unit): those who read the pool, and the expert themself. Its id
    # is in public draw records, so an applicant must not turn it into a name.
    ("GET", "/v1/experts/{panel_expert}"): (200, 200, 200, 403, 403, 403, 200, 404, 200, 200),
    ("GET", "/v1/challenges/{r_challenge}"): (200, 404, 200, 404, 404, 200, 404, 404, 200, 200),
    ("GET", "/v1/challenges/{p_challenge}"): (200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "/v1/applications/{p_application}"): (200, 200, 404, 200, 404, 404, 200, 404, 200, 200),
    ("GET", "/v1/applications/{r_application}"): (200, 404, 200, 404, 404, 200, 404, 404, 200, 200),
    # A challenge's applications: the bureau's side and the challenge's own end user only.
    ("GET", "/v1/challenges/{p_challenge}/applications"): (
        200,
        200,
        404,
        404,
        404,
        404,
        404,
        404,
        200,
        200,
    ),
    ("GET", "/v1/challenges/{r_challenge}/applications"): (
        200,
        404,
        200,
        404,
        404,
        404,
        404,
        404,
        200,
        200,
    ),
    ("POST", "/v1/challenges/{p_challenge}/review-panel/absences"): (
        422,
        403,
        403,
        403,
        403,
        403,
        403,
        403,
        403,
        403,
    ),
    ("GET", "/v1/projects/{p_project}"): (200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "/v1/projects/{c_project}"): (200, 200, 404, 200, 404, 404, 404, 404, 200, 200),
    ("GET", "/v1/projects/{rp_project}"): (200, 200, 404, 200, 404, 404, 404, 404, 200, 200),
    ("GET", "/v1/projects/{rp_project}/disbursements"): (
        200,
        200,
        404,
        200,
        404,
        404,
        404,
        404,
        200,
        200,
    ),
    ("POST", "/v1/challenges/{r_challenge}/cancel"): (
        422,
        404,
        403,
        404,
        404,
        403,
        404,
        404,
        403,
        403,
    ),
    ("POST", "/v1/applications/{p_application}/withdraw"): (
        403,
        403,
        404,
        422,
        404,
        404,
        403,
        404,
        403,
        403,
    ),
    ("POST", "/v1/projects/{c_project}/close-notice"): (
        422,
        403,
        404,
        403,
        404,
        404,
        404,
        404,
        403,
        403,
    ),
    ("POST", "/v1/projects/{p_project}/disbursements"): (
        422,
        403,
        403,
        403,
        403,
        403,
        403,
        403,
        403,
        403,
    ),
}
BODIES = {
    "/v1/projects/{p_project}/disbursements": {"amount": "1000.00", "purpose": "x"},
    "/v1/challenges/{p_challenge}/review-panel/absences": {"expert_id": "x", "reason": "病假"},
}
CASES = [
    pytest.param(method, template, role, expected[i], id=f"{method} {template} as {role}")
    for (method, template), expected in MATRIX.items()
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("method", "template", "role", "expected"), CASES)
def test_authorisation_matrix(
    scene: Scene, method: str, template: str, role: str, expected: int
) -> None:
    client = scene.clients[role]
    if method == "GET":
        response = client.get(scene.path(template))
    else:
        response = client.post(scene.path(template), json=BODIES.get(template, {}))
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["Content-Type"] == "application/problem+json"


def test_expert_scores_only_after_declaring_no_conflict(scene: Scene) -> None:
    scene.r.panel()
    expert = scene.server.client(Role.EXPERT, BUREAU, scene.r.sample_experts()[0].person_id)
    scene.server.on(date(2026, 5, 12))
    refused = expert.post(
        f"/v1/applications/{scene.r_application}/score", json={"score": 80, "opinion": "可行"}
    )
    assert refused.status_code == 422
    assert refused.json()["rule_id"] == "R-CONFLICT"


def test_applicant_sees_no_scores_before_selection(scene: Scene) -> None:
    scene.r.review(scene.r_application)
    path = f"/v1/applications/{scene.r_application}"
    as_applicant = ok(scene.clients["applicant_recipient"].get(path))
    as_bureau = ok(scene.clients["bureau"].get(path))
    assert as_applicant["scores"] is None
    assert as_applicant["recused"] is None
    assert len(as_bureau["scores"]) >= 5
    selected = ok(
        scene.clients["applicant_own"].get(scene.path("/v1/applications/{p_application}"))
    )
    assert len(selected["scores"]) >= 5


@pytest.mark.parametrize("role", ["applicant_other", "end_user_other", "expert_other"])
@pytest.mark.parametrize("path", ["/v1/challenges", "/v1/projects"])
def test_r_scope_hidden_rows_never_shape_a_page_or_its_cursor(
    scene: Scene, role: str, path: str
) -> None:
    # Visibility is decided before paging: a page that has a next_cursor is full, so hidden
    # rows leak neither their number nor their log positions.
    client = scene.clients[role]
    key, hidden = (
        ("project_id", scene.c.project_id)
        if path == "/v1/projects"
        else ("challenge_id", scene.c.challenge_id)
    )
    cursor: str | None = None
    seen: list[str] = []
    while True:
        page = ok(client.get(path, params={"limit": 2} | ({"cursor": cursor} if cursor else {})))
        seen += [item[key] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["items"]) == 2, page
    assert hidden not in seen


def test_r_scope_restricted_project_hidden_from_outsiders_in_the_portfolio(scene: Scene) -> None:
    path = f"/v1/projects?challenge_id={scene.rp.challenge_id}"
    for role in ("end_user_other", "applicant_other", "applicant_recipient", "expert_other"):
        assert ok(scene.clients[role].get(path))["items"] == [], role
    for role in ("bureau", "end_user_own", "applicant_own", "supervisor"):
        items = ok(scene.clients[role].get(path))["items"]
        assert [p["project_id"] for p in items] == [scene.rp.project_id], role
