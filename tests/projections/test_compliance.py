"""The compliance report: histories that break a rule, written straight into the store
(bypassing the command guards, as an import or an older version of the code might), are each
reported under the right rule id with the events that show it; every rule id is reported."""

from __future__ import annotations

import ast
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from jiebang_es.cli import cli
from jiebang_es.documents import evidence
from jiebang_es.domain.application import Application
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.values import Actor, Role, Signature, Verdict, first_release_terms
from jiebang_es.sample import END_USER_EQUIPMENT, actor, key_challenge_content, unit
from jiebang_es.sample_documents import with_papers
from jiebang_es.service_base import CommandMeta
from projections.compliance.rules import RULE_IDS
from projections.reports import compliance, portfolio
from projections.reports.compliance import Finding, merge_exceptions
from tests.projections.conftest import catch_up
from tests.support import BUREAU_STAFF, WINDOW_CLOSES, WINDOW_OPENS, Journey, at, collect

REPO = Path(__file__).resolve().parents[2]


def forge(
    app, aggregate_id: str, method: str, who: Actor = BUREAU_STAFF, reason: str = "", **kw: Any
) -> int:
    """Call an aggregate's event method directly (no rule is checked) and save it; its position."""
    agg = app.repository.get(UUID(aggregate_id))
    getattr(agg, method)(audit=app._audit(who, CommandMeta(reason=reason)), **kw)
    return max(r.notification.id for r in app.save(agg))


def findings(
    settings, read_store, rule_id: str, kind: str = "violation"
) -> list[compliance.Finding]:
    catch_up(settings)
    report = compliance.compliance_report(read_store)
    [rule] = [r for r in report.rules if r.rule_id == rule_id]
    found = rule.violations if kind == "violation" else rule.exceptions
    assert rule.status == ("violated" if kind == "violation" else "exceptions") or not found
    for f in rule.violations:
        assert said_in_chinese(f.detail_zh), f.detail_zh
    return found


# What a Chinese sentence may carry that is not prose: quoted names and bracketed asides,
# rule ids, and codes, ids, dates and amounts (any token with a digit).
_NOT_PROSE = re.compile(r"（[^）]*）|“[^”]*”|R-[A-Z-]+|[A-Za-z0-9_.:+-]*\d[A-Za-z0-9_.:+-]*")


def said_in_chinese(text: str) -> bool:
    """The finding is told in Chinese: Chinese prose, no English words outside its quotes."""
    prose = _NOT_PROSE.sub("", text)
    return bool(re.search(r"[\u4e00-\u9fff]", prose)) and not re.search(r"[A-Za-z]{2,}", prose)


def test_clean_history_holds_every_rule(app, clock, settings, read_store):
    Journey(app, clock).to_contracted()
    catch_up(settings)
    report = compliance.compliance_report(read_store)
    # This suite records its steps without papers (the guard off, tests/conftest.py): the
    # report shows each of them under R-EVIDENCE, and every other rule holds.
    assert {r.rule_id: r.status for r in report.rules if r.status != "holds"} == {
        "R-EVIDENCE": "violated"
    }


def test_r_evidence_a_step_written_past_the_guard_without_its_document_is_reported(
    make_app, clock, settings, read_store
):
    app = make_app(evidence_required=True)
    j = Journey(app, clock).draft()
    j.argue(meta=with_papers(app, CommandMeta(), "论证", evidence.EXPERT_OPINION))
    clock.on(date(2026, 4, 8), 15)
    app.approve_annual_list(
        BUREAU_STAFF, year=2026, meeting_date=date(2026, 4, 8), minutes_ref="党组会〔2026〕7号",
        challenge_ids=[j.challenge_id],
        meta=with_papers(app, CommandMeta(), "党组会", evidence.MINUTES),
    )  # fmt: skip
    assert findings(settings, read_store, "R-EVIDENCE") == []
    # Published straight into the store, as an import or older code might: no guide kept.
    clock.on(date(2026, 4, 10), 8)
    published = forge(
        app, j.challenge_id, "publish", guide="申报指南：…",
        window_opens=WINDOW_OPENS, window_closes=WINDOW_CLOSES,
    )  # fmt: skip
    [finding] = findings(settings, read_store, "R-EVIDENCE")
    assert finding.position == published
    assert finding.event_type == "Challenge.Published"
    assert "申报指南" in finding.detail
    assert "publish" in finding.detail


