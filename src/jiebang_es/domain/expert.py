"""专家 Expert: a member of the expert pool (专家库), with the kind the plan's panels are composed
of, the specialities and region panels are drawn by, a status, the relations that exclude them
from a unit's panels (R-CONFLICT), and the seats taken each year (the per-year cap)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from jiebang_es.domain.base import JiebangAggregate
from jiebang_es.domain.personal import PersonalText
from jiebang_es.domain.values import Audit, ExpertKind


class ExpertStatus(Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # 暂停: with a reason, may be reinstated
    RETIRED = "retired"  # 退出: for good


class RelationKind(Enum):
    """A declared tie to a unit that keeps the expert off that unit's panels (R-CONFLICT)."""

    FORMER_EMPLOYER = "former_employer"  # 曾任职单位 (within the configured years)
    COLLABORATION = "collaboration"  # 合作或合著 (within the configured years)
    FAMILY_TIE = "family_tie"  # 与单位负责人有亲属关系 (always)


@dataclass(frozen=True)
class Relation:
    org_code: str
    kind: RelationKind
    ended_on: date | None  # None: still current
    detail: str


class Expert(JiebangAggregate):
    @staticmethod
    def create_id(person_id: str) -> UUID:
        """One expert per person: the id derives from the person id, so a second registration
        of the same person is a conflict, and an expert can be found by person id."""
        return uuid5(NAMESPACE_URL, f"jiebang:expert:{person_id}")

    class Registered(JiebangAggregate.Created):
        person_id: str
        name: PersonalText  # personal information: the expert's name
        org_code: str
        org_name: str
        kind: ExpertKind
        speciality: str
        specialities: tuple[str, ...]
        region: str

        # Version 1 (the first release) had one free-text speciality and no region: it becomes
        # the only speciality code, and the region stays unknown ("").
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            speciality = str(state.get("speciality", "")).strip()
            state["specialities"] = [speciality] if speciality else []
            state["region"] = ""

    @event(Registered)
    def __init__(
        self,
        audit: Audit,
        person_id: str,
        name: PersonalText,
        org_code: str,
        org_name: str,
        kind: ExpertKind,
        speciality: str,
        specialities: tuple[str, ...],
        region: str,
    ) -> None:
        self.person_id = person_id
        self.name = name
        self.org_code = org_code
        self.org_name = org_name
        self.kind = kind
        self.speciality = speciality
        self.specialities = tuple(specialities)
        self.region = region
        self.status = ExpertStatus.ACTIVE
        self.status_reason = ""
        self.relations: tuple[Relation, ...] = ()
        self.seats: tuple[tuple[int, str], ...] = ()  # (year, draw id) of every seat taken

    class StatusChanged(JiebangAggregate.Event):
        status: ExpertStatus

    @event(StatusChanged)
    def change_status(self, audit: Audit, status: ExpertStatus) -> None:
        self.status = status
        self.status_reason = audit.reason

    class RelationDeclared(JiebangAggregate.Event):
        relation: Relation

    @event(RelationDeclared)
    def declare_relation(self, audit: Audit, relation: Relation) -> None:
        self.relations = (*self.relations, relation)

    class SeatTaken(JiebangAggregate.Event):
        draw_id: str
        year: int

    @event(SeatTaken)
    def take_seat(self, audit: Audit, draw_id: str, year: int) -> None:
        self.seats = (*self.seats, (year, draw_id))

    def seats_in(self, year: int) -> int:
        return sum(1 for y, _ in self.seats if y == year)
