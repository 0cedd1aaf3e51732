"""Prometheus metrics at ``/metrics``.

HTTP requests by route template, method and status, with latency histograms, come from
prometheus-fastapi-instrumentator. The rest are the service's own: commands by outcome and
rule id (counted as they are answered), and, read at each scrape, the read models' lag in
events and seconds, the age of the last signed checkpoint and the last verification's result.

Access: open by default (scrapers sit on the operators' network, as for most exporters); with
``JIEBANG_METRICS_TOKEN`` set, only ``Authorization: Bearer <token>``; ``JIEBANG_METRICS_ENABLED
=false`` removes the route.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator
from datetime import datetime

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import REGISTRY, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_fastapi_instrumentator import Instrumentator

from api.problems import problem_response
from api.readiness import READ_ERRORS, oldest_unapplied_age, unreachable
from jiebang_es.audit.raw_store import RawStore
from jiebang_es.audit.verify_store import last_verification, store_identity
from jiebang_es.config import Settings
from jiebang_es.errors import (
    ConcurrentWriteError,
    ConflictError,
    InvalidValueError,
    JiebangError,
    NotFoundError,
    NotPermittedError,
    RuleViolationError,
    StaleVersionError,
    StoreUnavailableError,
)
from jiebang_es.service import JiebangApp
from projections.readstore import ReadStore

log = structlog.get_logger("api")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
COMMANDS = Counter(
    "jiebang_commands",
    "Commands answered, by command, outcome and the rule id of a refusal",
    ["command", "outcome", "rule_id"],
)


def outcome_of(error: BaseException | None) -> tuple[str, str]:
    """A command's outcome label and rule id (empty unless a rule refused it)."""
    if error is None:
        return "recorded", ""
    if isinstance(error, NotPermittedError):
        return "forbidden", error.rule_id
    if isinstance(error, RuleViolationError):
        return "refused", error.rule_id
    kinds: tuple[tuple[type[BaseException], str], ...] = (
        (InvalidValueError, "invalid"),
        (NotFoundError, "not_found"),
        (StaleVersionError, "stale"),
        (ConcurrentWriteError, "conflict"),
        (ConflictError, "already_recorded"),
        (StoreUnavailableError, "unavailable"),
        (JiebangError, "failed"),
    )
    for kind, name in kinds:
        if isinstance(error, kind):
            return name, ""
    return "error", ""


def count_command(command: str, outcome: str, rule_id: str = "") -> None:
    COMMANDS.labels(command=command, outcome=outcome, rule_id=rule_id).inc()


class StateCollector(Collector):
    """Gauges read from the store and the read models at each scrape."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        state = self.app.state
        jiebang: JiebangApp | None = getattr(state, "jiebang", None)
        reads: ReadStore | None = getattr(state, "reads", None)
        if jiebang is None or reads is None:
            return  # not started yet
        head = None
        if unreachable(self.settings) is None:  # one bounded attempt, not the library's ten
            with contextlib.suppress(StoreUnavailableError):
                head = jiebang.position()
        if head is None:
            yield GaugeMetricFamily("jiebang_store_up", "The event store answers", value=0)
            return
        yield GaugeMetricFamily("jiebang_store_up", "The event store answers", value=1)
        yield GaugeMetricFamily(
            "jiebang_log_position", "Position of the last recorded event", value=head
        )
        yield from self._lag(jiebang, reads, head)
        yield from self._audit()

    def _lag(self, jiebang: JiebangApp, reads: ReadStore, head: int) -> Iterator[Metric]:
        try:
            positions = reads.positions()
        except READ_ERRORS as e:
            log.error("metrics_read_models_unreadable", error=str(e))
            return
        events = GaugeMetricFamily(
            "jiebang_projection_lag_events",
            "Events recorded that the read model has not applied yet",
            labels=["model"],
        )
        for name, position in sorted(positions.items()):
            events.add_metric([name], max(0, head - position))
        yield events
        lowest = min(positions.values(), default=head)
        age = oldest_unapplied_age(jiebang, lowest) if lowest < head else 0.0
        yield GaugeMetricFamily(
            "jiebang_projection_lag_seconds",
            "Age of the oldest event some read model has not applied yet (0: all current)",
            value=age,
        )

    def _audit(self) -> Iterator[Metric]:
        last = RawStore(self.settings).last_checkpoint()
        if last is not None:
            position, taken_at = last
            yield GaugeMetricFamily(
                "jiebang_audit_checkpoint_age_seconds",
                "Seconds since the last signed checkpoint was taken",
                value=max(0.0, time.time() - datetime.fromisoformat(taken_at).timestamp()),
            )
            yield GaugeMetricFamily(
                "jiebang_audit_checkpoint_position",
                "Position the last signed checkpoint covers",
                value=position,
            )
        verified = last_verification(
            self.settings.audit_verification_file, store_identity(self.settings.database_url)
        )
        if verified is not None:
            yield GaugeMetricFamily(
                "jiebang_audit_verification_intact",
                "1 if the last `jiebang audit verify` found the log intact, 0 if damaged",
                value=1 if verified.intact else 0,
            )
            yield GaugeMetricFamily(
                "jiebang_audit_verification_timestamp_seconds",
                "When the last verification ran (seconds since the epoch)",
                value=verified.verified_at,
            )
            yield GaugeMetricFamily(
                "jiebang_audit_verification_position",
                "Position the last verification reached",
                value=verified.position,
            )


def install_metrics(app: FastAPI, settings: Settings) -> None:
    """Instrument the app's requests and serve ``/metrics`` (unless turned off)."""
    if not settings.metrics_enabled:
        return
    # One registry per app for what belongs to it (several apps may live in one process, as
    # in tests); the process-wide registry holds the command and projection counters.
    own = CollectorRegistry()
    Instrumentator(
        should_group_status_codes=False,
        excluded_handlers=["/metrics"],
        registry=own,
    ).instrument(app)
    own.register(StateCollector(app, settings))
    token = settings.metrics_token

    def metrics(request: Request) -> Response:  # sync: the collector reads the database
        if token is not None:
            scheme, _, sent = request.headers.get("authorization", "").partition(" ")
            expected = token.get_secret_value()
            # The scheme's case does not matter (RFC 9110 §11.1); the token's does.
            if scheme.lower() != "bearer" or not secrets.compare_digest(
                sent.strip().encode(), expected.encode()
            ):
                return problem_response(
                    request,
                    401,
                    "unauthenticated",
                    "The metrics token is required",
                    "send Authorization: Bearer <JIEBANG_METRICS_TOKEN>",
                    headers={"WWW-Authenticate": "Bearer"},
                )
        body = generate_latest(REGISTRY) + generate_latest(own)
        return Response(body, media_type=CONTENT_TYPE)

    app.add_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
