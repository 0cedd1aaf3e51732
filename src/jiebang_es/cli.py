"""`jiebang`: the command line, and the composition root (settings, logging, store)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from api.serve import print_openapi, serve, token_cli
from jiebang_es.audit_cli import audit_cli
from jiebang_es.backup.cli import backup_cli
from jiebang_es.cli_errors import run_cli
from jiebang_es.cli_store import cli_settings
from jiebang_es.config import Settings
from jiebang_es.demo import DemoFailedError, SimulatedClock, run_demo
from jiebang_es.documents.cli import documents_cli
from jiebang_es.errors import JiebangError
from jiebang_es.logging_setup import configure_logging
from jiebang_es.pool_cli import experts_cli
from jiebang_es.privacy_cli import privacy_cli
from jiebang_es.service import JiebangApp
from projections.cli import projections_cli, report_cli

cli = typer.Typer(
    help="jiebang_es: the 揭榜挂帅 procedure, event-sourced and audit-first.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level)
    return settings


def _safe_url(url: str) -> str:
    """The store's URL without its password, for printing."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"


@cli.command()
def demo() -> None:
    """Run one simulated year of the procedure on the configured store and print it."""
    settings = _settings()
    console.print(f"store: {_safe_url(settings.database_url)}")
    try:
        app = JiebangApp(settings, clock=SimulatedClock())
    except JiebangError as e:
        console.print(f"[red]{e}[/]")
        raise typer.Exit(2) from e
    try:
        run_demo(app, console)
    except (DemoFailedError, JiebangError) as e:
        console.print(f"[red]demo failed: {e}[/]")
        raise typer.Exit(1) from e
    finally:
        app.close()


@cli.command()
def info(
    show_config: Annotated[bool, typer.Option("--config", help="print every setting")] = False,
) -> None:
    """Show the configured store and how far its log goes."""
    settings = cli_settings(existing=True)
    app = JiebangApp(settings)
    try:
        console.print(f"store: {_safe_url(settings.database_url)}")
        console.print(f"last position: {app.position()}")
        console.print(f"cryptography: {app.crypto_mode} (docs/cryptography.md)")
        console.print(f"holiday calendar: {app.calendar.version}")
        if show_config:
            for name, value in settings.model_dump().items():
                shown = _safe_url(value) if name == "database_url" else value
                console.print(f"  {name} = {shown}")
    except JiebangError as e:
        console.print(f"[red]{e}[/]")
        raise typer.Exit(2) from e
    finally:
        app.close()


# The HTTP API's commands live with it in the api package; the CLI composes them here.
cli.command("serve")(serve)
cli.command("openapi")(print_openapi)
cli.add_typer(token_cli, name="token")
cli.add_typer(projections_cli, name="projections")
cli.add_typer(report_cli, name="report")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(experts_cli, name="experts")
cli.add_typer(backup_cli, name="backup")
cli.add_typer(documents_cli, name="documents")
cli.add_typer(privacy_cli, name="privacy")


def main() -> None:
    run_cli(cli)
