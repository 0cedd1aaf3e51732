"""Personal information (issue 13): encrypted per data subject, erased by destroying the
subject's key (R-ERASURE) once the retention period ended (R-RETENTION); the seal chain, the
projections and every other fact of the record stay."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import re
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from typer.testing import CliRunner

from jiebang_es.audit.bundle import export_bundle, verify_bundle
from jiebang_es.audit.checkpoints import generate_keys, take_checkpoint
from jiebang_es.audit.queries import HistoryEntry, history, jsonable, log_events
from jiebang_es.audit.raw_store import RawStore
from jiebang_es.audit.verify_store import verify_store
from jiebang_es.backup.cli import create_backup, restore_backup
from jiebang_es.cli import cli
from jiebang_es.config import Settings
from jiebang_es.crypto import CRYPTO_MODES
from jiebang_es.domain.erasure import Erasure
from jiebang_es.domain.expert import ExpertStatus
from jiebang_es.domain.personal import ERASED, Personal, leader_subject, shown
from jiebang_es.domain.values import ExpertKind, Role
from jiebang_es.errors import ConflictError, NotPermittedError
from jiebang_es.privacy import keys as keys_module
from jiebang_es.privacy.keys import SubjectErasedError
from jiebang_es.privacy.records import CLEAR, personal_records
from jiebang_es.privacy.report import retention_zh, subject_report
from jiebang_es.privacy.retention import Period
from jiebang_es.sample import BUREAU, END_USER_EQUIPMENT, actor
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CommandMeta
from projections import queries
from projections.readstore import ReadStore
from projections.rebuild import rebuild, rebuild_after_erasure
from projections.reports.compliance import compliance_report
from projections.runner import run
from tests.integration.rulecheck import refused
from tests.support import BUREAU_STAFF, Journey, first_release_store

PHONE = "13912345678"
ID_NUMBER = "11010519491231002X"
OBJECTOR = f"王五（身份证号 {ID_NUMBER}，电话 {PHONE}）"
LEADER = "张工"  # the journey's applications name this leader
DPO = actor(Role.DATA_PROTECTION_OFFICER, BUREAU, "dpo-chen")
ERASE = CommandMeta(reason="项目验收满十年，保存期限届满")


@pytest.fixture
def settings(store_url: str, tmp_path, request: pytest.FixtureRequest) -> Settings:
    """The store's settings; a test parametrised indirectly on `settings` names the crypto mode
    (the personal fields under SM4 and the seals under SM3 in `sm`)."""
    keys = tmp_path / "audit"
    return Settings(
        database_url=store_url,
        crypto=getattr(request, "param", "intl"),
        audit_key_file=keys / "checkpoint.key",
        audit_public_key_file=keys / "checkpoint.pub",
        audit_checkpoint_file=keys / "checkpoints.jsonl",
        audit_verification_file=keys / "last.json",
    )


@pytest.fixture
def papp(settings, clock):
    app = JiebangApp(settings, clock=clock)
    yield app
    app.close()


def flow(app: JiebangApp, clock: Any) -> Journey:
    """A project with a leader, an outside objector (name, ID number, phone), a contract."""
    j = Journey(app, clock).to_selected().publicize()
    clock.on(date(2026, 5, 19))
    app.lodge_objection(BUREAU_STAFF, j.project_id, grounds="成果抄袭", objector=OBJECTOR)
    (objection_id,) = app.project(j.project_id).objections
    app.resolve_objection(
        BUREAU_STAFF,
        j.project_id,
        objection_id=objection_id,
        upheld=False,
        meta=CommandMeta(reason="经核查异议不成立"),
    )
    return j.close_notice().contract()


def close_and_wait(app: JiebangApp, clock: Any, j: Journey, years: int = 10) -> None:
    clock.on(date(2026, 7, 1))
    app.terminate(BUREAU_STAFF, j.project_id, meta=CommandMeta(reason="揭榜单位主动放弃"))
    clock.on(date(2026 + years, 7, 2))


def leader_subject_of(app: JiebangApp, j: Journey) -> str:
    leader = app.application(j.applications[0]).leader_name
    assert isinstance(leader, Personal)
    return leader.subject_id


def stored_bytes(settings: Settings) -> bytes:
    return b"".join(row[4] for row in RawStore(settings).events())


def personal_free(value: Any) -> Any:
    """An event's facts with its personal fields left out, to compare before and after."""
    if isinstance(value, dict):
        if {"subject_id", "kind", "value", "erased"} <= set(value):
            return "<personal>"
        return {k: personal_free(v) for k, v in value.items()}
    if isinstance(value, list):
        return [personal_free(v) for v in value]
    return value


