"""Logs and exports carry no personal information in clear (issue 13, part 4): a realistic flow
with a leader, experts and an outside objector whose ID number and phone the bureau records, run
partly over HTTP, then an erasure; the captured log lines, every problem body, the compliance
report and an audit bundle are scanned for the sample's identifiers."""

from __future__ import annotations

import base64
import io
import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.auth import Keys, issue_token
from jiebang_es.audit.bundle import export_bundle
from jiebang_es.audit.checkpoints import generate_keys, take_checkpoint
from jiebang_es.audit.raw_store import RawStore
from jiebang_es.config import Settings
from jiebang_es.domain.values import Role
from jiebang_es.logging_setup import configure_logging
from jiebang_es.sample import BUREAU, END_USER_EQUIPMENT
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CommandMeta
from projections.readstore import ReadStore
from projections.reports.compliance import compliance_report, render
from projections.runner import run
from tests.integration.test_personal_information import (
    ID_NUMBER,
    LEADER,
    OBJECTOR,
    PHONE,
    close_and_wait,
    leader_subject_of,
)
from tests.support import BUREAU_STAFF, Journey, collect

SECRET = "privacy-tests-jwt-secret-" + "z" * 40
EMAIL = "wangwu.objector@example.cn"
SECRETS = (PHONE, ID_NUMBER, EMAIL)


@pytest.fixture
def settings(store_url: str, tmp_path) -> Settings:
    keys = tmp_path / "audit"
    return Settings(
        database_url=store_url,
        jwt_secret=SecretStr(SECRET),
        audit_key_file=keys / "checkpoint.key",
        audit_public_key_file=keys / "checkpoint.pub",
        audit_checkpoint_file=keys / "checkpoints.jsonl",
        log_level="info",
    )


def token(settings: Settings, role: Role, sub: str, org: str = BUREAU.credit_code) -> str:
    keys = Keys(SECRET, SECRET, ("HS256",))
    value = issue_token(settings, keys, role=role, org=org, sub=sub, ttl_seconds=3600)
    return f"Bearer {value}"


def test_r_erasure_no_log_line_problem_report_or_bundle_carries_personal_identifiers(
    settings, clock, capsys
):
    configure_logging("info")
    app = JiebangApp(settings, clock=clock)
    problems: list[str] = []
    try:
        # An in-principle exception whose written reason names a phone (compliance report).
        collect(
            app,
            clock,
            END_USER_EQUIPMENT,
            "低空经济",
            exception_reason=f"区委专题会议确定的培育产业（联系人电话 {PHONE}）",
        )
        j = Journey(app, clock).to_selected().publicize()
        clock.on(date(2026, 5, 19))
        with TestClient(create_app(settings, jiebang=app)) as http:
            staff = {"Authorization": token(settings, Role.BUREAU, "bureau-li")}
            lodged = http.post(
                f"/v1/projects/{j.project_id}/objections",
                json={"grounds": f"成果抄袭，请回电 {PHONE} 或 {EMAIL}", "objector": OBJECTOR},
                headers=staff,
            )
            assert lodged.status_code in (200, 201), lodged.text
            # Refusals that echo what was typed: an ID number as a credit code, a phone as an
            # objector by someone who may not name one.
            bad = http.post(
                "/v1/experts",
                json={"person_id": "exp-x", "name": "赵六", "org_code": ID_NUMBER,
                      "org_name": f"电话 {PHONE}", "kind": "management"},
                headers=staff,
            )  # fmt: skip
            applicant = {
                "Authorization": token(
                    settings, Role.APPLICANT, "lead-x", app.project(j.project_id).solver_code
                )
            }
            refused = http.post(
                f"/v1/projects/{j.project_id}/objections",
                json={"grounds": "…", "objector": f"身份证 {ID_NUMBER}"},
                headers=applicant,
            )
            (objection_id,) = app.project(j.project_id).objections
            early = http.post(
                f"/v1/privacy/subjects/objector:{objection_id}/erasure",
                json={"reason": f"本人来电 {PHONE} 要求删除"},
                headers={"Authorization": token(settings, Role.DATA_PROTECTION_OFFICER, "dpo")},
            )
            problems += [bad.text, refused.text, early.text]
            assert bad.status_code >= 400
            assert refused.status_code == 403
            assert early.status_code == 422, early.text
            assert "R-RETENTION" in early.text
            app.resolve_objection(
                BUREAU_STAFF,
                j.project_id,
                objection_id=objection_id,
                upheld=False,
                meta=CommandMeta(reason="经核查异议不成立"),
            )
            j.close_notice().contract()
            close_and_wait(app, clock, j)
            dpo = {
                "Authorization": token(settings, Role.DATA_PROTECTION_OFFICER, "dpo"),
                "Idempotency-Key": "erase-the-leader",
            }
            erasure = f"/v1/privacy/subjects/{leader_subject_of(app, j)}/erasure"
            erased = http.post(erasure, json={"reason": "保存期限届满"}, headers=dpo)
            assert erased.status_code == 201, erased.text
            assert erased.json()["encrypted_records"] == 4
            assert erased.json()["legacy_plaintext_not_shredded"] == []
            # Where the erasure is seen: the subject's report, which shows it.
            seen = http.get(erased.headers["Location"], headers=dpo)
            assert seen.status_code == 200
            assert seen.json()["erasure"]["by"].startswith("dpo")
            again = http.post(erasure, json={"reason": "保存期限届满"}, headers=dpo)
            assert again.status_code == 201
            assert again.headers["Idempotent-Replayed"] == "true"
            assert again.json() == erased.json()
        run(settings, until_caught_up=True)
        store = ReadStore.open(settings)
        try:
            report = render(compliance_report(store), "json")
        finally:
            store.close()
        generate_keys(settings.audit_key_file, settings.audit_public_key_file)
        take_checkpoint(settings)
        out = io.StringIO()
        export_bundle(app, RawStore(settings), j.challenge_id, out)
    finally:
        app.close()

    captured = capsys.readouterr()
    logs = captured.err + captured.out
    assert '"event": "command_refused"' in logs or '"event":"command_refused"' in logs
    assert isinstance(report, str)
    statuses = {r["rule_id"]: r["status"] for r in json.loads(report)["rules"]}
    assert statuses["R-ERASURE"] == "holds"
    assert statuses["R-RETENTION"] == "holds"
    assert "[电话已隐去]" in report  # the exception's reason is in the report, redacted
    bundle = out.getvalue()
    states = "\n".join(
        base64.b64decode(json.loads(line)["state"]).decode("utf-8")
        for line in bundle.splitlines()
        if json.loads(line)["kind"] == "event"
    )
    for text in SECRETS:
        assert text not in logs, f"{text} in a log line"
        for body in problems:
            assert text not in body, f"{text} in a problem body"
        assert text not in report, f"{text} in the compliance report"
        assert text not in bundle, f"{text} in the bundle"
    # The personal fields stay ciphertext in the sealed states the bundle carries.
    for text in (ID_NUMBER, LEADER, "王五"):
        assert text not in states
