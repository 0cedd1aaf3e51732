"""R-EVIDENCE in the log: each step the rule names keeps the documents it requires.

The steps are the commands of ``JIEBANG_EVIDENCE_KINDS`` (the rule's own list by default), each
recorded as the event below; a step whose event keeps no document of a required kind is a
violation, whether it was written past the command guards (an import, older code) or while the
guard was switched off (``JIEBANG_EVIDENCE_REQUIRED=false`` stops the refusal, not the record's
audit: a decision without its papers is reported). The requirement judged is today's
configuration: the log does not say which was in force when the step was recorded.

R-EVIDENCE came with RULES.md version 2: like the other rules of that version it is checked for
the steps of challenges drafted under version 2 (``rules_version``): the first release kept no
documents, and its steps are not reported for lacking them.
"""

from __future__ import annotations

from typing import Any

from jiebang_es.domain.application import Application
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.project import Project
from jiebang_es.labels_zh import event_zh
from projections.compliance.check import Check

# The event that records each step R-EVIDENCE names (by command, as the configuration names it).
STEP_EVENTS: dict[type, str] = {
    Challenge.Listed: "approve_annual_list",
    Challenge.Published: "publish",
    Challenge.Reviewed: "record_argumentation",
    Application.Applied: "apply",
    Application.Scored: "score",
    Project.Publicized: "publicize",
    Project.ContractSigned: "sign_contract",
    Project.MilestoneReported: "report_milestone",
    Project.Assessed: "assess",
}


def _challenge_of(c: Check) -> dict[str, Any]:
    """The checker's state of the challenge the event's aggregate belongs to."""
    e = c.event
    if type(e).__qualname__.split(".")[0] == "Challenge":
        return c.state()
    challenge_id = getattr(e, "challenge_id", None) or c.state().get("challenge_id")
    return c.state(challenge_id) if challenge_id else {}


def check_evidence(c: Check) -> None:
    command = STEP_EVENTS.get(type(c.event))
    if command is None:
        return
    required = c.settings.evidence_kinds.get(command, ())
    if not required or int(_challenge_of(c).get("rules_version") or 1) < 2:
        return
    kept = {d.kind for d in c.audit.documents}
    missing = [kind for kind in required if kind not in kept]
    if missing:
        c.violation(
            "R-EVIDENCE",
            f"{type(c.event).__qualname__} ({command}) keeps no {', '.join(missing)} "
            f"(缺少必备文件：{'、'.join(missing)})",
            zh=f"“{event_zh(type(c.event).__qualname__)}”（{command}）缺少必备文件："
            f"{'、'.join(missing)}",
        )
