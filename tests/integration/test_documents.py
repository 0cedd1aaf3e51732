"""R-EVIDENCE on both stores: documents kept by digest, required by step, checked for tampering."""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

import docx
import matplotlib
import psycopg
import pypdf
import pytest

from api.auth import Principal
from api.document_access import document_for, public_document
from jiebang_es.audit.verify_store import verify_store
from jiebang_es.config import store_env
from jiebang_es.documents import evidence
from jiebang_es.documents.pdf import choose_font
from jiebang_es.documents.store import FolderStore, PostgresStore
from jiebang_es.documents.writer import write_guide, write_notice
from jiebang_es.domain.budget import BudgetEnvelope
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.values import DocumentRef, Role, Scope
from jiebang_es.errors import (
    DocumentRefusedError,
    InvalidValueError,
    NotFoundError,
    RuleViolationError,
)
from jiebang_es.sample import (
    BUREAU,
    END_USER_EQUIPMENT,
    END_USER_PHARMA,
    ENTERPRISE_HUADONG,
    INSTITUTE_WEST,
    key_challenge_content,
)
from jiebang_es.sample_documents import paper, with_papers
from jiebang_es.service_base import NO_META, CommandMeta
from tests.support import BUREAU_STAFF, WINDOW_CLOSES, WINDOW_OPENS, Journey, check_credit

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _list(j: Journey, meta: CommandMeta = NO_META) -> None:
    j.clock.on(date(2026, 4, 8), 15)  # type: ignore[attr-defined]
    j.app.approve_annual_list(
        BUREAU_STAFF,
        year=2026,
        meeting_date=date(2026, 4, 8),
        minutes_ref="党组会〔2026〕7号",
        challenge_ids=[j.challenge_id],
        meta=meta,
    )


def test_r_evidence_step_without_its_required_document_is_refused_and_records_nothing(
    make_app, clock
):
    app = make_app(evidence_required=True)
    j = Journey(app, clock).draft().argue(meta=with_papers(app, NO_META, "论证", "专家意见表"))
    before = app.position()
    with pytest.raises(RuleViolationError, match="会议纪要") as refused:
        _list(j)
    assert refused.value.rule_id == "R-EVIDENCE"
    assert app.position() == before
    # An expert's opinion form is not the meeting's minutes.
    with pytest.raises(RuleViolationError, match="R-EVIDENCE"):
        _list(j, with_papers(app, NO_META, "党组会", evidence.EXPERT_OPINION))
    assert app.position() == before

    _list(j, with_papers(app, NO_META, "党组会", evidence.MINUTES))
    listed = app.events_of(j.challenge_id)[-1]
    (kept,) = listed.audit.documents
    assert kept.kind == evidence.MINUTES
    assert kept.media_type.endswith("document")
    refs = app.documents.references(kept.digest)
    # the minutes stand with every aggregate the list changed: the challenge, and the year's
    # budget envelope it was charged to (R-BUDGET)
    assert {(r.aggregate_id, r.aggregate_type) for r in refs} == {
        (j.challenge_id, "Challenge"),
        (str(BudgetEnvelope.create_id(2026)), "BudgetEnvelope"),
    }


def test_r_evidence_a_digest_the_store_does_not_hold_is_refused(make_app, clock):
    app = make_app()
    j = Journey(app, clock).draft().argue()
    before = app.position()
    ghost = DocumentRef("0" * 64, "application/pdf", 10, "纪要.pdf", evidence.MINUTES)
    with pytest.raises(InvalidValueError, match="documents"):
        _list(j, CommandMeta(documents=(ghost,)))
    assert app.position() == before


def test_r_evidence_which_kinds_a_step_requires_is_configuration(make_app, clock):
    kinds = {"approve_annual_list": (), "record_argumentation": ()}
    app = make_app(evidence_required=True, evidence_kinds=kinds)
    j = Journey(app, clock).draft().argue()
    _list(j)  # no minutes required by this configuration
    assert app.challenge(j.challenge_id).year == 2026
    # the steps the configuration does not name keep the rule's own list
    assert app.settings.evidence_kinds["publish"] == (evidence.GUIDE,)


