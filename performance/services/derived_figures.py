"""Row-level computation of derived figures, shared by the single and the set-based paths.

``monitoring_report_compute`` / ``evaluation_compute`` (one object) and ``recompute_year``
(whole querysets in batches) load their inputs differently but hand them to the SAME functions
here, so a figure can only come out one way. Every formula itself lives in ``performance.targets``
and ``performance.scoring``; this module only feeds model rows to them and writes the results
back onto the (unsaved) instances, returning what changed for the audit trail.

Nothing here queries the database: the bulk reads both paths need (last year's values, budget
and execution) are ``performance.selectors.previous_year`` and ``selectors.budget_execution``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter

from django.db.models import QuerySet
from django.utils import timezone

from projects import audit

from .. import field_specs, scoring, targets
from ..models import (
    Indicator,
    IndicatorEvaluation,
    MonitoringEntry,
    MonitoringReport,
    SelfEvaluation,
)
from .typed_values import FieldProblem, refuse

ZERO = Decimal("0")
PROBE_WEIGHT = Decimal("100")

# The fields the computation writes (never a person): ``computed`` of each field spec.
REPORT_COMPUTED = field_specs.MONITORING_REPORT.computed
ENTRY_COMPUTED = field_specs.MONITORING_ENTRY.computed
EVALUATION_COMPUTED = field_specs.SELF_EVALUATION.computed
SCORE_COMPUTED = field_specs.INDICATOR_SCORE.computed


# --- inputs --------------------------------------------------------------------------------


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def indicator_target(indicator: Indicator, *, previous_value: Decimal | None = None):
    """The engine's ``Target`` from an indicator's stored reading (resolved if relative).

    Targets are immutable and a province repeats the same readings on thousands of
    indicators, so each distinct reading is built once per process (``_target``).
    """
    findings = indicator.findings or ()
    if findings:
        findings = tuple(
            (f.get("code", ""), f.get("message", ""), f.get("severity", ""))
            for f in findings
            if f.get("field", "raw_value") == "raw_value"
        )
    value = indicator.target_value
    resolved = value is None and indicator.kind == targets.RELATIVE and previous_value is not None
    return _target(
        indicator.raw_value,
        indicator.operator or None,
        previous_value if resolved else value,
        # the value's text too: Decimal("5") == Decimal("5.000000") would share a cache entry
        str(previous_value if resolved else value),
        indicator.target_unit,
        indicator.kind,
        findings,
        indicator.relative_to or None,
        resolved,
    )


def period_plan(indicator: Indicator) -> scoring.PeriodPlan | None:
    """The engine's ``PeriodPlan`` of an indicator's period targets; None when it has none."""
    if not indicator.period_kind:
        return None
    return scoring.PeriodPlan(
        indicator.period_kind,
        indicator.period_mode,
        (
            indicator.period_target_1,
            indicator.period_target_2,
            indicator.period_target_3,
            indicator.period_target_4,
        ),
    )


@lru_cache(maxsize=65536)
def _target(raw, operator, value, _value_text, unit, kind, findings, relative_to, resolved):
    findings = tuple(targets.Finding(*f) for f in findings)
    if resolved:
        findings = tuple(f for f in findings if f.code != "relative_unresolved")
    return targets.Target(
        raw=raw,
        operator=operator,
        value=value,
        unit=unit,
        kind=kind,
        findings=findings,
        relative_to=relative_to,
    )


def describe_entry_expectation(entry: MonitoringEntry, *, month: int) -> str:
    """The text of what a monitoring entry's value was compared with (admin, API, print)."""
    indicator = entry.indicator
    return scoring.describe_expectation(
        basis=entry.expected_basis,
        value=entry.expected_value,
        period=entry.expected_period,
        month=month,
        operator=indicator.operator or None,
        target=indicator.target_value,
        unit=indicator.target_unit,
        plan=period_plan(indicator),
    )


def is_qualitative(target) -> bool:
    """Scored by a band the evaluator picks: 定性 targets, and targets nobody could read."""
    return target.operator is None


def read_value(text: str | None, *, target) -> tuple[Decimal | None, tuple]:
    """A value typed against a quantitative target; blank → (None, ()); 定性 → (None, ())."""
    if not (text or "").strip() or is_qualitative(target):
        return None, ()
    return targets.parse_actual(text, target=target)


def value_error(text: str | None, *, indicator: Indicator, target) -> str | None:
    """The Chinese message for a value that cannot be read, or None when it reads."""
    _, findings = read_value(text, target=target)
    errors = [f.message for f in findings if f.severity == targets.ERROR]
    if not errors:
        return None
    return f"「{indicator.level3}」：{'；'.join(errors)}"


# --- change tracking -----------------------------------------------------------------------


def values_of(obj, fields: tuple[str, ...]) -> tuple:
    """The current values of computed ``fields`` (plain attributes: no foreign keys)."""
    getter = _GETTERS.get(fields)
    if getter is None:
        single = attrgetter(*fields) if len(fields) > 1 else None
        getter = single or (lambda item: (getattr(item, fields[0]),))
        _GETTERS[fields] = getter
    return getter(obj)


