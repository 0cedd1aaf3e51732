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
