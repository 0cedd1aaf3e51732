"""A document whose stored bytes are gone is a clear 503 problem before any byte is sent (and
`jiebang documents check` names it), never a 200 whose body breaks off."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import Keys, issue_token
from jiebang_es.documents import evidence
from jiebang_es.domain.values import Role
from jiebang_es.sample_documents import paper
from jiebang_es.service import JiebangApp
from tests.web.conftest import SECRET, SUPERVISOR_ORG, demo_settings


def test_a_document_whose_bytes_are_gone_is_a_503_before_the_body(tmp_path: Path) -> None:
    settings = demo_settings(tmp_path / "store.db")
    app = JiebangApp(settings)
    try:
        kept = paper(app, evidence.MINUTES, "党组会")
        app.documents.path_of(kept.digest).unlink()  # type: ignore[attr-defined]
    finally:
        app.close()
    token = issue_token(
        settings, Keys(SECRET, SECRET, ("HS256",)), role=Role.BUREAU, org=SUPERVISOR_ORG,
        sub="bureau-1", ttl_seconds=600,
    )  # fmt: skip
    with TestClient(create_app(settings)) as client:
        answer = client.get(
            f"/v1/documents/{kept.digest}", headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 503
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert "documents check" in answer.json()["detail"]
