"""`jiebang` with a setting that does not parse, a store it cannot read or a file it cannot
open: one line naming what to fix, exit status 2, never a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from jiebang_es.cli_errors import problem_of
from jiebang_es.config import Settings
from jiebang_es.errors import StoreUnavailableError

JIEBANG = str(Path(sys.executable).with_name("jiebang"))


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ({"JIEBANG_CRYPTO": "foo"}, "JIEBANG_CRYPTO: Input should be 'intl' or 'sm'"),
        ({"JIEBANG_RETENTION_YEARS": "notjson"}, "JIEBANG_RETENTION_YEARS does not parse"),
        ({"JIEBANG_DATABASE_URL": "mysql://u@h/db"}, "unsupported scheme 'mysql'"),
    ],
)
def test_a_setting_that_does_not_parse_is_named_by_its_variable(
    tmp_path: Path, setting: dict[str, str], said: str
) -> None:
    env = {**os.environ, "JIEBANG_DATABASE_URL": f"sqlite:///{tmp_path}/e.db", **setting}
    done = subprocess.run(  # noqa: S603 - our own CLI
        [JIEBANG, "info"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert said in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) == 1


def test_store_and_file_errors_are_said_in_one_line() -> None:
    assert problem_of(StoreUnavailableError("the event store cannot be reached")) == (
        "the event store cannot be reached"
    )
    missing = FileNotFoundError(2, "No such file or directory", "/nonexist/cp.jsonl")
    assert problem_of(missing) == "No such file or directory: /nonexist/cp.jsonl"
    assert problem_of(sqlite3.OperationalError("no such table: jiebang_seals")) == (
        "the store cannot be read: no such table: jiebang_seals"
    )
    with pytest.raises(ValidationError) as invalid:
        Settings(document_max_bytes=10)
    assert problem_of(invalid.value) == (
        "a setting is not valid: JIEBANG_DOCUMENT_MAX_BYTES: "
        "Input should be greater than or equal to 1024"
    )
    assert problem_of(ZeroDivisionError()) is None  # a defect keeps its traceback


@pytest.mark.parametrize(
    "command",
    [
        ["info"],
        ["report", "compliance"],
        ["report", "portfolio", "--format", "json"],
        ["audit", "verify"],
        ["audit", "history", "00000000-0000-4000-8000-000000000000"],
        ["projections", "checksum"],
        ["documents", "check"],
        ["privacy", "report", "subject-1"],
    ],
)
def test_a_command_that_reads_a_store_never_creates_one_at_a_mistyped_path(
    tmp_path: Path, command: list[str]
) -> None:
    """It would show a new, empty store ("every rule holds") instead of saying there is none."""
    from typer.testing import CliRunner

    from jiebang_es.cli import cli

    typo = tmp_path / "sub" / "evnets.db"
    done = CliRunner().invoke(cli, command, env={"JIEBANG_DATABASE_URL": f"sqlite:///{typo}"})
    assert done.exit_code == 2, done.output
    assert f"no store at {typo}" in done.output
    assert not typo.exists()
    assert not typo.parent.exists()


@pytest.mark.postgres
def test_a_postgres_database_that_does_not_exist_is_named_not_timed_out(
    tmp_path: Path, postgres_db: str
) -> None:
    """The pool says only that it got no connection in time; the server says why."""
    base = postgres_db.split("?", 1)[0].rsplit("/", 1)[0]
    env = {**os.environ, "JIEBANG_DATABASE_URL": f"{base}/jiebang_no_such_database"}
    done = subprocess.run(  # noqa: S603 - our own CLI
        [JIEBANG, "info"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=90,
        check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert 'database "jiebang_no_such_database" does not exist' in done.stderr
    assert "Traceback" not in done.stderr