def test_r_disburse_over_the_contracted_budget_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).to_contracted()
    contracted_at = app.position()
    clock.on(date(2026, 6, 10))
    paid = forge(
        app,
        j.project_id,
        "_funded",
        amount=Decimal("95000.00"),
        purpose="x",
        paid_on=date(2026, 6, 10),
    )
    [finding] = findings(settings, read_store, "R-DISBURSE")
    assert finding.position == paid
    assert contracted_at in finding.evidence


def test_r_disburse_before_the_contract_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).to_selected()
    paid = forge(
        app, j.project_id, "_funded", amount=Decimal("1.00"), purpose="x", paid_on=date(2026, 5, 15)
    )
    assert [f.position for f in findings(settings, read_store, "R-DISBURSE")] == [paid]


def test_r_party_approval_publication_without_the_annual_list_is_reported(
    app, clock, settings, read_store
):
    j = Journey(app, clock).draft().argue()
    clock.on(date(2026, 4, 10), 8)
    published = forge(
        app,
        j.challenge_id,
        "_published",
        guide="指南",
        window_opens=at(date(2026, 4, 10), 9),
        window_closes=at(date(2026, 5, 10), 17),
    )
    [finding] = findings(settings, read_store, "R-PARTY-APPROVAL")
    assert finding.position == published
    assert finding.aggregate_id == j.challenge_id


def test_r_eu_not_solver_application_by_the_end_user_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).to_published()
    clock.on(date(2026, 4, 20))
    forged = Application(
        audit=app._audit(actor(Role.APPLICANT, END_USER_EQUIPMENT, "eu"), CommandMeta()),
        challenge_id=j.challenge_id,
        lead=unit(END_USER_EQUIPMENT),
        participants=(),
        leader_name="周",
        technical_plan="方案",
        ip_declaration=True,
        budget=Decimal("90000.00"),
        period_months=18,
    )
    position = max(r.notification.id for r in app.save(forged))
    [finding] = findings(settings, read_store, "R-EU-NOT-SOLVER")
    assert finding.position == position
    assert finding.aggregate_id == str(forged.id)


def test_r_fund_cap_draft_over_the_key_cap_is_reported(app, clock, settings, read_store):
    demand = collect(app, clock, END_USER_EQUIPMENT, "智能科技")
    clock.on(date(2026, 3, 2))
    drafted = Challenge(
        audit=app._audit(BUREAU_STAFF, CommandMeta()),
        end_user=END_USER_EQUIPMENT,
        demand_ids=(demand,),
        content=key_challenge_content(funding=Decimal("150000.00")),
    )
    position = max(r.notification.id for r in app.save(drafted))
    assert [f.position for f in findings(settings, read_store, "R-FUND-CAP")] == [position]


def test_r_objection_notice_closed_with_an_open_objection_is_reported(
    app, clock, settings, read_store
):
    j = Journey(app, clock).to_selected().publicize()
    clock.on(date(2026, 5, 19))
    lodged = app.lodge_objection(j.eu, j.project_id, grounds="评审不公").position
    clock.on(date(2026, 5, 25))
    closed = forge(app, j.project_id, "_notice_closed")
    [finding] = findings(settings, read_store, "R-OBJECTION")
    assert finding.position == closed
    assert lodged in finding.evidence


def test_r_publicity_contract_without_a_notice_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).to_selected()
    clock.on(date(2026, 6, 1))
    terms = first_release_terms(j.terms())  # a schedule of one tranche: only the signatures fail
    forge(app, j.project_id, "_contract_drafted", terms=terms)
    signatures = tuple(
        Signature(a.id, a.role, a.org_code, date(2026, 6, 1))
        for a in (BUREAU_STAFF, j.eu, actor(Role.APPLICANT, j.end_user, "x"))
    )
    contracted = forge(app, j.project_id, "_contracted", terms=terms, signatures=signatures)
    [finding] = findings(settings, read_store, "R-PUBLICITY")
    assert finding.position == contracted
    contract = findings(settings, read_store, "R-CONTRACT")
    assert [f.position for f in contract] == [contracted]  # the solver did not sign