_GETTERS: dict[tuple[str, ...], Callable] = {}


def changes_of(fields: Sequence[str], before: tuple, after: tuple) -> dict[str, list]:
    """``audit.diff`` of two :func:`values_of` tuples, with a fast path for "nothing changed"
    (the common case of a recompute): equal values need no conversion at all."""
    if before == after:
        return {}
    changes = {}
    for name, old, new in zip(fields, before, after, strict=True):
        if old == new and type(old) is type(new):
            continue
        old, new = audit.to_jsonable(old), audit.to_jsonable(new)
        if old != new:
            changes[name] = [old, new]
    return changes


# --- monitoring ----------------------------------------------------------------------------


def _finding_rows(findings: Sequence, field: str) -> list[dict]:
    return [{**asdict(f), "field": field} for f in findings]


def apply_report(
    report: MonitoringReport,
    entries: Sequence[MonitoringEntry],
    *,
    budget: Decimal,
    executed: Decimal,
    month: int,
    scheme: scoring.Scheme,
    previous_values: Mapping[int, Decimal] | None = None,
) -> tuple[dict, dict[int, dict]]:
    """Execution rate, 时间进度, budget/indicator lights and the project's worst light.

    ``entries`` carry their ``indicator``. Returns (report changes, {entry pk: changes}).
    """
    previous_values = previous_values or {}
    before = values_of(report, REPORT_COMPUTED)
    report.budget, report.executed = budget, executed
    report.execution_rate = scoring.execution_rate(budget=budget, executed=executed, scheme=scheme)
    report.time_progress = scoring.time_progress(month)
    budget_light = scoring.budget_light(rate=report.execution_rate, month=month, scheme=scheme)
    report.budget_light = budget_light.value
    lights = [budget_light]
    entry_changes: dict[int, dict] = {}
    for entry in entries:
        indicator = entry.indicator
        entry_before = values_of(entry, ENTRY_COMPUTED)
        target = indicator_target(indicator, previous_value=previous_values.get(indicator.pk))
        value, value_findings = read_value(entry.value_raw, target=target)
        forecast, forecast_findings = read_value(entry.forecast_raw, target=target)
        # The period target of the data month where the indicator has a plan, else the annual
        # target pro-rated (or whole, for rates, percentages and 反向): one engine rule.
        light, expectation = scoring.progress_light(
            operator=target.operator,
            target=target.value,
            unit=target.unit,
            value=value,
            month=month,
            scheme=scheme,
            band=entry.band or None,
            plan=period_plan(indicator),
        )
        entry.value, entry.forecast_value = value, forecast
        entry.light = light.value if light else ""
        if expectation is None:
            entry.expected_value, entry.expected_basis, entry.expected_period = None, "", None
        else:
            entry.expected_value = scoring.round_to(expectation.value, 6, scoring.Rounding.HALF_UP)
            entry.expected_basis = expectation.basis.value
            entry.expected_period = expectation.period
        entry.findings = _finding_rows(value_findings, "value_raw") + _finding_rows(
            forecast_findings, "forecast_raw"
        )
        lights.append(light)
        changes = changes_of(ENTRY_COMPUTED, entry_before, values_of(entry, ENTRY_COMPUTED))
        if changes:
            entry_changes[entry.pk] = changes
    worst = scoring.worst_light(lights)
    report.light = worst.value if worst else ""
    report_changes = changes_of(REPORT_COMPUTED, before, values_of(report, REPORT_COMPUTED))
    if report_changes or entry_changes or report.computed_at is None:
        report.computed_at = timezone.now()
    return report_changes, entry_changes


# --- self-evaluation -----------------------------------------------------------------------


def _weight(indicator: Indicator) -> Decimal:
    return indicator.weight if indicator.weight is not None else ZERO


def score_row(
    score: IndicatorEvaluation,
    *,
    target,
    actual: Decimal | None,
    executed: Decimal,
    scheme: scoring.Scheme,
) -> scoring.IndicatorScore:
    """The engine's score of one indicator; an evaluator's invalid input raises FieldProblem."""
    indicator = score.indicator
    base = {
        "weight": _weight(indicator),
        "operator": target.operator,
        "target": target.value,
        "actual": actual,
        "scheme": scheme,
        "category": indicator.category,
        "spent": executed,
        "band": score.band or None,
    }
    try:
        return scoring.indicator_score(
            weight=base["weight"],
            operator=target.operator,
            target=target.value,
            actual=actual,
            scheme=scheme,
            category=indicator.category,
            spent=executed,
            band=base["band"],
            band_score=score.band_score,
            override=score.override_score,
            override_reason=score.override_reason,
        )
    except ValueError as error:
        override_error = error
    # Which input was wrong: the band score alone, or else the override (checked first above).
    try:
        scoring.indicator_score(**base, band_score=score.band_score)
    except ValueError as error:
        raise FieldProblem("band_score", f"「{indicator.level3}」：{error}") from None
    field = "override_score" if (score.override_reason or "").strip() else "override_reason"
    raise FieldProblem(field, f"「{indicator.level3}」：{override_error}") from None


