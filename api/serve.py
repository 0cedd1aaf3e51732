"""The API's commands for the `jiebang` CLI: `serve`, `token issue`, `openapi`."""

from __future__ import annotations

import json
import socket
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import psycopg
import typer
import uvicorn
from uvicorn.supervisors import Multiprocess

from api.auth import issue_token, load_keys
from api.timeouts import protocol_path, protocol_with_header_deadline, set_header_timeout
from jiebang_es.audit.checkpoints import Checkpointer
from jiebang_es.config import Settings, store_env
from jiebang_es.documents.store import documents_dir
from jiebang_es.domain.values import Role
from jiebang_es.errors import JiebangError
from jiebang_es.logging_setup import configure_logging
from jiebang_es.privacy.keys import keys_dir
from jiebang_es.service import JiebangApp
from projections.runner import start_runner

if TYPE_CHECKING:
    from fastapi import FastAPI

    from api.app import Service, ServiceStarter

token_cli = typer.Typer(help="Bearer tokens for operators.", no_args_is_help=True)


def _projection_runner(settings: Settings, app: JiebangApp) -> Service:  # noqa: ARG001
    return start_runner(settings)


def _audit_checkpoints(settings: Settings, app: JiebangApp | None) -> Service:  # noqa: ARG001
    """Signed checkpoints every N events or M seconds (off, with a warning, without a key)."""
    checkpointer = Checkpointer(settings)
    checkpointer.start()
    return checkpointer


def background_services(settings: Settings) -> list[ServiceStarter]:
    """What runs beside the API in this process, started in this order (stopped in reverse)."""
    services: list[ServiceStarter] = []
    if settings.serve_projections:
        services.append(_projection_runner)
    services.append(_audit_checkpoints)
    return services


