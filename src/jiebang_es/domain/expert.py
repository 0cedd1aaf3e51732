"""专家 Expert: a registered expert, with the kind the plan's panels are composed of."""

from __future__ import annotations

from eventsourcing.domain import event

from jiebang_es.domain.base import JiebangAggregate
from jiebang_es.domain.values import Audit, ExpertKind


class Expert(JiebangAggregate):
    class Registered(JiebangAggregate.Created):
        person_id: str
        name: str
        org_code: str
        org_name: str
        kind: ExpertKind
        speciality: str

    @event(Registered)
    def __init__(
        self,
        audit: Audit,
        person_id: str,
        name: str,
        org_code: str,
        org_name: str,
        kind: ExpertKind,
        speciality: str,
    ) -> None:
        self.person_id = person_id
        self.name = name
        self.org_code = org_code
        self.org_name = org_name
        self.kind = kind
        self.speciality = speciality
