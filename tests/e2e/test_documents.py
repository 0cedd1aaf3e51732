"""Documents over HTTP (R-EVIDENCE): upload refusals, download with ranges and ETag, commands
naming documents by digest, and who may read each document (the existing matrix's roles).

One server of this module's own, with a small document limit (200 kB, above the 64 kB body
limit of commands: uploads have their own)."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from jiebang_es.domain.values import Role
from jiebang_es.sample import (
    BUREAU,
    END_USER_EQUIPMENT,
    END_USER_PHARMA,
    ENTERPRISE_HUADONG,
    INSTITUTE_WEST,
    UNIVERSITY_MEDICAL,
    major_challenge_content,
)
from tests.conftest import new_postgres_schema
from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.journey import HttpJourney, at, ok

pytestmark = pytest.mark.postgres
LIMIT = 200_000
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(100_000)  # over the commands' 64 kB body limit


@pytest.fixture(scope="module")
def server(postgres_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    process, running = start_server(
        new_postgres_schema(postgres_db),
        tmp_path_factory.mktemp("documents"),
        JIEBANG_DOCUMENT_MAX_BYTES=str(LIMIT),
        # The package's own server is up beside this one: its requests come one at a time,
        # so a smaller pool keeps the pair under the suite's budget (tests/connection_budget.py).
        JIEBANG_POOL_MAX_OVERFLOW="2",
    )
    try:
        yield running
    finally:
        running.close()
        stop_server(process)


def upload(
    client: httpx.Client, data: bytes, kind: str, name: str = "附件.png", **headers: str
) -> httpx.Response:
    return client.post(
        "/v1/documents", params={"kind": kind, "file_name": name}, content=data, headers=headers
    )


def test_r_evidence_the_same_bytes_uploaded_by_two_are_read_by_both(server: Server):
    """Kept once; the second uploader reads them and is answered with its own name and kind,
    not the first one's; a third who never uploaded them does not read them."""
    data = PNG[:2500] + b"shared-form"
    first = server.client(Role.APPLICANT, INSTITUTE_WEST, "first-uploader")
    second = server.client(Role.APPLICANT, ENTERPRISE_HUADONG, "second-uploader")
    third = server.client(Role.APPLICANT, UNIVERSITY_MEDICAL, "third")
    digest = ok(upload(first, data, "会议纪要", "内部纪要.png"), 201)["digest"]
    again = ok(upload(second, data, "申报书", "我的申报书.png"), 201)
    assert again["digest"] == digest
    assert (again["file_name"], again["kind"]) == ("我的申报书.png", "申报书")
    assert second.get(f"/v1/documents/{digest}").content == data
    assert first.get(f"/v1/documents/{digest}").status_code == 200
    assert third.get(f"/v1/documents/{digest}").status_code == 404


