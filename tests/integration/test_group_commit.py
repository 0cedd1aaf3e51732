"""Group commit on both stores: commands that arrive while another is being saved are saved
together in one transaction, each with its own receipt and seal; a command refused in a batch
(its aggregate version taken) takes none of the others down; the chain stays whole.

The batch is made deterministic: the first command's save is held until the others have
queued behind it, so they are saved together by the next leader."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import pytest

from jiebang_es.audit.verify_store import verify_store
from jiebang_es.domain.values import DemandSource
from jiebang_es.errors import ConflictError
from jiebang_es.group_commit import GroupCommit
from jiebang_es.recorders import SealingPostgresRecorder, SealingSQLiteRecorder
from jiebang_es.sample import END_USER_EQUIPMENT, key_challenge_content
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CommandMeta, Receipt
from tests.support import BUREAU_STAFF, collect

# The seals of a batch are chained by the database (intl) or under the lock in Python (sm).
pytestmark = pytest.mark.usefixtures("crypto_mode")

WAIT = 30.0


class HeldGroup(GroupCommit):
    """The recorder's group commit, whose first lone save waits until ``release``; counts the
    commands saved in shared transactions."""

    def __init__(self, recorder: SealingSQLiteRecorder | SealingPostgresRecorder) -> None:
        self.release = threading.Event()
        self.grouped: list[int] = []
        self._first = True

        def alone(events: Sequence[Any], kwargs: dict[str, Any]) -> Any:
            if self._first:
                self._first = False
                assert self.release.wait(WAIT)
            return recorder._insert_alone(events, kwargs)

        def batch(tickets: list[Any]) -> None:
            recorder._insert_batch(tickets)
            self.grouped.append(sum(t.saved for t in tickets))

        super().__init__(batch, alone, max_batch=32)

    def queued(self) -> int:
        with self._mutex:
            return len(self._queue)


def held(app: JiebangApp) -> HeldGroup:
    recorder = app.recorder
    assert isinstance(recorder, SealingSQLiteRecorder | SealingPostgresRecorder)
    group = HeldGroup(recorder)
    recorder.group_commit = group
    return group


def together(group: HeldGroup, first: Callable[[], Any], *others: Callable[[], Any]) -> list[Any]:
    """``first`` leads and is held; the others queue behind it; then all are let go. What each
    returned or raised, in the order given."""
    outcomes: list[Any] = [None] * (1 + len(others))

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            outcomes[i] = call()
        except Exception as e:
            outcomes[i] = e

    threads = [threading.Thread(target=run, args=(0, first))]
    threads[0].start()
    deadline = time.monotonic() + WAIT
    while group._first:  # until the leader has taken itself and waits in its save
        assert threads[0].is_alive(), outcomes[0]
        assert time.monotonic() < deadline
        time.sleep(0.005)
    for i, call in enumerate(others, start=1):
        threads.append(threading.Thread(target=run, args=(i, call)))
        threads[-1].start()
    while group.queued() < len(others):
        assert time.monotonic() < deadline, "the others did not queue behind the leader"
        time.sleep(0.005)
    group.release.set()
    for t in threads:
        t.join(WAIT)
    return outcomes


def test_commands_arriving_together_are_saved_in_one_transaction_each_with_its_receipt(app, clock):
    collect(app, clock, END_USER_EQUIPMENT, "智能科技")  # the chain has a past
    group = held(app)
    calls = [lambda: demand(app) for _ in range(6)]
    ids = together(group, *calls)
    assert all(isinstance(i, str) for i in ids), ids
    assert group.grouped == [5]  # the leader alone, then the five that waited, in one batch
    seals = [app._sealing_recorder.select_seal(i, 1) for i in ids]
    positions = [s[0] for s in seals if s]
    assert len(set(positions)) == 6
    assert verify_store(app.settings).finding is None


def demand(app: JiebangApp) -> str:
    """Collect a demand at the clock's time (``collect`` would move the shared clock)."""
    return app.collect_demand(
        BUREAU_STAFF,
        source=DemandSource.SURVEY_VISIT,
        enterprise=END_USER_EQUIPMENT,
        industry="智能科技",
        title="关键核心技术需求",
        description="调研走访记录",
    ).aggregate_id


def revise(app: JiebangApp, challenge_id: str, name: str, expected: int) -> Receipt:
    return app.revise_draft(
        BUREAU_STAFF,
        challenge_id,
        content=key_challenge_content(name=name),
        meta=CommandMeta(expected_version=expected, request_id=name),
    )


def test_r_audit_chain_a_command_refused_in_a_batch_takes_none_of_the_others_down(app, clock):
    collected = collect(app, clock, END_USER_EQUIPMENT, "智能科技")
    clock.on(date(2026, 3, 2))
    draft = app.draft_challenge(
        BUREAU_STAFF,
        end_user=END_USER_EQUIPMENT,
        content=key_challenge_content(),
        demand_ids=[collected],
    )
    version = draft.version
    group = held(app)
    # Two revisions decided on the same version: in the same batch, one of them must lose.
    outcomes = together(
        group,
        lambda: demand(app),
        lambda: revise(app, draft.aggregate_id, "写者甲", version),
        lambda: demand(app),
        lambda: revise(app, draft.aggregate_id, "写者乙", version),
        lambda: demand(app),
    )
    demands = [outcomes[0], outcomes[2], outcomes[4]]
    revisions = [outcomes[1], outcomes[3]]
    assert all(isinstance(d, str) for d in demands), outcomes
    assert sum(isinstance(r, Receipt) for r in revisions) == 1, outcomes
    assert sum(isinstance(r, ConflictError) for r in revisions) == 1, outcomes
    landed = next(r for r in revisions if isinstance(r, Receipt))
    challenge = app.challenge(draft.aggregate_id)
    assert challenge.version == version + 1 == landed.version
    assert verify_store(app.settings).finding is None


@pytest.mark.parametrize("max_batch", [1, 32])
def test_group_commit_is_a_setting(make_app, max_batch):
    app = make_app(group_commit_max=max_batch)
    group = app._sealing_recorder.group_commit
    assert (group is None) == (max_batch == 1)
