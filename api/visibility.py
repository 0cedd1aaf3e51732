"""Object-level authorisation: who may see which challenge, application and project.

What an actor may not see answers 404, as if it did not exist: a restricted challenge to those
it is not published to, a classified project to anyone but its parties, another unit's
application. What an actor may see but not change is refused by the domain's rules (403 with
the rule id). Bureau staff, supervisors and analysts see everything.
"""

from __future__ import annotations

from api.auth import Principal
from jiebang_es.domain.application import Application
from jiebang_es.domain.challenge import Challenge, ChallengeStatus
from jiebang_es.domain.expert import Expert
from jiebang_es.domain.project import Project
from jiebang_es.domain.values import Role, Scope
from jiebang_es.errors import NotFoundError
from jiebang_es.service import JiebangApp
from projections.queries import Viewer

SEES_EVERYTHING = (Role.BUREAU, Role.SUPERVISOR, Role.ANALYST)


def expert_id_of(principal: Principal) -> str:
    """The expert aggregate of the calling person (one per person)."""
    return str(Expert.create_id(principal.sub))


def was_published(c: Challenge) -> bool:
    """The challenge went through publication (whatever came after)."""
    return c.window_opens is not None


def is_public(c: Challenge) -> bool:
    """Published on the portal: public scope, never classified."""
    return was_published(c) and c.content.scope is Scope.PUBLIC and not c.content.classified


def on_panel(principal: Principal, c: Challenge) -> bool:
    """The caller is an expert of the challenge's review panel."""
    return principal.role is Role.EXPERT and expert_id_of(principal) in c.panel_member_ids()


def can_see_challenge(principal: Principal, c: Challenge) -> bool:
    """Whether the challenge exists for this caller."""
    if principal.role in SEES_EVERYTHING or is_public(c):
        return True
    if principal.role is Role.END_USER:
        return c.end_user.credit_code == principal.org
    if principal.role is Role.EXPERT:
        return on_panel(principal, c)
    if principal.role is Role.APPLICANT:
        # A restricted challenge reaches the units its recipients name by credit code.
        codes = {r.strip().upper() for r in c.content.recipients}
        return was_published(c) and principal.org in codes
    return False


def challenge_for(app: JiebangApp, principal: Principal, challenge_id: str) -> Challenge:
    """The challenge, or 404 when it is not for this actor's eyes."""
    c = app.challenge(challenge_id)
    if not can_see_challenge(principal, c):
        raise NotFoundError("challenge", challenge_id)
    return c


def can_see_application(principal: Principal, a: Application, c: Challenge) -> bool:
    """Whether the application exists for this caller."""
    if principal.role in SEES_EVERYTHING:
        return True
    if principal.role is Role.APPLICANT:
        return principal.org in a.unit_codes()
    if principal.role is Role.END_USER:
        return c.end_user.credit_code == principal.org
    if principal.role is Role.EXPERT:
        return c.panel_is_effective and on_panel(principal, c)
    return False


def reviews_visible(principal: Principal, c: Challenge) -> bool:
    """Applicants see declarations and scores only once the solver is selected."""
    return principal.role is not Role.APPLICANT or c.status is ChallengeStatus.SELECTED


def scores_visible(principal: Principal, c: Challenge, a: Application) -> bool:
    """Scores as ``reviews_visible``; and an expert sees the other experts' scores of an
    application only once his own is recorded (and never if he recused), so no score is
    anchored on another's."""
    if not reviews_visible(principal, c):
        return False
    if principal.role is not Role.EXPERT:
        return True
    me = expert_id_of(principal)
    return me not in a.recused and any(s.expert_id == me for s in a.scores)


def application_for(
    app: JiebangApp, principal: Principal, application_id: str
) -> tuple[Application, Challenge]:
    """The application and its challenge, or 404 when it is not this actor's to see."""
    a = app.application(application_id)
    c = app.challenge(a.challenge_id)
    if not can_see_application(principal, a, c):
        raise NotFoundError("application", application_id)
    return a, c


def can_see_project(principal: Principal, p: Project, c: Challenge) -> bool:
    """Whether the project exists for this caller: its parties see it; others know it from its
    public notice (a classified one has none), and only if they may see its challenge
    (R-SCOPE: a restricted challenge's project is as restricted as the challenge)."""
    if principal.role in SEES_EVERYTHING:
        return True
    if (principal.role, principal.org) in (
        (Role.END_USER, p.end_user_code),
        (Role.APPLICANT, p.solver_code),
    ):
        return True
    return not p.classified and p.notice_starts is not None and can_see_challenge(principal, c)


def project_for(app: JiebangApp, principal: Principal, project_id: str) -> Project:
    """The project, or 404 when it is classified, unannounced or of a challenge this actor may
    not see, and this actor is no party."""
    p = app.project(project_id)
    if not can_see_project(principal, p, app.challenge(p.challenge_id)):
        raise NotFoundError("project", project_id)
    return p


def viewer_of(principal: Principal) -> Viewer | None:
    """Who reads a list, for the query to decide visibility before paging (None: everything)."""
    if principal.role in SEES_EVERYTHING:
        return None
    return Viewer(role=principal.role.value, org=principal.org)
