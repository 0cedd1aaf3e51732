"""The read models, one module each; ``ALL`` in the order they are listed to users."""

from __future__ import annotations

from collections.abc import Sequence

from projections.model import ReadModel
from projections.models.audit_index import AuditIndex
from projections.models.catalogue import Catalogue
from projections.models.ledger import Ledger
from projections.models.panels import Panels
from projections.models.pipeline import Pipeline
from projections.models.portfolio import Portfolio
from projections.models.public_listing import PublicListing

MODEL_CLASSES: tuple[type[ReadModel], ...] = (
    Catalogue,
    PublicListing,
    Pipeline,
    Panels,
    Portfolio,
    Ledger,
    AuditIndex,
)
NAMES = tuple(cls.name for cls in MODEL_CLASSES)


def build(names: Sequence[str] | None = None) -> list[ReadModel]:
    """Fresh instances of the named models (all when none are named)."""
    wanted = list(names) if names else list(NAMES)
    unknown = [n for n in wanted if n not in NAMES]
    if unknown:
        raise ValueError(f"unknown read model(s) {', '.join(unknown)}; known: {', '.join(NAMES)}")
    return [cls() for cls in MODEL_CLASSES if cls.name in wanted]
