"""The private cluster for the fault tests, and their counts printed at the end of the run
(in the terminal summary, so that CI shows them whatever the capture mode)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.faults.harness import ClusterUnavailableError, PrivateCluster, private_cluster

SUMMARIES: list[str] = []


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    """A PostgreSQL cluster of the module's own, which its tests may stop at will."""
    try:
        with private_cluster() as running:
            yield running
    except ClusterUnavailableError as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the fault tests need the PostgreSQL server programs under CI: {e}")
        pytest.skip(str(e))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARIES:
        terminalreporter.section("fault rehearsal counts")
        for line in SUMMARIES:
            terminalreporter.write_line(line)
