"""The application service's machinery: one eventsourcing Application for every aggregate, the
audit metadata of each command, loading, saving, concurrency and store errors."""

from __future__ import annotations

import functools
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    JSONTranscoder,
    Mapper,
    Notification,
    PersistenceError,
    RecordConflictError,
    StoredEvent,
)
from eventsourcing.utils import Environment, EnvType, get_topic

from jiebang_es.config import Settings
from jiebang_es.crypto import CryptoMode
from jiebang_es.crypto.fields import field_cipher
from jiebang_es.crypto.store_mode import StoreMode, resolve
from jiebang_es.documents.evidence import DEFAULT_EVIDENCE, check_evidence
from jiebang_es.documents.store import DocumentStore, open_document_store
from jiebang_es.domain import rules
from jiebang_es.domain.base import JiebangAggregate
from jiebang_es.domain.challenge import Challenge
from jiebang_es.domain.expert import Expert
from jiebang_es.domain.values import (
    Actor,
    Audit,
    DocumentRef,
    ExpertOpinion,
    Role,
    RuleException,
)
from jiebang_es.domain.working_days import WorkingDayCalendar
from jiebang_es.errors import (
    ConcurrentWriteError,
    DuplicateRequestError,
    InvalidValueError,
    JiebangError,
    NotFoundError,
    NotPermittedError,
    RuleViolationError,
    StaleVersionError,
    StoreUnavailableError,
)
from jiebang_es.event_keys import (
    KEYED_TOPICS,
    KEYS_VERSION,
    UnreadableStateError,
    keys_of,
    keys_of_stored,
)
from jiebang_es.privacy.keys import SubjectKeys, open_subject_keys
from jiebang_es.recorders import (
    KEYS_TABLE,
    RequestToKeep,
    SaveNote,
    SealingPostgresRecorder,
    SealingRecorder,
    SealingSQLiteRecorder,
)
from jiebang_es.store_faults import StoreFault, fault_of
from jiebang_es.transcodings import register_domain_transcodings

# China has one time zone and no daylight saving: business dates are dates at UTC+8.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
log = structlog.get_logger("jiebang_es")
_KEYED_PAGE = 1000  # events read at a time by key, or by topic where keys are incomplete
DISK_FULL_MEMORY_SECONDS = 60.0

A = TypeVar("A", bound=JiebangAggregate)
P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="ServiceBase")


# The roles only the bureau's own staff hold (R-AUDIT-WHO, JIEBANG_BUREAU_CODE).
BUREAU_ROLES = (Role.BUREAU, Role.DATA_PROTECTION_OFFICER)


def in_china_time(value: datetime, field: str) -> datetime:
    """A point in time given with its zone, as China time; a clear error naming the field for a
    time without a zone or one that China time cannot express (before year 1)."""
    if value.tzinfo is None:
        raise InvalidValueError(field, "a point in time carries its time zone")
    try:
        return value.astimezone(CHINA_TZ)
    except OverflowError:
        raise InvalidValueError(field, "out of the range of dates") from None


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(CHINA_TZ)


@dataclass(frozen=True)
class CommandMeta:
    """What every command may carry besides its own arguments (DESIGN.md §4, §8)."""

    reason: str = ""
    request_id: str = ""
    correlation_id: str = ""
    causation_id: str = ""
    effective_at: datetime | None = None  # business time the decision took effect
    expected_version: int | None = None  # optimistic concurrency (If-Match)
    # Idempotency: kept with the events in one transaction; a second save with it is refused.
    idempotency_key: str | None = None
    request_fingerprint: str = ""
    # R-EVIDENCE: the documents the decision was taken on, kept on every event it records.
    documents: tuple[DocumentRef, ...] = ()


NO_META = CommandMeta()