def test_r_evidence_a_step_the_configuration_names_wrongly_is_refused_at_start(make_app):
    with pytest.raises(InvalidValueError, match=r"JIEBANG_EVIDENCE_KINDS.*publsh"):
        make_app(evidence_required=True, evidence_kinds={"publsh": ["申报指南"]})


def test_r_evidence_events_of_earlier_versions_decode_without_documents(app, clock):
    j = Journey(app, clock).draft()
    assert app.events_of(j.challenge_id)[0].audit.documents == ()


def _nothing_kept(app) -> None:
    assert list(app.documents.documents()) == []
    if isinstance(app.documents, FolderStore):
        assert list((app.documents.root / "spool").iterdir()) == []
        assert list((app.documents.root / "objects").rglob("*")) == []


@pytest.mark.parametrize(
    ("data", "declared", "status", "why"),
    [
        (b"just text, not a document", None, 415, "none of"),
        (b"", None, 422, "empty"),
        (b"%PDF-1.7\n" + b"0" * 5000, None, 413, "limit"),
        (PNG, "application/pdf", 415, "declared as application/pdf"),
        (b"PK\x03\x04 not really a zip", None, 415, "none of"),
    ],
    ids=["wrong-type", "empty", "oversized", "claims-another-type", "broken-zip"],
)
def test_r_evidence_wrong_type_empty_and_oversized_are_refused_nothing_kept(
    make_app, data, declared, status, why
):
    app = make_app(document_max_bytes=4096)
    with pytest.raises(DocumentRefusedError, match=why) as refused:
        app.documents.put_bytes(data, kind="申报书", file_name="a.pdf", declared_type=declared)
    assert refused.value.status == status
    assert refused.value.field == "file"
    _nothing_kept(app)


def test_r_evidence_same_bytes_twice_are_stored_once(make_app):
    app = make_app()
    first = app.documents.put_bytes(PNG, kind="图片", file_name="a.png")
    second = app.documents.put_bytes(PNG, kind="另一种", file_name="b.png")
    assert first == second  # the first keeping's name and kind stay
    assert [d.digest for d in app.documents.documents()] == [first.digest]
    assert b"".join(app.documents.read(first.digest)) == PNG
    assert b"".join(app.documents.read(first.digest, 2, 5)) == PNG[2:5]


def _tamper(app, digest: str) -> None:
    """An attacker with the disk or the database flips one byte of a kept document."""
    store = app.documents
    if isinstance(store, FolderStore):
        path = store.path_of(digest)
        os.chmod(path, 0o644)
        raw = bytearray(path.read_bytes())
        raw[100] ^= 0x01
        path.write_bytes(bytes(raw))
        return
    assert isinstance(store, PostgresStore)
    env = store_env(app.settings.database_url)
    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"], autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute(
            f"UPDATE {env.get('POSTGRES_SCHEMA', 'public')}.jiebang_document_chunks "  # noqa: S608
            "SET data = overlay(data placing '\\x00'::bytea from 101 for 1) WHERE digest = %s",
            (digest,),
        )


def test_r_evidence_a_tampered_stored_document_is_named_by_verify(make_app, clock, tmp_path):
    app = make_app(audit_public_key_file=tmp_path / "none.pub")
    j = Journey(app, clock).draft().argue()
    minutes = paper(app, evidence.MINUTES, "党组会")
    _list(j, CommandMeta(documents=(minutes,)))
    assert app.documents.check() == []
    intact = verify_store(app.settings)
    assert intact.finding is None, intact.finding

    _tamper(app, minutes.digest)
    (mismatch,) = app.documents.check()
    assert mismatch.digest == minutes.digest
    report = verify_store(app.settings)
    assert report.finding is not None
    assert minutes.digest in str(report.finding)


def test_r_guide_a_guide_with_a_window_that_closes_before_it_opens_is_not_written(make_app, clock):
    """A written document is kept for good: one naming a window publication would refuse is
    refused here too, and nothing is kept."""
    app = make_app()
    j = Journey(app, clock).draft().argue().list()
    before = (app.position(), app.documents.check(), len(list(app.documents.documents())))
    with pytest.raises(RuleViolationError) as refused:
        write_guide(app, BUREAU_STAFF, j.challenge_id, WINDOW_CLOSES, WINDOW_OPENS)
    assert refused.value.rule_id == "R-GUIDE"
    assert (app.position(), app.documents.check(), len(list(app.documents.documents()))) == before


