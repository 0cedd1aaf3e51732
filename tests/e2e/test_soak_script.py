"""ops/bench/soak.py, briefly: it walks the procedure, reads, stops by itself and reports a
sound run (no 5xx, nothing lost, the chain intact, equal digests) as one line of JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SOAK = Path(__file__).resolve().parents[2] / "ops" / "bench" / "soak.py"


def test_soak_stops_by_itself_and_reports_a_sound_run() -> None:
    result = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(SOAK), "--duration", "8", "--rate", "15", "--max-requests", "100"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["sound"] is True
    assert summary["store"] == "sqlite"
    assert 0 < summary["requests"] <= 100
    assert summary["server_errors"] == 0
    assert summary["lost"] == 0
    assert summary["rss_mib"]["start"] > 0
    assert any(route.startswith("POST /v1/challenges") for route in summary["p99_ms"])
