"""Group commit: the commands that arrive while another is being saved are saved together, in
one transaction (one table lock, one WAL flush), each still checked against its own aggregate
version and each answered with its own notification ids and seals.

The first command to arrive leads: it takes what is queued (itself first) and saves it; those
that arrive meanwhile wait and are saved by the next leader, the first of them. A command that
arrives alone is saved alone, by the recorder's own path, so one client pays nothing for it.
When a batch cannot be saved as one (an aggregate version another command took first, a broken
connection), none of it is kept and every command of it is saved alone, in its own thread, by
the recorder's own path: exactly as without group commit, so a failing command never takes the
others down and each gets the answer it would have had on its own.

The order inside a batch is the order of arrival; the recorder seals the batch's events in that
order in the one transaction, so the seal chain and the notification ids are those of the same
commands committed one after the other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent

Positions = Sequence[int] | None


class Ticket:
    """One command's save, waiting for its batch."""

    __slots__ = ("done", "error", "events", "kwargs", "lead", "positions", "saved")

    def __init__(self, events: Sequence[StoredEvent], kwargs: dict[str, Any]) -> None:
        self.events = events
        self.kwargs = kwargs
        self.done = threading.Event()
        self.lead = False  # woken to lead the next batch
        self.saved = False  # saved by its batch: ``positions`` are its notification ids
        self.error: Exception | None = None  # saved alone by the leader, and refused
        self.positions: Positions = None


SaveBatch = Callable[[list[Ticket]], None]
SaveAlone = Callable[[Sequence[StoredEvent], dict[str, Any]], Positions]


class GroupCommit:
    """Saves concurrent commands in shared transactions, at most ``max_batch`` per transaction.

    ``save_batch(tickets)`` saves every ticket in one transaction and marks each ``saved`` with
    its ids; it raises (keeping nothing) when the batch cannot be kept whole, or leaves a ticket
    unsaved that must be saved alone. ``save_alone(events, kwargs)`` is the recorder's own path.
    """

    def __init__(self, save_batch: SaveBatch, save_alone: SaveAlone, max_batch: int) -> None:
        self._save_batch = save_batch
        self._save_alone = save_alone
        self.max_batch = max(1, max_batch)
        self._mutex = threading.Lock()
        self._queue: list[Ticket] = []
        self._busy = False  # a leader is saving; when False, the queue is empty

    def insert(self, events: Sequence[StoredEvent], kwargs: dict[str, Any]) -> Positions:
        """Save one command's events; its notification ids (in the order of its events)."""
        ticket = Ticket(events, kwargs)
        with self._mutex:
            self._queue.append(ticket)
            lead = not self._busy
            self._busy = True
        if not lead:
            ticket.done.wait()
        if lead or ticket.lead:
            self._lead()
        if ticket.error is not None:
            raise ticket.error
        if ticket.saved:
            return ticket.positions
        return self._save_alone(events, kwargs)  # its batch was not kept whole

    def _lead(self) -> None:
        """Save the queued commands (this leader's first), then hand the lead on."""
        with self._mutex:
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
        try:
            if len(batch) == 1:  # alone, by the recorder's own path, still leading
                self._alone(batch[0])
            else:
                self._save_batch(batch)
        except Exception:
            for ticket in batch:
                ticket.saved = False
        finally:
            with self._mutex:
                if self._queue:
                    follower = self._queue[0]
                    follower.lead = True
                    follower.done.set()
                else:
                    self._busy = False
            for ticket in batch:
                ticket.done.set()

    def _alone(self, ticket: Ticket) -> None:
        try:
            ticket.positions = self._save_alone(ticket.events, ticket.kwargs)
            ticket.saved = True
        except Exception as e:
            ticket.error = e