@dataclass(frozen=True)
class Receipt:
    """What a command recorded: the aggregate, its new version, and the log position reached."""

    aggregate_id: str
    version: int
    position: int
    events: tuple[str, ...]
    seal: str = ""  # hex of the tamper-evidence seal of the last event recorded

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Receipt:
        return cls(
            aggregate_id=str(data["aggregate_id"]),
            version=int(data["version"]),
            position=int(data["position"]),
            events=tuple(data["events"]),
            seal=str(data["seal"]),
        )


@dataclass(frozen=True)
class StoredRequest:
    """A request recorded under an idempotency key: what it was, and what it recorded."""

    key: str
    fingerprint: str
    receipt: Receipt


# The meta of the command running in this context, so that saving can keep its idempotency
# key without every command passing it down.
_current_meta: ContextVar[CommandMeta | None] = ContextVar("jiebang_command_meta", default=None)
# The name of the command running, for R-EVIDENCE's requirements by command.
_current_command: ContextVar[str] = ContextVar("jiebang_command_name", default="")


class Preloaded:
    """One HTTP command's aggregates, loaded once (``ServiceBase.loading_once``).

    While ``filling``, the checks before the command (may this caller see it?) load aggregates
    and keep them here; then the command takes each of them once instead of reading it again.
    A second load of the same aggregate by the command reads the store, as without it."""

    def __init__(self) -> None:
        self.filling = True
        self.kept: dict[UUID, JiebangAggregate] = {}


_preloaded: ContextVar[Preloaded | None] = ContextVar("jiebang_preloaded", default=None)


COMMAND_NAMES: set[str] = set()  # every command of the service, as configuration names them


def command(
    method: Callable[Concatenate[S, P], R],
) -> Callable[Concatenate[S, P], R]:
    """Log every refusal with its rule id; the log is the only trace a refusal leaves."""
    COMMAND_NAMES.add(method.__name__)

    @functools.wraps(method)
    def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        meta = kwargs.get("meta")
        token = _current_meta.set(meta if isinstance(meta, CommandMeta) else NO_META)
        name_token = _current_command.set(method.__name__)
        try:
            if args and isinstance(args[0], Actor):
                self._check_actor(args[0])
            return method(self, *args, **kwargs)
        except JiebangError as e:
            actor = args[0] if args and isinstance(args[0], Actor) else None
            log.info(
                "command_refused",
                command=method.__name__,
                rule_id=getattr(e, "rule_id", None),
                error=type(e).__name__,
                detail=str(e),
                actor=actor.id if actor else None,
                role=actor.role.value if actor else None,
            )
            raise
        finally:
            _current_command.reset(name_token)
            _current_meta.reset(token)

    return wrapper


class TupleMapper(Mapper[UUID]):
    """JSON has no tuples: an event's sequences come back from the store as the tuples they
    were, so a stored event equals the one that was triggered."""

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        domain_event = super().to_domain_event(stored_event)
        state = domain_event.__dict__
        for name, value in state.items():
            if type(value) is list:
                state[name] = tuple(value)
        return domain_event


def check_version(agg: JiebangAggregate, meta: CommandMeta) -> None:
    """Optimistic concurrency: the command was decided on the version it expects."""
    if meta.expected_version is not None and meta.expected_version != agg.version:
        raise StaleVersionError(agg.id, meta.expected_version, agg.version)


def kind_of(cls: type[JiebangAggregate]) -> str:
    """What a refusal calls an aggregate class: ``BudgetEnvelope`` → ``budget envelope``; any
    aggregate (the audit routes' reads) → ``object``."""
    if cls is JiebangAggregate:
        return "object"
    return re.sub(r"(?<!^)(?=[A-Z])", " ", cls.__name__).lower()