def public_leader(settings: Settings, project_id: str) -> str | None:
    store = ReadStore.open(settings)
    try:
        notices = queries.public_notices(store).items
    finally:
        store.close()
    (notice,) = [n for n in notices if n.project_id == project_id]
    return notice.project_leader


def facts(app: JiebangApp) -> list[tuple[int, str, Any]]:
    return [
        (position, type(e).__qualname__, personal_free(jsonable(e.__dict__)))
        for position, e in log_events(app)
    ]


def test_r_erasure_personal_fields_are_stored_as_ciphertext_under_the_subjects_key(
    papp, clock, settings
):
    j = flow(papp, clock)
    stored = stored_bytes(settings)
    for text in (LEADER, PHONE, ID_NUMBER, "王五", "刘主任"):
        assert text.encode() not in stored, text
    # Reading decrypts transparently: the domain and the read side see the names.
    assert shown(papp.application(j.applications[0]).leader_name) == LEADER
    assert shown(papp.project(j.project_id).terms.project_leader) == LEADER
    subject = leader_subject_of(papp, j)
    assert papp.personal_keys.key(subject) is not None
    report = subject_report(papp, subject)
    fields = {(r["event"], r["field"]) for r in report["records"]}
    assert ("Applied", "leader_name") in fields
    assert ("Publicized", "notice.project_leader") in fields
    assert ("ContractDrafted", "terms.project_leader") in fields
    assert {r["form"] for r in report["records"]} == {"encrypted"}
    assert {r["value"] for r in report["records"]} == {LEADER}


def test_r_retention_erasure_before_the_period_ends_is_refused_and_records_nothing(papp, clock):
    j = flow(papp, clock)
    subject = leader_subject_of(papp, j)
    clock.on(date(2026, 7, 1))
    error = refused(papp, "R-RETENTION", papp.erase_subject, DPO, subject, meta=ERASE)
    assert "still open" in str(error)
    assert "JIEBANG_RETENTION_YEARS project=10" in str(error)
    close_and_wait(papp, clock, j, years=9)
    error = refused(papp, "R-RETENTION", papp.erase_subject, DPO, subject, meta=ERASE)
    assert "kept until 2036-07-01" in str(error), str(error)
    assert papp.personal_keys.key(subject) is not None
    assert shown(papp.application(j.applications[0]).leader_name) == LEADER


def test_r_erasure_only_the_data_protection_officer_erases_and_says_why(papp, clock):
    j = flow(papp, clock)
    subject = leader_subject_of(papp, j)
    close_and_wait(papp, clock, j)
    before = papp.position()
    with pytest.raises(NotPermittedError):
        papp.erase_subject(BUREAU_STAFF, subject, meta=ERASE)
    refused(papp, "R-ERASURE", papp.erase_subject, DPO, subject)
    assert papp.position() == before


@pytest.mark.parametrize("settings", CRYPTO_MODES, indirect=True)
def test_r_erasure_destroys_the_key_the_chain_verifies_and_nothing_else_changes(
    papp, clock, settings
):
    assert papp.crypto_mode == settings.crypto  # SM4 fields and SM3 seals in `sm`
    j = flow(papp, clock)
    subject = leader_subject_of(papp, j)
    close_and_wait(papp, clock, j)
    run(settings, until_caught_up=True)
    before = facts(papp)
    receipt = papp.erase_subject(DPO, subject, meta=ERASE)

    # The erasure is an audited event: who, why, when, under which rule.
    (erased,) = papp.events_of(receipt.aggregate_id)
    assert isinstance(erased, Erasure.Erased)
    assert (erased.audit.actor_id, erased.audit.role) == ("dpo-chen", DPO.role)
    assert erased.audit.reason == ERASE.reason
    assert erased.subject_id == subject
    assert erased.legacy_records == ()
    assert "every retention period has ended" in erased.retention
    assert erased.encrypted_records == 4

    # Every field of the subject reads as erased, every other fact is as it was.
    assert papp.personal_keys.key(subject) is None
    assert shown(papp.application(j.applications[0]).leader_name) == ERASED
    assert shown(papp.project(j.project_id).terms.project_leader) == ERASED
    after = facts(papp)
    assert after[: len(before)] == before
    assert [name for _, name, _ in after[len(before) :]] == ["Erasure.Erased"]
    # The other subjects are untouched: the objector still reads.
    lodged = [e for e in papp.events_of(j.project_id) if hasattr(e, "objector")]
    assert shown(lodged[0].objector) == OBJECTOR

    # The seal chain verifies: `jiebang audit verify` exits 0.
    env = {f"JIEBANG_{k.upper()}": str(v) for k, v in settings.model_dump().items()
           if k in ("database_url", "crypto", "audit_key_file", "audit_public_key_file",
                    "audit_checkpoint_file", "audit_verification_file")}  # fmt: skip
    done = CliRunner().invoke(cli, ["audit", "verify"], env=env)
    assert done.exit_code == 0, done.stdout

    # The read models rebuild with the field shown as erased.
    assert public_leader(settings, j.project_id) == LEADER
    rebuild(settings)
    assert public_leader(settings, j.project_id) == ERASED

    # A second erasure is a conflict; the subject's data is never recorded again.
    with pytest.raises(ConflictError, match="already erased"):
        papp.erase_subject(DPO, subject, meta=ERASE)
    with pytest.raises(SubjectErasedError):
        papp.personal_keys.ensure(subject, b"\x00" * 32)


