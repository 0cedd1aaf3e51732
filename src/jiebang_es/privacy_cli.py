"""`jiebang privacy …`: the data-protection officer's erasure (PIPL art. 47) and the data
subject's report (art. 45). See docs/personal-information.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from jiebang_es.cli_output import write_file
from jiebang_es.cli_store import cli_settings
from jiebang_es.domain.values import Actor, Role, credit_code
from jiebang_es.errors import JiebangError
from jiebang_es.privacy.report import report_sheets, subject_report
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CommandMeta
from projections.rebuild import rebuild_after_erasure
from projections.reports.formats import to_xlsx

privacy_cli = typer.Typer(help="Personal information: erasure and the subject's report.")
err = Console(stderr=True)


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def _app() -> JiebangApp:
    settings = cli_settings(existing=True)
    try:
        return JiebangApp(settings)
    except JiebangError as e:
        err.print(f"[red]{e}[/]")
        raise typer.Exit(2) from e


@privacy_cli.command()
def erase(
    subject: Annotated[str, typer.Argument(help="the data subject's id (see `privacy report`)")],
    reason: Annotated[str, typer.Option(help="why the information is erased (recorded)")],
    by: Annotated[str, typer.Option(help="person id of the data-protection officer")],
    org: Annotated[str, typer.Option(help="the bureau's unified social credit code")],
    legal_ground: Annotated[
        str,
        typer.Option(help="erase before the retention period ends on this legal ground (PIPL 47)"),
    ] = "",
) -> None:
    """Erase a data subject's personal information: the erasure is recorded (who, why, which
    retention rule), then the subject's key is destroyed. Refused (exit 2, nothing recorded)
    before the retention period ends unless a legal ground is given."""
    app = _app()
    try:
        officer = Actor(
            id=by, role=Role.DATA_PROTECTION_OFFICER, org_code=credit_code(org, field_name="org")
        )
        receipt = app.erase_subject(
            officer, subject, legal_ground=legal_ground, meta=CommandMeta(reason=reason)
        )
        erasure = app.erasure_of(subject)
    except JiebangError as e:
        err.print(f"[red]{e}[/]")
        raise typer.Exit(2) from e
    finally:
        app.close()
    # The read models that show personal fields now show "已删除".
    rebuild_after_erasure(app.settings)
    legacy = list(erasure.legacy_records) if erasure is not None else []
    _print_json(
        {
            "subject_id": subject,
            "erasure_id": receipt.aggregate_id,
            "position": receipt.position,
            "encrypted_records": erasure.encrypted_records if erasure is not None else 0,
            "retention": erasure.retention if erasure is not None else "",
            "legacy_plaintext_not_shredded": legacy,
        }
    )
    if legacy:
        err.print(
            f"[yellow]{len(legacy)} record(s) of an earlier release hold this subject's data in "
            "clear: they cannot be shredded without rewriting the sealed log (listed above).[/]"
        )


@privacy_cli.command()
def report(
    subject: Annotated[str, typer.Argument(help="the data subject's id")],
    xlsx: Annotated[
        Path | None, typer.Option(help="also write the report as an XLSX workbook")
    ] = None,
) -> None:
    """Every record holding the subject's personal information (PIPL art. 45), as JSON on
    stdout (and XLSX with --xlsx)."""
    app = _app()
    try:
        document = subject_report(app, subject)
    except JiebangError as e:
        err.print(f"[red]{e}[/]")
        raise typer.Exit(2) from e
    finally:
        app.close()
    if xlsx is not None:
        write_file(xlsx, to_xlsx(report_sheets(document)), "--xlsx")
    _print_json(document)
