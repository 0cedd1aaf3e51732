"""The runner's health as this process knows it: stopped on an event it cannot write (which
model, which position, why).

A read model that meets an event it cannot apply or write must not skip it (its rows would
no longer be the log's) nor retry it forever in silence: the runner stops, says so at error
level, counts it (``jiebang_projection_stops_total``) and readiness turns "degraded" until an
operator fixes the cause and restarts it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from prometheus_client import Counter

STOPS = Counter(
    "jiebang_projection_stops",
    "Read-model runners stopped on an event they could not apply or write, by model",
    ["model"],
)


class ProjectionStoppedError(RuntimeError):
    """A read model cannot apply or write the event at ``position``: the runner stops there."""

    def __init__(
        self, model: str, position: int, cause: BaseException, *, exact: bool = True
    ) -> None:
        where = f"position {position}" if exact else f"a batch ending at position {position}"
        super().__init__(f"read model {model} stopped at {where}: {type(cause).__name__}: {cause}")
        self.model = model
        self.position = position
        self.cause = cause
        self.exact = exact


@dataclass(frozen=True)
class Stopped:
    """Where and why a runner of this process stopped."""

    model: str
    position: int
    error: str
    at: float


class RunnerStatus:
    """Shared by the runner threads and the health and metrics routes of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.stopped: Stopped | None = None

    def stop(self, error: ProjectionStoppedError) -> None:
        with self._lock:
            self.stopped = Stopped(error.model, error.position, str(error.cause), time.time())
        STOPS.labels(model=error.model).inc()

    def reset(self) -> None:
        with self._lock:
            self.stopped = None


STATUS = RunnerStatus()
