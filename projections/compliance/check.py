"""What a check sees of one event and how it records a finding; the compliance model's tables.

Findings are violations and granted exceptions per rule id, each with the positions of the
events that show it. The working state — what the checker needs to know of each challenge,
application, project, expert and credit record to judge later events — is kept as JSON
documents in its own table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from jiebang_es.documents.evidence import DEFAULT_EVIDENCE
from jiebang_es.domain.content import DEFAULT_COMMITMENT_MIN_RATIO, DEFAULT_FORBIDDEN_CONDITIONS
from jiebang_es.domain.rules import DEFAULT_INDUSTRIES
from jiebang_es.domain.working_days import WorkingDayCalendar
from projections.model import Rows, event_type
from projections.schema import table

FINDINGS = table(
    "compliance_findings",
    "finding_id, rule_id, kind, position:int, evidence, aggregate_id, event_type, detail, "
    "detail_zh, actor_id, role, org_code, justification, effective_at",
    key=("finding_id",),
    append_only=True,
    indexes=(("rule_id",),),
)
STATE = table("compliance_state", "ref_id, state:json", key=("ref_id",))
VERSIONS = table(
    "compliance_versions", "aggregate_id, version:int, effective_at", key=("aggregate_id",)
)
# Reasons the plan makes mandatory (R-AUDIT-WHO), by event.
REASON_REQUIRED = {
    "Challenge.Failed",
    "Challenge.Cancelled",
    "Project.ObjectionResolved",
    "Project.SelectionRevoked",
    "Project.NoticeWaived",
    "Project.Terminated",
    "Project.RouteChangeFiled",
    "Project.ContractChangeProposed",
    "Project.Extended",
    "BudgetEnvelope.BudgetRevised",
    "Erasure.Erased",
}


@dataclass
class Check:
    """What a check sees of one event, and how it records findings."""

    rows: Rows
    event: Any
    position: int
    settings: CheckSettings
    seq: int = 0
    aggregate_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.aggregate_id = str(self.event.originator_id)

    @property
    def audit(self) -> Any:
        return self.event.audit

    @property
    def on(self) -> Any:
        """The business date the event took effect."""
        return self.event.audit.effective_at.date()

    def state(self, ref_id: str | None = None) -> dict[str, Any]:
        row = self.rows.get(STATE.name, ref_id or self.aggregate_id)
        return row["state"] if row else {}

    def save(self, state: dict[str, Any], ref_id: str | None = None) -> None:
        self.rows.put(STATE.name, {"ref_id": ref_id or self.aggregate_id, "state": state})

    def violation(self, rule_id: str, detail: str, *evidence: int | None, zh: str) -> None:
        """A violation of the rule, said in English (``detail``) and in Chinese (``zh``), with
        the positions of the earlier events that show it beside this one's."""
        self._finding(rule_id, "violation", detail, zh, evidence, "")

    def exception(self, rule_id: str, detail: str, justification: str) -> None:
        """A granted exception: its detail is the grantor's own words, in whatever language
        they wrote them."""
        self._finding(rule_id, "exception", detail, detail, (), justification)

    def _finding(
        self,
        rule_id: str,
        kind: str,
        detail: str,
        detail_zh: str,
        evidence: Sequence[int | None],
        justification: str,
    ) -> None:
        self.seq += 1
        audit = getattr(self.event, "audit", None)
        positions = sorted({p for p in (*evidence, self.position) if p})
        self.rows.append(
            FINDINGS.name,
            {
                "finding_id": f"{self.position:012d}-{self.seq:02d}",
                "rule_id": rule_id,
                "kind": kind,
                "position": self.position,
                "evidence": ",".join(str(p) for p in positions),
                "aggregate_id": self.aggregate_id,
                "event_type": event_type(self.event),
                "detail": detail,
                "detail_zh": detail_zh,
                "actor_id": audit.actor_id if audit else None,
                "role": audit.role.value if audit else None,
                "org_code": audit.org_code if audit else None,
                "justification": justification,
                "effective_at": audit.effective_at.isoformat() if audit else None,
            },
        )


@dataclass(frozen=True)
class CheckSettings:
    """What the plan leaves to configuration, as the checker needs it."""

    industries: tuple[str, ...] = DEFAULT_INDUSTRIES
    district_code: str = "500106"
    forbidden_conditions: tuple[str, ...] = DEFAULT_FORBIDDEN_CONDITIONS
    commitment_min_ratio: Decimal = DEFAULT_COMMITMENT_MIN_RATIO
    notice_working_days: int = 5
    credit_max_age_days: int = 30  # R-CREDIT: how long a credit check counts
    calendar: WorkingDayCalendar = field(default_factory=lambda: WorkingDayCalendar.load(None))
    # R-EVIDENCE: command name → the document kinds its step keeps
    evidence_kinds: Mapping[str, Sequence[str]] = field(default_factory=lambda: DEFAULT_EVIDENCE)


CheckFn = Callable[[Check], None]
