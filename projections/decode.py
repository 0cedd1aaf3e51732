"""Decoding stored events for the read models, faster than the library's mapper.

The mapper parses each event's JSON with the standard library and calls a Python object hook
for every JSON object (about ten per event). Here the bytes are parsed by orjson (in C) and the
objects that carry a transcoding (``{"_type_": …, "_data_": …}``) are turned into their typed
values by the very transcodings the mapper holds, innermost first as the object hook does; then
the event is built exactly as ``TupleMapper.to_domain_event`` builds it (id conversion, version,
upcasts, top-level lists as tuples). ``tests/projections/test_decode.py`` proves the result equal,
value by value and type by type, to the mapper's over every event of the demo.

A store whose events are compressed or encrypted by the library, a state orjson refuses (e.g. a
lone surrogate the standard library accepts), or a mapper of another kind: the mapper decodes it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent, Transcoding
from eventsourcing.utils import resolve_topic

from jiebang_es.service_base import TupleMapper
from jiebang_es.transcodings import DataclassAsDict


class FastDecoder:
    """Stored events → domain events, equal to what ``mapper.to_domain_event`` returns."""

    def __init__(self, mapper: Mapper[UUID]) -> None:
        self.mapper = mapper
        transcoder = mapper.transcoder
        self.usable = (
            type(mapper) is TupleMapper
            and mapper.cipher is None
            and mapper.compressor is None
            and type(transcoder) is JSONTranscoder
        )
        self.names: dict[str, Transcoding] = (
            transcoder.names if isinstance(transcoder, JSONTranscoder) else {}
        )
        self.classes: dict[str, tuple[type[Any], int]] = {}
        # Value dataclasses that are no more than their fields (no __post_init__, no slots):
        # built by filling their __dict__, as __init__ would, when every field is stored.
        self.plain: dict[str, tuple[type[Any], frozenset[str]]] = {
            name: (t.type, frozenset(t.fields))
            for name, t in self.names.items()
            if isinstance(t, DataclassAsDict)
            and not hasattr(t.type, "__post_init__")
            and not hasattr(t.type, "__slots__")
        }

    def decode(
        self, originator_id: UUID | str, originator_version: int, topic: str, state: bytes
    ) -> Any:
        if not self.usable:
            return self._by_mapper(originator_id, originator_version, topic, state)
        try:
            cls, class_version = self.classes[topic]
        except KeyError:
            cls = resolve_topic(topic)
            class_version = getattr(cls, "class_version", 1)
            self.classes[topic] = (cls, class_version)
        try:
            event_state = orjson.loads(state)
        except orjson.JSONDecodeError:
            return self._by_mapper(originator_id, originator_version, topic, state)
        if type(event_state) is not dict:
            return self._by_mapper(originator_id, originator_version, topic, state)
        try:
            event_state = self._object(event_state)
        except (KeyError, TypeError):  # a name no transcoding has: the mapper says so
            return self._by_mapper(originator_id, originator_version, topic, state)
        if type(event_state) is not dict:  # a whole state that is itself a transcoded value
            return self._by_mapper(originator_id, originator_version, topic, state)
        # The library's id convertor for UUID ids passes a UUID through unchanged.
        event_state["originator_id"] = (
            originator_id if type(originator_id) is UUID else UUID(str(originator_id))
        )
        event_state["originator_version"] = originator_version
        from_version = event_state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(event_state)
            from_version += 1
        for name, value in event_state.items():
            if type(value) is list:
                event_state[name] = tuple(value)
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", event_state)
        return event

    def _object(self, d: dict[str, Any]) -> Any:
        """One JSON object, its members decoded first (as the object hook sees them)."""
        if len(d) == 2 and "_data_" in d and "_type_" in d:
            # Most objects of an event are a transcoded value: only its data can hold more.
            data = d["_data_"]
            kind = type(data)
            if kind is dict:
                data = self._object(data)
            elif kind is list and data:
                self._list(data)
            return self._value(d["_type_"], data)
        for key, value in d.items():
            kind = type(value)
            if kind is dict:
                d[key] = self._object(value)
            elif kind is list and value:
                self._list(value)
        return d

    def _value(self, name: str, data: Any) -> Any:
        """The typed value of one transcoded object (a name no transcoding has: KeyError, or
        TypeError for a name that is not even text; the mapper then says so in its words)."""
        plain = self.plain.get(name)
        if plain is not None and type(data) is dict and data.keys() == plain[1]:
            for key, value in data.items():
                if type(value) is list:
                    data[key] = tuple(value)
            obj = object.__new__(plain[0])
            obj.__dict__.update(data)
            return obj
        return self.names[name].decode(data)

    def _list(self, items: list[Any]) -> None:
        for i, value in enumerate(items):
            kind = type(value)
            if kind is dict:
                items[i] = self._object(value)
            elif kind is list and value:
                self._list(value)

    def _by_mapper(
        self, originator_id: UUID | str, originator_version: int, topic: str, state: bytes
    ) -> Any:
        return self.mapper.to_domain_event(
            StoredEvent(
                originator_id=originator_id,
                originator_version=originator_version,
                topic=topic,
                state=state,
            )
        )
