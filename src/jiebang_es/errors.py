"""The error tree of jiebang_es. Every refusal is one of these, and none records anything.

JiebangError
├── RuleViolationError          a rule of RULES.md refuses the command (carries rule_id)
│   ├── ExceptionReasonRequiredError   an in-principle rule needs a written justification
│   └── NotPermittedError       the actor's role or organisation may not do this
├── InvalidValueError           a value is malformed (names the field)
├── NotFoundError               no such demand, challenge, application, project or expert
├── ConflictError               optimistic concurrency
│   ├── StaleVersionError       the expected version is not the current one
│   ├── ConcurrentWriteError    another command wrote the aggregate first
│   └── DuplicateRequestError   another request with the same idempotency key was recorded
├── CalendarNotCoveredError     the holiday calendar does not know a date's year
└── StoreUnavailableError       unreachable, read-only or full (``fault``); when unreachable a
                                command may or may not have been recorded
"""

from __future__ import annotations


class JiebangError(Exception):
    """Base of every error the application raises on purpose."""


class RuleViolationError(JiebangError):
    """A command breaks a rule of the plan; ``rule_id`` is its id in RULES.md."""

    def __init__(self, rule_id: str, message: str) -> None:
        super().__init__(f"{rule_id}: {message}")
        self.rule_id = rule_id
        self.message = message


class ExceptionReasonRequiredError(RuleViolationError):
    """An in-principle (原则上) rule is departed from without an ``exception_reason``."""


class NotPermittedError(RuleViolationError):
    """The actor's role or organisation is not the one the plan gives this step to."""


class InvalidValueError(JiebangError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFoundError(JiebangError):
    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"no {kind} with id {ident}")
        self.kind = kind
        self.ident = str(ident)


class ConflictError(JiebangError):
    def __init__(self, aggregate_id: object, message: str) -> None:
        super().__init__(message)
        self.aggregate_id = str(aggregate_id)


class StaleVersionError(ConflictError):
    def __init__(self, aggregate_id: object, expected: int, actual: int) -> None:
        super().__init__(
            aggregate_id,
            f"{aggregate_id} is at version {actual}, the command expected version {expected}",
        )
        self.expected = expected
        self.actual = actual


class ConcurrentWriteError(ConflictError):
    def __init__(self, aggregate_id: object) -> None:
        super().__init__(
            aggregate_id, f"{aggregate_id} was changed by another command at the same time; retry"
        )


class DuplicateRequestError(ConflictError):
    """A request with the same idempotency key was recorded first; replay its receipt."""

    def __init__(self, aggregate_id: object, key: str) -> None:
        self.key = key
        super().__init__(aggregate_id, f"a request with idempotency key {key!r} came first")


class CalendarNotCoveredError(JiebangError):
    def __init__(self, year: int, known: str) -> None:
        super().__init__(
            f"the working-day calendar does not know {year} ({known}); load the State Council's "
            f"announced {year} holiday schedule with JIEBANG_HOLIDAY_SCHEDULE"
        )
        self.year = year


class StoreUnavailableError(JiebangError):
    """The event store cannot take the command: unreachable, read-only or full (``fault``, a
    ``StoreFault`` value) — said as it is, since an operator acts differently on each. When it
    is unreachable a command may still have been recorded (its COMMIT sent, the answer lost):
    the caller retries with the same Idempotency-Key."""

    def __init__(self, message: str, fault: str = "unreachable") -> None:
        super().__init__(message)
        self.fault = fault


class DocumentRefusedError(InvalidValueError):
    """An upload refused before anything is kept: empty (422), too large (413), or not an
    accepted format, or not the format it claims (415)."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(field, message)
        self.status = status