def falls_short(
    score: IndicatorEvaluation, *, target, actual: Decimal | None, scheme: scoring.Scheme
) -> bool:
    """Whether the actual misses the target (not merely scores less: an unspent 成本 is met).

    Asked of the engine (``scoring.meets_target``), so "meets the target" has one definition.
    """
    return not scoring.meets_target(
        operator=target.operator,
        target=target.value,
        actual=actual,
        scheme=scheme,
        band=score.band or None,
    )


@dataclass(frozen=True)
class _Unscored:
    """A score without the evaluator's band score and override: what is left of an invalid one."""

    indicator: object
    band: str
    band_score: None = None
    override_score: None = None
    override_reason: str = ""


def is_complete(scores: Sequence[IndicatorEvaluation]) -> bool:
    """Every indicator has an actual value, a band or an override: the evaluation is filled in."""
    return all(s.actual_value is not None or s.band or s.override_score is not None for s in scores)


def _rate_json(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def apply_evaluation(
    evaluation: SelfEvaluation,
    scores: Sequence[IndicatorEvaluation],
    *,
    budget: Decimal,
    executed: Decimal,
    scheme: scoring.Scheme,
    previous_values: Mapping[int, Decimal] | None = None,
) -> tuple[dict, dict[int, dict]]:
    """Per indicator: actual value, score, ≥120% flag; per project: execution rate and score,
    category 得分率, total, grade and has_deviation — all from ``scoring.project_result``.

    ``scores`` carry their ``indicator``. An invalid band score or override (services refuse
    them on input; a later weight change can still make one invalid) is left out and noted.
    Returns (evaluation changes, {score pk: changes}).
    """
    previous_values = previous_values or {}
    before = values_of(evaluation, EVALUATION_COMPUTED)
    results = []
    shortfall = False
    score_changes: dict[int, dict] = {}
    for score in scores:
        indicator = score.indicator
        score_before = values_of(score, SCORE_COMPUTED)
        target = indicator_target(indicator, previous_value=previous_values.get(indicator.pk))
        actual, findings = read_value(score.actual_raw, target=target)
        notes = [f.message for f in findings]
        try:
            result = score_row(
                score, target=target, actual=actual, executed=executed, scheme=scheme
            )
        except FieldProblem as problem:
            notes.append(f"未计入：{problem.message}")
            fallback = _Unscored(indicator=indicator, band=score.band)
            result = score_row(
                fallback, target=target, actual=actual, executed=executed, scheme=scheme
            )
        notes.extend(result.notes)
        score.actual_value = actual
        score.computed_score = result.computed
        score.final_score = result.final
        score.over_achieved = result.over_achieved
        score.notes = notes
        if falls_short(score, target=target, actual=actual, scheme=scheme):
            shortfall = True
        results.append((indicator.category, _weight(indicator), result))
        changes = changes_of(SCORE_COMPUTED, score_before, values_of(score, SCORE_COMPUTED))
        if changes:
            score_changes[score.pk] = changes

    project = scoring.project_result(
        scheme=scheme, budget=budget, executed=executed, indicators=results
    )
    if project.total > PROBE_WEIGHT:
        raise refuse(
            {
                "total_score": f"自评得分 {project.total} 超过 100 分：请检查各指标分值，"
                "其合计应等于评分方案的分值。"
            },
            "weights",
        )
    evaluation.budget, evaluation.executed = budget, executed
    evaluation.execution_rate = project.execution_rate
    evaluation.execution_score = project.execution_score
    evaluation.category_rates = {
        key: _rate_json(rate) for key, rate in sorted(project.category_rates.items())
    }
    evaluation.total_score = project.total
    evaluation.grade = project.grade.value
    evaluation.has_deviation = shortfall or evaluation.deviation_declared
    changes = changes_of(EVALUATION_COMPUTED, before, values_of(evaluation, EVALUATION_COMPUTED))
    if changes or score_changes or evaluation.computed_at is None:
        evaluation.computed_at = timezone.now()
    return changes, score_changes


def nested_changes(own: dict, rows: Mapping[int, dict], label: str) -> dict:
    """One audit ``changes`` dict for an object and its rows: ``{"scores[12].final_score": …}``."""
    merged = dict(own)
    for pk, changes in rows.items():
        for field, values in changes.items():
            merged[f"{label}[{pk}].{field}"] = values
    return merged


def with_indicators(queryset: QuerySet) -> QuerySet:
    """Entries/scores with what the row functions read: indicator, its goal and project."""
    return queryset.select_related(
        "indicator", "indicator__goal", "indicator__goal__project"
    ).order_by("indicator__order", "indicator_id")
