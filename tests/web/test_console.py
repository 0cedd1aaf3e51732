"""The supervisor's console and the analyst's dashboard on the demo's data: the timeline with
who, why and the fields changed, state as of a time, activity, the compliance report, a
verification of the seal chain, and the portfolio's charts with the same numbers as XLSX."""

from __future__ import annotations

import hashlib
import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.web.console import finding_zh
from jiebang_es.audit.verify import Damage, Finding
from jiebang_es.domain.values import Role
from jiebang_es.rule_titles import RULE_TITLE_ZH
from jiebang_es.service import JiebangApp
from projections.compliance.rules import RULES
from tests.web.conftest import Demo, sign_in


def _csrf(html: str) -> str:
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def test_r_audit_who_timeline_shows_who_why_and_fields_changed(web: TestClient, demo: Demo) -> None:
    sign_in(web, demo.token(Role.SUPERVISOR))
    index = web.get("/console")
    assert f"/console/aggregates/{demo.restricted_id}" in index.text  # supervisors see all
    page = web.get(f"/console/aggregates/{demo.public_id}")
    assert page.status_code == 200
    for label in ("操作人", "角色", "单位", "生效时间", "记录时间", "原因", "变更的字段"):
        assert label in page.text
    assert "Challenge.Published" in page.text
    assert 'class="change-old"' in page.text
    assert 'class="change-new"' in page.text
    # a structured value is split into the sub-fields that changed
    assert "<code>content.funding</code>" in page.text
    # values as a reader says them: yes/no and Beijing minutes, not Python's or ISO's spelling
    cells = re.findall(r'<td class="change-(?:old|new)">(.*?)</td>', page.text)
    assert {"是", "否"} <= set(cells)
    assert [c for c in cells if re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", c)]
    assert not [c for c in cells if c in ("True", "False") or re.search(r"\dT\d\d:", c)]


def test_state_as_of_a_time_and_a_bad_time_is_explained(web: TestClient, demo: Demo) -> None:
    sign_in(web, demo.token(Role.SUPERVISOR))
    path = f"/console/aggregates/{demo.public_id}/state"
    assert "第 " in web.get(path, params={"as_of": "2100-01-01T00:00:00+08:00"}).text
    bad = web.get(path, params={"as_of": "2026-06-01"})
    assert bad.status_code == 200
    assert "带时区" in bad.text
    early = web.get(path, params={"as_of": "2000-01-01T00:00:00+08:00"})
    assert early.status_code == 200
    assert "该时刻之前尚无此对象的记录" in early.text
    late = web.get(path, params={"as_of": "9999-12-31T23:59:59Z"})
    assert "日期超出可处理的范围" in late.text


def test_activity_by_person_lists_that_persons_events(web: TestClient, demo: Demo) -> None:
    sign_in(web, demo.token(Role.SUPERVISOR))
    timeline = web.get(f"/console/aggregates/{demo.public_id}").text
    actor = re.search(r"/console/activity\?actor_id=([^\"&]+)", timeline)
    assert actor is not None
    page = web.get(f"/console/activity?actor_id={actor.group(1)}")
    assert page.status_code == 200
    assert f"/console/aggregates/{demo.public_id}" in page.text
    bad = web.get("/console/activity", params={"recorded_from": "yesterday"})
    assert "记录时间自：不是日期时间" in bad.text  # the field as its form labels it
    bad = web.get("/console/activity", params={"actor_id": "x", "recorded_from": "yesterday"})
    assert "recorded_from" in bad.text
    paged = web.get("/console/activity", params={"actor_id": "x", "cursor": "garbage"})
    assert "翻页位置：不是本列表给出的位置" in paged.text
    assert "not a cursor" not in paged.text


def test_compliance_report_names_every_rule_and_its_verdict(web: TestClient, demo: Demo) -> None:
    sign_in(web, demo.token(Role.SUPERVISOR))
    page = web.get("/console/compliance")
    assert page.status_code == 200
    for rule in RULES:
        title = RULE_TITLE_ZH[rule.rule_id]  # every rule named in Chinese beside its id
        assert f'<tr id="{rule.rule_id}"><th scope="row">{rule.rule_id}</th><td>{title}</td>' in (
            page.text
        )
    # the demo's log keeps every rule: its two justified departures (an industry outside the
    # list, a selection against the ranking) are exceptions; every step keeps its papers
    assert page.text.count("<td>遵守</td>") == len(RULES) - 2
    assert web.get("/console/compliance", params={"year": 2026}).status_code == 200


def test_r_audit_immutable_verify_now_checks_the_whole_chain(web: TestClient, demo: Demo) -> None:
    sign_in(web, demo.token(Role.SUPERVISOR))
    seal = web.get("/console/seal")
    answer = web.post("/console/seal/verify", data={"csrf": _csrf(seal.text)})
    assert answer.status_code == 200
    assert "完整：未发现篡改" in answer.text
    assert "本服务进程启动后尚未校验" not in web.get("/console/seal").text


def test_dashboard_charts_and_the_same_numbers_as_xlsx(web: TestClient, demo: Demo) -> None:
    sign_in(web, demo.token(Role.ANALYST))
    page = web.get("/dashboard")
    assert page.status_code == 200
    assert page.text.count("<svg") == 5
    assert 'href="/console"' not in page.text  # the console is the supervisor's: no dead link
    assert 'role="img"' in page.text
    workbook = web.get("/dashboard/portfolio.xlsx")
    assert workbook.status_code == 200
    assert "filename*=UTF-8''%E6%8F%AD" in workbook.headers["content-disposition"]  # 揭榜…
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header, lines = rows[0], rows[1:]
    assert sheet.title == "项目组合"
    assert header[:4] == ("年度", "产业领域", "类别", "榜单数")
    assert not [h for h in header if re.search("[a-z_]", str(h))], header  # no code left
    assert {r[2] for r in lines} <= {"重点项目", "重大项目"}
    year = header.index("年度")
    challenges = sum(int(r[header.index("榜单数")] or 0) for r in lines if r[year] == 2026)
    # amounts are numbers, so that the spreadsheet adds them up
    assert any(isinstance(r[header.index("合同金额（元）")], int | float) for r in lines)
    # the funnel's table beside the chart says the same number of challenges
    assert re.search(rf"<th scope=\"row\">2026 年</th><td>{challenges}</td>", page.text)


def test_dashboard_names_the_steps_in_chinese_in_the_procedures_order(
    web: TestClient, demo: Demo
) -> None:
    sign_in(web, demo.token(Role.ANALYST))
    page = web.get("/dashboard").text
    days = page[page.index("各环节用时中位数") :]
    rows = re.findall(r'<th scope="row">([^<]*)</th>', days)
    assert rows[:4] == ["榜单·草稿（待论证）", "榜单·已论证", "榜单·已列入年度榜单", "榜单·已发布"]
    assert rows[4:6] == ["项目·已入选", "项目·公示中"]
    assert not [r for r in rows if re.search("[a-z_]", r)]  # no step left under its code


def test_r_eu_commit_dashboard_shows_co_investment_beside_funding_as_in_xlsx(
    web: TestClient, demo: Demo
) -> None:
    sign_in(web, demo.token(Role.ANALYST))
    page = web.get("/dashboard").text
    assert "区财政资助与最终用户投入" in page
    book = load_workbook(io.BytesIO(web.get("/dashboard/portfolio.xlsx").content))
    report = list(book["项目组合"].iter_rows(values_only=True))
    header, lines = report[0], report[1:]
    chart = list(book["各年度 区财政资助与最终用户投入"].iter_rows(values_only=True))
    assert chart[0] == ("分组", "区财政资助（合同）", "最终用户承诺投入", "最终用户已报告投入")
    row = next(r for r in chart[1:] if r[0] == "2026 年")
    columns = ("合同金额（元）", "最终用户承诺投入（元）", "最终用户已报告投入（元）")
    sums = [
        sum(float(r[header.index(c)] or 0) for r in lines if r[header.index("年度")] == 2026)
        for c in columns
    ]
    assert list(row[1:]) == sums
    assert sums[1] > 0  # the demo's end users committed money
    # the table beside the chart on the page says the same numbers
    cells = "".join(f"<td>{v:,.2f}</td>" if v != int(v) else f"<td>{int(v)}</td>" for v in sums)
    assert f'<th scope="row">2026 年</th>{cells}' in page


def test_r_evidence_timeline_lists_each_events_documents_to_download(
    web: TestClient, demo: Demo
) -> None:
    sign_in(web, demo.token(Role.SUPERVISOR))
    page = web.get(f"/console/aggregates/{demo.public_id}").text
    assert "随附文件" in page
    links = re.findall(r'href="(/console/documents/([0-9a-f]{64}))"', page)
    assert links
    app = JiebangApp(demo.settings)
    try:
        kept = {d.digest: d for e in app.events_of(demo.public_id) for d in e.audit.documents}
    finally:
        app.close()
    assert {digest for _, digest in links} == set(kept)
    for link, digest in links:
        assert kept[digest].file_name in page
        assert kept[digest].kind in page
        answer = web.get(link)
        assert answer.status_code == 200
        assert answer.headers["etag"] == f'"{digest}"'
        assert hashlib.sha256(answer.content).hexdigest() == digest
        assert answer.headers["cache-control"] == "no-store"


def test_r_evidence_a_console_document_needs_the_apis_authorisation(
    web: TestClient, demo: Demo
) -> None:
    sign_in(web, demo.token(Role.SUPERVISOR))
    page = web.get(f"/console/aggregates/{demo.public_id}").text
    link = re.findall(r'href="(/console/documents/[0-9a-f]{64})"', page)[0]
    assert web.get("/console/documents/" + "0" * 64).status_code == 404
    web.post("/sign-out", data={"csrf": _csrf(page)})
    anonymous = web.get(link, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/sign-in")
    sign_in(web, demo.token(Role.ANALYST))
    assert web.get(link).status_code == 403


def test_pages_show_every_time_in_beijing_time() -> None:
    """The seal page's verification time came from the server's clock (UTC here) and was shown
    eight hours off beside times in +08:00."""
    from api.web.render import when

    assert when("2026-12-04T05:32:10+00:00") == "2026-12-04 13:32"
    assert when("2026-03-02T10:00:00+08:00") == "2026-03-02 10:00"
    assert when("2026-12-31T20:00:00-05:00") == "2027-01-01 09:00"
    assert when("2026-03-02") == "2026-03-02"
    assert when(None) == "—"


def test_console_lists_say_scope_and_project_status_in_chinese(web: TestClient, demo: Demo) -> None:
    sign_in(web, demo.token(Role.SUPERVISOR))
    page = web.get("/console").text
    cells = re.findall(r"<td>([^<]*)</td>", page)
    assert "公开发布" in cells
    assert "定向发布" in "".join(cells)
    codes = {"public", "restricted", "contracted", "completed", "in_management", "selected"}
    assert not codes & set(cells), codes & set(cells)


def test_r_audit_immutable_damage_is_said_in_chinese_with_the_verifiers_detail() -> None:
    for damage in Damage:
        said = finding_zh(Finding(damage, 7, "a1b2", 2, "its stored bytes were changed"))
        assert said.startswith("位置 7（对象 a1b2，第 2 版），"), said
        assert said.endswith("。（its stored bytes were changed）"), said
        assert not said.split("（", 2)[1].isascii()
    checkpoint = finding_zh(Finding(Damage.CHECKPOINT_FORGED, 9, "", 0, "not signed"))
    assert checkpoint.startswith("位置 9，检查点签名无效")


def test_r_audit_immutable_damage_to_the_logs_keys_is_said_as_such() -> None:
    """A key deleted or added is not an event deleted or inserted: the event is intact."""
    deleted = finding_zh(Finding(Damage.DELETED, 7, "a1b2", 1, "its key is missing", of_keys=True))
    assert deleted.startswith("位置 7（对象 a1b2，第 1 版），检索键缺失")
    assert "查不到该事件" in deleted
    added = finding_zh(Finding(Damage.INSERTED, 8, "c3d4", 2, "under another key", of_keys=True))
    assert added.startswith("位置 8（对象 c3d4，第 2 版），检索键被插入")


def test_r_select_reason_timeline_shows_the_exception_by_rule_name_reason_and_case(
    web: TestClient, demo: Demo
) -> None:
    sign_in(web, demo.token(Role.SUPERVISOR))
    compliance = web.get("/console/compliance").text
    row = compliance[compliance.index('<tr id="R-SELECT-REASON">') :].split("</tr>", 1)[0]
    found = re.search(r'<a href="(/console/aggregates/[^"]+)">', row)
    assert found is not None, row
    page = web.get(found.group(1)).text
    assert "R-SELECT-REASON（不依专家排序确定须说明理由）：理由：" in page
    assert "<small>规则所指情形：" in page


def test_r_audit_who_timeline_shows_structures_as_their_parts_in_chinese(
    web: TestClient, demo: Demo
) -> None:
    """A panel's members and an application's scores are read as their parts, each by its
    Chinese name with its codes said (一线专家), not as stored JSON."""
    sign_in(web, demo.token(Role.SUPERVISOR))
    challenge = web.get(f"/console/aggregates/{demo.public_id}").text
    cells = re.findall(r'<td class="change-(?:old|new)">(.*?)</td>', challenge, re.S)
    assert not [c for c in cells if '{"' in c or "[{" in c or '["' in c]
    members = [c for c in cells if 'class="parts"' in c and "<code>expert_id</code>" in c]
    assert members  # the review panel, member by member
    assert "<code>kind</code>" in members[0]
    assert re.search(
        r"(一线专家|管理专家|区内同行|区外同行)[^<]* <code>(front_line|management|peer_)",
        members[0],
    )
    app = JiebangApp(demo.settings)
    try:
        application_id = str(app.applications_to(demo.public_id)[0].id)
    finally:
        app.close()
    page = web.get(f"/console/aggregates/{application_id}").text
    cells = re.findall(r'<td class="change-(?:old|new)">(.*?)</td>', page, re.S)
    assert not [c for c in cells if '{"' in c or "[{" in c or '["' in c]
    scores = [c for c in cells if "<code>opinion</code>" in c]
    assert scores  # each expert's score, its parts named: 专家编号, 意见, 评分
    for label in (
        "专家编号 <code>expert_id</code>",
        "意见 <code>opinion</code>",
        "评分 <code>score</code>",
    ):
        assert label in scores[-1]