def test_r_evidence_upload_download_ranges_and_etag(server: Server):
    applicant = server.client(Role.APPLICANT, INSTITUTE_WEST, "doc-uploader")
    first = upload(applicant, PNG, "申报书", "申报书 附图.png")
    body = ok(first, 201)
    digest = hashlib.sha256(PNG).hexdigest()
    assert body == {
        "digest": digest, "media_type": "image/png", "size": len(PNG),
        "file_name": "申报书 附图.png", "kind": "申报书",
    }  # fmt: skip
    assert first.headers["Location"] == f"/v1/documents/{digest}"
    assert ok(upload(applicant, PNG, "申报书"), 201)["digest"] == digest  # stored once

    whole = applicant.get(f"/v1/documents/{digest}")
    assert whole.status_code == 200
    assert whole.content == PNG
    assert whole.headers["ETag"] == f'"{digest}"'
    assert whole.headers["Content-Type"] == "image/png"
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert "filename*=UTF-8''%E7%94%B3%E6%8A%A5%E4%B9%A6%20" in whole.headers["Content-Disposition"]

    part = applicant.get(f"/v1/documents/{digest}", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == PNG[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(PNG)}"
    tail = applicant.get(f"/v1/documents/{digest}", headers={"Range": "bytes=-5"})
    assert tail.status_code == 206
    assert tail.content == PNG[-5:]
    outside = applicant.get(f"/v1/documents/{digest}", headers={"Range": f"bytes={len(PNG)}-"})
    assert outside.status_code == 416
    assert outside.headers["Content-Range"] == f"bytes */{len(PNG)}"
    in_chinese = applicant.get(
        f"/v1/documents/{digest}",
        headers={"Range": f"bytes={len(PNG)}-", "Accept-Language": "zh"},
    )
    assert in_chinese.json()["title"] == "请求的字节范围超出文件"
    cached = applicant.get(f"/v1/documents/{digest}", headers={"If-None-Match": f'"{digest}"'})
    assert cached.status_code == 304
    for tag in (f'W/"{digest}"', "*", f'"other", W/"{digest}"'):  # weak comparison
        assert (
            applicant.get(f"/v1/documents/{digest}", headers={"If-None-Match": tag}).status_code
            == 304
        )
    inverted = applicant.get(f"/v1/documents/{digest}", headers={"Range": "bytes=10-5"})
    assert inverted.status_code == 200  # not a valid range: ignored (RFC 9110)
    assert inverted.content == PNG


@pytest.mark.parametrize(
    ("data", "headers", "status", "why"),
    [
        (b"plain text pretending to be a PDF", {}, 415, "none of"),
        (b"", {}, 422, "empty"),
        (b"%PDF-1.7\n" + b"0" * LIMIT, {}, 413, "limit"),
        (PNG[:1000], {"Content-Type": "application/pdf"}, 415, "declared as"),
        (PNG[:1000], {"Content-Type": "multipart/form-data; boundary=x"}, 415, "multipart"),
    ],
    ids=["wrong-type", "empty", "oversized", "claims-another-type", "multipart-form"],
)
def test_r_evidence_refused_uploads_are_4xx_and_keep_nothing(server, data, headers, status, why):
    bureau = server.client(Role.BUREAU, BUREAU, "doc-bureau")
    refused = upload(bureau, data, "申报书", "a.pdf", **headers)
    assert refused.status_code == status, refused.text
    assert why in refused.json()["detail"]
    digest = hashlib.sha256(data).hexdigest()
    assert bureau.get(f"/v1/documents/{digest}").status_code == 404


def test_r_evidence_a_command_names_documents_by_digest(server: Server):
    j = HttpJourney(server, uuid.uuid4().hex[:8]).draft().argue()
    argued = j.bureau.get(f"/v1/challenges/{j.challenge_id}").headers["ETag"]
    minutes = ok(upload(j.bureau, PNG[:5000], "会议纪要", "纪要.png"), 201)
    listing = {
        "year": 2026, "meeting_date": "2026-04-08", "minutes_ref": "党组会〔2026〕7号",
        "challenge_ids": [j.challenge_id],
    }  # fmt: skip
    server.on(date(2026, 4, 8), 15)
    j.ensure_budget()  # R-BUDGET: the year's envelope, whatever other tests ran before
    ghost = {"digest": "f" * 64, "kind": "会议纪要"}
    refused = j.bureau.post("/v1/annual-lists", json={**listing, "documents": [ghost]})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "documents[0].digest"
    malformed = j.bureau.post(
        "/v1/annual-lists", json={**listing, "documents": [{"digest": "x", "kind": "k"}]}
    )
    assert malformed.status_code == 422
    version = j.bureau.get(f"/v1/challenges/{j.challenge_id}").headers["ETag"]
    assert version == argued  # nothing recorded by the refusals

    kept = {"digest": minutes["digest"], "kind": "会议纪要"}
    ok(j.bureau.post("/v1/annual-lists", json={**listing, "documents": [kept]}))
    supervisor = server.client(Role.SUPERVISOR, BUREAU, "doc-supervisor")
    history = ok(supervisor.get(f"/v1/audit/aggregates/{j.challenge_id}/history"))
    assert minutes["digest"] in str(history)


class Scene:
    """P: a public challenge published with its written guide (DOCX and PDF), applied to with a
    form attached; R: a challenge restricted to the medical university, published with its
    guide; K: a classified (涉密) one, restricted to the same university, published with its
    guide. A form uploaded by the applicant and never attached ("loose") is its own and the
    bureau's only."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.p = HttpJourney(server, uuid.uuid4().hex[:8]).draft().argue().list()
        self.p_guide, self.p_guide_pdf = self.publish(self.p)
        self.p.server.on(date(2026, 4, 20))
        self.p.check_credit()  # R-CREDIT: the applicant's unit checked recently
        solver = self.p.solver(INSTITUTE_WEST)
        form = ok(upload(solver, PNG[:3000] + b"form", "申报书", "申报书.png"), 201)["digest"]
        body = {
            **self.p.apply_json(INSTITUTE_WEST),
            "documents": [{"digest": form, "kind": "申报书"}],
        }
        applied = ok(
            solver.post(f"/v1/challenges/{self.p.challenge_id}/applications", json=body), 201
        )
        self.p_form = form
        self.p_notice = self.select_and_publicize(self.p, str(applied["aggregate_id"]))
        self.r = HttpJourney(
            server, uuid.uuid4().hex[:8], end_user=END_USER_PHARMA,
            content=major_challenge_content(recipients=(UNIVERSITY_MEDICAL.credit_code,)),
        ).draft().argue().list()  # fmt: skip
        self.r_guide, self.r_guide_pdf = self.publish(self.r)
        self.k = HttpJourney(
            server, uuid.uuid4().hex[:8], end_user=END_USER_PHARMA,
            content=major_challenge_content(
                name="涉密工艺攻关", recipients=(UNIVERSITY_MEDICAL.credit_code,), classified=True
            ),
        ).draft().argue().list()  # fmt: skip
        self.k_guide, _ = self.publish(self.k)
        self.clients: dict[str, httpx.Client] = {
            "bureau": server.client(Role.BUREAU, BUREAU, "bureau-docs"),
            "end_user_own": server.client(Role.END_USER, END_USER_EQUIPMENT, "eu-own"),
            "end_user_other": server.client(Role.END_USER, END_USER_PHARMA, "eu-other"),
            "applicant_own": server.client(Role.APPLICANT, INSTITUTE_WEST, "app-own"),
            "applicant_other": server.client(Role.APPLICANT, ENTERPRISE_HUADONG, "app-other"),
            "applicant_recipient": server.client(Role.APPLICANT, UNIVERSITY_MEDICAL, "app-rec"),
            "expert_panel": self.p.expert_client(self.p.sample_experts()[0]),
            "expert_other": self.r.expert_client(self.r.sample_experts()[2]),
            "supervisor": server.client(Role.SUPERVISOR, BUREAU, "supervisor"),
            "analyst": server.client(Role.ANALYST, BUREAU, "analyst"),
            "anonymous": server.client(),
        }
        loose = upload(self.clients["applicant_own"], PNG[:4000] + b"loose", "申报书", "草稿.png")
        self.p_loose = ok(loose, 201)["digest"]

    def select_and_publicize(self, j: HttpJourney, application_id: str) -> str:
        """Review and select, then write the notice from the record and publicize with it."""
        j.panel().review(application_id)
        j.select(application_id)
        j.server.on(date(2026, 5, 18))
        notice = ok(
            j.bureau.post(
                "/v1/documents/written",
                json={"document": "notice", "project_id": j.project_id, "starts_on": "2026-05-18"},
            ),
            201,
        )
        kept = [{"digest": notice["digest"], "kind": "公示文本"}]
        ok(j.bureau.post(f"/v1/projects/{j.project_id}/publicize", json={"documents": kept}))
        return str(notice["digest"])

    def publish(self, j: HttpJourney) -> tuple[str, str]:
        """Write the guide from the record, then publish with it attached (DOCX and PDF)."""
        window: dict[str, Any] = {
            "window_opens": at(date(2026, 4, 10), 9), "window_closes": at(date(2026, 5, 10), 17)
        }  # fmt: skip
        j.server.on(date(2026, 4, 10), 8)
        guide = ok(
            j.bureau.post(
                "/v1/documents/written",
                json={"document": "guide", "challenge_id": j.challenge_id, **window},
            ),
            201,
        )
        assert guide["kind"] == "申报指南"
        pdf = guide["pdf"]  # the server finds Noto CJK (fonts-noto-cjk, ops/setup.sh)
        assert pdf is not None, guide["no_pdf"]
        assert (pdf["media_type"], pdf["kind"]) == ("application/pdf", "申报指南")
        kept = [{"digest": d, "kind": "申报指南"} for d in (guide["digest"], pdf["digest"])]
        ok(
            j.bureau.post(
                f"/v1/challenges/{j.challenge_id}/publish",
                json={"guide": "见附件申报指南", **window, "documents": kept},
            )
        )
        return str(guide["digest"]), str(pdf["digest"])


@pytest.fixture(scope="module")
def scene(server: Server) -> Scene:
    return Scene(server)


ROLES = (
    "bureau", "end_user_own", "end_user_other", "applicant_own", "applicant_other",
    "applicant_recipient", "expert_panel", "expert_other", "supervisor", "analyst", "anonymous",
)  # fmt: skip
EVERYONE = (200,) * 11
NOBODY = (404,) * 11
# (route, document) -> expected status per role, in the order of ROLES.
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    ("/v1/documents/{}", "p_guide"): (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("/v1/documents/{}", "p_guide_pdf"): (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("/v1/documents/{}", "r_guide"): (200, 404, 200, 404, 404, 200, 404, 404, 200, 200, 401),
    ("/v1/documents/{}", "r_guide_pdf"): (200, 404, 200, 404, 404, 200, 404, 404, 200, 200, 401),
    ("/v1/documents/{}", "k_guide"): (200, 404, 200, 404, 404, 200, 404, 404, 200, 200, 401),
    ("/v1/documents/{}", "p_form"): (200, 200, 404, 200, 404, 404, 200, 404, 200, 200, 401),
    ("/v1/documents/{}", "p_notice"): (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("/v1/documents/{}", "p_loose"): (200, 404, 404, 200, 404, 404, 404, 404, 200, 200, 401),
    ("/v1/public/documents/{}", "p_guide"): EVERYONE,
    ("/v1/public/documents/{}", "p_guide_pdf"): EVERYONE,
    ("/v1/public/documents/{}", "p_notice"): EVERYONE,
    ("/v1/public/documents/{}", "r_guide"): NOBODY,
    ("/v1/public/documents/{}", "r_guide_pdf"): NOBODY,
    ("/v1/public/documents/{}", "k_guide"): NOBODY,
    ("/v1/public/documents/{}", "p_form"): NOBODY,
    ("/v1/public/documents/{}", "p_loose"): NOBODY,
}


@pytest.mark.parametrize(("route", "document"), list(MATRIX), ids=lambda v: str(v))
def test_r_evidence_a_document_is_read_by_whom_its_event_is(scene: Scene, route, document):
    digest = getattr(scene, document)
    got = {role: scene.clients[role].get(route.format(digest)).status_code for role in ROLES}
    assert got == dict(zip(ROLES, MATRIX[(route, document)], strict=True))


@pytest.mark.parametrize(
    ("role", "status"),
    [("bureau", 201), ("end_user_own", 201), ("applicant_own", 201), ("expert_other", 201),
     ("supervisor", 403), ("analyst", 403), ("anonymous", 401)],
)  # fmt: skip
def test_r_evidence_upload_is_for_the_parties_that_write(scene: Scene, role, status):
    assert upload(scene.clients[role], PNG[:2000], "申报书").status_code == status


def test_r_evidence_a_document_one_may_not_read_cannot_be_attached_to_read_it(scene: Scene):
    """R-SCOPE: the restricted guide's digest, once known, attached to one's own application
    would make it readable through that application; it is refused like an unknown digest."""
    outsider = scene.clients["applicant_other"]
    body = {
        **scene.p.apply_json(ENTERPRISE_HUADONG),
        "documents": [{"digest": scene.r_guide, "kind": "申报书"}],
    }
    refused = outsider.post(f"/v1/challenges/{scene.p.challenge_id}/applications", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "documents[0].digest"
    assert outsider.get(f"/v1/documents/{scene.r_guide}").status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [("bureau", 201), ("end_user_own", 403), ("applicant_own", 403), ("expert_panel", 403),
     ("supervisor", 403), ("analyst", 403), ("anonymous", 401)],
)  # fmt: skip
def test_r_evidence_only_the_bureau_writes_documents_from_the_record(scene, role, status):
    body = {"document": "demand_list", "year": 2026, "challenge_ids": [scene.p.challenge_id]}
    assert scene.clients[role].post("/v1/documents/written", json=body).status_code == status
