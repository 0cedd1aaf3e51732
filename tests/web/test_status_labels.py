"""Every status a read model can write for a page is said in Chinese there: the statuses are
read from the models' own source, so a new one without a label fails here, not on the portal."""

from __future__ import annotations

import ast
import inspect

import pytest

from api.web.render import STATUS_ZH
from jiebang_es.labels_zh import NOTICE_STATUS_ZH, PROJECT_STATUS_ZH
from projections.models import catalogue, public_listing


def written_statuses(module: object) -> set[str]:
    """String constants the module writes as a status: ``status="x"``, ``{"status": "x"}``,
    ``*_status("x")`` and the values of a mapping assigned to ``status``."""
    found: set[str] = set()

    def text(node: ast.AST | None) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value)

    for node in ast.walk(ast.parse(inspect.getsource(module))):  # type: ignore[arg-type]
        if isinstance(node, ast.keyword) and node.arg == "status":
            text(node.value)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "status":
                    text(value)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "").endswith("_status"):
            for arg in node.args:
                text(arg)
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "status" for t in node.targets
        ):
            for sub in ast.walk(node.value):
                if isinstance(sub, ast.Dict):
                    for value in sub.values:
                        text(value)
    return found


@pytest.mark.parametrize("module", [catalogue, public_listing])
def test_every_status_a_page_shows_has_a_chinese_label(module: object) -> None:
    statuses = written_statuses(module)
    assert statuses, "no status found: the reader of the source needs updating"
    assert statuses <= STATUS_ZH.keys(), statuses - STATUS_ZH.keys()


def test_a_running_notice_is_said_to_be_in_its_period() -> None:
    assert "running" in written_statuses(public_listing)
    assert NOTICE_STATUS_ZH["running"] == "公示中"
    assert "publicized" in PROJECT_STATUS_ZH  # a project's own status, not a notice's
