"""Read-your-writes: a query may name the log position a command answered with, and is
answered once what it reads has caught up — after a bounded wait, 503 with Retry-After.

Aggregates are read from the log itself, which has every recorded position at once; the list
routes read the read models, which follow the log (see ``api.reads``). A position beyond the
end of the log was never given by a command: 422, not a wait."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from api.deps import AppDep
from api.problems import RETRY_AFTER_SECONDS, FieldError, ProblemError


def not_caught_up(position: int) -> ProblemError:
    """503 with Retry-After: the read models are behind the asked position."""
    return ProblemError(
        503,
        "not-caught-up",
        "The read has not caught up yet",
        f"what this query reads has not reached log position {position} yet; retry",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def check_recorded(head: int, position: int) -> None:
    """A position the log has not reached was never answered by a command: 422, not a wait."""
    if position > head:
        raise ProblemError(
            422,
            "validation",
            "The request is not valid",
            f"min_position {position} is beyond the end of the log ({head})",
            errors=[FieldError(field="query.min_position", message="beyond the end of the log")],
        )


MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        le=2**62,
        description="a command's `position`: answer once the read includes it (read-your-writes)",
    ),
]


def store_caught_up(app: AppDep, min_position: MinPosition = None) -> None:
    """Reads of aggregates: the log has every position it has recorded."""
    if min_position is not None:
        check_recorded(app.position(), min_position)


StoreRead = Depends(store_caught_up)
