"""The run command's path on the embedded store: `jiebang serve` on a SQLite file, `jiebang demo`
writing to the same file from another process, then the public listing over HTTP."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from jiebang_es.sample import key_challenge_content, major_challenge_content
from tests.e2e.conftest import JIEBANG, start_server, stop_server
from tests.e2e.journey import ok


def test_after_the_demo_the_public_listing_shows_public_challenges_never_restricted(
    tmp_path: Path,
) -> None:
    database_url = f"sqlite:///{tmp_path}/jiebang.db"
    process, server = start_server(database_url, tmp_path)
    try:
        demo = subprocess.run(  # noqa: S603 - our own CLI
            [str(JIEBANG), "demo"],
            env={**os.environ, "JIEBANG_DATABASE_URL": database_url},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert demo.returncode == 0, demo.stdout + demo.stderr
        anonymous = server.client()
        head = ok(anonymous.get("/v1/health"))["position"]
        assert head > 100
        listing = ok(
            anonymous.get("/v1/public/challenges", params={"min_position": head, "limit": 500})
        )
        names = [c["name"] for c in listing["items"]]
        assert names == [key_challenge_content().name]
        assert major_challenge_content().name not in names
        notices = ok(anonymous.get("/v1/public/notices", params={"min_position": head}))
        assert len(notices["items"]) == 2
    finally:
        server.close()
        stop_server(process)
