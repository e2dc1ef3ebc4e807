"""Server-rendered SVG charts for the dashboard: pure functions from plain figures to markup.

No JavaScript and nothing fetched from elsewhere: each chart is an ``<svg role="img">`` with a
``<title>`` and ``<desc>`` for screen readers, a visible title, a label for every bar and the
figure itself printed on the bar, so a chart reads the same on screen, on paper and aloud.
Every text is escaped here, which is why callers may mark the result safe.

Public interface
----------------
Bar(label, value, color=BAR_COLOR, note="")          one bar; ``note`` follows the figure (灯色)
Segment(label, value, color)                          one part of a stacked bar
bar_chart(*, chart_id, title, bars, suffix="", description="") -> str
    horizontal bars scaled to the largest value, the figure (+ suffix) at each bar's end
progress_chart(*, chart_id, title, bars, reference, reference_label, description="") -> str
    percentages as horizontal bars on a 0–100 % axis (wider when a value exceeds 100) with a
    dashed vertical line at ``reference`` (the year's 时间进度)
stacked_chart(*, chart_id, title, rows, legend, description="") -> str
    rows of (label, [Segment, …]) as stacked bars with each count printed in its segment
format_figure(value) -> str                           Decimal/int as published: 93.46, 100, 0.5
LIGHT_COLORS, STATUS_COLORS, GRADE_COLORS            the palettes the dashboard uses

Pixel positions are floats: they only place shapes. Every figure printed comes from the
``Decimal`` or ``int`` it was given, through :func:`format_figure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from projects.numbers import PLAIN
from projects.numbers import figure as figure_text

WIDTH = 720
LABEL_WIDTH = 210
VALUE_WIDTH = 110
ROW_HEIGHT = 28
BAR_HEIGHT = 18
TOP = 40
BOTTOM = 28
LABEL_CHARS = 14

BAR_COLOR = "#417690"  # the admin's blue
LIGHT_COLORS = {
    "green": "#2e7d32",
    "yellow": "#f9a825",
    "red": "#c62828",
    "blue": "#1565c0",
    "none": "#9e9e9e",
}
STATUS_COLORS = {
    "draft": "#9e9e9e",
    "unit_review": "#6a1b9a",
    "submitted": "#1565c0",
    "dept_approved": "#00838f",
    "approved": "#2e7d32",
    "returned": "#c62828",
    "superseded": "#bdbdbd",
}
GRADE_COLORS = {
    "excellent": "#2e7d32",
    "good": "#1565c0",
    "fair": "#f9a825",
    "poor": "#c62828",
}
TEXT_COLOR = "#333"
EMPTY_TEXT = "暂无数据"


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | int
    color: str = BAR_COLOR
    note: str = ""


@dataclass(frozen=True)
class Segment:
    label: str
    value: int
    color: str


def format_figure(value: Decimal | int | None) -> str:
    """A figure as people write it: no exponent, no trailing zeros (100.00 → 100)."""
    return figure_text(value, PLAIN)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _svg_open(chart_id: str, title: str, description: str, height: float) -> list[str]:
    ident = escape(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{ident}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" style="max-width:{WIDTH}px" font-size="12" '
        f'font-family="sans-serif" fill="{TEXT_COLOR}">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description or title)}</desc>',
        f'<text x="0" y="18" font-size="14" font-weight="bold" class="chart-title">'
        f"{escape(title)}</text>",
    ]


def _empty(chart_id: str, title: str, description: str) -> str:
    parts = _svg_open(chart_id, title, description or f"{title}：{EMPTY_TEXT}", 70)
    parts.append(f'<text x="0" y="52" class="chart-empty">{EMPTY_TEXT}</text></svg>')
    return "".join(parts)


def _label(y: float, label: str) -> str:
    """A row label, cut to fit; the full text stays available as its tooltip."""
    return (
        f'<text x="{LABEL_WIDTH - 8}" y="{y:.1f}" text-anchor="end" class="bar-label">'
        f"<title>{escape(label)}</title>{escape(_short(label))}</text>"
    )


def _describe(bars: Sequence[Bar], suffix: str) -> str:
    return "；".join(
        f"{bar.label} {format_figure(bar.value)}{suffix}{bar.note and '（' + bar.note + '）'}"
        for bar in bars
    )


def bar_chart(
    *,
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    suffix: str = "",
    description: str = "",
) -> str:
    """Horizontal bars, longest = the largest value, each with its figure printed after it."""
    if not bars:
        return _empty(chart_id, title, description)
    largest = max((Decimal(bar.value) for bar in bars), default=Decimal(0))
    area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = TOP + ROW_HEIGHT * len(bars) + 8
    parts = _svg_open(chart_id, title, description or f"{title}：{_describe(bars, suffix)}", height)
    for index, bar in enumerate(bars):
        top = TOP + index * ROW_HEIGHT
        middle = top + BAR_HEIGHT / 2 + 4
        length = float(Decimal(bar.value) / largest) * area if largest > 0 else 0.0
        figure = f"{format_figure(bar.value)}{suffix}"
        text = f"{bar.label}：{figure}{bar.note and '（' + bar.note + '）'}"
        parts += [
            _label(middle, bar.label),
            f'<rect x="{LABEL_WIDTH}" y="{top:.1f}" width="{length:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{escape(bar.color)}" class="bar"><title>{escape(text)}</title></rect>',
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{middle:.1f}" class="bar-value">'
            f"{escape(figure)}{escape(bar.note and ' ' + bar.note)}</text>",
        ]
    parts.append("</svg>")
    return "".join(parts)


def progress_chart(
    *,
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    reference: Decimal,
    reference_label: str,
    description: str = "",
) -> str:
    """Percentages against a reference line (执行率 against 时间进度), on a 0–100 % axis."""
    if not bars:
        return _empty(chart_id, title, description)
    top_value = max([Decimal(100), reference, *(Decimal(bar.value) for bar in bars)])
    area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = TOP + ROW_HEIGHT * len(bars) + BOTTOM

    def x_of(value: Decimal) -> float:
        return LABEL_WIDTH + float(max(value, Decimal(0)) / top_value) * area

    reference_text = f"{reference_label} {format_figure(reference)}%"
    parts = _svg_open(
        chart_id,
        title,
        description or f"{title}（{reference_text}）：{_describe(bars, '%')}",
        height,
    )
    bottom = TOP + ROW_HEIGHT * len(bars)
    for tick in (Decimal(0), Decimal(50), Decimal(100)):
        x = x_of(tick)
        parts += [
            f'<line x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{bottom:.1f}" '
            'stroke="#ddd" stroke-width="1"/>',
            f'<text x="{x:.1f}" y="{bottom + 16:.1f}" text-anchor="middle" class="axis-label">'
            f"{format_figure(tick)}%</text>",
        ]
    for index, bar in enumerate(bars):
        top = TOP + index * ROW_HEIGHT
        middle = top + BAR_HEIGHT / 2 + 4
        end = x_of(Decimal(bar.value))
        figure = f"{format_figure(bar.value)}%"
        text = f"{bar.label}：{figure}{bar.note and '（' + bar.note + '）'}"
        parts += [
            _label(middle, bar.label),
            f'<rect x="{LABEL_WIDTH}" y="{top:.1f}" width="{end - LABEL_WIDTH:.1f}" '
            f'height="{BAR_HEIGHT}" fill="{escape(bar.color)}" class="bar">'
            f"<title>{escape(text)}</title></rect>",
            f'<text x="{end + 6:.1f}" y="{middle:.1f}" class="bar-value">'
            f"{escape(figure)}{escape(bar.note and ' ' + bar.note)}</text>",
        ]
    x = x_of(reference)
    parts += [
        f'<line x1="{x:.1f}" y1="{TOP - 8}" x2="{x:.1f}" y2="{bottom + 2:.1f}" stroke="#000" '
        'stroke-width="1.5" stroke-dasharray="5 3" class="reference-line">'
        f"<title>{escape(reference_text)}</title></line>",
        f'<text x="{x:.1f}" y="{TOP - 11}" text-anchor="middle" class="reference-label">'
        f"{escape(reference_text)}</text>",
    ]
    parts.append("</svg>")
    return "".join(parts)


def stacked_chart(
    *,
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, Sequence[Segment]]],
    legend: Sequence[tuple[str, str]],
    description: str = "",
) -> str:
    """One stacked bar per row (lights of a monitoring round), counts printed in the segments."""
    rows = [(label, [s for s in segments if s.value > 0]) for label, segments in rows]
    rows = [(label, segments) for label, segments in rows if segments]
    if not rows:
        return _empty(chart_id, title, description)
    largest = max(sum(s.value for s in segments) for _, segments in rows)
    area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = TOP + ROW_HEIGHT * len(rows) + BOTTOM
    summary = "；".join(
        f"{label}：" + "，".join(f"{s.label} {s.value}" for s in segments)
        for label, segments in rows
    )
    parts = _svg_open(chart_id, title, description or f"{title}：{summary}", height)
    for index, (label, segments) in enumerate(rows):
        top = TOP + index * ROW_HEIGHT
        middle = top + BAR_HEIGHT / 2 + 4
        x = float(LABEL_WIDTH)
        parts.append(_label(middle, label))
        for segment in segments:
            length = segment.value / largest * area
            parts += [
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{length:.1f}" height="{BAR_HEIGHT}" '
                f'fill="{escape(segment.color)}" class="bar">'
                f"<title>{escape(label)} {escape(segment.label)}：{segment.value}</title></rect>",
                f'<text x="{x + length / 2:.1f}" y="{middle:.1f}" text-anchor="middle" '
                f'fill="#fff" font-weight="bold" class="bar-value">{segment.value}</text>',
            ]
            x += length
        total = sum(s.value for s in segments)
        parts.append(f'<text x="{x + 6:.1f}" y="{middle:.1f}" class="bar-total">共 {total}</text>')
    legend_y = TOP + ROW_HEIGHT * len(rows) + 14
    x = float(LABEL_WIDTH)
    for label, color in legend:
        parts += [
            f'<rect x="{x:.1f}" y="{legend_y - 10}" width="12" height="12" '
            f'fill="{escape(color)}"/>',
            f'<text x="{x + 16:.1f}" y="{legend_y}" class="legend">{escape(label)}</text>',
        ]
        x += 24 + 13 * len(label)
    parts.append("</svg>")
    return "".join(parts)