@pytest.mark.parametrize("settings", CRYPTO_MODES, indirect=True)
def test_r_erasure_a_bundle_keeps_the_ciphertext_and_verifies_offline(
    papp, clock, settings, tmp_path
):
    j = flow(papp, clock)
    subject = leader_subject_of(papp, j)
    close_and_wait(papp, clock, j)
    papp.erase_subject(DPO, subject, legal_ground="", meta=ERASE)
    generate_keys(settings.audit_key_file, settings.audit_public_key_file, mode=papp.crypto_mode)
    take_checkpoint(settings)
    out = io.StringIO()
    export_bundle(papp, RawStore(settings), j.challenge_id, out)
    bundle = tmp_path / "bundle.jsonl"
    bundle.write_text(out.getvalue(), encoding="utf-8")
    report = verify_bundle(bundle, settings.audit_public_key_file)
    assert report.finding is None
    assert report.events > 0
    text = out.getvalue()
    for secret in (LEADER, PHONE, ID_NUMBER):
        assert secret not in text
    states = [
        base64.b64decode(json.loads(line)["state"])
        for line in text.splitlines()
        if json.loads(line)["kind"] == "event"
    ]
    assert any(b'"jiebang.Personal"' in s for s in states)


def test_r_erasure_on_a_legal_ground_before_the_period_ends(papp, clock):
    j = flow(papp, clock)
    (objection_id,) = papp.project(j.project_id).objections
    subject = f"objector:{objection_id}"
    receipt = papp.erase_subject(
        DPO, subject, legal_ground="PIPL art. 47(1)3: consent withdrawn", meta=ERASE
    )
    (erased,) = papp.events_of(receipt.aggregate_id)
    assert erased.legal_ground.startswith("PIPL art. 47")
    lodged = [e for e in papp.events_of(j.project_id) if hasattr(e, "objector")]
    assert shown(lodged[0].objector) == ERASED
    assert shown(papp.application(j.applications[0]).leader_name) == LEADER
    report = subject_report(papp, subject)
    assert report["erasure"]["legal_ground"].startswith("PIPL")
    assert {r["form"] for r in report["records"]} == {"erased"}
    assert dataclasses.is_dataclass(erased) or erased.subject_id == subject


def test_r_erasure_legacy_plaintext_of_a_first_release_store_is_listed_not_shredded(
    tmp_path, clock
):
    """A store of the first release holds names in clear: they still read, the report lists
    them as legacy plaintext, and an erasure records that it could not shred them."""
    settings = first_release_store(tmp_path)
    app = JiebangApp(settings, clock=clock)
    try:
        records = list(personal_records(app))
        assert records
        assert {r.form for r in records} == {CLEAR}
        applied = next(r for r in records if r.event == "Applied")
        assert applied.subject_id == leader_subject(applied.aggregate_id)
        report = subject_report(app, applied.subject_id)
        assert applied.label in report["legacy_plaintext"]
        before = app.position()
        receipt = app.erase_subject(
            DPO, applied.subject_id, legal_ground="PIPL art. 47(1)3", meta=ERASE
        )
        (erased,) = app.events_of(receipt.aggregate_id)
        assert applied.label in erased.legacy_records
        assert erased.encrypted_records == 0
        assert app.position() == before + 1
        # Still in clear: shredding it would mean rewriting the sealed log.
        assert shown(app.application(applied.aggregate_id).leader_name) == applied.value
    finally:
        app.close()
    assert verify_store(settings).intact


