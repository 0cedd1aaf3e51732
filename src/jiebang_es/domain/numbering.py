"""区级科研项目编号: the counter that gives each project entering district management its number.

One counter aggregate per year, with a deterministic id, saved in the same transaction as the
project it numbers. Two commands that number projects at the same time both load version N of
the year's counter and both try to record version N+1: the store accepts one and refuses the
other (a concurrent write, retried by the caller), so no number is ever given twice.
"""

from __future__ import annotations

from dataclasses import replace
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from jiebang_es.domain.base import JiebangAggregate
from jiebang_es.domain.values import Audit
from jiebang_es.errors import InvalidValueError


class DistrictNumbering(JiebangAggregate):
    """The year's sequence of district project numbers (纳入区级科研项目管理)."""

    class Opened(JiebangAggregate.Created):
        year: int

    @event(Opened)
    def __init__(self, audit: Audit, year: int) -> None:
        self.year = year
        self.last = 0
        self.numbers: dict[str, str] = {}  # project id -> number

    @staticmethod
    def create_id(year: int) -> UUID:
        """One counter per year, found by the year."""
        return uuid5(NAMESPACE_URL, f"jiebang:district-numbering:{year}")

    class NumberIssued(JiebangAggregate.Event):
        project_id: str
        sequence: int
        number: str

    def issue(self, audit: Audit, project_id: str, number_format: str) -> str:
        """The year's next number for the project (the same project never gets two)."""
        if project_id in self.numbers:
            return self.numbers[project_id]
        # The sequence follows commit order, not business time: a number issued for a decision
        # that took effect earlier than the counter's last (a clock a little behind, a rehearsal
        # moving its simulated clock) is recorded at the counter's time, so that the counter's
        # own history never runs backwards (R-ORDER); the project's event keeps the decision's.
        audit = replace(audit, effective_at=max(audit.effective_at, self.effective_at))
        sequence = self.last + 1
        number = format_number(number_format, self.year, sequence)
        if number in self.numbers.values():
            raise InvalidValueError(
                "district_number_format", f"the format gives {number} twice; it must use {{seq}}"
            )
        self._number_issued(audit=audit, project_id=project_id, sequence=sequence, number=number)
        return number

    @event(NumberIssued)
    def _number_issued(self, audit: Audit, project_id: str, sequence: int, number: str) -> None:
        self.last = sequence
        self.numbers = {**self.numbers, project_id: number}


def format_number(number_format: str, year: int, sequence: int) -> str:
    """``{year}`` and ``{seq}`` (with a format spec, e.g. ``{seq:03d}``) in the configured
    format; any other placeholder is a configuration error."""
    try:
        return number_format.format(year=year, seq=sequence)
    except (KeyError, IndexError, ValueError) as e:
        raise InvalidValueError(
            "district_number_format", f"{number_format!r} is not a number format: {e}"
        ) from None
