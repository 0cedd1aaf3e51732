"""`jiebang projections …` and `jiebang report …`: run, rebuild and check the read models;
produce the compliance and portfolio reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import structlog
import typer
from rich.console import Console

from jiebang_es.cli_output import write_file
from jiebang_es.cli_store import cli_settings
from jiebang_es.config import Settings
from jiebang_es.errors import JiebangError
from jiebang_es.progress import progress_bar
from projections import models as read_models
from projections.checksum import digests
from projections.db import ReadDB, target_of
from projections.projector import ShapeChangedError, prepare
from projections.readstore import ReadStore
from projections.rebuild import RebuildInProgressError, rebuild
from projections.reports import compliance, portfolio, sittings
from projections.reports.formats import check_format
from projections.runner import RunnerBusyError, run
from projections.status import ProjectionStoppedError

projections_cli = typer.Typer(
    help="The read models: run them, rebuild them, compare their digests.", no_args_is_help=True
)
report_cli = typer.Typer(help="Reports from the read models.", no_args_is_help=True)
console = Console()
log = structlog.get_logger("jiebang_es.projections")
NamesArg = Annotated[
    list[str] | None, typer.Argument(help=f"read models ({', '.join(read_models.NAMES)})")
]


def _settings(*, existing: bool = True) -> Settings:
    """The settings; the store must exist, except for the runner and a rebuild."""
    return cli_settings(existing=existing)


def _check_names(names: list[str] | None) -> list[str]:
    try:
        return [m.name for m in read_models.build(names)]
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="NAMES") from None


@projections_cli.command("run")
def run_command(
    names: NamesArg = None,
    until_caught_up: Annotated[
        bool, typer.Option("--until-caught-up", help="stop once every event is applied")
    ] = False,
) -> None:
    """Catch the read models up with the log, then follow new events (Ctrl-C stops)."""
    settings = _settings(existing=False)
    chosen = _check_names(names)
    try:
        applied = run(settings, names=chosen, until_caught_up=until_caught_up)
    except KeyboardInterrupt:
        console.print("stopped")
        return
    except RunnerBusyError as e:
        console.print(f"[red]{e}[/]: one runner per store")
        raise typer.Exit(2) from e
    except ShapeChangedError as e:
        console.print(f"[red]{e}[/]")
        raise typer.Exit(2) from e
    except ProjectionStoppedError as e:
        log.error("projection_stopped", model=e.model, position=e.position, error=str(e.cause))
        console.print(f"[red]{e}[/]")
        raise typer.Exit(1) from e
    console.print(f"{applied} events applied")


@projections_cli.command("rebuild")
def rebuild_command(names: NamesArg = None) -> None:
    """Rebuild read models from the start of the log into fresh tables, then switch over."""
    settings = _settings(existing=False)
    chosen = _check_names(names)
    with progress_bar(f"rebuilding {', '.join(chosen)}") as progress:
        try:
            position = rebuild(settings, chosen, progress=progress)
        except (RebuildInProgressError, ProjectionStoppedError, ShapeChangedError) as e:
            console.print(f"[red]{e}[/]")
            raise typer.Exit(1) from e
    console.print(f"rebuilt {', '.join(chosen)} up to position {position}")


@projections_cli.command("checksum")
def checksum_command(names: NamesArg = None) -> None:
    """Print one digest per read model (and the position it reflects)."""
    settings = _settings()
    models = read_models.build(_check_names(names), settings)
    db = ReadDB.connect(target_of(settings))
    try:
        prepare(db, models)
        positions = db.positions([m.name for m in models])
        for name, value in digests(db, models).items():
            typer.echo(f"{name:<16} {positions[name]:>9} {value}")
    finally:
        db.close()


def _output(path: Path | None, data: bytes | str) -> None:
    if path is None:
        if isinstance(data, bytes):
            raise typer.BadParameter("a binary format needs --output FILE", param_hint="--output")
        console.print(data, highlight=False, markup=False, soft_wrap=True)
        return
    write_file(path, data, "--output")
    console.print(f"written to {path}")


FormatOption = Annotated[str, typer.Option("--format", help="json, csv, xlsx or md")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="write to this file (xlsx needs one)")
]


def _store(settings: Settings) -> ReadStore:
    try:
        return ReadStore.open(settings)
    except JiebangError as e:
        console.print(f"[red]{e}[/]")
        raise typer.Exit(2) from e


@report_cli.command("compliance")
def compliance_command(
    fmt: FormatOption = "json",
    year: Annotated[
        int | None, typer.Option("--year", help="only findings of this business year")
    ] = None,
    output: OutputOption = None,
) -> None:
    """Every rule id of RULES.md: holds, violated or exceptions, with the events that show it."""
    try:
        check_format(fmt, ("json", "csv", "xlsx", "md"))
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--format") from None
    settings = _settings()
    run(settings, names=["compliance"], until_caught_up=True)
    store = _store(settings)
    try:
        _output(output, compliance.render(compliance.compliance_report(store, year), fmt))
    finally:
        store.close()


@report_cli.command("sittings")
def sittings_command(
    fmt: FormatOption = "md",
    year: Annotated[int | None, typer.Option("--year", help="one business year")] = None,
    min_pairs: Annotated[
        int, typer.Option("--min-pairs", min=2, help="list pairs who met on this many panels")
    ] = 3,
    output: OutputOption = None,
) -> None:
    """How often each expert sat per year, per end user and per winning solver, and the pairs
    of experts who met on many panels (for discipline inspection)."""
    try:
        check_format(fmt, ("json", "csv", "xlsx", "md"))
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--format") from None
    settings = _settings()
    run(settings, names=["panels", "catalogue", "portfolio"], until_caught_up=True)
    store = _store(settings)
    try:
        report = sittings.sittings_report(store, year, min_pairs)
        _output(output, sittings.render(report, fmt))
    finally:
        store.close()


@report_cli.command("portfolio")
def portfolio_command(
    fmt: Annotated[str, typer.Option("--format", help="json, csv, xlsx, md or html")] = "md",
    output: OutputOption = None,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="PNG chart for md/html (default beside output)")
    ] = None,
) -> None:
    """Per year, industry and category: challenges, applications, selections, funds, days."""
    try:
        check_format(fmt)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--format") from None
    settings = _settings()
    run(settings, names=["catalogue", "pipeline", "portfolio"], until_caught_up=True)
    if fmt in ("md", "html") and chart is None:
        chart = output.with_suffix(".png") if output else Path("portfolio-chart.png")
    store = _store(settings)
    try:
        _output(output, portfolio.render(portfolio.portfolio_report(store), fmt, chart))
    finally:
        store.close()
