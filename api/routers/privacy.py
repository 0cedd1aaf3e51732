"""Personal information (docs/personal-information.md): the data-protection officer erases a
data subject's personal information (PIPL art. 47) and reads the subject's report (art. 45)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Path, Response
from fastapi.responses import JSONResponse

from api.commands import execute
from api.deps import AppDep, CommandDep, get_settings, require_roles
from api.routers.common import COMMAND_PROBLEMS, READ_PROBLEMS
from api.schemas.privacy import ErasureIn, ErasureReceiptOut, SubjectReportOut
from jiebang_es.config import Settings
from jiebang_es.domain.values import Role
from jiebang_es.privacy.report import report_sheets, subject_report
from projections.rebuild import RebuildInProgressError, rebuild_after_erasure
from projections.reports.formats import to_xlsx

router = APIRouter(
    prefix="/v1/privacy/subjects",
    tags=["personal information"],
    dependencies=[Depends(require_roles(Role.DATA_PROTECTION_OFFICER))],
)
log = structlog.get_logger("api")
SubjectId = Annotated[
    str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9:._-]*$")
]
# The receipt's headers the erasure's answer keeps (its body gains the erasure's facts).
RECEIPT_HEADERS = ("etag", "x-log-position", "idempotent-replayed")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post(
    "/{subject_id}/erasure",
    status_code=201,
    response_model=ErasureReceiptOut,
    responses=COMMAND_PROBLEMS,
)
def erase_subject(
    subject_id: SubjectId,
    body: ErasureIn,
    ctx: CommandDep,
    settings: Annotated[Settings, Depends(get_settings)],
) -> JSONResponse:
    """Erase the subject's personal information (Erasure.Erased, then the key is destroyed);
    refused before the retention period ends unless a legal ground is given (R-RETENTION).
    The read models that show personal fields are rebuilt before the answer — on a replay of
    the same request too, so that a retry after a crash between the two completes the erasure.
    ``Location`` is the subject's report, which shows the erasure."""
    response = execute(
        ctx,
        lambda meta: ctx.app.erase_subject(
            ctx.principal.actor, subject_id, legal_ground=body.legal_ground, meta=meta
        ),
        reason=body.reason,
        created="/v1/privacy/subjects",
    )
    try:
        rebuild_after_erasure(settings)
    except RebuildInProgressError:
        # A rebuild already running reads the log after the erasure: it shows it too.
        log.warning("rebuild_after_erasure_left_to_the_running_rebuild")
    erasure = ctx.app.erasure_of(subject_id)
    answer: dict[str, Any] = json.loads(bytes(response.body))
    if erasure is not None:
        answer |= {
            "encrypted_records": erasure.encrypted_records,
            "retention": erasure.retention,
            "legacy_plaintext_not_shredded": list(erasure.legacy_records),
        }
    kept = {k: v for k, v in response.headers.items() if k in RECEIPT_HEADERS}
    kept["location"] = f"/v1/privacy/subjects/{subject_id}/report"
    return JSONResponse(answer, status_code=response.status_code, headers=kept)


@router.get("/{subject_id}/report", response_model=SubjectReportOut, responses=READ_PROBLEMS)
def report_of_subject(subject_id: SubjectId, app: AppDep) -> SubjectReportOut:
    """Every record holding the subject's personal information, its form and value."""
    return SubjectReportOut.model_validate(subject_report(app, subject_id))


@router.get(
    "/{subject_id}/report.xlsx",
    responses={**READ_PROBLEMS, 200: {"content": {XLSX: {}}, "description": "the workbook"}},
    response_class=Response,
)
def report_of_subject_xlsx(subject_id: SubjectId, app: AppDep) -> Response:
    """The same report as an XLSX workbook."""
    workbook = to_xlsx(report_sheets(subject_report(app, subject_id)))
    return Response(workbook, media_type=XLSX)
