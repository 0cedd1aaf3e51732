"""The PDF of a written document (fpdf2), where a font for Chinese is at hand.

The PDF is laid out from the same template lines as the DOCX (``writer.lines``). A font is used
only when it has a glyph for every character of the text: without one, the bureau gets the DOCX
alone and is told why — never a PDF with missing characters. The font is ``JIEBANG_PDF_FONT``
(``FILE`` or ``FILE#FACE``), else the one fontconfig names for Chinese serif text
(``fc-match serif:lang=zh-cn``), else the Noto CJK files Debian's fonts-noto-cjk installs.
Like the DOCX, the bytes are deterministic (a fixed creation date), so writing twice keeps one.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont  # fpdf2's own font reader
from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos

# Debian's fonts-noto-cjk: in each .ttc the faces are JP, KR, SC, TC, HK; 2 is Simplified Chinese.
KNOWN_FONTS = (
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
)
CREATED = datetime(2000, 1, 1, tzinfo=UTC)  # no clock in the bytes
SIZES = {0: 18.0, 1: 13.5, 2: 11.0}  # title, heading, paragraph (pt)


@dataclass(frozen=True)
class Font:
    path: Path
    face: int

    def __str__(self) -> str:
        return f"{self.path}#{self.face}"


@dataclass(frozen=True)
class FontChoice:
    """The font the PDFs are written with, or why there is none."""

    font: Font | None
    reason: str = ""


def choose_font(setting: str) -> FontChoice:
    """The configured font, or the one found; with the reason when there is none."""
    value = setting.strip()
    if value.lower() == "none":
        return FontChoice(None, "JIEBANG_PDF_FONT=none: the documents are written as DOCX only")
    if value:
        name, _, face = value.partition("#")
        if not Path(name).is_file():
            return FontChoice(None, f"JIEBANG_PDF_FONT names no font file: {name}")
        return FontChoice(Font(Path(name), int(face) if face.isdigit() else 0))
    found = _fc_match() or next(
        (Font(Path(p), i) for p, i in KNOWN_FONTS if Path(p).is_file()), None
    )
    if found is None:
        return FontChoice(None, "no font for Chinese is installed (e.g. fonts-noto-cjk)")
    return FontChoice(found)


def _fc_match() -> Font | None:
    """The font fontconfig picks for Chinese serif text (it may be one without Chinese: the
    glyph check decides)."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    done = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
        [fc_match, "-f", "%{file}\n%{index}", "serif:lang=zh-cn"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    file, _, index = done.stdout.partition("\n")
    if done.returncode != 0 or not Path(file).is_file():
        return None
    return Font(Path(file), int(index) if index.strip().isdigit() else 0)


@lru_cache(maxsize=4)
def _characters(font: Font) -> frozenset[int]:
    """The code points the font has glyphs for."""
    with TTFont(font.path, fontNumber=font.face, lazy=True) as tt:
        return frozenset(tt.getBestCmap() or {})


def missing_glyphs(font: Font, text: str) -> str:
    """The characters of ``text`` (spaces aside) the font cannot draw."""
    try:
        have = _characters(font)
    except Exception as e:  # any unreadable font means: no PDF, and why
        return f"(the font cannot be read: {e})"
    return "".join(sorted({c for c in text if not c.isspace() and ord(c) not in have}))


def render_pdf(lines: Sequence[tuple[int, str]], font: Font) -> bytes:
    """A4 pages of ``lines`` (level 0 a title, 1 a heading, 2 a paragraph) in ``font``."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(CREATED)
    pdf.set_creator("jiebang_es")
    pdf.set_author("区科技局")
    pdf.set_title(next((text for level, text in lines if level == 0), ""))
    pdf.set_lang("zh-CN")  # screen readers and search read the text as Chinese
    pdf.set_margins(25, 25, 25)
    pdf.set_auto_page_break(True, margin=25)
    pdf.add_font("cjk", "", str(font.path), collection_font_number=font.face)
    pdf.add_page()
    for level, text in lines:
        size = SIZES[level]
        pdf.set_font("cjk", size=size)
        if level < 2:
            pdf.ln(size * 0.35)
        pdf.multi_cell(
            0,
            size * 0.6,
            text,
            align=Align.C if level == 0 else Align.L,
            wrapmode=WrapMode.CHAR,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.ln(size * 0.2)
    return bytes(pdf.output())
