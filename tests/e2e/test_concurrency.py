"""ETag / If-Match and Idempotency-Key over HTTP, against a real server on PostgreSQL."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import httpx
import pytest

from api.deps import fingerprint
from jiebang_es.config import Settings
from jiebang_es.domain.values import Role
from jiebang_es.sample import actor
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CommandMeta
from tests.e2e.conftest import Server
from tests.e2e.journey import HttpJourney, content_json, ok

pytestmark = pytest.mark.postgres


def revise(journey: HttpJourney, benchmarking: str, **headers: str) -> httpx.Response:
    content = content_json(journey.content) | {"benchmarking": benchmarking}
    return journey.eu.post(
        f"/v1/challenges/{journey.challenge_id}/revise", json={"content": content}, headers=headers
    )


def test_get_carries_the_version_as_etag_and_if_match_accepts_it(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).draft()
    read = journey.eu.get(f"/v1/challenges/{journey.challenge_id}")
    etag = read.headers["ETag"]
    assert etag == f'"{read.json()["version"]}"'
    response = revise(journey, "对标A", **{"If-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{read.json()["version"] + 1}"'


def test_stale_if_match_is_412_and_records_nothing(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).draft()
    stale = journey.eu.get(f"/v1/challenges/{journey.challenge_id}").headers["ETag"]
    ok(revise(journey, "对标A"))
    response = revise(journey, "对标B", **{"If-Match": stale})
    assert response.status_code == 412
    assert response.headers["Content-Type"] == "application/problem+json"
    current = ok(journey.eu.get(f"/v1/challenges/{journey.challenge_id}"))
    assert current["content"]["benchmarking"] == "对标A"
    assert response.headers["ETag"] == f'"{current["version"]}"'


def test_ten_concurrent_requests_with_one_idempotency_key_have_one_effect(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).to_contracted()
    key = uuid.uuid4().hex
    body = {"amount": "1000.00", "purpose": "首期拨付"}
    path = f"/v1/projects/{journey.project_id}/disbursements"

    def send(_: int) -> httpx.Response:
        return journey.bureau.post(path, json=body, headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(send, range(10)))
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    receipts = {(r.json()["version"], r.json()["position"]) for r in responses}
    assert len(receipts) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 9
    project = ok(journey.bureau.get(f"/v1/projects/{journey.project_id}"))
    assert project["disbursed"] == "1000.00"
    reader = JiebangApp(Settings(database_url=server.database_url))
    try:
        funded = [e for e in reader.events_of(journey.project_id) if type(e).__name__ == "Funded"]
    finally:
        reader.close()
    assert len(funded) == 1


def test_same_idempotency_key_with_another_body_is_422(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).draft()
    key = uuid.uuid4().hex
    first = revise(journey, "对标A", **{"Idempotency-Key": key})
    assert first.status_code == 200
    again = revise(journey, "对标A", **{"Idempotency-Key": key})
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = revise(journey, "对标B", **{"Idempotency-Key": key})
    assert other.status_code == 422
    assert other.json()["type"] == "/problems/idempotency-key-reused"


def test_refused_command_keeps_no_key_so_its_retry_is_evaluated_again(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).draft()
    key = uuid.uuid4().hex
    path = f"/v1/challenges/{journey.challenge_id}/cancel"
    refused = journey.bureau.post(path, json={}, headers={"Idempotency-Key": key})
    assert refused.status_code == 422
    # The same key, now with a reason: a new request, evaluated and recorded.
    done = journey.bureau.post(path, json={"reason": "撤回"}, headers={"Idempotency-Key": key})
    assert done.status_code == 200
    assert done.json()["events"] == ["Cancelled"]


def test_keys_are_scoped_per_subject(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).draft()
    key = uuid.uuid4().hex
    ok(revise(journey, "对标A", **{"Idempotency-Key": key}))
    other_person = server.client(Role.END_USER, journey.end_user, "eu-colleague")
    content = content_json(journey.content) | {"benchmarking": "对标C"}
    response = other_person.post(
        f"/v1/challenges/{journey.challenge_id}/revise",
        json={"content": content},
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response.headers


def test_racing_revisions_each_land_once_or_get_409(server: Server) -> None:
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).draft()
    start = ok(journey.eu.get(f"/v1/challenges/{journey.challenge_id}"))["version"]

    def send(i: int) -> httpx.Response:
        return revise(journey, f"对标{i}")

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(send, range(10)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 409}, [r.text for r in responses]
    for r in responses:
        if r.status_code == 409:
            assert r.json()["type"] == "/problems/conflict"
    end = ok(journey.eu.get(f"/v1/challenges/{journey.challenge_id}"))["version"]
    assert end - start == statuses.count(200)


def test_keys_of_subjects_that_share_a_prefix_never_collide(server: Server) -> None:
    # Stored as "subject:key", subject urn:person with key X:k once met subject urn:person:X
    # with key k: the second person's command was answered with the first's receipt.
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).draft()
    path = f"/v1/challenges/{journey.challenge_id}/revise"
    content = content_json(journey.content)
    drafted = ok(journey.eu.get(f"/v1/challenges/{journey.challenge_id}"))["version"]
    first = server.client(Role.END_USER, journey.end_user, "urn:person")
    second = server.client(Role.END_USER, journey.end_user, "urn:person:X")
    ok(first.post(path, json={"content": content}, headers={"Idempotency-Key": "X:k"}))
    response = second.post(path, json={"content": content}, headers={"Idempotency-Key": "k"})
    assert response.status_code == 200, response.text
    assert "Idempotent-Replayed" not in response.headers
    assert response.json()["version"] == drafted + 2  # two revisions: the second is its own


def test_first_release_key_of_an_unambiguous_pair_is_still_honoured(server: Server) -> None:
    # A request the first release recorded under "subject:key" and retried after the upgrade
    # replays its answer instead of recording the command twice.
    journey = HttpJourney(server, uuid.uuid4().hex[:8]).draft()
    path = f"/v1/challenges/{journey.challenge_id}/revise"
    body = {"content": content_json(journey.content) | {"benchmarking": "旧版"}}
    sub, key = f"eu-old-{journey.tag}", "old-1"
    reader = JiebangApp(Settings(database_url=server.database_url))
    try:
        old = reader.revise_draft(
            actor(Role.END_USER, journey.end_user, sub),
            journey.challenge_id,
            content=replace(journey.content, benchmarking="旧版"),
            meta=CommandMeta(
                idempotency_key=f"{sub}:{key}",
                request_fingerprint=fingerprint("POST", path, json.dumps(body).encode()),
            ),
        )
    finally:
        reader.close()
    retried = server.client(Role.END_USER, journey.end_user, sub).post(
        path, json=body, headers={"Idempotency-Key": key}
    )
    assert retried.status_code == 200, retried.text
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json()["version"] == old.version