def test_written_guide_and_notice_open_with_python_docx_and_say_name_funding_dates(make_app, clock):
    app = make_app()
    j = Journey(app, clock).draft().argue().list()
    c: Challenge = app.challenge(j.challenge_id)
    guide = write_guide(app, BUREAU_STAFF, j.challenge_id, WINDOW_OPENS, WINDOW_CLOSES)
    text = _text(app, guide.docx.digest)
    assert c.content.name in text
    assert f"{c.content.funding:,.2f}" in text
    assert "2026年04月10日 09:00" in text
    assert "2026年05月10日 17:00" in text
    assert guide.docx.kind == evidence.GUIDE
    # The properties a word processor shows: the issuer, the title, the language.
    props = docx.Document(io.BytesIO(b"".join(app.documents.read(guide.docx.digest))))
    assert props.core_properties.author == "区科技局"
    assert props.core_properties.title.startswith(c.content.name)
    assert props.core_properties.language == "zh-CN"
    # Writing is deterministic: the same record gives the same bytes, kept once.
    again = write_guide(app, BUREAU_STAFF, j.challenge_id, WINDOW_OPENS, WINDOW_CLOSES)
    assert again == guide

    j.publish()
    application = j.apply()
    j.panel().review(application)
    j.select(application)
    notice = write_notice(app, BUREAU_STAFF, j.project_id, date(2026, 5, 18))
    text = _text(app, notice.docx.digest)
    p = app.project(j.project_id)
    assert c.content.name in text
    assert f"{p.funding:,.2f}" in text
    assert "2026年05月18日 至 2026年05月22日" in text
    assert "张工" in text
    assert "异议" in text


def _cjk_font_or_skip() -> None:
    """The PDF tests need a font for Chinese (fonts-noto-cjk, installed by ops/setup.sh): skipped
    without one on a developer's machine, failed under CI."""
    if choose_font("").font is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no font for Chinese: install fonts-noto-cjk (ops/setup.sh)")
        pytest.skip("no font for Chinese installed")


def _pdf_text(app, digest: str) -> str:
    """The text of a kept PDF as pypdf reads it through the fonts' ToUnicode
    maps, without white space, and without the NULs pypdf leaves of the 2-byte codes (it reads
    fpdf2's embedded Identity CMap as 1-byte; the characters themselves come through)."""
    reader = pypdf.PdfReader(io.BytesIO(b"".join(app.documents.read(digest))))
    text = "".join(page.extract_text() for page in reader.pages)
    return "".join(text.replace("\x00", "").split())


def test_written_guide_and_notice_as_pdf_parse_and_say_name_funding_dates(make_app, clock):
    _cjk_font_or_skip()
    app = make_app()
    j = Journey(app, clock).draft().argue().list()
    c: Challenge = app.challenge(j.challenge_id)
    guide = write_guide(app, BUREAU_STAFF, j.challenge_id, WINDOW_OPENS, WINDOW_CLOSES)
    assert guide.pdf is not None, guide.no_pdf
    assert guide.no_pdf == ""
    assert guide.pdf.media_type == "application/pdf"
    assert guide.pdf.kind == evidence.GUIDE
    assert guide.pdf.file_name == f"申报指南-{c.content.name}.pdf"
    text = _pdf_text(app, guide.pdf.digest)
    assert text.startswith(f"{c.content.name}申报指南")
    reader = pypdf.PdfReader(io.BytesIO(b"".join(app.documents.read(guide.pdf.digest))))
    assert reader.metadata is not None
    assert reader.metadata.title.startswith(c.content.name)
    assert reader.metadata.author == "区科技局"
    assert reader.trailer["/Root"]["/Lang"] == "zh-CN"
    assert "".join(c.content.name.split()) in text
    assert f"{c.content.funding:,.2f}" in text
    assert "2026年04月10日09:00至2026年05月10日17:00" in text
    # The same record gives the same PDF, kept once.
    assert write_guide(app, BUREAU_STAFF, j.challenge_id, WINDOW_OPENS, WINDOW_CLOSES) == guide

    j.publish()
    application = j.apply()
    j.panel().review(application)
    j.select(application)
    notice = write_notice(app, BUREAU_STAFF, j.project_id, date(2026, 5, 18))
    assert notice.pdf is not None, notice.no_pdf
    text = _pdf_text(app, notice.pdf.digest)
    assert "".join(c.content.name.split()) in text
    assert f"{app.project(j.project_id).funding:,.2f}" in text
    assert "2026年05月18日至2026年05月22日" in text


