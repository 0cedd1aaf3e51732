"""The expert pool imported from an XLSX workbook: each row recorded whole or refused whole,
with a per-row report (R-DRAW's pool)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import Workbook

from jiebang_es.domain.values import ExpertKind
from jiebang_es.draws.pool_import import import_pool
from jiebang_es.sample import BUREAU, make_code
from tests.support import BUREAU_STAFF

GOOD_CODE = make_code("12500106MB0012345")


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["人员编号", "姓名", "单位统一社会信用代码", "单位名称", "专家类别", "专业领域", "所在地区"]
    )
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_r_draw_pool_import_reports_each_row_and_keeps_nothing_of_a_refused_one(app, tmp_path):
    path = _workbook(
        tmp_path / "pool.xlsx",
        [
            [
                "p-001",
                "张三",
                GOOD_CODE,
                "重庆某研究院",
                "区内同行技术专家",
                "智能科技、机器人",
                "500106",
            ],
            ["p-002", "李四", "not-a-code", "某公司", "产业一线专家", "智能科技", "500106"],
            ["p-003", "王五", GOOD_CODE, "重庆某研究院", "顾问", "智能科技", "500106"],
            ["p-001", "张三", GOOD_CODE, "重庆某研究院", "区内同行技术专家", "智能科技", "500106"],
            [None, None, None, None, None, None, None],
            ["p-004", "赵六", GOOD_CODE, "重庆某研究院", "management", "生命健康", ""],
        ],
    )
    before = app.position()
    outcomes = import_pool(app, BUREAU_STAFF, path)
    assert [(o.row, o.imported) for o in outcomes] == [
        (2, True),
        (3, False),
        (4, False),
        (5, False),
        (7, True),
    ]
    assert "org_code" in outcomes[1].detail
    assert "专家类别" in outcomes[2].detail
    assert "already registered" in outcomes[3].detail
    assert app.position() == before + 2  # one event per imported row, none for refused rows
    zhang = app.expert_of_person("p-001")
    assert zhang.specialities == ("智能科技", "机器人")
    assert zhang.kind is ExpertKind.PEER_INSIDE
    assert zhang.region == "500106"
    assert app.expert_of_person("p-004").kind is ExpertKind.MANAGEMENT


def test_r_draw_pool_import_cli_prints_the_report_and_fails_on_a_refused_row(tmp_path):
    path = _workbook(
        tmp_path / "pool.xlsx",
        [
            ["p-101", "钱七", GOOD_CODE, "重庆某研究院", "区外同行技术专家", "绿色低碳", "310104"],
            ["p-102", "孙八", GOOD_CODE, "重庆某研究院", "未知类别", "绿色低碳", "310104"],
        ],
    )
    env = {**os.environ, "JIEBANG_DATABASE_URL": f"sqlite:///{tmp_path}/store.db"}
    jiebang = Path(sys.executable).parent / "jiebang"
    done = subprocess.run(  # noqa: S603 - our own CLI
        [
            jiebang,
            "experts",
            "import",
            path,
            "--by",
            "bureau-li",
            "--org",
            BUREAU.credit_code,
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert [(r["person_id"], r["imported"]) for r in report] == [("p-101", True), ("p-102", False)]
