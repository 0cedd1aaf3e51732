"""The log's keys checked against the log itself (``audit verify``, event_keys.py).

The keys are not sealed: they answer questions, the seals vouch for the record. But a question
read by key trusts that every event it needs is under its key — a challenge's applications for
the review panel's R-CONFLICT check, a challenge's draws for R-DRAW's redraw check. A key row
deleted would hide an event from those checks while the chain still verifies. So the verifier
derives each keyed event's keys from its sealed bytes (``keys_of_stored``, its own reading,
without the application) and compares them with the keys stored: a key missing is damage
(``deleted``, named by the event it hides), as is a key no event of the log has (``inserted``).
A store whose keys are not complete yet (written before they existed, not opened since) is read
by topic by the application: nothing depends on its keys, so they are not checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from jiebang_es.audit.raw_store import JoinedRow, RawStore
from jiebang_es.audit.verify import Damage, Finding
from jiebang_es.event_keys import KEYED_TOPICS, KEYS_VERSION, UnreadableStateError, keys_of_stored
from jiebang_es.recorders import KEYS_TABLE


@dataclass
class KeyedEvents:
    """The keyed events met while the chain was read, by position: the keys each should be
    under (None where its bytes did not hold them: altered, and the chain names it), and the
    aggregate and version it is of."""

    keys: dict[int, tuple[str, ...] | None] = field(default_factory=dict)
    events: dict[int, tuple[str, int]] = field(default_factory=dict)

    def noting(self, batches: Iterator[list[JoinedRow]]) -> Iterator[list[JoinedRow]]:
        """The batches as they are, noting the keys each keyed event should be under."""
        keyed = frozenset(KEYED_TOPICS)
        for batch in batches:
            # Most events have no keys: picked out by one comprehension, not a loop of unpacking.
            for position, aggregate_id, version, topic, state, *_ in [
                row for row in batch if row[3] in keyed
            ]:
                try:
                    found = keys_of_stored(topic, state)
                except UnreadableStateError:
                    self.keys[position] = None
                else:
                    if not found:
                        continue  # a panel of no one is under no key
                    # Sorted as the stored ones are compared: one comparison of tuples decides.
                    self.keys[position] = found if len(found) == 1 else tuple(sorted(found))
                self.events[position] = (aggregate_id, version)
            yield batch


def check_keys(
    store: RawStore, keyed: KeyedEvents, last_position: int
) -> tuple[Finding | None, str | None]:
    """The first place where the stored keys and the log disagree, up to ``last_position``
    (events saved while the chain was read are not compared); and a note of what was checked."""
    if not store.keys_complete(KEYS_VERSION):
        if not keyed.keys:
            return None, None
        return None, (
            f"the log's keys are not complete ({len(keyed.keys)} keyed events): the service "
            "reads by topic until it next opens the store and gives them; not checked"
        )
    rows: dict[int, list[str]] = {}
    count = 0
    for position, key in store.event_keys(last_position):
        rows.setdefault(position, []).append(key)
        count += 1
    if not keyed.keys and not count:
        return None, None
    note = f"{len(keyed.keys)} keyed events, {count} keys of the log ({KEYS_TABLE}) checked"
    # Sorted here, by code point as the expected keys are (a server's collation may differ).
    stored = {p: tuple(keys) if len(keys) == 1 else tuple(sorted(keys)) for p, keys in rows.items()}
    if stored == keyed.keys:  # the usual answer, by one comparison in C
        return None, note
    for position in sorted(stored.keys() | keyed.keys.keys()):
        finding = _compare(store, keyed, position, frozenset(stored.get(position, ())))
        if finding is not None:
            return finding, note
    return None, note


def _compare(
    store: RawStore, keyed: KeyedEvents, position: int, stored: frozenset[str]
) -> Finding | None:
    keys = keyed.keys.get(position, ())
    if keys is None:  # its bytes are altered: the chain's finding names it
        return None
    expected = frozenset(keys)
    aggregate_id, version = keyed.events.get(position, ("", 0))
    missing, extra = sorted(expected - stored), sorted(stored - expected)
    if missing:
        return Finding(
            Damage.DELETED,
            position,
            aggregate_id,
            version,
            f"its key {missing[0]!r} is missing from the log's keys ({KEYS_TABLE}): the "
            "questions read by that key (a challenge's applications or draws, an expert's "
            "panels, the pool) would not see this event",
            of_keys=True,
        )
    if not extra:
        return None
    if not aggregate_id:  # not a keyed event: name whichever event is at that position
        aggregate_id, version = _event_at(store, position)
    return Finding(
        Damage.INSERTED,
        position,
        aggregate_id,
        version,
        f"the log's keys ({KEYS_TABLE}) put this event under {extra[0]!r}, which it does not have",
        of_keys=True,
    )


def _event_at(store: RawStore, position: int) -> tuple[str, int]:
    for _, aggregate_id, version, *_ in store.events_at([position]):
        return str(aggregate_id), int(version)
    return "(no event at this position)", 0
