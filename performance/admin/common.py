"""What several admin screens show alike: the light and grade badges and the one
``render_findings`` (the admin of reviewed and filled documents is ``documents``)."""

from __future__ import annotations

from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html, format_html_join

from ..choices import Grade, Light
from ..selectors import previous_year

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


# --- last year beside this year (issue 16) ---------------------------------------------------


class LastYearFormSet(BaseInlineFormSet):
    """An inline formset whose rows carry ``last_year_row`` (a ``previous_year.LastYear`` or
    None): last year's target and actual of each row's indicator, fetched for the whole page
    in a fixed number of queries when the rows are, never per row. ``indicator_of(row)`` names
    a row's indicator (the row itself on a goal page, ``row.indicator`` on a filled document)."""

    @staticmethod
    def indicator_of(row):
        return row

    def goal_of_parent(self):
        return self.instance

    def get_queryset(self):
        rows = super().get_queryset()
        if not hasattr(self, "_last_year_attached"):
            self._last_year_attached = True
            if self.instance.pk is not None:
                goal = self.goal_of_parent()
                indicators = [self.indicator_of(row) for row in rows]
                for indicator in indicators:
                    indicator.goal = goal
                found = previous_year.last_year_for(indicators)
                for row in rows:
                    row.last_year_row = found.get(self.indicator_of(row).pk)
        return rows


class RowLastYearFormSet(LastYearFormSet):
    """A monitoring report's or self-evaluation's rows: the indicator is ``row.indicator``."""

    @staticmethod
    def indicator_of(row):
        return row.indicator

    def goal_of_parent(self):
        return self.instance.goal


def with_last_year(main, row, before: str = "") -> str:
    """``main`` with last year's target and actual as the small grey second line (s15 layout:
    a second line, not a new column), after ``before`` (another note of the same line, e.g.
    the period plan); just ``main`` where there is neither."""
    last = getattr(row, "last_year_row", None)
    notes = (before, last.display if last is not None else "")
    return with_second_line(main, "；".join(note for note in notes if note))
