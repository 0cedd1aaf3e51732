"""The README is an entrance and `docs/` holds one page per reader's question: these tests keep
both true as the code changes (every setting documented once, every page reachable, links live).
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from jiebang_es.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)\s]*)?\)")
SETTINGS_TABLE = re.compile(r"^\| variable \| default \|", re.MULTILINE)


def _pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def test_readme_is_an_entrance_of_at_most_12_kb() -> None:
    assert README.stat().st_size <= 12 * 1024


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {m.group(1) for m in LINK.finditer(README.read_text(encoding="utf-8"))}
    unlinked = [p.name for p in _pages() if f"docs/{p.name}" not in linked]
    assert unlinked == []


@pytest.mark.parametrize("page", [README, *_pages()], ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = [
        target
        for target in (m.group(1) for m in LINK.finditer(text))
        if "://" not in target and not (page.parent / target).exists()
    ]
    assert broken == []


def test_every_setting_is_documented_in_the_configuration_page() -> None:
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [
        f"JIEBANG_{name.upper()}"
        for name in Settings.model_fields
        if f"`JIEBANG_{name.upper()}`" not in page
    ]
    assert missing == []


def test_settings_tables_live_in_one_place_only() -> None:
    elsewhere = [
        p.name
        for p in [README, *_pages()]
        if p.name != "configuration.md" and SETTINGS_TABLE.search(p.read_text(encoding="utf-8"))
    ]
    assert elsewhere == []


def test_the_route_index_is_generated_from_the_committed_contract() -> None:
    spec = importlib.util.spec_from_file_location("routes_page", ROOT / "ops" / "routes_page.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    contract = json.loads((ROOT / "api" / "openapi.json").read_text(encoding="utf-8"))
    page = (DOCS / "routes.md").read_text(encoding="utf-8")
    assert page == module.routes_page(contract), "regenerate: python ops/routes_page.py"
