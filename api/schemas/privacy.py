"""Personal information: the erasure's body and the data subject's report."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import CommandIn, ReceiptOut, Text


class ErasureIn(CommandIn):
    """Erase a data subject's personal information; ``reason`` is mandatory and recorded."""

    legal_ground: Text = Field(
        default="",
        description="R-RETENTION: erase before the retention period ends on this legal ground "
        "(PIPL art. 47), recorded with the erasure",
    )


class ErasureReceiptOut(ReceiptOut):
    """The erasure's receipt, with what it made unreadable and what it could not shred."""

    encrypted_records: int = Field(description="records whose fields are now unreadable")
    retention: str = Field(description="the retention rule applied, as recorded")
    legacy_plaintext_not_shredded: list[str] = Field(
        description="records an earlier release holds in clear: shredding them would mean "
        "rewriting the sealed log, which the record forbids"
    )


class PersonalRecordOut(BaseModel):
    position: int
    aggregate: str
    aggregate_id: str
    version: int
    event: str
    field: str
    kind: str
    form: str = Field(description="encrypted, erased, or clear (legacy): recorded in clear")
    value: str = Field(description="the plaintext where still readable; empty once erased")
    recorded_at: str


class ErasureOut(BaseModel):
    erased_at: str
    by: str
    reason: str
    legal_ground: str
    retention: str
    legacy_records: list[str]


class SubjectReportOut(BaseModel):
    """Every record holding the subject's personal information (PIPL art. 45)."""

    subject_id: str
    law: str
    records: list[PersonalRecordOut]
    legacy_plaintext: list[str] = Field(
        description="records an earlier release holds in clear: erasure cannot shred them"
    )
    erasure: ErasureOut | None
