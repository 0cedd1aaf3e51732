"""A command over HTTP reads each aggregate it acts on once: the route's visibility check and
the command share the load (``ServiceBase.preload_for_command``), on both stores."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.auth import issue_token, load_keys
from jiebang_es.domain.content import content_digest
from jiebang_es.domain.values import Role
from jiebang_es.sample import END_USER_EQUIPMENT
from tests.support import Journey

SECRET = "lean-" + "s" * 40


def test_a_command_over_http_loads_its_aggregate_once(make_app, clock):
    app = make_app(jwt_secret=SecretStr(SECRET))
    journey = Journey(app, clock).draft(confirm=False)
    challenge_id = journey.challenge_id
    digest = content_digest(app.challenge(challenge_id).content)
    loads: Counter[str] = Counter()
    get = app.repository.get

    def counting_get(aggregate_id: Any, *args: Any, **kwargs: Any) -> Any:
        loads[str(aggregate_id)] += 1
        return get(aggregate_id, *args, **kwargs)

    app.repository.get = counting_get  # type: ignore[method-assign]
    token = issue_token(
        app.settings,
        load_keys(app.settings),
        role=Role.END_USER,
        org=END_USER_EQUIPMENT.credit_code,
        sub="eu-wang",
    )
    with TestClient(create_app(app.settings, jiebang=app)) as client:
        answer = client.post(
            f"/v1/challenges/{challenge_id}/confirm",
            json={"content_digest": digest},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.text
        assert loads[challenge_id] == 1
        # A read of it afterwards loads it afresh: nothing is kept beyond the command.
        assert (
            client.get(
                f"/v1/challenges/{challenge_id}", headers={"Authorization": f"Bearer {token}"}
            ).status_code
            == 200
        )
    assert app.challenge(challenge_id).version == answer.json()["version"]
