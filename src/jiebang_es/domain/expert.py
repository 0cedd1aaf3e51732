"""专家 Expert: a registered expert, with the kind the plan's panels are composed of."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from jiebang_es.domain.base import JiebangAggregate
from jiebang_es.domain.values import Audit, ExpertKind


class Expert(JiebangAggregate):
    @staticmethod
    def create_id(person_id: str) -> UUID:
        """One expert per person: the id derives from the person id, so a second registration
        of the same person is a conflict, and an expert can be found by person id."""
        return uuid5(NAMESPACE_URL, f"jiebang:expert:{person_id}")

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
