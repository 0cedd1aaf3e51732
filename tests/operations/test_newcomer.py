"""A newcomer's first runs: ops/demo.sh on another port, a taken port said at once (the
server's own error, not a timeout), and the development key found from any directory."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from api.auth import authenticate, dev_secret_path, load_keys
from jiebang_es.audit.checkpoints import generate_keys
from jiebang_es.config import Settings
from jiebang_es.domain.values import Role
from jiebang_es.sample import BUREAU
from jiebang_es.service import JiebangApp
from tests.e2e.conftest import JIEBANG

REPO = Path(__file__).parents[2]


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another process listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIEBANG_")}
    return {
        **env,
        "JIEBANG_DATABASE_URL": f"sqlite:///{tmp_path}/store/jiebang.db",
        "JIEBANG_AUDIT_KEY_FILE": str(tmp_path / "audit" / "checkpoint.key"),
        "JIEBANG_AUDIT_PUBLIC_KEY_FILE": str(tmp_path / "audit" / "checkpoint.pub"),
        **extra,
    }


def serve_on(port: int, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI
        [str(JIEBANG), "serve", "--port", str(port)],
        env=clean_env(tmp_path, JIEBANG_DEV_MODE="true"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_demo_sh_on_a_taken_port_prints_the_servers_own_error_at_once(
    taken_port: int, tmp_path: Path
) -> None:
    # At once: as soon as the server itself gives up (its start-up alone takes seconds on a
    # busy machine), not after a wait for an answer that cannot come.
    generate_keys(tmp_path / "audit" / "checkpoint.key", tmp_path / "audit" / "checkpoint.pub")
    began = time.monotonic()
    serve_on(taken_port, tmp_path)
    server_alone = time.monotonic() - began
    began = time.monotonic()
    done = subprocess.run(  # noqa: S603 - our own script
        ["bash", str(REPO / "ops" / "demo.sh"), "--port", str(taken_port), "--exit"],  # noqa: S607
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - began
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the server could not start" in done.stderr
    assert f"cannot listen on 127.0.0.1:{taken_port}" in done.stderr
    assert "in use" in done.stderr
    assert elapsed < server_alone + 10, f"{elapsed:.0f} s, the server alone {server_alone:.0f} s"


def test_demo_sh_refuses_a_port_that_is_not_a_number(tmp_path: Path) -> None:
    done = subprocess.run(  # noqa: S603 - our own script
        ["bash", str(REPO / "ops" / "demo.sh"), "--port", "http"],  # noqa: S607
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "--port takes a number" in done.stderr


def test_serve_on_a_taken_port_says_so_before_opening_the_store(
    taken_port: int, tmp_path: Path
) -> None:
    done = serve_on(taken_port, tmp_path)
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{taken_port}" in done.stderr
    assert not (tmp_path / "store" / "jiebang.db").exists()


def issue_from(cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603 - our own CLI
        [str(JIEBANG), "token", "issue", "--role", "analyst", "--org", BUREAU.credit_code,
         "--sub", "ana"],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_dev_secret_lives_beside_the_store_and_is_found_from_any_directory(
    tmp_path: Path,
) -> None:
    env = clean_env(tmp_path, JIEBANG_DEV_MODE="true")
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    tokens = [issue_from(first, env), issue_from(second, env)]
    secret_file = tmp_path / "store" / "dev-jwt-secret"
    assert secret_file.stat().st_mode & 0o077 == 0
    assert not (first / "var").exists()
    assert not (second / "var").exists()
    settings = Settings(jwt_secret=SecretStr(secret_file.read_text().strip()))
    for token in tokens:
        assert authenticate(settings, load_keys(settings), token).role is Role.ANALYST


def test_dev_secret_of_a_postgres_store_is_in_the_users_config_or_where_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    postgres = Settings(database_url="postgresql://app@db.example/jiebang", dev_mode=True)
    assert dev_secret_path(postgres) == tmp_path / "config" / "jiebang" / "dev-jwt-secret"
    configured = postgres.model_copy(update={"dev_secret_file": tmp_path / "k" / "secret"})
    assert dev_secret_path(configured) == tmp_path / "k" / "secret"
    keys = load_keys(configured)
    assert keys.generated
    assert (tmp_path / "k" / "secret").read_text().strip() == keys.verify


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("setting", "named"),
    [("JIEBANG_CRYPTO", "JIEBANG_CRYPTO"), ("JIEBANG_DOCUMENTS_DIR", "documents")],
)
def test_serve_on_a_store_it_cannot_open_says_so_in_one_line_and_exits_2(
    tmp_path: Path, setting: str, named: str
) -> None:
    env = clean_env(tmp_path, JIEBANG_DEV_MODE="true")
    # the store made in the default mode
    JiebangApp(Settings(database_url=env["JIEBANG_DATABASE_URL"])).close()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env[setting] = "sm" if setting == "JIEBANG_CRYPTO" else str(blocker / "documents")
    done = subprocess.run(  # noqa: S603 - our own CLI
        [str(JIEBANG), "serve", "--port", str(_free_port())],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "jiebang serve: the store cannot be opened" in done.stderr
    assert named in done.stderr
    assert "jiebang API on" not in done.stderr


def test_serve_warns_of_a_documents_folder_made_empty_for_a_store_with_a_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.serve import open_store_first
    from tests.audit.attacker import collect

    url = f"sqlite:///{tmp_path}/store/jiebang.db"
    app = JiebangApp(Settings(database_url=url))
    try:
        collect(app, 1)
    finally:
        app.close()
    open_store_first(Settings(database_url=url))  # its own folders: nothing to say
    assert "warning" not in capsys.readouterr().err
    mistyped = tmp_path / "store" / "documets"
    open_store_first(Settings(database_url=url, documents_dir=mistyped))
    said = capsys.readouterr().err
    assert f"JIEBANG_DOCUMENTS_DIR: {mistyped} did not exist and was made empty" in said
    assert "JIEBANG_PERSONAL_KEYS_DIR" not in said