def test_r_conflict_score_by_a_recused_expert_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).to_published()
    application = j.apply()
    j.panel()
    clock.on(date(2026, 5, 12))
    expert_id = app.challenge(j.challenge_id).panel[0].expert_id
    expert = app.expert(expert_id)
    who = Actor(expert.person_id, Role.EXPERT, expert.org_code)
    recused = app.declare_conflict(
        who, application, expert_id=expert_id, conflict=True, statement="曾合作"
    ).position
    scored = forge(
        app, application, "_scored", who=who, expert_id=expert_id, score=Decimal(90), opinion="好"
    )
    [finding] = findings(settings, read_store, "R-CONFLICT")
    assert finding.position == scored
    assert finding.evidence[0] < recused


def test_r_assess_eu_final_assessment_by_the_bureau_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).to_contracted()
    assessed = forge(
        app, j.project_id, "_assessed", verdict=Verdict.PASS, remarks="通过", closes=False
    )
    assert [f.position for f in findings(settings, read_store, "R-ASSESS-EU")] == [assessed]
    assert [f.position for f in findings(settings, read_store, "R-MILESTONE")] == [assessed]


def test_r_audit_who_cancellation_without_a_reason_is_reported(app, clock, settings, read_store):
    j = Journey(app, clock).draft()
    cancelled = forge(app, j.challenge_id, "_cancelled")
    [finding] = findings(settings, read_store, "R-AUDIT-WHO")
    assert finding.position == cancelled
    assert "reason" in finding.detail


def test_r_period_norm_exception_lists_who_approved_it_and_why(app, clock, settings, read_store):
    demand = collect(app, clock, END_USER_EQUIPMENT, "智能科技")
    clock.on(date(2026, 3, 2))
    receipt = app.draft_challenge(
        BUREAU_STAFF,
        end_user=END_USER_EQUIPMENT,
        demand_ids=[demand],
        content=key_challenge_content(period_months=30),
        exception_reason="样机验证需跨两个采购周期",
    )
    [finding] = findings(settings, read_store, "R-PERIOD-NORM", kind="exception")
    assert receipt.position in finding.evidence
    assert finding.actor_id == BUREAU_STAFF.id
    assert finding.role == "bureau"
    assert finding.justification == "样机验证需跨两个采购周期"


def rule_ids_of_the_plan() -> set[str]:
    """Every rule id the write side raises; and RULES.md's, where the shared folder is present."""
    ids: set[str] = set()
    for path in (REPO / "src" / "jiebang_es").rglob("*.py"):
        ids |= set(re.findall(r'"(R-[A-Z][A-Z-]*[A-Z])"', path.read_text(encoding="utf-8")))
    rules_md = REPO.parent / "shared" / "RULES.md"
    if rules_md.exists():
        ids |= set(re.findall(r"^\| (R-[A-Z-]+) \|", rules_md.read_text(encoding="utf-8"), re.M))
    return ids


