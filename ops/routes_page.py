"""Write docs/routes.md, every route of the committed OpenAPI contract with its one-line summary,
so the route index can never drift from the API (tests/unit/test_docs.py compares them).

    .venv/bin/python ops/routes_page.py > docs/routes.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CONTRACT = Path(__file__).resolve().parents[1] / "api" / "openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")


def routes_page(contract: dict[str, object]) -> str:
    paths = contract["paths"]
    if not isinstance(paths, dict):
        raise ValueError("the contract has no paths")
    rows = []
    for path in sorted(paths):
        for method in METHODS:
            op = paths[path].get(method)
            if op is None:
                continue
            tag = (op.get("tags") or [""])[0]
            text = (op.get("description") or op.get("summary") or "").split("\n\n")[0]
            summary = " ".join(text.split())
            rows.append(f"| {tag} | `{method.upper()} {path}` | {summary.replace('|', '/')} |")
    return (
        "# Every route of the HTTP API\n\n"
        "Generated from the committed contract `api/openapi.json` by `ops/routes_page.py`; "
        "[the API page](api.md) explains the conventions. The web pages and `/metrics` are not "
        "in the contract ([web](web.md), [operations](operations.md)).\n\n"
        "| resource | route | what it does |\n|---|---|---|\n" + "\n".join(rows) + "\n"
    )


if __name__ == "__main__":
    sys.stdout.write(routes_page(json.loads(CONTRACT.read_text(encoding="utf-8"))))
