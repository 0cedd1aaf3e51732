"""The suite's share of a shared PostgreSQL server: at most ``JIEBANG_TEST_MAX_CONNECTIONS``
(20) connections at a time to this session's databases, counted by polling pg_stat_activity
(the test process, the servers it starts and their runners alike). The peak is reported with
the test that was running when it was reached, so a run over the budget says where to look."""

from __future__ import annotations

import os
import threading
from collections import Counter

import psycopg

BUDGET = int(os.environ.get("JIEBANG_TEST_MAX_CONNECTIONS", "20"))
POLL_SECONDS = 0.05


class ConnectionWatch:
    """Polls, in a thread, the connections to databases named ``prefix…``; keeps the peak."""

    def __init__(self, admin_url: str, prefix: str) -> None:
        self.admin_url = admin_url
        self.prefix = prefix
        self.peak = 0
        self.peak_by_name: Counter[str] = Counter()
        self.peak_during = ""
        # Set by the conftest as each test starts (its node id); read when a new peak is seen.
        self.current_test = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="connection-watch", daemon=True)

    def start(self) -> ConnectionWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _poll(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            while not self._stop.wait(POLL_SECONDS):
                rows = conn.execute(
                    "SELECT coalesce(application_name, ''), count(*) FROM pg_stat_activity "
                    "WHERE datname LIKE %s GROUP BY 1",
                    (self.prefix.replace("_", r"\_") + "%",),
                ).fetchall()
                total = sum(n for _, n in rows)
                if total > self.peak:
                    self.peak = total
                    self.peak_by_name = Counter({name or "(unnamed)": n for name, n in rows})
                    self.peak_during = self.current_test

    def report(self) -> str:
        who = ", ".join(f"{name} {n}" for name, n in self.peak_by_name.most_common())
        during = f", during {self.peak_during}" if self.peak_during else ""
        return f"peak PostgreSQL connections of this session: {self.peak} ({who}){during}"
