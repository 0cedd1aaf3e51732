"""Personal information (个人信息, PIPL art. 4) in the record: one value type for every personal
datum an event carries, so that it is stored encrypted under its data subject's own key and can
be erased by destroying that key (crypto-shredding) while the sealed event stays.

The events carry a ``Personal`` where they name a person: an expert's name, a project leader's
name, an outside objector's name and contact details. The stored form is the subject's id and
the ciphertext (``transcodings.PersonalAsCiphertext``); the plaintext exists only in memory,
where the subject's key decrypts it. Events recorded before this release hold those fields as
plain text (``str``): they still decode, and ``jiebang privacy report`` lists them as legacy
plaintext that erasure cannot shred (see docs/personal-information.md).
"""

from __future__ import annotations

from dataclasses import dataclass

ERASED = "已删除"  # what an erased field reads as, everywhere
WITHHELD = "（加密）"  # a field read where no key store is at hand (an offline bundle)


@dataclass(frozen=True)
class Personal:
    """One personal datum of one data subject.

    ``value`` is the plaintext where the subject's key decrypted it, ``None`` where the key was
    destroyed (``erased``) or is not at hand. ``kind`` says what it is (name, contact…) and is
    bound into the ciphertext, so a token moved to another field does not decrypt."""

    subject_id: str
    kind: str
    value: str | None = None
    erased: bool = False

    def __str__(self) -> str:
        if self.value is not None:
            return self.value
        return ERASED if self.erased else WITHHELD


PersonalText = Personal | str
"""A personal field as events hold it: ``Personal``, or ``str`` recorded in clear by a release
before personal information was encrypted (legacy plaintext)."""


def shown(value: PersonalText | None) -> str:
    """The text a personal field reads as: the plaintext, "已删除" once erased, or the legacy
    plain text."""
    return "" if value is None else str(value)


def personal(value: PersonalText, subject_id: str, kind: str) -> PersonalText:
    """``value`` as a personal datum of ``subject_id``: legacy plain text copied into a new
    record is encrypted there under the subject its record derives (never recorded in clear
    again); an empty text stays empty."""
    if isinstance(value, Personal) or not value.strip():
        return value
    return Personal(subject_id=subject_id, kind=kind, value=value.strip())


# The data subjects' ids derive from the records that name them, so that a subject of a
# record written before this release is found by the same id (docs/personal-information.md).
def expert_subject(person_id: str) -> str:
    return f"expert:{person_id}"


def leader_subject(ident: str) -> str:
    """A project leader: named by an application (and the contract that grows from it), under a
    new id of their own; a leader recorded in clear by an earlier release under the id of the
    application that named them."""
    return f"leader:{ident}"


def objector_subject(objection_id: str) -> str:
    return f"objector:{objection_id}"
