"""Which records hold a data subject's personal information (PIPL art. 45): every personal field
of every event of the log, encrypted, erased, or held in clear by an earlier release.

The personal fields are the ``Personal`` values anywhere in an event. Fields that an earlier
release recorded as plain text are named here, with the subject their record derives
(``domain/personal.py``): an expert's name, an application's leader, the leader in a
contract's terms or a public notice, an outside objector named by the bureau's staff."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jiebang_es.audit.queries import log_events
from jiebang_es.domain.application import Application
from jiebang_es.domain.base import JiebangAggregate
from jiebang_es.domain.expert import Expert
from jiebang_es.domain.personal import (
    Personal,
    expert_subject,
    leader_subject,
    objector_subject,
)
from jiebang_es.domain.project import Project
from jiebang_es.service_base import ServiceBase

ENCRYPTED, ERASED, CLEAR = "encrypted", "erased", "clear (legacy)"
# What the release before personal information was encrypted recorded for an objection lodged
# by its own actor: "<actor id> (<role>, <credit code>)", which names no outside person.
_ACTOR_AS_OBJECTOR = re.compile(r"^\S+ \([a-z_]+, [0-9A-Z]{18}\)$")


@dataclass(frozen=True)
class PersonalRecord:
    position: int
    aggregate: str
    aggregate_id: str
    version: int
    event: str
    field: str
    subject_id: str
    kind: str
    form: str  # ENCRYPTED, ERASED or CLEAR
    value: str  # the plaintext where readable; "" once erased
    recorded_at: str

    @property
    def label(self) -> str:
        return f"{self.position} {self.aggregate}.{self.event} {self.field}"


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every (path, value) inside an event's attribute where personal data may be."""
    yield path, value
    if isinstance(value, Personal):
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _walk(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, tuple | list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for k, item in value.items():
            yield from _walk(item, f"{path}.{k}")


def _legacy_subject(event: JiebangAggregate.Event, path: str, project_apps: dict[str, str]) -> str:
    """The subject of a field an earlier release recorded in clear, or "" if it is none."""
    if isinstance(event, Expert.Registered) and path == "name":
        return expert_subject(event.person_id)
    if isinstance(event, Application.Applied) and path == "leader_name":
        return leader_subject(str(event.originator_id))
    if isinstance(event, Project.ObjectionLodged) and path == "objector":
        own = _ACTOR_AS_OBJECTOR.match(str(event.objector))
        return "" if own else objector_subject(event.objection_id)
    if path.endswith(".project_leader"):
        application_id = project_apps.get(str(event.originator_id), str(event.originator_id))
        return leader_subject(application_id)
    return ""


def personal_records(app: ServiceBase) -> Iterator[PersonalRecord]:
    """Every personal field of the log, in log order."""
    project_apps: dict[str, str] = {}
    for position, event in log_events(app):
        if isinstance(event, Project.Selected):
            project_apps[str(event.originator_id)] = event.application_id
        for name, attribute in event.__dict__.items():
            if name in ("audit", "originator_id", "originator_version", "timestamp"):
                continue
            for path, value in _walk(attribute, name):
                record = _record(position, event, path, value, project_apps)
                if record is not None:
                    yield record


def _record(
    position: int,
    event: JiebangAggregate.Event,
    path: str,
    value: Any,
    project_apps: dict[str, str],
) -> PersonalRecord | None:
    if isinstance(value, Personal):
        subject, kind = value.subject_id, value.kind
        form = ERASED if value.erased else ENCRYPTED
        text = value.value or ""
    elif (
        isinstance(value, str)
        and value.strip()
        and (path in ("name", "leader_name", "objector") or path.endswith(".project_leader"))
    ):
        subject, form, text = _legacy_subject(event, path, project_apps), CLEAR, value
        kind = "name_and_contact" if path == "objector" else "name"
        if not subject:
            return None
    else:
        return None
    return PersonalRecord(
        position=position,
        aggregate=type(event).__qualname__.split(".")[0],
        aggregate_id=str(event.originator_id),
        version=event.originator_version,
        event=type(event).__name__,
        field=path,
        subject_id=subject,
        kind=kind,
        form=form,
        value=text,
        recorded_at=event.audit.recorded_at.isoformat(),
    )


def records_of(app: ServiceBase, subject_id: str) -> list[PersonalRecord]:
    return [r for r in personal_records(app) if r.subject_id == subject_id]
