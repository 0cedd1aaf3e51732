"""`jiebang audit …`: supervisors' queries, keys, checkpoints, verification and export."""

from __future__ import annotations

import functools
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from jiebang_es.audit import queries
from jiebang_es.audit.bundle import export_bundle, verify_bundle
from jiebang_es.audit.checkpoints import generate_keys, take_checkpoint
from jiebang_es.audit.raw_store import RawStore
from jiebang_es.audit.retired_keys import RETIRED_FOLDER, retire_key
from jiebang_es.audit.verify_store import record_verification, store_identity, verify_store
from jiebang_es.cli_output import replaced_on_success
from jiebang_es.cli_store import cli_settings, store_exists
from jiebang_es.config import Settings
from jiebang_es.crypto import CryptoMode
from jiebang_es.crypto.digests import DIGEST_NAMES
from jiebang_es.crypto.signing import SIGNATURE_NAMES
from jiebang_es.draws.algorithm import commitment_of, new_seed
from jiebang_es.errors import JiebangError, NotFoundError
from jiebang_es.progress import progress_bar
from jiebang_es.service import JiebangApp
from projections.queries import audit_positions
from projections.readstore import ReadStore

audit_cli = typer.Typer(help="The audit trail: history, checkpoints, verification, export.")
err = Console(stderr=True)

EXIT_DAMAGED = 3  # the log is not what was sealed; 1 and 2 are usage and configuration errors