def test_without_a_font_for_chinese_only_the_docx_is_written_and_the_answer_says_why(
    make_app, clock
):
    app = make_app(pdf_font="none")
    j = Journey(app, clock).draft()
    off = write_guide(app, BUREAU_STAFF, j.challenge_id, WINDOW_OPENS, WINDOW_CLOSES)
    assert off.pdf is None
    assert "JIEBANG_PDF_FONT=none" in off.no_pdf
    assert off.docx.media_type.endswith("wordprocessingml.document")

    # A font without Chinese (matplotlib's DejaVu Sans) would leave blanks: no PDF, and the
    # characters it cannot draw are named.
    latin = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    app = make_app(pdf_font=str(latin))
    lacking = write_guide(app, BUREAU_STAFF, j.challenge_id, WINDOW_OPENS, WINDOW_CLOSES)
    assert lacking.pdf is None
    assert "cannot draw" in lacking.no_pdf
    assert "申" in lacking.no_pdf
    assert lacking.docx == off.docx
    assert not [d for d in app.documents.documents() if d.media_type == "application/pdf"]

    app = make_app(pdf_font=str(latin.with_name("no-such-font.ttf")))
    missing = write_guide(app, BUREAU_STAFF, j.challenge_id, WINDOW_OPENS, WINDOW_CLOSES)
    assert missing.pdf is None
    assert "names no font file" in missing.no_pdf


def _text(app, digest: str) -> str:
    document = docx.Document(io.BytesIO(b"".join(app.documents.read(digest))))
    return "\n".join(p.text for p in document.paragraphs)


def test_r_evidence_only_the_bureau_writes_the_bureau_documents(make_app, clock):
    app = make_app()
    j = Journey(app, clock).draft()
    with pytest.raises(RuleViolationError, match="R-EVIDENCE"):
        write_guide(app, j.eu, j.challenge_id, WINDOW_OPENS, WINDOW_CLOSES)
    _nothing_kept(app)


def test_the_folder_store_sits_beside_the_sqlite_file(tmp_path):
    from jiebang_es.config import Settings
    from jiebang_es.documents.store import open_document_store

    store = open_document_store(Settings(database_url=f"sqlite:///{tmp_path}/x/events.db"))
    assert isinstance(store, FolderStore)
    assert store.root == Path(f"{tmp_path}/x/events.db.documents")


def test_r_evidence_the_previous_release_store_opens_replays_and_verifies(tmp_path):
    """Events stored before R-EVIDENCE decode with no documents; the store still verifies."""
    import shutil

    from jiebang_es.audit.queries import log_events
    from jiebang_es.config import Settings
    from jiebang_es.service import JiebangApp

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "store_v1" / "demo-2026.sqlite"
    copy = tmp_path / "demo-2026.sqlite"
    shutil.copyfile(fixture, copy)
    settings = Settings(
        database_url=f"sqlite:///{copy}", audit_public_key_file=tmp_path / "none.pub"
    )
    app = JiebangApp(settings)
    try:
        events = [e for _, e in log_events(app)]
        assert events
        assert all(e.audit.documents == () for e in events)
    finally:
        app.close()
    report = verify_store(settings)
    assert report.finding is None, report.finding


def _read_by(app, digest: str, readers: dict[Principal, bool]) -> None:
    """Each reader reads the document, or gets the 404 of a document that does not exist."""
    for principal, may in readers.items():
        if may:
            assert document_for(app, principal, digest).digest == digest
        else:
            with pytest.raises(NotFoundError):
                document_for(app, principal, digest)