def test_r_erasure_a_backup_of_the_embedded_store_keeps_the_subjects_keys(tmp_path, clock):
    """The SQLite store's keys live beside the file: a backup carries them, or a restored
    store would read every personal field as erased."""
    source = Settings(database_url=f"sqlite:///{tmp_path}/source.db")
    app = JiebangApp(source, clock=clock)
    try:
        receipt = app.register_expert(
            BUREAU_STAFF,
            person_id="exp-backup",
            name="孙教授",
            org_code=BUREAU.credit_code,
            org_name="区科技局",
            kind=ExpertKind.MANAGEMENT,
            speciality="产业管理",
        )
    finally:
        app.close()
    create_backup(source, tmp_path / "backup")
    restored = Settings(database_url=f"sqlite:///{tmp_path}/restored.db")
    restore_backup(restored, tmp_path / "backup")
    app = JiebangApp(restored, clock=clock)
    try:
        assert shown(app.expert(receipt.aggregate_id).name) == "孙教授"
    finally:
        app.close()


def test_r_retention_the_cli_refuses_early_then_erases_on_a_legal_ground(
    papp, clock, settings, tmp_path, monkeypatch
):
    j = flow(papp, clock)
    subject = leader_subject_of(papp, j)
    monkeypatch.setenv("JIEBANG_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    dpo = ["--by", "dpo-chen", "--org", BUREAU.credit_code]
    before = papp.position()
    early = runner.invoke(cli, ["privacy", "erase", subject, "--reason", "本人申请", *dpo])
    assert early.exit_code == 2
    assert "R-RETENTION" in early.stderr
    assert papp.position() == before
    done = runner.invoke(
        cli,
        ["privacy", "erase", subject, "--reason", "本人申请", "--legal-ground", "撤回同意", *dpo],
    )
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["encrypted_records"] == 4
    workbook = tmp_path / "report.xlsx"
    shown_report = runner.invoke(cli, ["privacy", "report", subject, "--xlsx", str(workbook)])
    assert shown_report.exit_code == 0, shown_report.stderr
    document = json.loads(shown_report.stdout)
    assert document["erasure"]["by"].startswith("dpo-chen")
    assert {r["form"] for r in document["records"]} == {"erased"}
    book = load_workbook(workbook)
    rows = list(book["个人信息记录"].iter_rows(values_only=True))
    assert rows[0][:2] == ("日志位置", "对象类型")  # handed to the person: in Chinese
    assert len(rows) == 1 + len(document["records"])
    assert {r[7] for r in rows[1:]} == {"已删除（密钥已销毁）"}
    assert not [r for r in rows[1:] if not re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r[9])]
    about = dict(book["查询说明"].iter_rows(values_only=True))
    assert about["查询依据"].startswith("《个人信息保护法》第四十五条")
    assert about["删除的法律依据"] == "撤回同意"
    assert about["办理人"] == f"dpo-chen（个人信息保护负责人，{BUREAU.credit_code}）"
    # the retention rule the erasure recorded, as the person reads it
    assert about["保存期限"].startswith("依法定事由删除")
    assert f"项目 {j.project_id} 尚未办结（办结后保存 10 年）" in about["保存期限"]
    assert {r[5] for r in rows[1:]} >= {"项目负责人（leader_name）"}
    assert {r[8] for r in rows[1:]} == {"已删除"}
    assert public_leader(settings, j.project_id) == ERASED  # rebuilt by the command


def test_r_retention_the_compliance_report_lists_an_erasure_on_a_legal_ground(
    papp, clock, settings
):
    j = flow(papp, clock)
    papp.erase_subject(DPO, leader_subject_of(papp, j), legal_ground="PIPL art. 47(1)3", meta=ERASE)
    run(settings, until_caught_up=True)
    store = ReadStore.open(settings)
    try:
        report = compliance_report(store)
    finally:
        store.close()
    (rule,) = [r for r in report.rules if r.rule_id == "R-RETENTION"]
    assert rule.status == "exceptions"
    assert [f.justification for f in rule.exceptions] == ["PIPL art. 47(1)3"]
    (erasure,) = [r for r in report.rules if r.rule_id == "R-ERASURE"]
    assert erasure.status == "holds"


