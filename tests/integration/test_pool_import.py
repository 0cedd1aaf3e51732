"""The expert pool imported from an XLSX workbook: each row recorded whole or refused whole,
with a per-row report (R-DRAW's pool)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import Workbook, load_workbook

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


HEADER = "人员编号,姓名,单位统一社会信用代码,单位名称,专家类别,专业领域,所在地区\r\n"


def test_r_draw_pool_import_reads_csv_as_excel_writes_it_in_gbk_or_utf_8(app, tmp_path):
    row = f'p-201,周九,{GOOD_CODE},重庆某研究院,区内同行技术专家,"智能科技\n材料",500106\r\n'
    gbk = tmp_path / "pool-gbk.csv"
    gbk.write_bytes((HEADER + row).encode("gbk"))
    utf8 = tmp_path / "pool-utf8.csv"
    utf8.write_bytes(
        ("\ufeff" + HEADER + row.replace("p-201", "p-202").replace("周九", "吴十")).encode()
    )
    assert [o.imported for o in import_pool(app, BUREAU_STAFF, gbk)] == [True]
    assert [o.imported for o in import_pool(app, BUREAU_STAFF, utf8)] == [True]
    zhou = app.expert_of_person("p-201")
    assert str(zhou.name) == "周九"
    assert zhou.specialities == ("智能科技", "材料")  # a line break in a cell separates, too
    assert str(app.expert_of_person("p-202").name) == "吴十"


def test_r_draw_pool_import_header_with_a_byte_order_mark_and_a_row_without_a_name(app, tmp_path):
    path = _workbook(
        tmp_path / "pool.xlsx", [["p-301", None, GOOD_CODE, "某院", "管理专家", "x", ""]]
    )
    book = load_workbook(path)
    book.active["A1"] = "\ufeff人员编号"  # pasted from a file that began with one
    book.save(path)
    [outcome] = import_pool(app, BUREAU_STAFF, path)
    assert not outcome.imported
    assert outcome.detail.startswith("name:")  # the field that is missing, not the person id


def test_r_draw_pool_import_cli_says_in_one_line_why_a_file_cannot_be_read(tmp_path):
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook at all")
    headless = tmp_path / "headless.csv"
    headless.write_bytes(b"\r\n")
    for path in (empty, junk, headless):
        done = _cli(tmp_path, path)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert path.name in done.stderr or "第 1 行" in done.stderr
        assert len(done.stderr.strip().splitlines()) <= 2, done.stderr


def _cli(tmp_path: Path, path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JIEBANG_DATABASE_URL": f"sqlite:///{tmp_path}/store.db"}
    jiebang = Path(sys.executable).parent / "jiebang"
    return subprocess.run(  # noqa: S603 - our own CLI
        [jiebang, "experts", "import", path, "--by", "bureau-li", "--org", BUREAU.credit_code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
