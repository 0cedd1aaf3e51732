"""`jiebang experts …`: the bureau's expert pool from the command line."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from jiebang_es.config import Settings
from jiebang_es.domain.values import Actor, Role, credit_code
from jiebang_es.draws.pool_import import import_pool
from jiebang_es.errors import JiebangError
from jiebang_es.logging_setup import configure_logging
from jiebang_es.service import JiebangApp

experts_cli = typer.Typer(help="The expert pool (专家库).")
err = Console(stderr=True)


@experts_cli.command("import")
def import_xlsx(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help="an XLSX workbook or a CSV file (UTF-8 or GBK)"
        ),
    ],
    by: Annotated[str, typer.Option(help="person id of the bureau officer importing")],
    org: Annotated[str, typer.Option(help="the bureau's unified social credit code")],
    as_json: Annotated[bool, typer.Option("--json", help="the report as JSON")] = False,
) -> None:
    """Register every row of the workbook's first sheet as a pool expert; print, per row, the
    expert id or why the row was refused. Exit 0 when every row went in, 1 otherwise."""
    settings = Settings()
    configure_logging(settings.log_level)
    try:
        officer = Actor(id=by, role=Role.BUREAU, org_code=credit_code(org, field_name="org"))
        app = JiebangApp(settings)
    except JiebangError as e:
        err.print(f"[red]{e}[/]")
        raise typer.Exit(2) from e
    try:
        outcomes = import_pool(app, officer, path)
    except JiebangError as e:
        err.print(f"[red]{e}[/]")
        raise typer.Exit(2) from e
    finally:
        app.close()
    if as_json:
        sys.stdout.write(
            json.dumps([dataclasses.asdict(o) for o in outcomes], ensure_ascii=False) + "\n"
        )
    else:
        table = Table("行", "人员编号", "结果", "说明")
        for o in outcomes:
            table.add_row(str(o.row), o.person_id, "导入" if o.imported else "拒绝", o.detail)
        Console().print(table)
    if not all(o.imported for o in outcomes):
        raise typer.Exit(1)
