"""The read models, one module each; ``MODEL_CLASSES`` in the order they are listed to users."""

from __future__ import annotations

from collections.abc import Sequence

from jiebang_es.config import Settings
from jiebang_es.domain.working_days import WorkingDayCalendar
from projections.compliance.check import CheckSettings
from projections.compliance.model import Compliance
from projections.model import ReadModel
from projections.models.audit_index import AuditIndex
from projections.models.catalogue import Catalogue
from projections.models.demands import Demands
from projections.models.ledger import Ledger
from projections.models.panels import Panels
from projections.models.pipeline import Pipeline
from projections.models.portfolio import Portfolio
from projections.models.public_listing import PublicListing

MODEL_CLASSES: tuple[type[ReadModel], ...] = (
    Catalogue,
    Demands,
    PublicListing,
    Pipeline,
    Panels,
    Portfolio,
    Ledger,
    AuditIndex,
    Compliance,
)
NAMES = tuple(cls.name for cls in MODEL_CLASSES)
# The read models that show personal fields (experts' and project leaders' names): rebuilt after
# an erasure, so that they show "已删除" where the destroyed key made a field unreadable.
PERSONAL = (Panels.name, PublicListing.name)


def check_settings(settings: Settings) -> CheckSettings:
    """What the compliance checker takes from the configuration."""
    return CheckSettings(
        industries=tuple(settings.industries),
        district_code=settings.district_code,
        forbidden_conditions=tuple(settings.forbidden_solver_conditions),
        commitment_min_ratio=settings.eu_commitment_min_ratio,
        notice_working_days=settings.notice_working_days,
        credit_max_age_days=settings.credit_max_age_days,
        calendar=WorkingDayCalendar.load(settings.holiday_schedule),
        # Whether or not the command guard refuses (JIEBANG_EVIDENCE_REQUIRED), the report
        # shows a step without the papers it requires.
        evidence_kinds=dict(settings.evidence_kinds),
    )


def build(names: Sequence[str] | None = None, settings: Settings | None = None) -> list[ReadModel]:
    """Fresh instances of the named models (all when none are named)."""
    wanted = list(names) if names else list(NAMES)
    unknown = [n for n in wanted if n not in NAMES]
    if unknown:
        raise ValueError(f"unknown read model(s) {', '.join(unknown)}; known: {', '.join(NAMES)}")
    built: list[ReadModel] = []
    for cls in MODEL_CLASSES:
        if cls.name not in wanted:
            continue
        if cls is Compliance:
            built.append(Compliance(check_settings(settings) if settings else None))
        else:
            built.append(cls())
    return built
