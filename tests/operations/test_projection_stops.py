"""A read model that meets an event it cannot write stops loudly — at that event, naming it and
the model, at error level, counted, and readiness turns degraded — never spins or skips it.

PostgreSQL refuses text with a NUL byte; the event is written straight into the store, as an
identity provider's claim once carried one past the API."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import structlog
from prometheus_client import REGISTRY
from typer.testing import CliRunner

from jiebang_es.cli import cli
from jiebang_es.config import Settings
from jiebang_es.sample import END_USER_EQUIPMENT
from jiebang_es.service import JiebangApp
from projections.readstore import ReadStore
from projections.runner import run, start_runner
from projections.status import STATUS, ProjectionStoppedError
from tests.conftest import new_postgres_schema
from tests.e2e.conftest import start_server, stop_server
from tests.support import ScriptedClock, collect
from tests.support_faults import write_raw_demand

pytestmark = pytest.mark.postgres


def stops_of(model: str) -> float:
    return REGISTRY.get_sample_value("jiebang_projection_stops_total", {"model": model}) or 0.0


@pytest.fixture
def poisoned(postgres_db: str) -> tuple[Settings, int]:
    """A store with good events, one with a NUL in its actor id, then good events again."""
    settings = Settings(database_url=new_postgres_schema(postgres_db))
    app = JiebangApp(settings, clock=(clock := ScriptedClock()))
    try:
        collect(app, clock, END_USER_EQUIPMENT, "智能科技")
        poison = write_raw_demand(app, clock, END_USER_EQUIPMENT, "person\x00evil")
        collect(app, clock, END_USER_EQUIPMENT, "智能科技")
    finally:
        app.close()
    return settings, poison


def test_projection_stops_at_the_event_it_cannot_write_naming_model_and_position(
    poisoned: tuple[Settings, int],
) -> None:
    settings, poison = poisoned
    with pytest.raises(ProjectionStoppedError) as stopped:
        run(settings, until_caught_up=True)
    assert stopped.value.position == poison
    assert stopped.value.model == "audit_index"
    assert "NUL" in str(stopped.value)
    # Everything before it is applied; nothing at or after it, in any model.
    store = ReadStore.open(settings)
    try:
        assert store.position() == poison - 1
    finally:
        store.close()
    # Run again: it stops at the same event, it does not skip it.
    with pytest.raises(ProjectionStoppedError) as again:
        run(settings, until_caught_up=True)
    assert again.value.position == poison


def test_projection_runner_thread_stops_logs_error_and_counts(
    poisoned: tuple[Settings, int],
) -> None:
    settings, poison = poisoned
    STATUS.reset()
    before = stops_of("audit_index")
    with structlog.testing.capture_logs() as logs:
        handle = start_runner(settings)
        deadline = time.monotonic() + 30
        while handle.alive and time.monotonic() < deadline:
            time.sleep(0.05)
        alive = handle.alive
        handle.stop()
    assert not alive, "the runner kept running past an event it cannot write"
    stops = [e for e in logs if e["event"] == "projection_stopped"]
    assert len(stops) == 1
    assert stops[0]["log_level"] == "error"
    assert stops[0]["position"] == poison
    assert stops[0]["model"] == "audit_index"
    assert STATUS.stopped is not None
    assert STATUS.stopped.position == poison
    assert stops_of("audit_index") == before + 1
    STATUS.reset()


def test_server_with_a_stopped_read_model_is_not_ready_and_says_where(
    poisoned: tuple[Settings, int], tmp_path: Path
) -> None:
    settings, poison = poisoned
    process, server = start_server(settings.database_url, tmp_path)
    try:
        client = server.client()
        deadline = time.monotonic() + 30
        ready = client.get("/v1/health/ready")
        while ready.json()["read_models"] != "stopped" and time.monotonic() < deadline:
            time.sleep(0.2)
            ready = client.get("/v1/health/ready")
        assert ready.status_code == 503
        report = ready.json()
        assert report["read_models"] == "stopped"
        assert f"audit_index stopped at position {poison}" in report["problems"][0]
        assert client.get("/v1/health").json()["status"] == "degraded"
        lines = [json.loads(x) for x in server.log_file.read_text().splitlines() if x[:1] == "{"]
        stops = [x for x in lines if x.get("event") == "projection_stopped"]
        assert stops
        assert stops[0]["level"] == "error"
        assert (stops[0]["model"], stops[0]["position"]) == ("audit_index", poison)
    finally:
        server.close()
        stop_server(process)


def test_rebuild_and_run_commands_stop_at_the_event_and_exit_1(
    poisoned: tuple[Settings, int],
) -> None:
    settings, poison = poisoned
    env = {"JIEBANG_DATABASE_URL": settings.database_url}
    for command in (["projections", "run", "--until-caught-up"], ["projections", "rebuild"]):
        result = CliRunner().invoke(cli, command, env=env)
        assert result.exit_code == 1, result.output
        assert "audit_index stopped at" in " ".join(result.output.split())
    assert str(poison) in result.output
