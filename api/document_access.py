"""Who may read a document: exactly who may read an event that keeps it (R-EVIDENCE, R-SCOPE).

A document follows the aggregates whose events reference it: a challenge's documents are read
by whom the challenge is visible to, an application's by whom the application is, a project's
by whom the project is (api/visibility.py) — but the documents of a decision over many
challenges at once (the annual list and its minutes) only by the bureau's roles, since they
speak of restricted challenges too. Before any event references it, a document is read
by the bureau's roles and by the person who uploaded it. Through the public routes, anyone reads
a public challenge's guide and a public notice's text, nothing else. Whatever may not be read
answers 404, as if it did not exist.
"""

from __future__ import annotations

from api.auth import Principal
from api.visibility import (
    SEES_EVERYTHING,
    can_see_application,
    can_see_challenge,
    can_see_project,
    is_public,
)
from jiebang_es.documents.evidence import GUIDE, NOTICE_TEXT
from jiebang_es.documents.store import Reference, StoredDocument
from jiebang_es.domain.challenge import Challenge
from jiebang_es.errors import NotFoundError
from jiebang_es.service import JiebangApp

# Events that one decision over many challenges records on each of them (the annual list, 党组
# 会): the documents kept with them (the list, the minutes) speak of every challenge decided,
# restricted ones too, so they are the bureau's roles' only, never read through one challenge.
SHARED_DECISIONS = (Challenge.Listed,)


def _kept_only_by_shared_decisions(app: JiebangApp, ref: Reference, digest: str) -> bool:
    keepers = [
        e
        for e in app.events_of(ref.aggregate_id)
        if any(d.digest == digest for d in e.audit.documents)
    ]
    return bool(keepers) and all(isinstance(e, SHARED_DECISIONS) for e in keepers)


def _sees(app: JiebangApp, principal: Principal, ref: Reference, digest: str) -> bool:
    if ref.aggregate_type == "Challenge":
        if _kept_only_by_shared_decisions(app, ref, digest):
            return False
        return can_see_challenge(principal, app.challenge(ref.aggregate_id))
    if ref.aggregate_type == "Application":
        a = app.application(ref.aggregate_id)
        return can_see_application(principal, a, app.challenge(a.challenge_id))
    if ref.aggregate_type == "Project":
        p = app.project(ref.aggregate_id)
        return can_see_project(principal, p, app.challenge(p.challenge_id))
    return False  # demands and experts: the bureau's roles only


def document_for(app: JiebangApp, principal: Principal, digest: str) -> StoredDocument:
    """The document, or 404 when no event this caller may read keeps it."""
    doc = app.documents.require(digest)
    if principal.role in SEES_EVERYTHING:
        return doc
    if doc.uploaded_by == principal.sub and doc.org_code == principal.org:
        return doc
    if any(_sees(app, principal, ref, digest) for ref in app.documents.references(digest)):
        return doc
    if app.documents.is_uploader(digest, principal.sub, principal.org):
        return doc  # uploaded the same bytes again: holds them already
    raise NotFoundError("document", digest)


def _published(app: JiebangApp, ref: Reference) -> bool:
    if ref.aggregate_type == "Challenge" and ref.kind == GUIDE:
        return is_public(app.challenge(ref.aggregate_id))
    if ref.aggregate_type == "Project" and ref.kind == NOTICE_TEXT:
        p = app.project(ref.aggregate_id)
        return (
            not p.classified
            and p.notice_starts is not None
            and is_public(app.challenge(p.challenge_id))
        )
    return False


def public_document(app: JiebangApp, digest: str) -> StoredDocument:
    """A document the plan publishes (a public challenge's guide, a public notice's text)."""
    doc = app.documents.require(digest)
    if any(_published(app, ref) for ref in app.documents.references(digest)):
        return doc
    raise NotFoundError("public document", digest)
