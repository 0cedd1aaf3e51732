"""The read models behind the list routes, and read-your-writes on them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.consistency import MinPosition, check_recorded, not_caught_up
from api.deps import AppDep, SettingsDep
from projections.readstore import ReadStore


def read_store(
    request: Request, app: AppDep, settings: SettingsDep, min_position: MinPosition = None
) -> ReadStore:
    """The read store, once every read model has reached ``min_position`` (503 otherwise)."""
    store: ReadStore = request.app.state.reads
    if min_position is not None:
        check_recorded(app.position(), min_position)
        if not store.wait_until(min_position, settings.read_wait_seconds):
            raise not_caught_up(min_position)
    return store


ReadsDep = Annotated[ReadStore, Depends(read_store)]
