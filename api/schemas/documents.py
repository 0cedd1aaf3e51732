"""Documents (R-EVIDENCE): what the store answers about one, and what the bureau has written."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas.common import Shape
from jiebang_es.documents.store import StoredDocument
from jiebang_es.documents.writer import Written


class DocumentOut(BaseModel):
    """A stored document: its digest is its id; type, size and name as the store recognised."""

    digest: str = Field(description="SHA-256 of the exact bytes, hex; also the ETag")
    media_type: str
    size: int
    file_name: str
    kind: str

    @classmethod
    def of(cls, doc: StoredDocument) -> DocumentOut:
        return cls(
            digest=doc.digest,
            media_type=doc.media_type,
            size=doc.size,
            file_name=doc.file_name,
            kind=doc.kind,
        )


class WrittenOut(DocumentOut):
    """A written document as kept: the DOCX (these fields), and its PDF where a font for Chinese
    can draw every character of it; otherwise ``pdf`` is null and ``no_pdf`` says why."""

    pdf: DocumentOut | None = Field(description="the same text as PDF, when it could be written")
    no_pdf: str = Field(default="", description="why there is no PDF (empty when there is one)")

    @classmethod
    def written(cls, w: Written) -> WrittenOut:
        return cls(
            **DocumentOut.of(w.docx).model_dump(),
            pdf=None if w.pdf is None else DocumentOut.of(w.pdf),
            no_pdf=w.no_pdf,
        )


class WriteIn(Shape):
    """A document for the bureau to write from the record (DOCX, and PDF where a font for Chinese
    is at hand), then attach to its step.

    - ``guide``: the application guide of ``challenge_id`` for the window given;
    - ``demand_list``: the annual demand list of ``year`` naming ``challenge_ids``;
    - ``notice``: the public notice of ``project_id`` from ``starts_on`` (default today);
    - ``contract_draft``: the draft task contract of ``project_id`` from its drafted terms.
    """

    document: Literal["guide", "demand_list", "notice", "contract_draft"]
    challenge_id: Annotated[str, Field(max_length=64)] = ""
    project_id: Annotated[str, Field(max_length=64)] = ""
    challenge_ids: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=500)] = (
        Field(default_factory=list)
    )
    year: Annotated[int, Field(ge=2000, le=2100)] | None = None
    window_opens: AwareDatetime | None = None
    window_closes: AwareDatetime | None = None
    starts_on: date | None = None