class ServiceBase(Application[UUID]):
    def __init__(self, settings: Settings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or Settings()
        unknown = sorted(set(self.settings.evidence_kinds) - COMMAND_NAMES)
        if unknown:
            # A mistyped step would otherwise require nothing, silently.
            raise InvalidValueError(
                "JIEBANG_EVIDENCE_KINDS",
                f"names no command {unknown}: steps are named as the commands are, e.g. "
                f"{', '.join(sorted(DEFAULT_EVIDENCE))}",
            )
        self.clock: Clock = clock or SystemClock()
        self.calendar = WorkingDayCalendar.load(self.settings.holiday_schedule)
        # A full disk is seen only by a write that needs space, not by a probe that rolls
        # back: remembered until a write succeeds or for DISK_FULL_MEMORY_SECONDS.
        self.write_fault: tuple[StoreFault, float] | None = None
        with self._store_errors():
            super().__init__(env=self.settings.eventsourcing_env())
            self.crypto_mode: CryptoMode = self._open_crypto_mode()
        if isinstance(self.recorder, SealingSQLiteRecorder | SealingPostgresRecorder):
            self.recorder.enable_group_commit(self.settings.group_commit_max)
        self.documents: DocumentStore = open_document_store(self.settings, self.crypto_mode)
        recorder = self._sealing_recorder
        self.personal_keys: SubjectKeys = open_subject_keys(
            self.settings,
            recorder.datastore if isinstance(recorder, SealingPostgresRecorder) else None,
        )
        self.keys_complete = False  # whether every event of the log has its keys (event_keys)
        self._index_log_keys()

    def _open_crypto_mode(self) -> CryptoMode:
        """The store's cryptography (docs/cryptography.md): the one it records; a new store
        records the configured one before its first event; a setting that disagrees with the
        store is refused here, at startup, so that a store is never mixed."""
        recorder = self._sealing_recorder
        postgres = isinstance(recorder, SealingPostgresRecorder)
        modes = StoreMode(
            postgres=postgres,
            schema=recorder.datastore.schema if isinstance(recorder, SealingPostgresRecorder)
            else "public",
        )  # fmt: skip
        with recorder.datastore.transaction(commit=False) as cursor:
            recorded = modes.read(cursor)
        has_events = (recorder.max_notification_id() or 0) > 0
        mode = resolve(recorded, has_events, self.settings.crypto)
        if recorded is None and not has_events:
            with recorder.datastore.transaction(commit=True) as cursor:
                modes.record(cursor, mode)
                recorded = modes.read(cursor)
            mode = resolve(recorded, has_events, self.settings.crypto)
        recorder.crypto_mode = mode
        return mode

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only the settings configure the store: os.environ is deliberately not merged in.
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[UUID]:
        return TupleMapper(
            transcoder=self.construct_transcoder(),
            compressor=self.factory.compressor(),
            cipher=self.factory.cipher(),
        )

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(
            transcoder,
            keys=lambda: self.personal_keys,
            cipher=lambda: field_cipher(self.crypto_mode),
        )

    def _check_actor(self, actor: Actor) -> None:
        """R-AUDIT-WHO: nothing is recorded without a person, a role and an organisation; and
        where the bureau's code is configured, only its staff act as the bureau or as its
        data-protection officer."""
        if not actor.id.strip() or not actor.org_code.strip():
            raise RuleViolationError(
                "R-AUDIT-WHO", "every change names who made it: person id, role and organisation"
            )
        bureau = self.settings.bureau_code
        if (
            actor.role in BUREAU_ROLES
            and bureau
            and actor.org_code.strip().upper() != bureau.upper()
        ):
            raise NotPermittedError(
                "R-AUDIT-WHO", f"organisation {actor.org_code} is not the bureau ({bureau})"
            )

    # ---- audit metadata ----------------------------------------------------------------
    def _audit(
        self,
        actor: Actor,
        meta: CommandMeta,
        exceptions: tuple[RuleException, ...] = (),
        *,
        backdate: bool = False,
    ) -> Audit:
        """R-AUDIT-WHO: who, when (business and recording time) and why, for every event.

        Steps that record a decision taken earlier (a meeting, a signature on paper) may give
        its business time (``backdate``); every other step takes effect when it is recorded, so
        that no one can place an application inside a window that has closed.
        """
        self._check_actor(actor)
        recorded_at = datetime.now(CHINA_TZ)
        now = self.clock.now()
        effective_at = in_china_time(meta.effective_at or now, "effective_at")
        if meta.effective_at is not None and not backdate:
            raise InvalidValueError(
                "effective_at", "this step takes effect when it is recorded; it is not backdated"
            )
        if effective_at > now:
            raise InvalidValueError("effective_at", "a decision cannot take effect in the future")
        request_id = meta.request_id or uuid.uuid4().hex
        documents = self._evidence(meta.documents)
        return Audit(
            actor_id=actor.id.strip(),
            role=actor.role,
            org_code=actor.org_code.strip().upper(),
            reason=meta.reason.strip(),
            request_id=request_id,
            correlation_id=meta.correlation_id or request_id,
            causation_id=meta.causation_id or request_id,
            effective_at=effective_at,
            recorded_at=recorded_at,
            exceptions=exceptions,
            documents=documents,
        )

    def _evidence(self, documents: tuple[DocumentRef, ...]) -> tuple[DocumentRef, ...]:
        """R-EVIDENCE, for every command in one place: each document is one the store holds
        (its recorded type and size are the store's), and the step has the kinds it requires."""
        kept = tuple(self.documents.reference(d.digest, d.kind) for d in documents)
        if self.settings.evidence_required:
            check_evidence(_current_command.get(), kept, self.settings.evidence_kinds)
        return kept

    # ---- loading and saving --------------------------------------------------------------
    def _load(self, cls: type[A], ident: str | UUID, meta: CommandMeta = NO_META) -> A:
        """The current state of an aggregate, checked against the command's expected version."""
        agg = self._get(cls, ident)
        check_version(agg, meta)
        return agg

    def _get(self, cls: type[A], ident: str | UUID, version: int | None = None) -> A:
        kind = kind_of(cls)
        try:
            key = ident if isinstance(ident, UUID) else UUID(str(ident))
        except ValueError:
            raise NotFoundError(kind, ident) from None
        preloaded = _preloaded.get() if version is None else None
        kept = None
        if preloaded is not None and not preloaded.filling:
            kept = preloaded.kept.pop(key, None)
        if kept is not None:
            agg: JiebangAggregate = kept
        else:
            try:
                with self._store_errors():
                    agg = self.repository.get(key, version=version)
            except AggregateNotFoundError:
                raise NotFoundError(kind, ident) from None
            if preloaded is not None and preloaded.filling:
                preloaded.kept.setdefault(key, agg)
        if not isinstance(agg, cls):
            raise NotFoundError(kind, ident)
        return agg

    @staticmethod
    def preload_for_command() -> None:
        """From here on in this request's context, aggregates loaded are kept for its command."""
        _preloaded.set(Preloaded())

    @staticmethod
    def command_takes_preloaded() -> None:
        """The command starts: it takes the aggregates kept so far, each once."""
        preloaded = _preloaded.get()
        if preloaded is not None:
            preloaded.filling = False

    def _challenge_for(
        self, actor: Actor, challenge_id: str, meta: CommandMeta, rule_id: str, step: str
    ) -> Challenge:
        """A challenge the bureau, or its own end user, acts on."""
        challenge = self._load(Challenge, challenge_id, meta)
        rules.check_party(
            actor,
            [Role.BUREAU, Role.END_USER],
            rule_id,
            step,
            end_user_code=challenge.end_user.credit_code,
        )
        return challenge

    def _opinions(
        self, opinions: Sequence[tuple[str, str]], rule_id: str
    ) -> tuple[ExpertOpinion, ...]:
        """Experts' written opinions, each expert once, with the kind they are registered as."""
        if not opinions:
            raise RuleViolationError(rule_id, "an expert argumentation records experts' opinions")
        experts = [self._get(Expert, expert_id) for expert_id, _ in opinions]
        if len({e.id for e in experts}) != len(experts):
            raise InvalidValueError("opinions", "an expert is named twice")
        if any(not rules.said(text) for _, text in opinions):
            raise InvalidValueError("opinions", "every expert's opinion is recorded in writing")
        return tuple(
            ExpertOpinion(expert_id=str(e.id), kind=e.kind, opinion=text.strip())
            for e, (_, text) in zip(experts, opinions, strict=True)
        )

    def _check_not_end_users(
        self, recorded: Sequence[ExpertOpinion], end_user_code: str, what: str
    ) -> None:
        """R-CONFLICT: no expert of the challenge's own end user argues for it."""
        for opinion in recorded:
            expert = self._get(Expert, opinion.expert_id)
            if expert.org_code == end_user_code:
                raise RuleViolationError(
                    "R-CONFLICT",
                    f"expert {expert.person_id} is of the challenge's own end user "
                    f"({end_user_code}) and takes no part in {what}",
                )

    def _exists(self, key: UUID) -> bool:
        with self._store_errors():
            return key in self.repository

    def _save(self, primary: JiebangAggregate, *others: JiebangAggregate) -> Receipt:
        """Save every changed aggregate of one command in one transaction, with the seals of
        its events and, when the command carries one, its idempotency key."""
        meta = _current_meta.get() or NO_META
        names = tuple(type(e).__name__ for agg in (primary, *others) for e in agg.pending_events)
        # Saving empties the pending lists: keep the events to recognise them after a conflict.
        pending = [e for agg in (primary, *others) for e in agg.pending_events]
        note = SaveNote()
        if meta.idempotency_key:
            note.request = RequestToKeep(
                key=meta.idempotency_key,
                fingerprint=meta.request_fingerprint,
                receipt={
                    "aggregate_id": str(primary.id),
                    "version": primary.version,
                    "events": list(names),
                },
            )
        try:
            with self._store_errors(writing=True):
                recordings = self.save(primary, *others, note=note)
            self.write_fault = None
        except RecordConflictError:
            own = self._own_commit(primary, pending, names)
            if own is not None:
                self._keep_references(pending)
                return own
            if meta.idempotency_key and self.stored_request(meta.idempotency_key):
                raise DuplicateRequestError(primary.id, meta.idempotency_key) from None
            raise ConcurrentWriteError(primary.id) from None
        position = max((r.notification.id for r in recordings), default=0)
        self._keep_references(pending)
        return Receipt(
            aggregate_id=str(primary.id),
            version=primary.version,
            position=position,
            events=names,
            seal=note.seals[-1].seal.hex() if note.seals else "",
        )

    def _keep_references(self, events: Sequence[DomainEventProtocol[UUID]]) -> None:
        """Which aggregate each recorded document belongs to, for access to follow it.

        Written after the commit: the log stays the truth, and a reference lost to a crash
        between the two is found again by ``jiebang documents check`` (fail closed meanwhile:
        an unreferenced document is readable only by the bureau and its uploader)."""
        for e in events:
            if isinstance(e, JiebangAggregate.Event):
                owner = type(e).__qualname__.split(".")[0]
                for d in e.audit.documents:
                    self.documents.add_reference(d.digest, str(e.originator_id), owner, d.kind)

    def _own_commit(
        self,
        primary: JiebangAggregate,
        pending: Sequence[DomainEventProtocol[UUID]],
        names: tuple[str, ...],
    ) -> Receipt | None:
        """The receipt of this very command when the conflict is with its own commit.

        The library retries an insert whose acknowledgement was lost (the connection broke
        after COMMIT was sent); the retry then conflicts with the events its first attempt
        recorded. Those are ours when every event stored at our versions carries this command's
        request id and recording time (set once per command, in ``_audit``)."""
        if not pending:
            return None
        with self._store_errors():
            for event in pending:
                if not isinstance(event, JiebangAggregate.Event):
                    return None
                stored = list(
                    self.events.get(
                        event.originator_id,
                        gt=event.originator_version - 1,
                        lte=event.originator_version,
                    )
                )
                if not (
                    len(stored) == 1
                    and type(stored[0]) is type(event)
                    and isinstance(stored[0], JiebangAggregate.Event)
                    and stored[0].audit.request_id == event.audit.request_id
                    and stored[0].audit.recorded_at == event.audit.recorded_at
                ):
                    return None
            positions = [
                self._sealing_recorder.select_seal(str(e.originator_id), e.originator_version)
                for e in pending
            ]
        if any(p is None for p in positions):
            return None
        last = max((p for p in positions if p is not None), key=lambda p: p[0])
        log.warning("lost_acknowledgement_recognised", aggregate_id=str(primary.id))
        return Receipt(
            aggregate_id=str(primary.id),
            version=primary.version,
            position=last[0],
            events=names,
            seal=last[1].hex(),
        )

    def stored_request(self, key: str) -> StoredRequest | None:
        """The request recorded under an idempotency key, if any."""
        with self._store_errors():
            row = self._sealing_recorder.select_request(key)
        if row is None:
            return None
        fingerprint, receipt = row
        return StoredRequest(key, fingerprint, Receipt.from_dict(receipt))

    @property
    def _sealing_recorder(self) -> SealingRecorder:
        recorder = self.recorder
        if not isinstance(recorder, SealingSQLiteRecorder | SealingPostgresRecorder):
            raise TypeError(f"the store's recorder {type(recorder).__name__} does not seal")
        return recorder

    @contextmanager
    def _store_errors(self, *, writing: bool = False) -> Iterator[None]:
        """A store that cannot take the command is a 503, never a half-written change; the
        operator's log says why at error level (read-only, disk full, unreachable)."""
        try:
            yield
        except RecordConflictError:
            raise
        except PersistenceError as e:
            fault = fault_of(e)
            if writing and fault is StoreFault.DISK_FULL:
                self.write_fault = (fault, time.monotonic())
            log.error("store_unavailable", fault=fault.value, writing=writing, error=str(e))
            raise StoreUnavailableError(f"{fault.sentence}: {e}", fault.value) from e

    def probe_write(self) -> StoreFault | None:
        """Whether the store can take a write now: a row written and rolled back (None: it
        can). A write that failed for want of disk space since the last success counts."""
        try:
            with self._store_errors():
                self._sealing_recorder.probe_write()
        except StoreUnavailableError as e:
            return StoreFault(e.fault)
        if self.write_fault is not None:
            fault, seen = self.write_fault
            if time.monotonic() - seen < DISK_FULL_MEMORY_SECONDS:
                return fault
        return None

    # ---- the log's keys (event_keys.py) -----------------------------------------------------
    def _index_log_keys(self) -> None:
        """Record every event's keys from now on, where the keys table may be written; give
        them to every event of a store written before they existed (once, from its log). A
        store without them (tables not created, or an append-only role on a store whose owner
        has not given them yet) is read by topic."""
        recorder = self.recorder
        if not isinstance(recorder, SealingSQLiteRecorder | SealingPostgresRecorder):
            return  # a plain recorder (benchmarks' comparison): read by topic
        try:
            writable = recorder.keys_writable()
            if writable:
                recorder.event_keys = self._stored_keys
            if recorder.has_keys(KEYS_VERSION):
                if not writable:
                    # Others find events by their keys: saving any without would hide them.
                    raise StoreUnavailableError(
                        f"this role may not add to the store's {KEYS_TABLE} table: run "
                        "ops/postgres-harden.sh as the store's owner (docs/audit.md)",
                        StoreFault.READ_ONLY.value,
                    )
            elif not writable:
                log.warning("log_keys_unavailable", error=f"no {KEYS_TABLE} table to write",
                            fallback="read by topic")  # fmt: skip
                return
            else:
                indexed = self._give_keys(recorder)
                if indexed:
                    log.info("log_keys_indexed", events=indexed, version=KEYS_VERSION)
            self.keys_complete = True
        except PersistenceError as e:
            log.warning("log_keys_unavailable", error=str(e), fallback="read by topic")

    def _stored_keys(self, stored: StoredEvent) -> tuple[str, ...]:
        """The keys of an event about to be stored: whoever writes through the recorder (a
        command, a copy of a log, a benchmark's generator) records them with it. Read from
        the stored bytes as the verifier reads them (the event just encoded is not decoded
        again); bytes that reading cannot take are decoded by the mapper."""
        try:
            return keys_of_stored(stored.topic, stored.state)
        except UnreadableStateError:
            return keys_of(self.mapper.to_domain_event(stored))

    def _give_keys(self, recorder: SealingRecorder) -> int:
        """Record the keys of every keyed event of the log, page by page (kept once: events
        saved meanwhile have theirs already), then the keys' version; how many events."""
        indexed, start = 0, 1
        while True:
            page = recorder.select_notifications(start, _KEYED_PAGE, topics=KEYED_TOPICS)
            rows = [(k, n.id) for n in page for k in self._stored_keys(n)]
            done = len(page) < _KEYED_PAGE
            recorder.record_keys(rows, KEYS_VERSION if done else None)
            indexed += len(page)
            if done:
                return indexed
            start = page[-1].id + 1

    def keyed_events(
        self, key: str, cls: type[object] | tuple[type[object], ...], after: int = 0
    ) -> Iterator[tuple[int, DomainEventProtocol[UUID]]]:
        """The events of class ``cls`` (or of these classes) recorded under a key
        (event_keys.py) after a log position, with their positions, in log order; read by
        topic where the store's keys are incomplete. Each event is checked against the key:
        the key narrows, the event decides."""
        topics = [get_topic(c) for c in (cls if isinstance(cls, tuple) else (cls,))]
        start = after
        while True:
            page: Sequence[Notification]
            with self._store_errors():
                if self.keys_complete:  # only ever set for a sealing recorder
                    page = self._sealing_recorder.select_keyed(key, start, _KEYED_PAGE)
                else:
                    page = self.recorder.select_notifications(
                        start, _KEYED_PAGE, topics=topics, inclusive_of_start=False
                    )
            for notification in page:
                event = self.mapper.to_domain_event(notification)
                if isinstance(event, cls) and key in keys_of(event):
                    yield notification.id, event
            if len(page) < _KEYED_PAGE:
                return
            start = page[-1].id

    # ---- queries ---------------------------------------------------------------------------
    def events_of(self, ident: str | UUID) -> list[JiebangAggregate.Event]:
        """Every event of one aggregate, oldest first."""
        key = ident if isinstance(ident, UUID) else UUID(str(ident))
        with self._store_errors():
            return [e for e in self.events.get(key) if isinstance(e, JiebangAggregate.Event)]

    def state_at(
        self,
        cls: type[A],
        ident: str | UUID,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> A:
        """An aggregate as it was at a version, or as recorded by a date-time."""
        if as_of is None:
            return self._get(cls, ident, version=version)
        in_china_time(as_of, "as_of")
        events: list[JiebangAggregate.Event] = []
        # A prefix of the history: clocks of several hosts may disagree slightly, and the
        # state as of a time is the state after the last event recorded by then, in order.
        for e in self.events_of(ident):
            if e.audit.recorded_at > as_of or (
                version is not None and e.originator_version > version
            ):
                break
            events.append(e)
        agg: Any | None = None  # the library's mutate() builds the aggregate from its Created event
        for recorded in events:
            agg = recorded.mutate(agg)
        if not isinstance(agg, cls):
            raise NotFoundError(kind_of(cls), f"{ident} as of {as_of}")
        return agg

    def position(self) -> int:
        """The position (notification id) of the last recorded event."""
        with self._store_errors():
            return self.recorder.max_notification_id() or 0
