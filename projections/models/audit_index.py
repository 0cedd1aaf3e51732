"""Audit index: one row per event of the log, in log order — who, in which role and
organisation, what, when (business and recording time), why, and the request that caused it."""

from __future__ import annotations

import json
from typing import Any

from projections.model import Handler, ReadModel, Rows, aggregate_type, event_type, iso
from projections.schema import table

AUDIT_EVENTS = table(
    "audit_events",
    "position:int, aggregate_type, aggregate_id, version:int, event_type, actor_id, role, "
    "org_code, reason, effective_at, recorded_at, request_id, correlation_id, causation_id, "
    "exceptions",
    key=("position",),
    append_only=True,
    # Each filter with the log position after it: a page of one aggregate's (or actor's, …)
    # events is read from the index in order, whatever the length of the log.
    indexes=(
        ("aggregate_id", "position"),
        ("actor_id", "position"),
        ("request_id", "position"),
        ("correlation_id", "position"),
        ("recorded_at",),
        ("aggregate_type", "event_type", "recorded_at"),
    ),
)


class AuditIndex(ReadModel):
    name = "audit_index"
    title = "audit index"
    tables = (AUDIT_EVENTS,)

    def handle(self) -> dict[type, Handler]:
        return {}  # every event is indexed: see apply()

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        audit = getattr(event, "audit", None)
        rows.append(
            AUDIT_EVENTS.name,
            {
                "position": position,
                "aggregate_type": aggregate_type(event),
                "aggregate_id": str(event.originator_id),
                "version": event.originator_version,
                "event_type": event_type(event),
                "actor_id": audit.actor_id if audit else None,
                "role": audit.role.value if audit else None,
                "org_code": audit.org_code if audit else None,
                "reason": audit.reason if audit else None,
                "effective_at": iso(audit.effective_at) if audit else None,
                "recorded_at": iso(audit.recorded_at) if audit else None,
                "request_id": audit.request_id if audit else None,
                "correlation_id": audit.correlation_id if audit else None,
                "causation_id": audit.causation_id if audit else None,
                "exceptions": json.dumps(
                    [
                        {"rule_id": x.rule_id, "justification": x.justification, "detail": x.detail}
                        for x in audit.exceptions
                    ],
                    ensure_ascii=False,
                )
                if audit and audit.exceptions
                else None,
            },
        )
