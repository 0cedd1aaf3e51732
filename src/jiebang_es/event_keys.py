"""Keys of the log: which events a few questions need, found without reading the whole log.

Some commands and reads need events of other aggregates that no aggregate lists: a challenge's
applications (applications are aggregates of their own, DESIGN.md §1), its draws, the panels
an expert sits on, the expert pool. Read by topic, their cost grew with the whole log (30 ms at
10,000 events, 280 ms at 100,000 for one challenge's applications: issue 15's "no per-request
cost that grows with the log"). Each such event is therefore recorded with its keys in the
store's ``jiebang_event_keys`` table, in the same transaction as the event itself, and a
question reads the events under its key only.

The keys are derived from the events and nothing else: a store written before keys existed is
given them once, from its log, when it is first opened (``KEYS_VERSION`` in ``jiebang_store``
says they are complete); until then the same questions are answered by reading the log by topic.
Whoever reads events by key still checks each event it gets: a key narrows the search, the
event decides.
"""

from __future__ import annotations

import json
import re
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.utils import get_topic

from jiebang_es.domain.application import Application
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.draw import Draw
from jiebang_es.domain.expert import Expert

# Recorded in jiebang_store (recorders.KEYS_MARKER) once every event of the log has its keys.
# Raised whenever keys_of() gives keys to more events: the next opening indexes the log again.
KEYS_VERSION = "1"

EXPERT_POOL = "experts"


def applications_of(challenge_id: object) -> str:
    return f"applications:{challenge_id}"


def draws_of(challenge_id: object) -> str:
    return f"draws:{challenge_id}"


def panels_of(expert_id: object) -> str:
    return f"panels:{expert_id}"


# The event classes that have keys, each with the question it answers.
KEYED_EVENTS: dict[type[object], str] = {
    Application.Applied: "a challenge's applications",
    Draw.DrawScheduled: "a challenge's draws",
    Challenge.ReviewPanelProposed: "the review panels an expert is proposed for",
    Challenge.ReplacementExpertProposed: "the review panels an expert replaces someone on",
    Expert.Registered: "the expert pool",
}
KEYED_TOPICS: tuple[str, ...] = tuple(get_topic(cls) for cls in KEYED_EVENTS)


def keys_of(event: object) -> tuple[str, ...]:
    """The keys an event is recorded under (none for most events)."""
    if isinstance(event, Application.Applied):
        return (applications_of(event.challenge_id),)
    if isinstance(event, Draw.DrawScheduled):
        return (draws_of(event.challenge_id),)
    if isinstance(event, Challenge.ReviewPanelProposed):
        return tuple(dict.fromkeys(panels_of(m.expert_id) for m in event.members))
    if isinstance(event, Challenge.ReplacementExpertProposed):
        return (panels_of(event.member.expert_id),)
    if isinstance(event, Expert.Registered):
        return (EXPERT_POOL,)
    return ()


_APPLIED, _DRAW, _PANEL, _REPLACEMENT, _POOL = (
    get_topic(cls)
    for cls in (
        Application.Applied,
        Draw.DrawScheduled,
        Challenge.ReviewPanelProposed,
        Challenge.ReplacementExpertProposed,
        Expert.Registered,
    )
)


class UnreadableStateError(ValueError):
    """A keyed event's stored bytes do not hold the fields its keys are made of."""


def keys_of_stored(topic: str, state: bytes) -> tuple[str, ...]:
    """The keys of a stored event, read straight from its stored bytes (``keys_of`` of the
    event the application would decode from them).

    How the keys are found when an event is saved or a log is given its keys, and how the
    verifier checks them (``audit verify``, audit/verify_keys.py): it needs neither the
    application nor its mapper (a supervisor's read-only role cannot open the application),
    and it reads only the fields keys are made of, which no upcaster changes. Tests prove it
    equal to ``keys_of`` over every keyed event of the demo and of the first release's store.
    ``UnreadableStateError`` when the bytes do not hold them (the chain then says why)."""
    if topic not in KEYED_TOPICS:
        return ()
    if topic == _POOL:
        return (EXPERT_POOL,)
    try:
        if topic == _APPLIED:
            return (applications_of(_challenge_id(state)),)
        if topic == _DRAW:
            return (draws_of(_challenge_id(state)),)
        data = _loads(state)
        if topic == _PANEL:
            members = _items(data["members"])
            return tuple(dict.fromkeys(panels_of(_expert_of(m)) for m in members))
        return (panels_of(_expert_of(data["member"])),)
    except (KeyError, TypeError, ValueError) as e:
        raise UnreadableStateError(f"{topic}: {e}") from e


# The top-level challenge id as the library writes it (compact JSON): text, or a UUID as hex.
_CHALLENGE_KEY = b'"challenge_id":'
_CHALLENGE_ID = re.compile(
    rb'"challenge_id":(?:"([^"\\]*)"|\{"_type_":"uuid_hex","_data_":"([0-9a-f]{32})"\})'
)


def _challenge_id(state: bytes) -> str:
    """An application's or a draw's challenge id. Their states are large (a draw's holds its
    candidates), so the key is found by a scan rather than by parsing them whole: where it
    occurs once it is the top-level key, since an unescaped quote cannot occur inside a JSON
    string; otherwise (or written otherwise) the state is parsed."""
    if state.count(_CHALLENGE_KEY) == 1 and (found := _CHALLENGE_ID.search(state)):
        text, hex_id = found.groups()
        return text.decode() if text is not None else str(UUID(hex_id.decode()))
    return _id_text(_loads(state)["challenge_id"])


def _loads(state: bytes) -> Any:
    try:
        return orjson.loads(state)
    except orjson.JSONDecodeError:  # e.g. a lone surrogate, which the library's json accepts
        return json.loads(state)


def _transcoded(value: Any) -> tuple[str | None, Any]:
    """A transcoded value's type name and data (``{"_type_": …, "_data_": …}``), or none."""
    if isinstance(value, dict) and "_type_" in value:
        return str(value["_type_"]), value["_data_"]
    return None, value


def _id_text(value: Any) -> str:
    """An id as ``str()`` gives it: a UUID transcoded as hex, or text as stored."""
    kind, data = _transcoded(value)
    if kind == "uuid_hex":
        return str(UUID(data))
    if kind is not None or not isinstance(data, str):
        raise TypeError(f"an id stored as {kind or type(data).__name__}")
    return data


def _items(value: Any) -> list[Any]:
    _, data = _transcoded(value)  # a tuple stored as a list, or transcoded as one
    if not isinstance(data, list):
        raise TypeError(f"a list stored as {type(data).__name__}")
    return data


def _expert_of(member: Any) -> str:
    """A panel member's expert id (``PanelMember`` is stored as a transcoded dict)."""
    _, data = _transcoded(member)
    expert_id = data["expert_id"]
    if not isinstance(expert_id, str):
        raise TypeError(f"an expert id stored as {type(expert_id).__name__}")
    return expert_id
