"""Health, unauthenticated (for load balancers, orchestrators and start-up checks).

``/v1/health/live``: the process answers. ``/v1/health/ready``: the store answers and takes
writes, and the read models are within the configured lag — 503 otherwise, with the reasons.
``/v1/health``: the same report, always 200 while the store answers (its ``status`` says
"degraded"), kept for the clients that read the log's position from it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import AppDep, SettingsDep
from api.problems import RETRY_AFTER_SECONDS, ProblemError
from api.readiness import Readiness, assess, unreachable
from api.routers.common import PUBLIC_PROBLEMS

router = APIRouter(prefix="/v1", tags=["health"])


class Health(BaseModel):
    """The service answers; the log's last position; whether it can serve, and if not why."""

    status: str = Field(examples=["ok"], description="ok, or degraded (see problems)")
    position: int
    store: str = Field(
        default="writable",
        examples=["writable"],
        description="writable, read-only, disk-full, unreachable or failed",
    )
    read_models: str = Field(
        default="current",
        examples=["current"],
        description="current, behind (past the allowed lag), stopped (on an event it cannot "
        "write: see problems) or unreadable",
    )
    read_position: int = 0
    lag_events: int = 0
    lag_seconds: float = 0.0
    problems: list[str] = Field(default_factory=list)


class Live(BaseModel):
    """The process answers."""

    status: str = Field(examples=["alive"])


def _health(found: Readiness) -> Health:
    return Health(
        status="ok" if found.ready else "degraded",
        position=found.position,
        store=found.store,
        read_models=found.read_models,
        read_position=found.read_position,
        lag_events=found.lag_events,
        lag_seconds=found.lag_seconds,
        problems=found.problems,
    )


@router.get("/health", response_model=Health, responses=PUBLIC_PROBLEMS)
def health(request: Request, app: AppDep, settings: SettingsDep) -> Health:
    """The store answers (503 otherwise); whether it takes writes and how far behind the read
    models are ("degraded" with the reasons)."""
    refused = unreachable(settings)  # one bounded attempt: a monitor hears at once
    if refused is not None:
        raise ProblemError(
            503,
            "store-unavailable",
            "The event store is unavailable",
            f"{refused}; this service cannot read its log",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    app.position()  # an unreachable store is a 503 problem, as before
    return _health(assess(app, request.app.state.reads, settings, reachable=True))


@router.get("/health/live", response_model=Live)
def live() -> Live:
    """Liveness: the process answers (it checks nothing else)."""
    return Live(status="alive")


@router.get(
    "/health/ready",
    response_model=Health,
    responses={503: {"model": Health, "description": "Not ready: the reasons in problems"}},
)
def ready(request: Request, app: AppDep, settings: SettingsDep) -> JSONResponse:
    """Readiness: the store answers and takes writes, and the read models are within the
    configured lag (JIEBANG_READY_MAX_LAG_EVENTS, _SECONDS); 503 with the reasons otherwise."""
    body = _health(assess(app, request.app.state.reads, settings))
    return JSONResponse(
        body.model_dump(mode="json"), status_code=200 if body.problems == [] else 503
    )
