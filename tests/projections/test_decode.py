"""The read side's fast decoder gives what the library's mapper gives, for every demo event."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent

from jiebang_es.service import JiebangApp
from projections.decode import FastDecoder


def same(a: Any, b: Any, where: str = "event") -> None:
    """Equal value by value and type by type (``1 == True`` and ``(1,) != [1]`` are told apart)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} vs {list(b)}"
        for k in a:
            same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), f"{where}: length"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        same(vars(a), vars(b), where)
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


def test_fast_decoder_equals_the_mapper_over_the_whole_demo(demo_app: JiebangApp) -> None:
    app = demo_app
    decoder = FastDecoder(app.mapper)
    assert decoder.usable
    notifications = app.recorder.select_notifications(1, 1_000_000)
    assert len(notifications) > 100
    topics = set()
    for n in notifications:
        fast = decoder.decode(n.originator_id, n.originator_version, n.topic, n.state)
        slow = app.mapper.to_domain_event(n)
        same(fast, slow, f"{n.topic}@{n.id}")
        assert fast == slow
        topics.add(n.topic)
    assert len(topics) > 30  # the demo's year covers the procedure's many kinds of event


TOPIC = "jiebang_es.domain.demand:Demand.Refined"


def test_a_state_orjson_refuses_is_decoded_by_the_mapper(app: JiebangApp) -> None:
    # A lone surrogate: the standard library's JSON accepts it, orjson does not.
    state = (
        b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-05T09:00:00+08:00"},'
        b'"note":"\\ud800"}'
    )
    stored = StoredEvent(originator_id=uuid.uuid4(), originator_version=2, topic=TOPIC, state=state)
    fast = FastDecoder(app.mapper).decode(stored.originator_id, 2, TOPIC, state)
    same(fast, app.mapper.to_domain_event(stored))
    assert fast.note == "\ud800"


def test_an_unknown_transcoding_fails_as_the_mapper_fails(app: JiebangApp) -> None:
    state = b'{"x":{"_type_":"no.such.type","_data_":1}}'
    with pytest.raises(MapperDeserialisationError, match=r"no\.such\.type"):
        FastDecoder(app.mapper).decode(uuid.uuid4(), 2, TOPIC, state)


def test_a_value_stored_before_a_field_was_added_gets_the_field_s_default(
    demo_app: JiebangApp,
) -> None:
    """Values are built without their ``__init__`` only when every field is stored: an audit
    written before it had ``documents`` (a store of an earlier version) goes through
    ``__init__`` and gets the default, as the mapper gives it."""
    first = demo_app.recorder.select_notifications(1, 1)[0]
    state = orjson.loads(first.state)
    del state["audit"]["_data_"]["documents"]
    old = orjson.dumps(state)
    stored = StoredEvent(first.originator_id, first.originator_version, first.topic, old)
    fast = FastDecoder(demo_app.mapper).decode(
        first.originator_id, first.originator_version, first.topic, old
    )
    same(fast, demo_app.mapper.to_domain_event(stored))
    assert fast.audit.documents == ()


def test_a_transcoding_name_that_is_not_text_fails_as_the_mapper_fails(app: JiebangApp) -> None:
    state = b'{"x":{"_type_":{"a":1},"_data_":1}}'
    stored = StoredEvent(originator_id=uuid.uuid4(), originator_version=2, topic=TOPIC, state=state)
    with pytest.raises(MapperDeserialisationError, match="unhashable type") as slow:
        app.mapper.to_domain_event(stored)
    with pytest.raises(MapperDeserialisationError) as fast:
        FastDecoder(app.mapper).decode(stored.originator_id, 2, TOPIC, state)
    assert str(fast.value) == str(slow.value)