def _settings() -> Settings:
    return cli_settings(existing=True)  # every audit command but keygen reads the store


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def _when(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO date-time", param_hint=name) from None
    if moment.tzinfo is None:
        raise typer.BadParameter("give the time zone, e.g. 2026-06-01T00:00+08:00", param_hint=name)
    return moment


def _with_app(run: Any) -> None:
    settings = _settings()
    try:
        app = JiebangApp(settings)
        try:
            run(app)
        finally:
            app.close()
    except JiebangError as e:
        err.print(f"[red]{e}[/]")
        raise typer.Exit(2) from e


@audit_cli.command()
def history(aggregate_id: str) -> None:
    """Every event of one aggregate: who, when, why, and the fields it changed (old → new)."""

    def run(app: JiebangApp) -> None:
        entries = queries.history(app, aggregate_id)
        if not entries:  # as `audit state` and the API's history say it: exit 2
            raise NotFoundError("object", aggregate_id)
        _print_json([e.as_json() for e in entries])

    _with_app(run)


@audit_cli.command()
def activity(
    actor: Annotated[str | None, typer.Option(help="person id of the actor")] = None,
    request: Annotated[str | None, typer.Option(help="request id")] = None,
    correlation: Annotated[str | None, typer.Option(help="correlation id")] = None,
    since: Annotated[str | None, typer.Option(help="recorded at or after (ISO, with zone)")] = None,
    until: Annotated[str | None, typer.Option(help="recorded before (ISO, with zone)")] = None,
) -> None:
    """Everything one actor did in a period, or one request or correlation id caused."""
    start, end = _when(since, "--since"), _when(until, "--until")
    if start is not None and end is not None and end <= start:
        # An empty answer would read as "nobody did anything then".
        raise typer.BadParameter("the period ends after it begins", param_hint="--until")

    def run(app: JiebangApp) -> None:
        # The read side's audit index says where to look; the events themselves are read.
        store = ReadStore.open(app.settings)
        try:
            found = queries.activity(
                app,
                actor_id=actor,
                request_id=request,
                correlation_id=correlation,
                since=start,
                until=end,
                index=functools.partial(audit_positions, store),
            )
        finally:
            store.close()
        _print_json([e.as_json() for e in found])

    _with_app(run)


@audit_cli.command()
def state(
    aggregate_id: str,
    as_of: Annotated[str, typer.Option("--as-of", help="ISO date-time with zone")],
) -> None:
    """An aggregate's state as it was recorded by a date-time."""
    moment = _when(as_of, "--as-of")
    assert moment is not None  # the option is required  # noqa: S101
    _with_app(lambda app: _print_json(queries.state_as_of(app, aggregate_id, moment)))


@audit_cli.command()
def keygen(
    overwrite: Annotated[bool, typer.Option(help="replace an existing key")] = False,
) -> None:
    """Make the key pair that signs checkpoints (paths from the settings): Ed25519, or SM2 when
    JIEBANG_CRYPTO=sm."""
    settings = cli_settings()
    retired = None
    try:
        if store_exists(settings):
            # A key of another mode than the store's would only be refused at the next
            # checkpoint: say so now (the store's mode is fixed when it is created).
            RawStore(settings).crypto_mode(settings.crypto)
        if overwrite and settings.audit_key_file.exists():
            # The old public key stays, for the checkpoints it signed up to the log's head now.
            last = RawStore(settings).last_seal()
            retired = retire_key(settings.audit_public_key_file, last[0] if last else 0)
        kid = generate_keys(
            settings.audit_key_file,
            settings.audit_public_key_file,
            mode=settings.crypto,
            overwrite=overwrite,
        )
    except JiebangError as e:
        err.print(f"[red]{e}[/]")
        raise typer.Exit(2) from e
    if retired is not None:
        err.print(
            f"key {retired} retired: its checkpoints verify up to the log's position now "
            f"({settings.audit_public_key_file.parent / RETIRED_FOLDER}); take a checkpoint "
            "with the new key (`jiebang audit checkpoint`)"
        )
    err.print(
        f"{SIGNATURE_NAMES[settings.crypto]} key {kid}: private {settings.audit_key_file}, "
        f"public {settings.audit_public_key_file}"
    )


@audit_cli.command()
def checkpoint() -> None:
    """Sign the chain's current end (position, seal, time); store it and append it to the file."""
    settings = _settings()
    try:
        taken = take_checkpoint(settings)
    except JiebangError as e:
        err.print(f"[red]{e}[/]")
        raise typer.Exit(2) from e
    if taken is None:
        err.print("the log is empty: nothing to sign")
        return
    _print_json(taken.as_json())


@audit_cli.command()
def verify(
    checkpoints: Annotated[
        Path | None, typer.Option(help="a file of checkpoints copied away, checked as well")
    ] = None,
    public_key: Annotated[Path | None, typer.Option(help="PEM public key to trust")] = None,
    bundle: Annotated[Path | None, typer.Option(help="check an exported bundle offline")] = None,
) -> None:
    """Recompute the seal chain and check every checkpoint, the documents the log keeps and the
    log's keys; exit 0 only if the log is intact."""
    try:
        if bundle is not None:
            b = verify_bundle(bundle, public_key)
            finding, summary = (
                b.finding,
                (
                    f"{b.events} events, {b.links} links, {b.documents} documents, "
                    f"checkpoint at {b.checkpoint}; "
                    f"key from {b.key_source}; {_algorithms(b.mode)}"
                ),
            )
            notes = [
                f"draw {draw_id}: " + ("; ".join(problems) or "recomputes from its record")
                for draw_id, problems in b.draws.items()
            ]
            if finding is None and any(b.draws.values()):
                sys.stdout.write("DAMAGED: an expert draw does not recompute (R-DRAW)\n")
                for note in notes:
                    err.print(note)
                raise typer.Exit(EXIT_DAMAGED)
        else:
            settings = _settings()
            with progress_bar("verifying the seal chain") as progress:
                r = verify_store(
                    settings,
                    checkpoint_file=checkpoints,
                    public_key_file=public_key,
                    progress=progress,
                )
            finding, notes = r.finding, list(r.notes)
            try:
                record_verification(
                    settings.audit_verification_file, r, store_identity(settings.database_url)
                )
            except (OSError, ValueError) as e:
                # The result stands and is said below; only the metrics will not see it.
                notes.append(
                    "JIEBANG_AUDIT_VERIFICATION_FILE: the result could not be kept for the "
                    f"metrics ({settings.audit_verification_file}): {e}"
                )
            summary = (
                f"{r.events} events up to position {r.last_position}, "
                f"{r.checkpoints} checkpoints, last at {r.last_checkpoint}; {_algorithms(r.mode)}"
            )
    except JiebangError as e:
        err.print(f"[red]{e}[/]")
        raise typer.Exit(2) from e
    for note in notes:
        err.print(f"note: {note}")
    if finding is not None:
        sys.stdout.write(f"DAMAGED: {finding}\n")
        raise typer.Exit(EXIT_DAMAGED)
    sys.stdout.write(f"intact: {summary}\n")


def _algorithms(mode: CryptoMode) -> str:
    return f"{mode}: {DIGEST_NAMES[mode]} seals, {SIGNATURE_NAMES[mode]} checkpoints"


@audit_cli.command("export")
def export(
    challenge: Annotated[str, typer.Option(help="challenge id")],
    out: Annotated[Path, typer.Option(help="bundle file to write")] = Path("bundle.jsonl"),
    digests_only: Annotated[
        bool, typer.Option(help="leave the documents out: only their digests (in the events)")
    ] = False,
) -> None:
    """Write a challenge's bundle: its events, their seals, the covering checkpoint, the key,
    and the documents its events keep (R-EVIDENCE)."""

    def run(app: JiebangApp) -> None:
        with replaced_on_success(out, "--out") as f:
            count = export_bundle(
                app, RawStore(app.settings), challenge, f, digests_only=digests_only
            )
        err.print(f"{count} events of challenge {challenge} written to {out}")

    _with_app(run)


@audit_cli.command("verify-draw")
def verify_draw(draw_id: str) -> None:
    """Recompute an expert draw from its record alone (R-DRAW): candidates, their digest, the
    seed against its commitment, every ranked place and every replacement. Exit 0 when it
    matches, 3 naming each difference."""

    def run(app: JiebangApp) -> None:
        problems = app.verify_draw(draw_id)
        if problems:
            for problem in problems:
                err.print(f"[red]draw {draw_id}: {problem}[/]")
            raise typer.Exit(EXIT_DAMAGED)
        draw = app.draw(draw_id)
        seats = ", ".join(f"{r.kind.value} {r.taken}/{len(r.ranked)}" for r in draw.rankings)
        sys.stdout.write(
            f"draw {draw_id} matches its record: {seats}; seed matches its commitment; "
            f"public value {draw.public_value!r} of {draw.randomness_source}\n"
        )

    _with_app(run)


@audit_cli.command("draw-seed")
def draw_seed() -> None:
    """A fresh secret seed for an expert draw and its commitment: record the commitment when
    scheduling the draw, keep the seed secret until the draw is performed."""
    seed = new_seed()
    _print_json({"seed": seed, "commitment": commitment_of(seed)})