def _serving_settings() -> Settings:
    """A serving process's settings, its logging and its thread switch interval set."""
    settings = Settings()
    configure_logging(settings.log_level, settings.request_log_level)
    sys.setswitchinterval(settings.switch_interval)
    return settings


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="API worker processes; with more than one, the read models' runner and the "
            "audit checkpoints run once, in this supervising process",
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API on the configured store (the embedded SQLite file by default)."""
    settings = _serving_settings()
    try:
        keys = load_keys(settings)
    except JiebangError as e:
        typer.echo(f"jiebang serve: {e}", err=True)
        raise typer.Exit(2) from e
    if keys.generated:
        typer.echo(f"development token secret generated in {keys.path}", err=True)
    # The port first: taken, it is said at once, before the store and the runner start.
    try:
        sock = listen_on(host, port)
    except OSError as e:
        typer.echo(f"jiebang serve: cannot listen on {host}:{port}: {e.strerror or e}", err=True)
        raise typer.Exit(2) from e
    if workers > 1:
        _serve_workers(settings, sock, workers)
        return
    # Opened before the server starts: a store that cannot be opened is one line and exit 2,
    # not a traceback from the server's start-up hook (which uvicorn turns into exit 3).
    open_store_first(settings)
    from api.app import create_app  # the app's imports cost seconds: not for every command

    app = create_app(settings, services=background_services(settings))
    typer.echo(f"jiebang API on http://{host}:{port} (OpenAPI at /docs)", err=True)
    # No "server: uvicorn" banner: the answer names no software and no version.
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        server_header=False,
        http=protocol_with_header_deadline(settings.header_timeout, settings.http),
        loop=settings.event_loop,
        timeout_keep_alive=settings.keep_alive_timeout,
    )
    uvicorn.Server(config).run(sockets=[sock])


def open_store_first(settings: Settings) -> None:
    """Open the store and the read models once and close them: their tables, the store's
    cryptography mode, its documents and keys folders are made or checked here; a refusal
    (a mode that disagrees, a folder that cannot be made, a database that refuses the read
    models' tables) exits 2 naming it."""
    from projections.readstore import ReadStore

    missing = folders_not_there(settings)
    try:
        app = JiebangApp(settings)
        try:
            position = app.position()
        finally:
            app.close()
        ReadStore.open(settings).close()
    except (JiebangError, OSError, psycopg.Error, sqlite3.Error) as e:
        typer.echo(f"jiebang serve: the store cannot be opened: {e}", err=True)
        raise typer.Exit(2) from e
    if position:
        for variable, folder in missing:
            # Made just now for a store that has a log: a mistyped path serves an empty folder
            # (every document or key "missing") while readiness says ok.
            typer.echo(
                f"jiebang serve: warning: {variable}: {folder} did not exist and was made empty "
                f"for a store of {position} events; unless this store was written by a release "
                "without it, check the path (`jiebang documents check`, `jiebang audit verify`)",
                err=True,
            )


def folders_not_there(settings: Settings) -> list[tuple[str, Path]]:
    """The SQLite store's documents and keys folders that do not exist yet (PostgreSQL keeps
    both in tables; a store not made yet makes them with it)."""
    env = store_env(settings.database_url)
    path = env.get("SQLITE_DBNAME", "")
    if env["PERSISTENCE_MODULE"] != "eventsourcing.sqlite" or not Path(path).is_file():
        return []
    folders = (
        ("JIEBANG_DOCUMENTS_DIR", documents_dir(settings)),
        ("JIEBANG_PERSONAL_KEYS_DIR", keys_dir(settings)),
    )
    return [(variable, folder) for variable, folder in folders if not folder.exists()]


def _serve_workers(settings: Settings, sock: socket.socket, workers: int) -> None:
    """``workers`` API processes on one socket (uvicorn's supervisor); the background services
    run here, once: one runner per store (its lock refuses a second), one checkpointer."""
    config = uvicorn.Config(
        "api.serve:worker_app",
        factory=True,
        workers=workers,
        log_level="warning",
        access_log=False,
        server_header=False,
        http=protocol_path(settings.http),
        loop=settings.event_loop,
        timeout_keep_alive=settings.keep_alive_timeout,
        # A spawned worker imports the whole application before it answers its first ping:
        # on a busy machine that takes longer than uvicorn's 5 s, which would restart it forever.
        timeout_worker_healthcheck=60,
    )
    sock.set_inheritable(True)  # the workers are spawned: they inherit the listening socket
    # The store is opened here once, before anything else uses it: a new store's tables and its
    # cryptography mode are created by this process, not raced for by the workers, and the
    # checkpointer (which reads its table) finds them; a store that cannot be opened (its mode
    # refused, say) is said once, here, instead of by every worker.
    open_store_first(settings)
    started: list[Service] = []
    try:
        if settings.serve_projections:
            started.append(start_runner(settings))
        started.append(_audit_checkpoints(settings, None))
        typer.echo(f"jiebang API on {sock.getsockname()} with {workers} workers", err=True)
        Multiprocess(config, sockets=[sock]).run()
    finally:
        for running in reversed(started):
            running.stop()


def worker_app() -> FastAPI:
    """One worker process's app (``serve --workers``): the API only, on the same settings."""
    settings = _serving_settings()
    set_header_timeout(settings.header_timeout)
    from api.app import create_app

    return create_app(settings)


def listen_on(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (uvicorn listens on it); OSError when it is taken."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def print_openapi() -> None:
    """Print the OpenAPI document (regenerate api/openapi.json with `jiebang openapi`)."""
    from api.app import create_app

    document = create_app(Settings()).openapi()
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


@token_cli.command("issue")
def token_issue(
    role: Annotated[Role, typer.Option(help="the role the token acts in")],
    org: Annotated[str, typer.Option(help="the organisation's unified social credit code")],
    sub: Annotated[str, typer.Option(help="the person's id")],
    name: Annotated[str, typer.Option(help="the person's name")] = "",
    ttl: Annotated[
        int,
        typer.Option(
            min=60, max=86400 * 31, help="lifetime in seconds, ≤ JIEBANG_JWT_MAX_LIFETIME"
        ),
    ] = 3600,
) -> None:
    """Issue a signed bearer token for one person, role and organisation."""
    settings = Settings()
    try:
        token = issue_token(
            settings, load_keys(settings), role=role, org=org, sub=sub, name=name, ttl_seconds=ttl
        )
    except JiebangError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from e
    typer.echo(token)
