"""The accepted formats, recognised by their content, never by a name or a declared type."""

from __future__ import annotations

import zipfile
from pathlib import Path

PDF = "application/pdf"
OFD = "application/ofd"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG = "image/png"
JPEG = "image/jpeg"
ACCEPTED = (PDF, OFD, DOCX, XLSX, PNG, JPEG)
EXTENSIONS = {PDF: ".pdf", OFD: ".ofd", DOCX: ".docx", XLSX: ".xlsx", PNG: ".png", JPEG: ".jpg"}

# Office Open XML and OFD are zip packages: the member that defines each.
_ZIP_MARKERS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX), ("OFD.xml", OFD))


def sniff(path: Path) -> str | None:
    """The media type of the file's content, if it is one of the accepted formats."""
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as package:
                names = set(package.namelist())
        except zipfile.BadZipFile:
            return None
        for member, media_type in _ZIP_MARKERS:
            if member in names:
                return media_type
    return None


def declared_matches(declared: str | None, found: str) -> bool:
    """Whether a declared type (a Content-Type, say) agrees with the content; an absent or
    generic declaration agrees with anything."""
    if not declared:
        return True
    base = declared.split(";", 1)[0].strip().lower()
    # curl's --data-binary says x-www-form-urlencoded unless told otherwise: no claim either.
    return base in ("", "application/octet-stream", "application/x-www-form-urlencoded", found)


def is_multipart(declared: str | None) -> bool:
    """A form upload (multipart/form-data): the file is wrapped, not sent as the body."""
    return (declared or "").strip().lower().startswith("multipart/")
