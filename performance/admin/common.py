"""What several admin screens show alike: the light and grade badges and the one
``render_findings`` (the admin of reviewed and filled documents is ``documents``)."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join

from ..choices import Grade, Light

LIGHT_COLOURS = {
    Light.GREEN: "#2e7d32",
    Light.YELLOW: "#e0a800",
    Light.RED: "#c62828",
    Light.BLUE: "#1565c0",
}
GRADE_COLOURS = {
    Grade.EXCELLENT: "#2e7d32",
    Grade.GOOD: "#1565c0",
    Grade.FAIR: "#e0a800",
    Grade.POOR: "#c62828",
}
BADGE = (
    '<span class="{}" style="display:inline-block;min-width:2.5em;padding:1px 8px;'
    'border-radius:9px;color:#fff;background:{};text-align:center;white-space:nowrap">{}</span>'
)


def light_badge(value: str) -> str:
    if not value:
        return "—"
    return format_html(
        BADGE, f"light-badge light-{value}", LIGHT_COLOURS[value], Light(value).label
    )


def grade_badge(value: str) -> str:
    if not value:
        return "—"
    return format_html(
        BADGE, f"grade-badge grade-{value}", GRADE_COLOURS[value], Grade(value).label
    )


SEVERITY_STYLE = {"error": "color:#ba2121;font-weight:bold"}
OTHER_SEVERITY_STYLE = "color:#8a6d00"


def render_findings(findings) -> str:
    """The parser's or the review's findings, one line each; errors in bold red."""
    if not findings:
        return "—"
    return format_html_join(
        "",
        '<div style="{}">{}</div>',
        (
            (SEVERITY_STYLE.get(f.get("severity"), OTHER_SEVERITY_STYLE), f.get("message", ""))
            for f in findings
        ),
    )


def with_second_line(main, second) -> str:
    """A list cell's name with a small grey second line (the unit, a code): one column where
    there were two, so the figures and states fit beside it at 1366 px."""
    if not second:
        return format_html("{}", main)
    return format_html('{}<span class="second-line">{}</span>', main, second)
