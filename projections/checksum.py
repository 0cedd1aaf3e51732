"""One digest per read model over its rows in a canonical order (the tracking table excluded),
so that live and rebuilt tables, or two runs over the same log, can be compared."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from projections.db import ReadDB
from projections.model import ReadModel
from projections.schema import canonical


def digest(db: ReadDB, model: ReadModel, suffix: str = "") -> str:
    """SHA-256 over every table of the model: its name, then each row ordered by key."""
    h = hashlib.sha256()
    for t in model.tables:
        h.update(f"table {t.name}\n".encode())
        types = {c.name: c.type for c in t.columns}
        for row in db.select_rows(t, suffix, ordered=True):
            line = [canonical(types[name], row[name]) for name in t.column_names]
            h.update(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode())
            h.update(b"\n")
    return h.hexdigest()


def digests(db: ReadDB, models: Sequence[ReadModel], suffix: str = "") -> dict[str, str]:
    """The digest of each model, by name."""
    return {m.name: digest(db, m, suffix) for m in models}
