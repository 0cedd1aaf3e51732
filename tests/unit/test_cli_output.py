"""The CLI's output files: whole or not at all, and a path that cannot take one said plainly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import typer

from jiebang_es.cli_output import replaced_on_success, write_file


def test_a_file_is_written_whole_with_the_usual_permissions(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    write_file(target, "a,b\n", "--output")
    assert target.read_text() == "a,b\n"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    write_file(target, b"\x00\x01", "--output")
    assert target.read_bytes() == b"\x00\x01"


def test_a_failure_while_writing_leaves_what_was_there(tmp_path: Path) -> None:
    target = tmp_path / "bundle.jsonl"
    target.write_text("the good bundle\n")

    def refused_halfway() -> None:
        with replaced_on_success(target, "--out") as f:
            f.write("half of")
            raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        refused_halfway()
    assert target.read_text() == "the good bundle\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.jsonl"]


def test_a_path_that_cannot_take_a_file_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(typer.BadParameter, match="does not exist"):
        write_file(tmp_path / "missing" / "x.md", "x", "--output")
    with pytest.raises(typer.BadParameter, match="is a folder"):
        write_file(tmp_path, "x", "--output")
