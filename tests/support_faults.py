"""Events no command would record: written straight into the store, past every guard, as a
bug or another writer could have written them (sealed like any other)."""

from __future__ import annotations

import dataclasses
import uuid

from jiebang_es.domain.values import Organisation
from jiebang_es.service import JiebangApp
from tests.support import ScriptedClock, collect


def write_raw_demand(
    app: JiebangApp, clock: ScriptedClock, org: Organisation, actor_id: str
) -> int:
    """A demand's Collected event whose actor id is ``actor_id`` (a NUL, say); its position."""
    model = app.events_of(collect(app, clock, org, "智能科技"))[0]
    raw = dataclasses.replace(
        model,
        originator_id=uuid.uuid4(),
        audit=dataclasses.replace(model.audit, actor_id=actor_id),  # type: ignore[attr-defined]
    )
    recordings = app.recorder.insert_events([app.mapper.to_stored_event(raw)])
    return int(recordings[-1]) if recordings else app.position()
