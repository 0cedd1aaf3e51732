"""Public listing: what the district portal shows, and nothing else, ever (R-SCOPE, R-PUBLICITY).

Only public-scope, non-classified challenges once published, with their guide and window; and
the public notices (公示) of selected projects that are not classified, with what the public
needs to object (R-PUBLICITY): solver, end user, project leader, dates, where and how to object,
and for a public challenge its name, funding and period. A notice of a project on a restricted
challenge names the parties, the leader and the dates, never the challenge, its funding or its
period (R-SCOPE). A notice that passed shows the project's district number.
The private reference table holds what the listing needs to decide that; queries never read it.
"""

from __future__ import annotations

from typing import Any

from jiebang_es.domain.application import Application
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.personal import shown as personal_text
from jiebang_es.domain.project import Project
from jiebang_es.domain.values import Scope
from projections.model import Handler, ReadModel, Rows, iso
from projections.schema import table

PUBLIC_CHALLENGES = table(
    "public_challenges",
    "challenge_id, published_position:int, name, industry, category, year:int, end_user_name, "
    "funding:money, period_months:int, solver_conditions, guide, window_opens, window_closes, "
    "published_at, status",
    key=("challenge_id",),
    indexes=(("published_position",),),
)
PUBLIC_NOTICES = table(
    "public_notices",
    "project_id, publicized_position:int, challenge_id, challenge_name, industry, category, "
    "solver_name, starts_on, ends_on, status, project_title, restricted:bool, end_user_name, "
    "funding:money, period_months:int, project_leader, objection_channel, district_number",
    key=("project_id",),
    indexes=(("publicized_position",),),
)
# Private working state: never read by a public query.
REFS = table(
    "public_listing_refs",
    "ref_id, kind, name, is_public:bool, classified:bool, industry, category, end_user_name, "
    "funding:money, period_months:int, solver_conditions, year:int, challenge_id, solver_name",
    key=("ref_id",),
)


