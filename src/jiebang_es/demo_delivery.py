"""The demo's project delivery for challenge A: a failed milestone stops the next tranche until
its rectification (整改) passes; the end user's final assessment, its reported co-investment and
the bureau's acceptance (验收/结题) follow; then the final tranche (尾款) is paid.

A's contract (98,000 yuan) takes the default schedule: 50% on signature, 30% when milestone 1
passes, 20% after the final assessment passes.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from jiebang_es.domain.values import Role, Verdict
from jiebang_es.sample import ENTERPRISE_STARTUP, UNIVERSITY_JIANGNAN, actor

if TYPE_CHECKING:
    from jiebang_es.demo import DemoRun, Track


def deliver(run: DemoRun, a: Track) -> None:
    """Milestones, rectification, assessment, acceptance and the final tranche of A."""
    app, bureau = run.app, run.bureau
    solver = actor(Role.APPLICANT, UNIVERSITY_JIANGNAN, "solver")
    run.day(date(2026, 12, 1), "节点管理 milestone 样机 reported and failed")
    run.do(
        "solver",
        "report A's milestone 样机",
        app.report_milestone,
        solver,
        a.project_id,
        milestone="样机",
        report="工程样机完成，分辨率21位",
    )
    run.do(
        "end user",
        "assess 样机: fail",
        app.assess_milestone,
        a.eu,
        a.project_id,
        milestone="样机",
        verdict=Verdict.FAIL,
        remarks="分辨率未达23位",
    )
    run.day(date(2026, 12, 4), "9 the milestone tranche is stopped")
    run.check_credit(UNIVERSITY_JIANGNAN, ENTERPRISE_STARTUP)  # R-CREDIT: checked recently
    run.refuse(
        "R-MILESTONE",
        "bureau",
        "disburse A's milestone tranche of 29,400 while 样机 stands failed",
        app.disburse,
        bureau,
        a.project_id,
        amount="29400.00",
        purpose="节点拨付",
    )
    run.day(date(2026, 12, 8), "整改 rectification reported and passed")
    run.do(
        "solver",
        "report the rectification of 样机",
        app.report_rectification,
        solver,
        a.project_id,
        milestone="样机",
        report="更换读数头，复测分辨率23位",
    )
    run.do(
        "end user",
        "assess the rectification: pass",
        app.assess_rectification,
        a.eu,
        a.project_id,
        milestone="样机",
        verdict=Verdict.PASS,
        remarks="复测达标",
    )
    run.day(date(2026, 12, 10), "9 the milestone tranche")
    run.check_credit(UNIVERSITY_JIANGNAN, ENTERPRISE_STARTUP)  # R-CREDIT: checked recently
    run.do(
        "bureau",
        "disburse 29,400 yuan to A",
        app.disburse,
        bureau,
        a.project_id,
        amount="29400.00",
        purpose="节点拨付",
    )
    run.day(date(2027, 11, 20), "节点管理 milestone 小批量验证")
    run.do(
        "solver",
        "report A's milestone 小批量验证",
        app.report_milestone,
        solver,
        a.project_id,
        milestone="小批量验证",
        report="100台装机验证完成",
    )
    run.do(
        "end user",
        "assess 小批量验证: pass",
        app.assess_milestone,
        a.eu,
        a.project_id,
        milestone="小批量验证",
        verdict=Verdict.PASS,
        remarks="装机验证合格",
    )
    run.day(date(2027, 12, 1), "考核 the end user's final assessment first")
    run.refuse(
        "R-ASSESS-EU",
        "bureau",
        "accept A before the end user's verdict",
        app.accept,
        bureau,
        a.project_id,
        remarks="验收",
    )
    run.do(
        "end user",
        "final assessment of A: pass",
        app.assess,
        a.eu,
        a.project_id,
        verdict=Verdict.PASS,
        remarks="各项考核指标均达到",
    )
    run.do(
        "end user",
        "report its co-investment in A (220,000 yuan)",
        app.report_co_investment,
        a.eu,
        a.project_id,
        amount="220000.00",
        note="产线测试平台与装机验证投入",
    )
    run.day(date(2027, 12, 15), "验收 the bureau's acceptance closes A")
    run.do("bureau", "accept A (结题)", app.accept, bureau, a.project_id, remarks="同意结题")
    run.day(date(2027, 12, 20), "9 the final tranche (尾款)")
    run.check_credit(UNIVERSITY_JIANGNAN, ENTERPRISE_STARTUP)  # R-CREDIT: checked recently
    run.do(
        "bureau",
        "disburse the final 19,600 yuan to A",
        app.disburse,
        bureau,
        a.project_id,
        amount="19600.00",
        purpose="尾款",
    )
