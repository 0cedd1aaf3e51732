"""Server-rendered SVG bar charts: no script, no library from elsewhere, readable by a screen
reader (a title and description in the SVG, and the same numbers in a table beside it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

PALETTE = ("#8b0000", "#0b4f9c", "#2e7d32", "#6a1b9a")  # contrast ≥ 4.5:1 on white
ROW = 22
LABEL_WIDTH = 150
BAR_WIDTH = 360
VALUE_WIDTH = 130


@dataclass(frozen=True)
class Group:
    """One label (a year, a step) with one value per series."""

    label: str
    values: Sequence[float]


def bar_chart(
    ident: str, title: str, series: Sequence[str], groups: Sequence[Group], unit: str = ""
) -> str:
    """Horizontal grouped bars, one group per label, scaled to the largest value."""
    largest = max((v for g in groups for v in g.values), default=0.0) or 1.0
    legend_height = ROW
    height = legend_height + sum(ROW * len(series) + 10 for _ in groups) + 10
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{ident}-t {ident}-d">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(_describe(series, groups, unit))}</desc>',
    ]
    x = LABEL_WIDTH
    for i, name in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="15" font-size="13">{escape(name)}</text>')
        x += 20 + 14 * len(name) + 20
    y = legend_height + 6
    for g in groups:
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + ROW * len(series) / 2 + 4}" '
            f'font-size="13" text-anchor="end">{escape(g.label)}</text>'
        )
        for i, value in enumerate(g.values):
            length = BAR_WIDTH * value / largest
            colour = PALETTE[i % len(PALETTE)]
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{length:.1f}" '
                f'height="{ROW - 6}" fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + ROW - 8}" '
                f'font-size="12">{_number(value)}{escape(unit)}</text>'
            )
            y += ROW
        y += 10
    parts.append("</svg>")
    return "".join(parts)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _describe(series: Sequence[str], groups: Sequence[Group], unit: str) -> str:
    return "；".join(
        f"{g.label}："
        + "，".join(f"{s} {_number(v)}{unit}" for s, v in zip(series, g.values, strict=True))
        for g in groups
    )
