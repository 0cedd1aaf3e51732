"""The supervisor's console (sign-in, supervisor role, as ``/v1/audit``): an aggregate's
timeline with who, role, organisation, effective and recorded time, why, the fields changed
(old → new) and the exceptions granted; its state as of a date-time; activity by person,
request or period; the compliance report per rule with links to the events; and the seal
chain's status with a button to verify it now.

The pages call the same functions as the JSON routes: ``jiebang_es.audit.queries`` for history
and state, ``projections.queries.audit_events`` for activity, the compliance report of
``projections.reports``, and ``verify_store`` as ``jiebang audit verify`` does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

import jiebang_es.audit.queries as audit
from api.auth import Principal
from api.deps import AppDep
from api.document_access import document_for
from api.reads import ReadsDep
from api.routers.documents import send_document
from api.web.render import PARAMETER_ZH, PageError, not_found, page
from api.web.signin import check_csrf, csrf_token, form_fields, signed_in
from jiebang_es.audit.raw_store import RawStore
from jiebang_es.audit.verify import Damage, Finding
from jiebang_es.audit.verify_store import verify_store
from jiebang_es.config import Settings
from jiebang_es.domain.values import Role
from jiebang_es.errors import InvalidValueError, JiebangError, NotFoundError
from jiebang_es.labels_zh import RULE_STATUS_ZH
from jiebang_es.rule_titles import RULE_TITLE_ZH
from projections import queries
from projections.reports.compliance import compliance_report

router = APIRouter(prefix="/console", include_in_schema=False)
Supervisor = Annotated[Principal, Depends(signed_in(Role.SUPERVISOR))]
Text = Annotated[str, Query(max_length=200)]


@dataclass(frozen=True)
class Verification:
    """The last verification run from the console, in this process."""

    at: str
    intact: bool
    events: int
    last_position: int
    checkpoints: int
    last_checkpoint: int
    finding: str | None
    seconds: float


def _context(request: Request, reader: Principal, **more: Any) -> dict[str, Any]:
    return {"reader": reader, "csrf": csrf_token(request), **more}


@router.get("")
def index(request: Request, reader: Supervisor, reads: ReadsDep) -> Response:
    """Where to start: every challenge and project, each with a link to its timeline."""
    challenges = queries.list_challenges(reads, limit=500).items
    projects = queries.list_projects(reads, limit=500).items
    context = _context(request, reader, challenges=challenges, projects=projects)
    return page(request, "console_index.html", context, private=True)


@router.get("/aggregates")
def find(reader: Supervisor, aggregate_id: Text = "") -> Response:  # noqa: ARG001
    """The form on the index names an id: go to its timeline."""
    try:
        ident = UUID(aggregate_id.strip())
    except ValueError:
        raise PageError(422, "编号无效", "请输入对象编号（UUID）。") from None
    return Response(status_code=303, headers={"Location": f"/console/aggregates/{ident}"})


@router.get("/aggregates/{aggregate_id}")
def timeline(
    request: Request, reader: Supervisor, app: AppDep, aggregate_id: Annotated[UUID, Path()]
) -> Response:
    """Every event of one aggregate, oldest first: who, when, why, and what it changed."""
    entries = audit.history(app, str(aggregate_id))
    if not entries:
        raise not_found()
    context = _context(
        request,
        reader,
        aggregate_id=str(aggregate_id),
        entries=[{**e.as_json(), "changes": _flat(e.as_json()["changes"])} for e in entries],
    )
    return page(request, "console_timeline.html", context, private=True)


@router.get("/documents/{digest:sha256}")
def document(
    reader: Supervisor,
    app: AppDep,
    digest: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
    range_: Annotated[str | None, Header(alias="Range")] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """A document kept with an event, for a signed-in reader whom ``GET /v1/documents/{digest}``
    would give it to (the same check, ``api.document_access.document_for``), or 404."""
    try:
        found = document_for(app, reader, digest)
    except NotFoundError:
        raise not_found() from None
    response = send_document(app, found, range_, if_none_match)
    response.headers["Cache-Control"] = "no-store"
    return response


def _flat(changes: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
    """Each changed field; a structured value (the list entry's content) split into the
    sub-fields that changed, so a revision reads ``content.funding: 150000 → 100000``."""
    rows: list[tuple[str, Any, Any]] = []

    def walk(field: str, old: Any, new: Any, depth: int) -> None:
        if depth < 3 and isinstance(old, dict | None) and isinstance(new, dict | None):
            before, after = old or {}, new or {}
            if before or after:
                for key in sorted(before.keys() | after.keys()):
                    if before.get(key) != after.get(key):
                        walk(f"{field}.{key}", before.get(key), after.get(key), depth + 1)
                return
        rows.append((field, old, new))

    for change in changes:
        walk(change["field"], change["old"], change["new"], 0)
    return rows


# The queries' refusals a supervisor's page can meet, as the page says them (the message's
# own words, in English, follow any other).
_REFUSALS_ZH = {
    "out of the range of dates": "日期超出可处理的范围（公元 1 年至 9999 年，按北京时间计）",
    "not a cursor returned by this list": "不是本列表给出的位置，请从第一页重新查询",
    "name an actor, a request id or a correlation id": "请填写操作人、请求编号或关联编号之一",
}


def _said_zh(e: InvalidValueError) -> str:
    if any("\u4e00" <= ch <= "\u9fff" for ch in e.message):
        return e.message  # said in Chinese already
    return _REFUSALS_ZH.get(e.message, f"取值无效（{e.message}）")


@router.get("/aggregates/{aggregate_id}/state")
def state(
    request: Request,
    reader: Supervisor,
    app: AppDep,
    aggregate_id: Annotated[UUID, Path()],
    as_of: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The aggregate as it was after the last event recorded by a date-time."""
    found: dict[str, Any] | None = None
    error = None
    if as_of:
        try:
            moment = datetime.fromisoformat(as_of)
            if moment.tzinfo is None:
                raise ValueError("no zone")
            found = audit.state_as_of(app, str(aggregate_id), moment)
        except ValueError:
            error = "请输入带时区的日期时间，例如 2026-06-01T12:00:00+08:00。"
        except NotFoundError:
            if not app.events_of(aggregate_id):
                raise not_found() from None
            error = "该时刻之前尚无此对象的记录（按记录时间查询，而非生效时间）。"
        except InvalidValueError as e:
            error = _said_zh(e)
    context = _context(
        request, reader, aggregate_id=str(aggregate_id), as_of=as_of, state=found, error=error
    )
    return page(request, "console_state.html", context, private=True)


@router.get("/activity")
def activity(
    request: Request,
    reader: Supervisor,
    reads: ReadsDep,
    actor_id: Text = "",
    request_id: Text = "",
    correlation_id: Text = "",
    recorded_from: Text = "",
    recorded_until: Text = "",
    cursor: Text = "",
) -> Response:
    """What one person did in a period, or what one request or correlation id caused."""
    result = None
    error = None
    try:
        result = queries.audit_events(
            reads,
            actor_id=actor_id or None,
            request_id=request_id or None,
            correlation_id=correlation_id or None,
            recorded_from=_moment(recorded_from, "recorded_from"),
            recorded_until=_moment(recorded_until, "recorded_until"),
            cursor=cursor or None,
            limit=100,
        )
    except InvalidValueError as e:
        error = f"{PARAMETER_ZH.get(e.field, e.field)}：{_said_zh(e)}"
    filters = {
        "actor_id": actor_id,
        "request_id": request_id,
        "correlation_id": correlation_id,
        "recorded_from": recorded_from,
        "recorded_until": recorded_until,
    }
    context = _context(request, reader, result=result, error=error, filters=filters)
    return page(request, "console_activity.html", context, private=True)


def _moment(text: str, field: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidValueError(field, "不是日期时间，例如 2026-03-01T09:00:00+08:00") from None
    if moment.tzinfo is None:
        raise InvalidValueError(field, "须带时区，例如 +08:00")
    return moment


@router.get("/compliance")
def compliance(
    request: Request,
    reader: Supervisor,
    reads: ReadsDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    """Every rule: holds, violated or held with exceptions, each with its events."""
    report = compliance_report(reads, year)
    context = _context(
        request, reader, report=report, year=year, status_zh=RULE_STATUS_ZH, titles=RULE_TITLE_ZH
    )
    return page(request, "console_compliance.html", context, private=True)


# What each kind of damage means, as a supervisor reads it (audit/verify.py, Damage).
DAMAGE_ZH = {
    Damage.ALTERED: "被篡改：存储的内容或封印与封印链不符",
    Damage.DELETED: "缺失：封印链记录的事件、检查点或文件已不在存储中",
    Damage.INSERTED: "被插入：该事件没有封印，不属于封印链",
    Damage.REORDERED: "顺序被改动：该位置的事件不是封印链在此记录的事件",
    Damage.CHECKPOINT_FORGED: "检查点签名无效：不是审计密钥签发的检查点",
    Damage.REWRITTEN: "被改写：封印链已被重新计算，与签名检查点不符",
}


# Damage to the log's keys (audit/verify_keys.py): the event is intact, its keys are not.
KEYS_DAMAGE_ZH = {
    Damage.DELETED: "检索键缺失：该事件在日志检索键表中的键被删除，按键查询（榜单的揭榜申请与专家"
    "抽取、专家参加的评审组、专家库）将查不到该事件",
    Damage.INSERTED: "检索键被插入：日志检索键表把该事件归入了它并不具有的键",
}


def finding_zh(finding: Finding) -> str:
    """The first bad place of the log in a sentence; the verifier's English detail after it."""
    where = f"位置 {finding.position}"
    if finding.aggregate_id:
        where += f"（对象 {finding.aggregate_id}，第 {finding.version} 版）"
    meaning = (KEYS_DAMAGE_ZH if finding.of_keys else DAMAGE_ZH)[finding.damage]
    return f"{where}，{meaning}。（{finding.detail}）"


@router.get("/seal")
def seal(request: Request, reader: Supervisor) -> Response:
    """The seal chain: its last checkpoint, the last verification, and a button to run one."""
    return page(request, "console_seal.html", _seal_context(request, reader), private=True)


@router.post("/seal/verify")
async def verify_now(request: Request, reader: Supervisor) -> Response:
    """Recompute the whole chain and check every checkpoint (as `jiebang audit verify`)."""
    check_csrf(request, await form_fields(request))
    settings: Settings = request.app.state.settings
    started = time.perf_counter()
    try:
        report = await run_in_threadpool(verify_store, settings)
    except JiebangError as e:
        raise PageError(503, "无法校验", f"校验未能完成：{e}") from None
    request.app.state.last_verification = Verification(
        at=datetime.now().astimezone().isoformat(timespec="seconds"),
        intact=report.intact,
        events=report.events,
        last_position=report.last_position,
        checkpoints=report.checkpoints,
        last_checkpoint=report.last_checkpoint,
        finding=None if report.finding is None else finding_zh(report.finding),
        seconds=round(time.perf_counter() - started, 2),
    )
    return page(request, "console_seal.html", _seal_context(request, reader), private=True)


def _seal_context(request: Request, reader: Principal) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    checkpoints = RawStore(settings).checkpoints()
    last = checkpoints[-1] if checkpoints else None
    return _context(
        request,
        reader,
        checkpoints=len(checkpoints),
        last_checkpoint=None if last is None else last.as_json(),
        verification=getattr(request.app.state, "last_verification", None),
    )
