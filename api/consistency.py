"""Read-your-writes: a query may name the log position a command answered with, and is
answered once what it reads has caught up — after a bounded wait, 503 with Retry-After."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Query

from api.deps import AppDep, SettingsDep
from api.problems import RETRY_AFTER_SECONDS, ProblemError

POLL_SECONDS = 0.02


def not_caught_up(position: int) -> ProblemError:
    return ProblemError(
        503,
        "not-caught-up",
        "The read has not caught up yet",
        f"what this query reads has not reached log position {position} yet; retry",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def wait_for(reached: Callable[[], int], position: int, timeout: float) -> None:
    """Poll until ``reached()`` is at ``position``; 503 when the wait runs out."""
    deadline = time.monotonic() + timeout
    while reached() < position:
        if time.monotonic() >= deadline:
            raise not_caught_up(position)
        time.sleep(POLL_SECONDS)


MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        le=2**62,
        description="a command's `position`: answer once the read includes it (read-your-writes)",
    ),
]


def store_caught_up(app: AppDep, settings: SettingsDep, min_position: MinPosition = None) -> None:
    """Aggregates are read from the log itself: it has every recorded position at once."""
    if min_position is not None:
        wait_for(app.position, min_position, settings.read_wait_seconds)


StoreRead = Depends(store_caught_up)
