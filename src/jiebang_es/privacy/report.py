"""The data subject's report (PIPL art. 45, 查阅复制): every record holding the subject's personal
information, in what form (encrypted, erased, or in clear from an earlier release), its value
where it is still readable, and the erasure if there was one. The report is for the subject and
the data-protection officer: it is the one export that carries the subject's data in clear."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from jiebang_es.privacy.records import CLEAR
from jiebang_es.service import JiebangApp

COLUMNS = (
    "position",
    "aggregate",
    "aggregate_id",
    "version",
    "event",
    "field",
    "kind",
    "form",
    "value",
    "recorded_at",
)


def subject_report(app: JiebangApp, subject_id: str) -> dict[str, Any]:
    records = app.subject_records(subject_id)
    erasure = app.erasure_of(subject_id)
    return {
        "subject_id": subject_id.strip(),
        "law": "PIPL art. 45 (查阅、复制); erasure: art. 47",
        "records": [
            {k: v for k, v in dataclasses.asdict(r).items() if k in COLUMNS} for r in records
        ],
        "legacy_plaintext": [r.label for r in records if r.form == CLEAR],
        "erasure": None
        if erasure is None
        else {
            "erased_at": erasure.erased_at.isoformat(),
            "by": erasure.erased_by,
            "reason": erasure.reason,
            "legal_ground": erasure.legal_ground,
            "retention": erasure.retention,
            "legacy_records": list(erasure.legacy_records),
        },
    }


def report_sheets(
    report: dict[str, Any],
) -> dict[str, tuple[Sequence[str], Sequence[Sequence[Any]]]]:
    """The report as sheets (headers, rows) for an XLSX workbook."""
    records: list[list[Any]] = [[r[c] for c in COLUMNS] for r in report["records"]]
    erasure = report["erasure"] or {}
    about: list[list[Any]] = [["subject_id", report["subject_id"]], ["law", report["law"]]]
    about += [[f"erasure.{k}", str(v)] for k, v in erasure.items()]
    return {"records": (COLUMNS, records), "subject": (("item", "value"), about)}