def test_cli_compliance_json_names_every_rule_id(demo_settings):
    result = CliRunner().invoke(
        cli,
        ["report", "compliance", "--format", "json"],
        env={"JIEBANG_DATABASE_URL": demo_settings.database_url},
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    reported = [r["rule_id"] for r in report["rules"]]
    assert set(reported) == set(RULE_IDS)
    assert rule_ids_of_the_plan() <= set(reported)
    assert len(reported) >= 39
    # The demo's granted exceptions: an industry outside the list, justified (R-INDUSTRY), and
    # a selection against the ranking; every step keeps its papers (R-EVIDENCE holds).
    assert {r["rule_id"]: r["status"] for r in report["rules"] if r["status"] != "holds"} == {
        "R-INDUSTRY": "exceptions",
        "R-SELECT-REASON": "exceptions",
    }


def test_reports_render_as_csv_xlsx_md_and_html_with_a_chart(
    demo_settings, demo_read_store, tmp_path
):
    read_store = demo_read_store
    catch_up(demo_settings)
    report = compliance.compliance_report(read_store, year=2026)
    assert "R-DISBURSE" in compliance.render(report, "csv")
    xlsx = tmp_path / "c.xlsx"
    xlsx.write_bytes(compliance.render(report, "xlsx"))  # type: ignore[arg-type]
    rules = load_workbook(xlsx)["规则"]
    assert rules.max_row == len(RULE_IDS) + 1
    assert [c.value for c in rules[1]][:4] == ["规则", "内容", "强度", "结论"]
    said = compliance.render(report, "md")
    assert isinstance(said, str)
    assert said.startswith("# 合规报告\n\n截至日志位置 ")
    assert "| R-FUND-CAP | 资助强度（重点≤10万元，重大≤30万元） | 硬性 | 遵守 |" in said
    pf = portfolio.portfolio_report(read_store)
    assert sum(line.selections for line in pf.lines) == 2
    chart = tmp_path / "p.png"
    md = portfolio.render(pf, "md", chart)
    assert isinstance(md, str)
    assert md.startswith("# 揭榜挂帅项目组合报告")
    assert "| 年度 | 产业领域 | 类别 | 榜单数 |" in md
    assert "重点项目" in md
    assert "用时中位数（天）：榜单·草稿（待论证）" in md
    assert "p.png" in md
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = portfolio.render(pf, "html", tmp_path / "q.png")
    assert "<table>" in page
    assert "lang='zh-CN'" in page
    assert "year,industry,category" in portfolio.render(pf, "csv")  # the data keeps its codes


@pytest.fixture(autouse=True)
def _quiet_logs(monkeypatch):
    monkeypatch.setenv("JIEBANG_LOG_LEVEL", "error")


def test_r_evidence_reports_people_read_say_each_violation_in_chinese(
    app, clock, settings, read_store, tmp_path
):
    # This suite records its steps without papers: each step is an R-EVIDENCE violation.
    Journey(app, clock).to_contracted()
    found = findings(settings, read_store, "R-EVIDENCE")
    assert found
    assert all("缺少必备文件" in f.detail_zh for f in found)
    report = compliance.compliance_report(read_store)
    said = compliance.render(report, "md")
    assert isinstance(said, str)
    assert f"| {found[0].detail_zh} |" in said
    assert "keeps no" not in said  # the English stays in the data formats
    data = compliance.render(report, "csv")
    assert isinstance(data, str)
    assert "justification,detail_zh" in data
    assert found[0].detail in data
    xlsx = tmp_path / "c.xlsx"
    xlsx.write_bytes(compliance.render(report, "xlsx"))  # type: ignore[arg-type]
    sheet = load_workbook(xlsx)["违反与例外"]
    said_column = [c.value for c in sheet[1]].index("说明")
    assert [r[said_column].value for r in sheet.iter_rows(min_row=2)] == [
        f.detail_zh for f in found
    ]


def test_every_violation_the_checker_can_record_is_written_in_chinese_too():
    """Each ``violation(…)`` call of the checker passes ``zh=`` (mypy insists) whose text is
    Chinese; the tests above check the findings their histories produce."""
    calls = 0
    for path in sorted((REPO / "projections" / "compliance").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "violation"):
                continue
            calls += 1
            [zh] = [k.value for k in node.keywords if k.arg == "zh"]
            text = "".join(
                n.value
                for n in ast.walk(zh)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            )
            assert re.search(r"[\u4e00-\u9fff]", text), f"{path.name}:{node.lineno}"
    assert calls >= 120


def _granted(position: int, aggregate: str) -> Finding:
    return Finding(
        rule_id="R-INDUSTRY",
        kind="exception",
        position=position,
        evidence=[position],
        aggregate_id=aggregate,
        event_type="Demand.Collected",
        detail="outside the district's key industries",
        detail_zh="",
        actor_id="bureau-li",
        role="bureau",
        org_code=None,
        justification="区委专题会议决定",
        effective_at="2026-03-02T10:00:00+08:00",
    )


def test_one_command_s_grant_is_listed_once_and_another_command_s_on_its_own() -> None:
    """The same words on the same day by two commands (a simulated year played twice) are two
    decisions; one command's grant on the three aggregates it saved is one."""
    merged = merge_exceptions(
        [_granted(p, a) for p, a in ((8, "d1"), (9, "c1"), (10, "c1"), (193, "d2"), (194, "c2"))]
    )
    assert [(f.aggregate_id, f.evidence) for f in merged] == [
        ("d1", [8, 9, 10]),
        ("d2", [193, 194]),
    ]