def test_r_retention_an_experts_name_is_kept_until_ten_years_after_leaving_the_pool(
    papp, clock, settings
):
    registered = papp.register_expert(
        BUREAU_STAFF,
        person_id="exp-retiring",
        name="钱研究员",
        org_code=BUREAU.credit_code,
        org_name="区科技局",
        kind=ExpertKind.MANAGEMENT,
        speciality="产业管理",
    )
    subject = "expert:exp-retiring"
    error = refused(papp, "R-RETENTION", papp.erase_subject, DPO, subject, meta=ERASE)
    assert "expert" in str(error)
    assert "still open" in str(error)
    clock.on(date(2026, 9, 1))
    papp.change_expert_status(
        BUREAU_STAFF,
        registered.aggregate_id,
        status=ExpertStatus.RETIRED,
        meta=CommandMeta(reason="本人申请退出专家库"),
    )
    clock.on(date(2036, 8, 31))
    error = refused(papp, "R-RETENTION", papp.erase_subject, DPO, subject, meta=ERASE)
    assert "kept until 2036-09-01" in str(error)
    clock.on(date(2036, 9, 1))
    papp.erase_subject(DPO, subject, meta=ERASE)
    rebuild_after_erasure(settings)
    store = ReadStore.open(settings)
    try:
        (expert,) = [e for e in queries.list_experts(store).items if e.person_id == "exp-retiring"]
    finally:
        store.close()
    assert expert.name == ERASED
    assert expert.org_code == BUREAU.credit_code  # every other fact stays


def _shows(entries: list[HistoryEntry], text: str) -> bool:
    return text in json.dumps([dataclasses.asdict(e) for e in entries], ensure_ascii=False)


def test_r_erasure_a_history_read_before_the_erasure_reads_erased_after_it(papp, clock):
    j = flow(papp, clock)
    subject = leader_subject_of(papp, j)
    close_and_wait(papp, clock, j)
    assert _shows(history(papp, j.applications[0]), LEADER)  # read, and kept
    papp.erase_subject(DPO, subject, meta=ERASE)
    after = history(papp, j.applications[0])
    assert not _shows(after, LEADER)
    assert _shows(after, '"erased": true')


def test_r_erasure_made_by_another_process_reaches_a_kept_history_within_the_key_cache(
    papp, clock, settings, monkeypatch
):
    j = flow(papp, clock)
    subject = leader_subject_of(papp, j)
    close_and_wait(papp, clock, j)
    assert _shows(history(papp, j.project_id), LEADER)
    other = JiebangApp(settings, clock=clock)  # as another server process would
    try:
        other.erase_subject(DPO, subject, meta=ERASE)
    finally:
        other.close()
    # This process's key cache still holds the key for up to its two seconds; past them:
    monkeypatch.setattr(keys_module, "CACHE_SECONDS", 0.0)
    assert not _shows(history(papp, j.project_id), LEADER)


def test_r_erasure_where_the_bureau_is_configured_only_its_own_officer_erases(make_app, clock):
    app = make_app(bureau_code=BUREAU.credit_code)
    j = flow(app, clock)
    subject = leader_subject_of(app, j)
    close_and_wait(app, clock, j)
    outsider = actor(Role.DATA_PROTECTION_OFFICER, END_USER_EQUIPMENT, "dpo-of-a-company")
    refused(app, "R-AUDIT-WHO", app.erase_subject, outsider, subject, meta=ERASE)
    assert app.personal_keys.key(subject) is not None
    app.erase_subject(DPO, subject, meta=ERASE)  # the bureau's own officer
    assert app.personal_keys.key(subject) is None


def test_r_retention_the_recorded_rule_is_told_in_chinese_in_the_subjects_workbook():
    closed = Period("project", "p-1", 10, date(2016, 7, 1)).describe()
    still_open = Period("expert", "e-1", 10, None).describe()
    assert retention_zh(f"every retention period has ended: {closed}") == (
        "各项保存期限均已届满：项目 p-1 于 2016-07-01 办结，保存 10 年至 2026-07-01"
    )
    said = retention_zh(
        f"erased on a legal ground before or after the retention periods: {closed}; {still_open}"
    )
    assert said.endswith("；专家 e-1 尚未办结（办结后保存 10 年）")
    assert retention_zh("written otherwise") == "written otherwise"  # never a wrong sentence
