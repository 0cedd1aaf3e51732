"""`jiebang serve --workers 2`: two API processes on one socket, the read models' runner once,
in the supervising process (its lock refuses a second runner on the store while it serves)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from pydantic import SecretStr

from api.auth import Keys, issue_token
from jiebang_es.audit.checkpoints import generate_keys
from jiebang_es.audit.raw_store import RawStore
from jiebang_es.audit.verify_store import verify_store
from jiebang_es.config import Settings
from jiebang_es.domain.values import Role
from jiebang_es.sample import BUREAU, END_USER_EQUIPMENT
from projections.db import target_of
from projections.readstore import ReadStore
from projections.runner import RunnerLock

JIEBANG = str(Path(sys.executable).with_name("jiebang"))
SECRET = "workers-" + "w" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


@contextmanager
def serving(tmp_path: Path, env: dict[str, str], workers: int = 2) -> Iterator[str]:
    """``jiebang serve --workers N`` in ``tmp_path``, started and answering; its base URL."""
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(  # noqa: S603 - our own CLI
        [JIEBANG, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            try:
                if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        assert len(children(serve.pid)) >= workers  # the workers (and multiprocessing's tracker)
        yield base
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
        log.close()


def file_demand(base: str, settings: Settings) -> int:
    """One `POST /v1/demands` on a new connection (the kernel spreads them over the workers);
    the position of its event."""
    token = issue_token(
        settings,
        Keys(SECRET, SECRET, ("HS256",)),
        role=Role.BUREAU,
        org=BUREAU.credit_code,
        sub="bureau-li",
    )
    body = {
        "source": "survey_visit",
        "enterprise": {
            "credit_code": END_USER_EQUIPMENT.credit_code,
            "name": END_USER_EQUIPMENT.name,
            "unit_type": "enterprise",
            "in_district": True,
        },
        "industry": "智能科技",
        "title": "伺服编码器依赖进口",
        "description": "调研走访记录",
    }
    with httpx.Client(base_url=base, timeout=30) as client:
        answer = client.post("/v1/demands", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["position"])


def test_serve_with_two_workers_answers_commands_and_runs_one_runner(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    settings = Settings(database_url=url, jwt_secret=SecretStr(SECRET))
    env = {**os.environ, "JIEBANG_DATABASE_URL": url, "JIEBANG_JWT_SECRET": SECRET}
    with serving(tmp_path, env) as base:
        positions = [file_demand(base, settings) for _ in range(6)]
        reads = ReadStore.open(settings)
        try:
            assert reads.wait_until(max(positions), timeout_s=30)  # the supervisor's runner
        finally:
            reads.close()
        second = subprocess.run(  # noqa: S603 - our own CLI
            [JIEBANG, "projections", "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 2, second.stdout + second.stderr
    RunnerLock(target_of(settings)).close()  # released with the server


def test_serve_with_workers_creates_a_new_store_once_and_signs_its_checkpoints(
    tmp_path: Path,
) -> None:
    """With a checkpoint key, the supervisor's checkpointer reads the store's checkpoints at
    start: on a new store it used to find no table (the workers had not created it yet) and
    the server exited. The supervisor now opens the store before anything uses it."""
    url = f"sqlite:///{tmp_path}/events.db"
    keys = tmp_path / "keys"
    audit = {
        "JIEBANG_AUDIT_KEY_FILE": str(keys / "checkpoint.key"),
        "JIEBANG_AUDIT_PUBLIC_KEY_FILE": str(keys / "checkpoint.pub"),
        "JIEBANG_AUDIT_CHECKPOINT_FILE": str(keys / "checkpoints.jsonl"),
        "JIEBANG_CHECKPOINT_EVERY_EVENTS": "1",
        "JIEBANG_CHECKPOINT_EVERY_SECONDS": "0.2",
    }
    settings = Settings(
        database_url=url,
        jwt_secret=SecretStr(SECRET),
        audit_key_file=keys / "checkpoint.key",
        audit_public_key_file=keys / "checkpoint.pub",
    )
    generate_keys(settings.audit_key_file, settings.audit_public_key_file, mode=settings.crypto)
    env = {**os.environ, "JIEBANG_DATABASE_URL": url, "JIEBANG_JWT_SECRET": SECRET, **audit}
    with serving(tmp_path, env) as base:
        position = file_demand(base, settings)
        deadline = time.monotonic() + 30
        while not any(c.position >= position for c in RawStore(settings).checkpoints()):
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
    assert verify_store(settings).intact
    RunnerLock(target_of(settings)).close()  # released with the server


def test_a_serving_process_takes_the_configured_thread_switch_interval(
    tmp_path: Path, monkeypatch
) -> None:
    """``JIEBANG_SWITCH_INTERVAL``: set in ``serve`` and in each worker (``worker_app``)."""
    from api.serve import worker_app

    monkeypatch.setenv("JIEBANG_DATABASE_URL", f"sqlite:///{tmp_path}/events.db")
    monkeypatch.setenv("JIEBANG_JWT_SECRET", SECRET)
    monkeypatch.setenv("JIEBANG_SWITCH_INTERVAL", "0.002")
    before = sys.getswitchinterval()
    try:
        worker_app()
        assert sys.getswitchinterval() == 0.002
        monkeypatch.delenv("JIEBANG_SWITCH_INTERVAL")
        worker_app()
        assert sys.getswitchinterval() == Settings.model_fields["switch_interval"].default
        assert Settings.model_fields["switch_interval"].default == 0.001
    finally:
        sys.setswitchinterval(before)
