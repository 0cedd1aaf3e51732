"""`/docs` and `/redoc` work without internet access: every asset they load is served by the
application itself, from a package installed with it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(["']?([^"')]+)""")


def _references(html: str) -> list[str]:
    return [a or b for a, b in URL.findall(html)]


def test_docs_and_redoc_reference_no_external_host_and_their_assets_are_served(
    web: TestClient,
) -> None:
    for path in ("/docs", "/redoc"):
        page = web.get(path)
        assert page.status_code == 200
        refs = _references(page.text)
        assert refs, path
        external = [r for r in refs if "//" in r]
        assert external == [], (path, external)
        assert "fonts.googleapis" not in page.text
        for ref in refs:
            asset = web.get(ref)
            assert asset.status_code == 200, ref
            assert len(asset.content) > 1000, ref


def test_the_docs_load_the_served_openapi_document(web: TestClient) -> None:
    assert "/openapi.json" in web.get("/docs").text
    assert web.get("/openapi.json").json()["info"]["title"] == "jiebang_es"
