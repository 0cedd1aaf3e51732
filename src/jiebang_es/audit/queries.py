"""What supervisors ask of the log: an aggregate's full history with what each event changed,
everything one actor did in a period, everything one request or correlation id caused, and any
aggregate's state as of a date-time. All of it is read from the events themselves."""

from __future__ import annotations

import dataclasses
import enum
import itertools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeGuard
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from jiebang_es.audit.raw_store import RawStore
from jiebang_es.domain.base import JiebangAggregate
from jiebang_es.domain.values import Audit
from jiebang_es.errors import InvalidValueError
from jiebang_es.service_base import ServiceBase, in_china_time

_SCAN_BATCH = 1000


def jsonable(value: Any) -> Any:
    """A plain JSON value for anything an event or aggregate holds."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return value


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class HistoryEntry:
    """One event of an aggregate: who, when, why, and what it changed."""

    version: int
    event: str
    audit: dict[str, Any]
    changes: tuple[Change, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "event": self.event,
            "audit": self.audit,
            "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in self.changes],
        }


@dataclass(frozen=True)
class LogEntry:
    """One event found in the log, with its position."""

    position: int
    aggregate_id: str
    version: int
    event: str
    audit: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _state(aggregate: Any) -> dict[str, Any]:
    """The aggregate's public attributes as plain JSON values: new containers throughout
    (``jsonable`` builds them), so a later event mutating the aggregate cannot change it."""
    if aggregate is None:
        return {}
    return {k: jsonable(v) for k, v in vars(aggregate).items() if not k.startswith("_")}


def _event_name(event: JiebangAggregate.Event) -> str:
    return type(event).__qualname__


class _Histories:
    """Histories already computed, by application and aggregate, with the version they end at
    and the data subjects whose personal fields they show decrypted.

    A recorded event never changes, so an aggregate's history up to version N is the same on
    every read: it is kept (a bounded number of aggregates per application, least recently
    used dropped) and given again while the aggregate's last version is still N — and while
    each of those subjects still has a key. An erasure adds no event to the aggregate, only
    destroys a key: the history is then made again, the field read as erased (within the key
    cache's two seconds when another process erased). The last version is one indexed read of
    the store, far cheaper than replaying every event with its state before and after."""

    SIZE = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_app: weakref.WeakKeyDictionary[
            ServiceBase, OrderedDict[UUID, tuple[int, list[HistoryEntry], frozenset[str]]]
        ] = weakref.WeakKeyDictionary()

    def get(self, app: ServiceBase, key: UUID, version: int) -> list[HistoryEntry] | None:
        with self._lock:
            kept = self._by_app.get(app)
            found = None if kept is None else kept.get(key)
            if found is None or found[0] != version:
                return None
            kept.move_to_end(key)  # type: ignore[union-attr]
        _, entries, subjects = found
        keys = app.personal_keys
        return entries if all(keys.key(s) is not None for s in subjects) else None

    def put(self, app: ServiceBase, key: UUID, entries: list[HistoryEntry]) -> None:
        if not entries:
            return
        subjects = frozenset(_decrypted_subjects([e.changes for e in entries]))
        with self._lock:
            kept = self._by_app.setdefault(app, OrderedDict())
            kept[key] = (entries[-1].version, entries, subjects)
            kept.move_to_end(key)
            while len(kept) > self.SIZE:
                kept.popitem(last=False)


def _decrypted_subjects(value: Any) -> Iterator[str]:
    """The subjects of the personal fields shown in clear in ``value`` (``jsonable`` made
    them dicts of ``Personal``'s fields)."""
    if isinstance(value, Change):
        yield from _decrypted_subjects([value.old, value.new])
    elif isinstance(value, dict):
        if "subject_id" in value and value.get("value") is not None:
            yield str(value["subject_id"])
        for v in value.values():
            yield from _decrypted_subjects(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _decrypted_subjects(v)


_HISTORIES = _Histories()


def history(app: ServiceBase, aggregate_id: str) -> list[HistoryEntry]:
    """Every event of one aggregate, oldest first, each with the fields it changed.

    The list is shared with later callers (see ``_Histories``): read it, never change it."""
    key = _uuid(aggregate_id)
    last = app.recorder.select_events(key, desc=True, limit=1)
    if not last:
        return []
    kept = _HISTORIES.get(app, key, last[0].originator_version)
    if kept is not None:
        return kept
    entries: list[HistoryEntry] = []
    aggregate: Any = None
    after: dict[str, Any] = {}
    for event in app.events_of(key):
        before = after
        aggregate = event.mutate(aggregate)
        after = _state(aggregate)
        changes = tuple(
            Change(name, before.get(name), after.get(name))
            for name in sorted(before.keys() | after.keys())
            if before.get(name) != after.get(name)
        )
        entries.append(
            HistoryEntry(
                event.originator_version, _event_name(event), jsonable(event.audit), changes
            )
        )
    _HISTORIES.put(app, key, entries)
    return entries


def state_as_of(app: ServiceBase, aggregate_id: str, as_of: datetime) -> dict[str, Any]:
    """An aggregate's state after the last event recorded by a date-time."""
    aggregate = app.state_at(JiebangAggregate, _uuid(aggregate_id), as_of=as_of)
    return {"id": str(aggregate.id), "version": aggregate.version, **_state(aggregate)}


class ActivityIndex(Protocol):
    """Where the log's events are indexed by who and why (the read side's audit index):
    the positions of the events that may match, and the position the index has reached."""

    def __call__(
        self,
        *,
        actor_id: str | None,
        request_id: str | None,
        correlation_id: str | None,
        since: datetime | None,
        until: datetime | None,
    ) -> tuple[list[int], int]: ...


# The index is asked for a wider time range, and each event found is checked exactly: a
# recording time stored with another UTC offset cannot fall outside what it is asked for.
_INDEX_MARGIN = timedelta(days=1)


def activity(
    app: ServiceBase,
    *,
    actor_id: str | None = None,
    request_id: str | None = None,
    correlation_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    index: ActivityIndex | None = None,
) -> list[LogEntry]:
    """Events of the whole log that match every filter given (recording time in [since, until)).

    With an ``index``, only the events it names are read (and the log's tail it has not
    reached yet), each decoded from the log and checked against the filters: the answer is the
    log's, the index only says where to look."""
    if not (actor_id or request_id or correlation_id):
        raise InvalidValueError("actor_id", "name an actor, a request id or a correlation id")
    for name, moment in (("since", since), ("until", until)):
        if moment is not None:
            in_china_time(moment, name)
    if index is None:
        candidates: Iterable[tuple[int, JiebangAggregate.Event]] = log_events(app)
    else:
        positions, indexed_to = index(
            actor_id=actor_id or None,
            request_id=request_id or None,
            correlation_id=correlation_id or None,
            since=since - _INDEX_MARGIN if since else None,
            until=until + _INDEX_MARGIN if until else None,
        )
        found_at = [p for p in positions if p <= indexed_to]
        candidates = itertools.chain(events_at(app, found_at), log_events(app, after=indexed_to))
    found: list[LogEntry] = []
    for position, event in candidates:
        a = event.audit
        if (
            (actor_id and a.actor_id != actor_id)
            or (request_id and a.request_id != request_id)
            or (correlation_id and a.correlation_id != correlation_id)
            or (since and a.recorded_at < since)
            or (until and a.recorded_at >= until)
        ):
            continue
        found.append(
            LogEntry(
                position,
                str(event.originator_id),
                event.originator_version,
                _event_name(event),
                jsonable(a),
            )
        )
    return found


def _audited(event: Any) -> TypeGuard[JiebangAggregate.Event]:
    return isinstance(event, JiebangAggregate.Event) and isinstance(event.audit, Audit)


def log_events(app: ServiceBase, after: int = 0) -> Iterator[tuple[int, JiebangAggregate.Event]]:
    """Every event of the log after a position, with its position, decoded, in order."""
    start = after + 1
    while True:
        batch = app.recorder.select_notifications(start=start, limit=_SCAN_BATCH)
        for n in batch:
            event = app.mapper.to_domain_event(n)
            if _audited(event):
                yield n.id, event
        if len(batch) < _SCAN_BATCH:
            return
        start = batch[-1].id + 1


def events_at(
    app: ServiceBase, positions: Sequence[int]
) -> Iterator[tuple[int, JiebangAggregate.Event]]:
    """The events at these positions of the log, decoded, in order."""
    store = RawStore(app.settings)
    for position, originator_id, version, topic, state in store.events_at(sorted(positions)):
        stored = StoredEvent(
            originator_id=UUID(originator_id),
            originator_version=version,
            topic=topic,
            state=state,
        )
        event = app.mapper.to_domain_event(stored)
        if _audited(event):
            yield position, event


def _uuid(ident: str) -> UUID:
    try:
        return UUID(ident)
    except ValueError:
        raise InvalidValueError("aggregate_id", f"{ident!r} is not an aggregate id") from None