class PublicListing(ReadModel):
    name = "public_listing"
    title = "public listing"
    tables = (PUBLIC_CHALLENGES, PUBLIC_NOTICES, REFS)
    # 2: a restricted challenge's notice no longer shows its industry and category (the
    # category tells its funding band, R-SCOPE): a store's listing is replayed once.
    version = 2

    def handle(self) -> dict[type, Handler]:
        return {
            Challenge.Drafted: self.drafted,
            Challenge.DraftRevised: self.drafted,
            Challenge.Listed: self.listed,
            Challenge.Published: self.published,
            Challenge.SolverSelected: self.challenge_status("selected"),
            Challenge.SolverSelectionRevoked: self.challenge_status("published"),
            Challenge.Failed: self.challenge_status("failed"),
            Challenge.Cancelled: self.challenge_status("cancelled"),
            Application.Applied: self.applied,
            Project.Selected: self.selected,
            Project.Publicized: self.publicized,
            Project.ObjectionLodged: self.notice_status("objection lodged"),
            Project.ObjectionResolved: self.notice_status("objection resolved"),
            Project.SelectionRevoked: self.notice_status("revoked"),
            Project.NoticeClosed: self.notice_status("closed"),
            Project.EnteredDistrictManagement: self.numbered,
        }

    def drafted(self, e: Any, pos: int, rows: Rows) -> None:
        c = e.content
        key = str(e.originator_id)
        before = rows.get(REFS.name, key) or {}
        rows.put(
            REFS.name,
            {
                "ref_id": key,
                "kind": "challenge",
                "name": c.name,
                "is_public": c.scope is Scope.PUBLIC and not c.classified,
                "classified": c.classified,
                "industry": c.industry,
                "category": c.category.value,
                # A revision keeps the end user of the draft.
                "end_user_name": e.end_user.name
                if isinstance(e, Challenge.Drafted)
                else before.get("end_user_name"),
                "funding": c.funding,
                "period_months": c.period_months,
                "solver_conditions": c.solver_conditions,
                "year": before.get("year"),
            },
        )

    def listed(self, e: Challenge.Listed, pos: int, rows: Rows) -> None:
        rows.update(REFS.name, (str(e.originator_id),), year=e.year)

    def published(self, e: Challenge.Published, pos: int, rows: Rows) -> None:
        ref = rows.get(REFS.name, str(e.originator_id))
        if ref is None or not ref["is_public"]:
            return
        rows.put(
            PUBLIC_CHALLENGES.name,
            {
                "challenge_id": str(e.originator_id),
                "published_position": pos,
                "name": ref["name"],
                "industry": ref["industry"],
                "category": ref["category"],
                "year": ref["year"],
                "end_user_name": ref["end_user_name"],
                "funding": ref["funding"],
                "period_months": ref["period_months"],
                "solver_conditions": ref["solver_conditions"],
                "guide": e.guide,
                "window_opens": iso(e.window_opens),
                "window_closes": iso(e.window_closes),
                "published_at": iso(e.audit.effective_at),
                "status": "published",
            },
        )

    def challenge_status(self, status: str) -> Handler:
        def handler(e: Any, pos: int, rows: Rows) -> None:
            rows.update(PUBLIC_CHALLENGES.name, (str(e.originator_id),), status=status)

        return handler

    def applied(self, e: Application.Applied, pos: int, rows: Rows) -> None:
        rows.put(
            REFS.name,
            {
                "ref_id": str(e.originator_id),
                "kind": "application",
                "name": e.lead.organisation.name,
                "is_public": False,
                "classified": False,
            },
        )

    def publicized(self, e: Project.Publicized, pos: int, rows: Rows) -> None:
        project = rows.get(REFS.name, str(e.originator_id))
        if project is None or project["classified"]:
            return  # R-PUBLICITY: a classified project's details never go public
        challenge = rows.get(REFS.name, project["challenge_id"]) or {}
        shown = bool(challenge.get("is_public"))
        # R-PUBLICITY: the notice's own text since v2; a first-release notice (None) shows
        # what the listing showed then, and nothing for the fields it did not record.
        n = e.notice
        rows.put(
            PUBLIC_NOTICES.name,
            {
                "project_id": str(e.originator_id),
                "publicized_position": pos,
                "challenge_id": project["challenge_id"] if shown else None,
                "challenge_name": challenge.get("name") if shown else None,
                "industry": challenge.get("industry") if shown else None,
                "category": challenge.get("category") if shown else None,
                "solver_name": n.solver_name if n else project["solver_name"],
                "starts_on": iso(e.starts_on),
                "ends_on": iso(e.ends_on),
                "status": "running",
                "project_title": n.project_title if n else None,
                "restricted": n.restricted if n else not shown,
                "end_user_name": n.end_user_name if n else None,
                "funding": n.funding if n else None,
                "period_months": n.period_months if n else None,
                "project_leader": personal_text(n.project_leader) if n else None,
                "objection_channel": n.objection_channel if n else None,
            },
        )

    def numbered(self, e: Project.EnteredDistrictManagement, pos: int, rows: Rows) -> None:
        # Only a notice the public saw gets its number shown (a classified one has no row).
        rows.update(PUBLIC_NOTICES.name, (str(e.originator_id),), district_number=e.number)

    def notice_status(self, status: str) -> Handler:
        def handler(e: Any, pos: int, rows: Rows) -> None:
            rows.update(PUBLIC_NOTICES.name, (str(e.originator_id),), status=status)

        return handler

    def selected(self, e: Project.Selected, pos: int, rows: Rows) -> None:
        application = rows.get(REFS.name, e.application_id) or {}
        rows.put(
            REFS.name,
            {
                "ref_id": str(e.originator_id),
                "kind": "project",
                "is_public": False,
                "classified": e.classified,
                "challenge_id": e.challenge_id,
                "solver_name": application.get("name"),
            },
        )
