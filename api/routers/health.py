"""Liveness and the log's position, unauthenticated (for load balancers and start-up checks)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import AppDep
from api.routers.common import PUBLIC_PROBLEMS

router = APIRouter(prefix="/v1", tags=["health"])


class Health(BaseModel):
    """The service answers; the log's last position."""

    status: str
    position: int


@router.get("/health", response_model=Health, responses=PUBLIC_PROBLEMS)
def health(app: AppDep) -> Health:
    """The service answers and its store is reachable (503 otherwise)."""
    return Health(status="ok", position=app.position())
