"""The app factory: one JiebangApp per process, routers per resource, errors as problem+json.

Background services (the projection runner, the audit checkpoints) are started and stopped by
the lifespan, in the order given, so one more drops into the list without touching the rest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

import structlog
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api import web
from api.auth import load_keys
from api.clock import clock_for
from api.metrics import install_metrics
from api.middleware import EdgeMiddleware
from api.problems import FieldError, Problem, install_problem_handlers
from api.routers import (
    annual_lists,
    applications,
    audit,
    budgets,
    challenge_queries,
    challenges,
    credit,
    demands,
    documents,
    draws,
    experts,
    health,
    panel_changes,
    privacy,
    project_closing,
    project_contracts,
    project_delivery,
    project_queries,
    projects,
    public,
)
from jiebang_es.config import Settings
from jiebang_es.service import JiebangApp
from projections.readstore import ReadStore

log = structlog.get_logger("api")
ROUTERS = (
    health,
    public,
    demands,
    challenges,
    challenge_queries,
    annual_lists,
    budgets,
    experts,
    draws,
    panel_changes,
    applications,
    credit,
    projects,
    project_queries,
    project_contracts,
    project_delivery,
    project_closing,
    documents,
    audit,
    privacy,
)
DESCRIPTION = """\
Every step of the 揭榜挂帅 procedure as a command, and the queries on it.

* **Commands** are `POST` action sub-resources. Each answers with a receipt: the aggregate's new
  `version` (also the `ETag`) and the log `position` of its last event.
* **If-Match** with a stale version → 412; a race lost to another command → 409.
* **Idempotency-Key** on any `POST`: a repeat with the same body replays the first answer;
  the same key with another body → 422. A refused command keeps no key.
* **Read-your-writes**: pass a command's `position` as `min_position` to any query.
* **Errors** are `application/problem+json` (RFC 9457); rule refusals carry `rule_id`.
"""


class Service(Protocol):
    """A background service running beside the API; stopped at shutdown."""

    def stop(self) -> None:
        """Stop the service and wait for it."""


ServiceStarter = Callable[[Settings, JiebangApp], Service]


def create_app(
    settings: Settings,
    *,
    services: Sequence[ServiceStarter] = (),
    jiebang: JiebangApp | None = None,
) -> FastAPI:
    """The HTTP API on the configured store (opened at start-up, closed at shutdown)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Open the store, the read models and the background services; close them at shutdown."""
        keys = load_keys(settings)
        if keys.generated:
            log.warning("dev_jwt_secret_generated", path=str(keys.path))
        if settings.clock_file is not None:
            log.warning("simulated_business_clock", path=str(settings.clock_file))
        service = jiebang or JiebangApp(settings, clock=clock_for(settings.clock_file))
        app.state.keys = keys
        app.state.jiebang = service
        app.state.reads = ReadStore.open(settings)
        started: list[Service] = []
        try:
            for start in services:
                started.append(start(settings, service))
            yield
        finally:
            for running in reversed(started):
                running.stop()
            app.state.reads.close()
            if jiebang is None:
                service.close()

    app = FastAPI(
        title="jiebang_es",
        version="1.0.0",
        summary="揭榜挂帅 challenges, event-sourced and audit-first",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served by api.web.docs from local assets: no CDN on an intranet.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    for module in ROUTERS:
        app.include_router(module.router)
    install_problem_handlers(app)
    install_metrics(app, settings)
    web.install(app)
    app.add_middleware(
        EdgeMiddleware,
        max_body_bytes=settings.max_body_bytes,
        log_level=settings.request_log_level,
        body_timeout=settings.body_timeout,
        upload_max_bytes=settings.document_max_bytes,
    )
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    return app


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the problem schema every error answer refers to."""
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, FieldError):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schema.pop("$defs", None)
        schemas[model.__name__] = schema
    app.openapi_schema = document
    return document
