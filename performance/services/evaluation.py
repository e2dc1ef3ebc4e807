"""Self-evaluation (绩效自评) of a project or a unit as a whole, after year end.

Started from the approved goal with the unit's scoring scheme (stored on the evaluation, so a
later change of assignment does not re-grade published results). Scores, rates, total and grade
come from ``derived_figures.apply_evaluation`` — the same row function ``recompute_year`` uses.
Submit / review / return are the shared transitions of ``workflow``; filling it in is the shared
path of ``filling`` (fields from ``field_specs.SELF_EVALUATION``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from projects import audit
from projects.bulk_writes import bulk_update_rows
from projects.models import AuditAction, Project, Unit
from projects.permissions import require_editor
from projects.services.locking import check_lock_version

from ..choices import GoalScope, Status
from ..field_specs import SELF_EVALUATION
from ..models import IndicatorEvaluation, PerformanceGoal, ScoringScheme, SelfEvaluation
from ..selectors import budget_execution, previous_year
from ..selectors.schemes import scheme_for_unit
from . import derived_figures, filling, typed_values
from .alerts import notify_grade
from .workflow import require_edit

ZERO = Decimal("0")


def year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


# --- start ---------------------------------------------------------------------------------


@transaction.atomic
def evaluation_start(
    *, actor, year: int, project: Project | None = None, unit: Unit | None = None
) -> SelfEvaluation:
    """Open the self-evaluation of a project (or, without a project, of ``unit`` as a whole)
    from its approved goal: one score row per indicator, computed at once. Idempotent: an
    existing evaluation for the same subject and year is returned unchanged."""
    if project is not None:
        scope, unit = GoalScope.PROJECT, project.unit
        if project.year != year:
            raise typed_values.refuse(
                {"year": f"自评年度 {year} 与项目年度 {project.year} 不一致。"},
                "invalid",
            )
    elif unit is not None:
        scope = GoalScope.UNIT
    else:
        raise typed_values.refuse({"project": "请选择要自评的项目或单位。"}, "required")
    require_editor(actor, unit, "开展绩效自评")
    subject = {"scope": scope, "year": year, "unit": unit, "project": project}
    existing = SelfEvaluation.objects.filter(**subject).first()
    if existing is not None:
        return existing
    goal = (
        PerformanceGoal.objects.filter(**subject, status=Status.APPROVED)
        .order_by("-version")
        .first()
    )
    if goal is None:
        name = project.name if project else f"{unit.name}整体"
        raise typed_values.refuse(
            {"goal": f"{year} 年“{name}”没有已批复的绩效目标，不能开展自评。"},
            "no_approved_goal",
        )
    evaluation = SelfEvaluation(
        **subject,
        goal=goal,
        scheme=scheme_for_unit(unit, year=year),
        status=Status.DRAFT,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    evaluation.full_clean()
    evaluation.save()
    IndicatorEvaluation.objects.bulk_create(
        [IndicatorEvaluation(evaluation=evaluation, indicator=i) for i in goal.indicators.all()]
    )
    rows = _scores_of(evaluation)
    _compute(evaluation, rows)
    _save_computed(evaluation, rows, {s.pk for s in rows})
    audit.record(
        obj=evaluation,
        actor=actor,
        action=AuditAction.CREATE,
        changes={
            "goal": [None, goal.pk],
            "scheme": [None, evaluation.scheme_id],
            "indicators": [None, len(rows)],
        },
        comment="开展绩效自评",
    )
    return evaluation


# --- inputs and compute --------------------------------------------------------------------


def _scores_of(evaluation: SelfEvaluation) -> list[IndicatorEvaluation]:
    return list(
        derived_figures.with_indicators(IndicatorEvaluation.objects.filter(evaluation=evaluation))
    )


def evaluation_inputs(evaluations: Sequence[SelfEvaluation]) -> dict[int, tuple[Decimal, Decimal]]:
    """(adjusted budget, executed to year end) per evaluation: one aggregate query per scope.

    A project's own figures; a unit-overall evaluation totals the unit's projects of the year.
    """
    result: dict[int, tuple[Decimal, Decimal]] = {}
    by_year: dict[int, list[SelfEvaluation]] = {}
    for evaluation in evaluations:
        by_year.setdefault(evaluation.year, []).append(evaluation)
    for year, rows in by_year.items():
        projects = [e for e in rows if e.scope == GoalScope.PROJECT]
        units = [e for e in rows if e.scope == GoalScope.UNIT]
        if projects:
            found = budget_execution.figures_for(
                {e.project_id for e in projects}, as_of=year_end(year)
            )
            for e in projects:
                result[e.pk] = found.get(e.project_id, (ZERO, ZERO))
        if units:
            found = budget_execution.unit_figures_for(
                {e.unit_id for e in units}, year=year, as_of=year_end(year)
            )
            for e in units:
                result[e.pk] = found.get(e.unit_id, (ZERO, ZERO))
    return result


def _compute(
    evaluation: SelfEvaluation,
    rows: Sequence[IndicatorEvaluation],
    inputs: tuple[Decimal, Decimal] | None = None,
) -> tuple[dict, dict]:
    budget, executed = inputs or evaluation_inputs([evaluation])[evaluation.pk]
    return derived_figures.apply_evaluation(
        evaluation,
        rows,
        budget=budget,
        executed=executed,
        scheme=evaluation.scheme.to_engine(),
        previous_values=previous_year.previous_year_values(s.indicator for s in rows),
    )


def _save_computed(
    evaluation: SelfEvaluation, rows: Sequence[IndicatorEvaluation], changed: set[int]
) -> None:
    evaluation.save(
        update_fields=[*derived_figures.EVALUATION_COMPUTED, "computed_at", "updated_at"]
    )
    bulk_update_rows([s for s in rows if s.pk in changed], list(derived_figures.SCORE_COMPUTED))


def compute_evaluations(
    evaluations: Sequence[SelfEvaluation],
    scores: Mapping[int, Sequence[IndicatorEvaluation]],
    *,
    batch_size: int = 1000,
    engines: dict[int, Any] | None = None,
) -> tuple[list[tuple[SelfEvaluation, dict]], list[dict]]:
    """Set-based compute of many evaluations (``scores`` by evaluation pk, with indicators;
    model instances or ``rows.ScoreRow``s). ``engines`` caches schemes by id across calls.

    One aggregate query per scope for budgets and executed, one for last year's values, the
    shared row function, then two bulk writes. Returns ([(evaluation, changes)] for the
    changed ones, [errors]) — an evaluation whose weights exceed 100 is reported, not saved.
    """
    inputs = evaluation_inputs(evaluations)
    previous = previous_year.previous_year_values(
        s.indicator for rows in scores.values() for s in rows
    )
    engines = {} if engines is None else engines
    missing = {e.scheme_id for e in evaluations} - set(engines)
    for scheme in ScoringScheme.objects.filter(pk__in=missing):
        engines[scheme.pk] = scheme.to_engine()
    changed, changed_rows, changed_scores, errors = [], [], [], []
    for evaluation in evaluations:
        rows = scores.get(evaluation.pk, [])
        budget, executed = inputs[evaluation.pk]
        computed_at = evaluation.computed_at
        try:
            own, per_score = derived_figures.apply_evaluation(
                evaluation,
                rows,
                budget=budget,
                executed=executed,
                scheme=engines[evaluation.scheme_id],
                previous_values=previous,
            )
        except ValidationError as error:
            errors.append({"evaluation": evaluation.pk, "errors": error.messages})
            continue
        if own or per_score or computed_at != evaluation.computed_at:
            changed_rows.append(evaluation)
        changed_scores.extend(s for s in rows if s.pk in per_score)
        if own or per_score:
            changed.append((evaluation, derived_figures.nested_changes(own, per_score, "scores")))
    bulk_update_rows(
        changed_rows, [*derived_figures.EVALUATION_COMPUTED, "computed_at"], batch_size=batch_size
    )
    bulk_update_rows(
        changed_scores,
        list(derived_figures.SCORE_COMPUTED),
        batch_size=batch_size,
        model=IndicatorEvaluation,
    )
    return changed, errors


@transaction.atomic
def evaluation_compute(*, evaluation: SelfEvaluation, actor=None) -> SelfEvaluation:
    """Recompute scores, rates, total and grade (any status; audited when something changed)."""
    evaluation = _locked(evaluation)
    rows = _scores_of(evaluation)
    computed_at = evaluation.computed_at
    own, per_score = _compute(evaluation, rows)
    if own or per_score or computed_at != evaluation.computed_at:
        _save_computed(evaluation, rows, set(per_score))
    if own or per_score:
        audit.record(
            obj=evaluation,
            actor=actor,
            action=AuditAction.COMPUTE,
            changes=derived_figures.nested_changes(own, per_score, "scores"),
            comment="重新计算自评得分",
        )
    notify_grade(evaluation, rows)
    return evaluation


# --- update --------------------------------------------------------------------------------


def _locked(evaluation: SelfEvaluation) -> SelfEvaluation:
    return (
        SelfEvaluation.objects.select_for_update(of=("self",))
        .select_related("unit", "project", "scheme", "goal")
        .get(pk=evaluation.pk)
    )


def _set_score_field(score: IndicatorEvaluation, key: str, value) -> None:
    if key == "band":
        score.band = typed_values.band_code(value)
    elif key in ("band_score", "override_score"):
        setattr(score, key, typed_values.decimal_or_none(value, key))
    else:
        setattr(score, key, (value or "").strip() if isinstance(value, str) else (value or ""))


def _read_evaluation_field(evaluation: SelfEvaluation, name: str, value) -> None:
    if name == "deviation_declared":
        evaluation.deviation_declared = bool(value)
    else:
        setattr(evaluation, name, (value or "").strip())


@transaction.atomic
def evaluation_update(
    *,
    evaluation: SelfEvaluation,
    actor,
    data: Mapping[str, Any],
    scores: Sequence[Mapping[str, Any]],
    expected_version: int | None = None,
) -> SelfEvaluation:
    """Fill in a draft or returned self-evaluation and recompute it.

    data: deviation_analysis, measures, has_deviation (the unit's own finding, kept as
    ``deviation_declared``, which is also accepted; has_deviation is also set when any
    indicator falls short). scores: {"indicator": id, "actual_raw", "band", "band_score",
    "override_score", "override_reason", "deviation_reason"}. Bad input is refused as a whole
    with field errors keyed ``scores[<index>].<field>``; nothing is saved.
    """
    evaluation = _locked(evaluation)
    check_lock_version(evaluation, expected_version)
    require_edit(evaluation, actor=actor, action="填报绩效自评")
    rows = _scores_of(evaluation)
    budget, executed = evaluation_inputs([evaluation])[evaluation.pk]
    scheme = evaluation.scheme.to_engine()
    previous = previous_year.previous_year_values(s.indicator for s in rows)

    def check_score(score: IndicatorEvaluation, given, prefix: str, errors) -> None:
        """Each score is scored at once: its actual value must read, its band score and
        override must be valid for the indicator."""
        if any(k.startswith(prefix) for k in errors):
            return
        if score.override_score is None:
            score.override_reason = ""  # removing an override removes its reason
        indicator = score.indicator
        target = derived_figures.indicator_target(
            indicator, previous_value=previous.get(indicator.pk)
        )
        message = derived_figures.value_error(score.actual_raw, indicator=indicator, target=target)
        if message:
            errors[f"{prefix}.actual_raw"] = message
            return
        actual, _ = derived_figures.read_value(score.actual_raw, target=target)
        try:
            derived_figures.score_row(
                score, target=target, actual=actual, executed=executed, scheme=scheme
            )
        except typed_values.FieldProblem as problem:
            errors[f"{prefix}.{problem.field}"] = problem.message

    filling.fill(
        SELF_EVALUATION,
        evaluation,
        rows,
        data=data,
        row_data=scores,
        read=_read_evaluation_field,
        read_row=_set_score_field,
        check_row=check_score,
        missing_row="该指标不在本自评表中。",
    ).save(
        compute=lambda: _compute(evaluation, rows, (budget, executed)),
        actor=actor,
        comment="填报绩效自评",
    )
    notify_grade(evaluation, rows)
    return evaluation
