"""Every save seals its events and keeps its idempotency key in the same transaction."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from jiebang_es.crypto.digests import hash_function
from jiebang_es.domain.values import DemandSource
from jiebang_es.errors import DuplicateRequestError
from jiebang_es.sample import END_USER_EQUIPMENT
from jiebang_es.sealing import GENESIS, chain, event_digest
from jiebang_es.service_base import CommandMeta
from tests.support import BUREAU_STAFF

pytestmark = pytest.mark.usefixtures("crypto_mode")


def _collect(app, meta: CommandMeta | None = None):
    return app.collect_demand(
        BUREAU_STAFF,
        source=DemandSource.SURVEY_VISIT,
        enterprise=END_USER_EQUIPMENT,
        industry="智能科技",
        title="精密减速器寿命",
        description="调研走访记录",
        meta=meta or CommandMeta(),
    )


def test_receipt_carries_the_seal_of_the_chain_over_the_stored_bytes(app, clock, crypto_mode):
    clock.on(date(2026, 2, 24))
    assert app.crypto_mode == crypto_mode
    first = _collect(app)
    second = _collect(app)
    seal = GENESIS
    h = hash_function(crypto_mode)
    for n in app.recorder.select_notifications(start=1, limit=10):
        digest = event_digest(n.originator_id, n.originator_version, n.topic, n.state, h)
        seal = chain(seal, digest, h)
        if n.id == first.position:
            assert first.seal == seal.hex()
    assert second.seal == seal.hex()
    assert first.seal != second.seal


def test_idempotency_key_kept_with_the_receipt(app, clock):
    clock.on(date(2026, 2, 24))
    meta = CommandMeta(idempotency_key="bureau-li:k1", request_fingerprint="f1")
    receipt = _collect(app, meta)
    stored = app.stored_request("bureau-li:k1")
    assert stored is not None
    assert stored.fingerprint == "f1"
    assert stored.receipt == receipt
    assert app.stored_request("bureau-li:other") is None


def test_second_save_with_the_same_key_records_nothing(app, clock):
    clock.on(date(2026, 2, 24))
    meta = CommandMeta(idempotency_key="bureau-li:k2", request_fingerprint="f")
    first = _collect(app, meta)
    with pytest.raises(DuplicateRequestError):
        _collect(app, meta)
    assert app.position() == first.position
    assert app.recorder.max_notification_id() == first.position


def test_concurrent_saves_with_one_key_record_one_effect(make_app, clock):
    clock.on(date(2026, 2, 24))
    apps = [make_app() for _ in range(4)]
    meta = CommandMeta(idempotency_key="bureau-li:race", request_fingerprint="f")
    outcomes: list[object] = []
    barrier = threading.Barrier(len(apps))

    def run(app) -> None:
        barrier.wait()
        try:
            outcomes.append(_collect(app, meta))
        except DuplicateRequestError as e:
            outcomes.append(e)

    threads = [threading.Thread(target=run, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    receipts = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(receipts) == 1
    assert all(isinstance(o, DuplicateRequestError) for o in outcomes if o not in receipts)
    assert len(app_notifications(apps[0])) == 1
    assert apps[0].stored_request("bureau-li:race").receipt == receipts[0]


def app_notifications(app):
    return app.recorder.select_notifications(start=1, limit=100)