def test_r_evidence_a_classified_project_s_papers_are_read_by_its_parties_only(make_app, clock):
    """R-SCOPE: a classified (涉密) project's signed contract is read by its parties and the
    bureau's roles; to anyone else, the panel's experts included, and on the public route, 404."""
    app = make_app()
    content = key_challenge_content(
        scope=Scope.RESTRICTED, recipients=(INSTITUTE_WEST.credit_code,), classified=True
    )
    j = Journey(app, clock, content=content).to_selected()
    clock.on(date(2026, 5, 18))
    app.waive_notice(
        BUREAU_STAFF, j.project_id, meta=CommandMeta(reason="涉密项目，经批准免于公示")
    )
    clock.on(date(2026, 6, 1))
    check_credit(app)
    app.draft_contract(BUREAU_STAFF, j.project_id, terms=j.terms())
    signed = paper(app, evidence.TASK_CONTRACT, "涉密任务书")
    app.sign_contract(BUREAU_STAFF, j.project_id, meta=CommandMeta(documents=(signed,)))

    expert = j.sample_experts()[0]
    readers = {
        Principal("bureau", Role.BUREAU, BUREAU.credit_code): True,
        Principal("supervisor", Role.SUPERVISOR, BUREAU.credit_code): True,
        Principal("eu", Role.END_USER, END_USER_EQUIPMENT.credit_code): True,
        Principal("lead", Role.APPLICANT, INSTITUTE_WEST.credit_code): True,
        Principal("other-eu", Role.END_USER, END_USER_PHARMA.credit_code): False,
        Principal("other", Role.APPLICANT, ENTERPRISE_HUADONG.credit_code): False,
        Principal(expert.person_id, Role.EXPERT, expert.org.credit_code): False,
    }
    _read_by(app, signed.digest, readers)
    with pytest.raises(NotFoundError):
        public_document(app, signed.digest)


def test_r_scope_the_annual_list_s_papers_are_read_by_the_bureau_s_roles_only(make_app, clock):
    """R-SCOPE: one decision lists a public and a restricted challenge together; its minutes and
    list, kept with each challenge's Listed event, speak of the restricted one too, so no one
    outside the bureau's roles reads them through the public challenge (nor through its own)."""
    app = make_app()
    public = Journey(app, clock).draft().argue()
    restricted = Journey(
        app,
        clock,
        content=key_challenge_content(
            name="定向榜单", scope=Scope.RESTRICTED, recipients=(INSTITUTE_WEST.credit_code,)
        ),
    )
    restricted.draft().argue()
    clock.on(date(2026, 4, 8), 15)
    minutes = paper(app, evidence.MINUTES, "党组会纪要：年度榜单（含定向榜单）")
    app.approve_annual_list(
        BUREAU_STAFF,
        year=2026,
        meeting_date=date(2026, 4, 8),
        minutes_ref="党组会〔2026〕7号",
        challenge_ids=[public.challenge_id, restricted.challenge_id],
        meta=CommandMeta(documents=(minutes,)),
    )
    public.publish()
    readers = {
        Principal("bureau", Role.BUREAU, BUREAU.credit_code): True,
        Principal("supervisor", Role.SUPERVISOR, BUREAU.credit_code): True,
        Principal("analyst", Role.ANALYST, BUREAU.credit_code): True,
        Principal("outsider", Role.APPLICANT, ENTERPRISE_HUADONG.credit_code): False,
        Principal("recipient", Role.APPLICANT, INSTITUTE_WEST.credit_code): False,
        Principal("eu", Role.END_USER, END_USER_EQUIPMENT.credit_code): False,
    }
    _read_by(app, minutes.digest, readers)
    with pytest.raises(NotFoundError):
        public_document(app, minutes.digest)


def test_r_evidence_a_second_uploader_of_the_same_bytes_reads_them(make_app):
    """On both stores: the same bytes uploaded by two are kept once and read by both."""
    app = make_app()
    data = paper(app, evidence.MINUTES, "对照").digest
    body = b"".join(app.documents.read(data))
    app.documents.put_bytes(body, kind="申报书", file_name="a.docx", uploaded_by="a", org_code="1")
    again = app.documents.put_bytes(
        body, kind="会议纪要", file_name="b.docx", uploaded_by="b", org_code="2"
    )
    assert (again.file_name, again.kind, again.uploaded_by) == ("b.docx", "会议纪要", "b")
    second = Principal("b", Role.APPLICANT, "2")
    assert document_for(app, second, data).digest == data
    with pytest.raises(NotFoundError):
        document_for(app, Principal("c", Role.APPLICANT, "3"), data)
