"""Light rows: rows read with ``values_list`` into slotted objects or named tuples instead of
model instances, for the set-based recompute and the API's hot lists.

A recompute of a province touches millions of score and entry rows. Building a Django model
instance (plus its indicator, goal and project through ``select_related``) costs several times
more than reading the row; these classes carry exactly the attributes the row functions in
``derived_figures`` read and write, under the same names, so ``derived_figures.apply_evaluation`` /
``apply_report`` run unchanged on them and ``projects.bulk_writes.bulk_update_rows(model=…)`` writes
them back.

:func:`light_rows` does the same for any model's columns (named tuples carrying the model's
own properties), for the API's compiled serializers (``selectors.api_lists``).
"""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace

import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import F, QuerySet

from .. import targets
from ..models import IndicatorEvaluation, MonitoringEntry, PerformanceGoal

INDICATOR_COLUMNS = (
    "indicator_id",
    "indicator__goal_id",
    "indicator__level3",
    "indicator__level1",
    "indicator__level2",
    "indicator__raw_value",
    "indicator__operator",
    "indicator__target_value",
    "indicator__target_unit",
    "indicator__kind",
    "indicator__findings",
    "indicator__relative_to",
    "indicator__category",
    "indicator__weight",
    # the period plan: monitoring compares with the period target of the data month
    "indicator__period_kind",
    "indicator__period_mode",
    "indicator__period_target_1",
    "indicator__period_target_2",
    "indicator__period_target_3",
    "indicator__period_target_4",
)


class IndicatorRow(
    namedtuple(
        "IndicatorRow",
        (
            "pk",
            "goal_id",
            "level3",
            "level1",
            "level2",
            "raw_value",
            "operator",
            "target_value",
            "target_unit",
            "kind",
            "findings",
            "relative_to",
            "category",
            "weight",
            "period_kind",
            "period_mode",
            "period_target_1",
            "period_target_2",
            "period_target_3",
            "period_target_4",
            "goal",
        ),
    )
):
    """What the row functions read of an indicator (``goal`` only for relative targets; 一级 and
    二级 for last year's match, ``selectors.previous_year``)."""

    __slots__ = ()


class ScoreRow:
    """An ``IndicatorEvaluation``'s inputs and computed fields."""

    __slots__ = (
        "actual_raw",
        "actual_value",
        "band",
        "band_score",
        "computed_score",
        "evaluation_id",
        "final_score",
        "indicator",
        "notes",
        "over_achieved",
        "override_reason",
        "override_score",
        "pk",
    )
    JSON_FIELD = "notes"
    FIELDS = (
        "pk",
        "evaluation_id",
        "actual_raw",
        "band",
        "band_score",
        "override_score",
        "override_reason",
        "actual_value",
        "computed_score",
        "final_score",
        "over_achieved",
        "notes",
    )

    def __init__(self, values: Sequence, indicator: IndicatorRow):
        (
            self.pk,
            self.evaluation_id,
            self.actual_raw,
            self.band,
            self.band_score,
            self.override_score,
            self.override_reason,
            self.actual_value,
            self.computed_score,
            self.final_score,
            self.over_achieved,
            self.notes,
        ) = values
        self.indicator = indicator


class EntryRow:
    """A ``MonitoringEntry``'s inputs and computed fields."""

    __slots__ = (
        "band",
        "expected_basis",
        "expected_period",
        "expected_value",
        "findings",
        "forecast_raw",
        "forecast_value",
        "indicator",
        "light",
        "likelihood",
        "pk",
        "report_id",
        "value",
        "value_raw",
    )
    JSON_FIELD = "findings"
    FIELDS = (
        "pk",
        "report_id",
        "value_raw",
        "forecast_raw",
        "band",
        "likelihood",
        "value",
        "forecast_value",
        "light",
        "findings",
        "expected_value",
        "expected_basis",
        "expected_period",
    )

    def __init__(self, values: Sequence, indicator: IndicatorRow):
        (
            self.pk,
            self.report_id,
            self.value_raw,
            self.forecast_raw,
            self.band,
            self.likelihood,
            self.value,
            self.forecast_value,
            self.light,
            self.findings,
            self.expected_value,
            self.expected_basis,
            self.expected_period,
        ) = values
        self.indicator = indicator


def _grouped(queryset, row_class, goals: Mapping[int, object]) -> dict[int, list]:
    """Rows by parent id, in indicator order (as ``derived_figures.with_indicators`` orders them)."""
    width = len(row_class.FIELDS)
    groups: dict[int, list] = {}
    relative: list = []
    queryset = queryset.order_by("indicator__order", "indicator_id")
    rows, json_text = fetch_values(queryset, [*row_class.FIELDS, *INDICATOR_COLUMNS])
    own_json = row_class.JSON_FIELD
    findings = INDICATOR_COLUMNS.index("indicator__findings")
    make = IndicatorRow._make
    for values in rows:
        fields = [*values[width:], None]  # … and no goal yet
        if json_text:
            fields[findings] = from_json(fields[findings])
        row = row_class(values[:width], make(fields))
        if json_text:
            setattr(row, own_json, from_json(getattr(row, own_json)))
        if row.indicator.kind == targets.RELATIVE:
            relative.append(row)
        parent = values[1]
        if parent in groups:
            groups[parent].append(row)
        else:
            groups[parent] = [row]
    _attach_goals(relative, goals)
    return groups


def from_json(text: str | None):
    if text == "[]":  # most notes and findings: skip the decoder
        return []
    return None if text is None else json.loads(text)


def fetch_values(
    queryset, names: Sequence[str], *, psycopg_timestamps: bool = False
) -> tuple[list, bool]:
    """``values_list(*names)`` rows, and whether their JSON columns are still text.

    On PostgreSQL the rows come straight from the cursor: Django's per-row converter machinery
    costs as much as the query itself here, and every column but JSON already arrives as the
    right Python type (the caller decodes the JSON ones). ``psycopg_timestamps`` reads
    ``timestamptz`` with psycopg's own (C) loader instead of Django's Python subclass of it,
    which only swaps the UTC tzinfo object for another. A filter that can match nothing
    (``id__in=[]``) gives no rows without a query, as the queryset itself would."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return list(queryset.values_list(*names)), False
    try:
        sql, params = queryset.values_list(*names).query.sql_with_params()
    except EmptyResultSet:
        return [], True
    with connection.cursor() as cursor:
        if psycopg_timestamps:
            cursor.cursor.adapters.register_loader("timestamptz", _TIMESTAMPTZ)
        cursor.execute(sql, params)
        return cursor.fetchall(), True


_TIMESTAMPTZ = psycopg.adapters.get_loader(
    psycopg.adapters.types["timestamptz"].oid, psycopg.pq.Format.TEXT
)


def _attach_goals(rows: list, goals: Mapping[int, object]) -> None:
    """Relative targets (不低于上年) look up last year's value through the indicator's goal
    (year, unit, project code): the parents' goals when the caller has them (``GoalRef``s or
    goals with their project), else one query."""
    missing = {row.indicator.goal_id for row in rows if row.indicator.goal_id not in goals}
    if missing:
        goals = {
            **goals,
            **PerformanceGoal.objects.select_related("project").in_bulk(list(missing)),
        }
    for row in rows:
        row.indicator = row.indicator._replace(goal=goals.get(row.indicator.goal_id))


def scores_by_evaluation(
    evaluation_ids: Sequence[int], *, goals: Mapping[int, object] | None = None
) -> dict[int, list[ScoreRow]]:
    """Score rows (with indicators) of these evaluations, by evaluation id: one query.
    ``goals`` (by id, with their project) saves a query when there are relative targets."""
    queryset = IndicatorEvaluation.objects.filter(evaluation_id__in=list(evaluation_ids))
    return _grouped(queryset, ScoreRow, goals or {})


def entries_by_report(
    report_ids: Sequence[int], *, goals: Mapping[int, object] | None = None
) -> dict[int, list[EntryRow]]:
    """Entry rows (with indicators) of these reports, by report id: one query."""
    queryset = MonitoringEntry.objects.filter(report_id__in=list(report_ids))
    return _grouped(queryset, EntryRow, goals or {})


# A parent's goal, as annotations of the parent query (see ``parent_goals``).
GOAL_CONTEXT = {
    "ctx_goal_year": F("goal__year"),
    "ctx_goal_unit_id": F("goal__unit_id"),
    "ctx_goal_project_id": F("goal__project_id"),
    "ctx_goal_project_code": F("goal__project__code"),
}


@dataclass(frozen=True)
class GoalRef:
    """What last year's lookup reads of an indicator's goal (``selectors.previous_year.previous_year_values``)."""

    year: int
    unit_id: int
    project_id: int | None
    project: SimpleNamespace | None


def parent_goals(parents: Sequence) -> dict[int, GoalRef]:
    """The goals of evaluations or reports read with ``annotate(**GOAL_CONTEXT)``, by id."""
    return {
        p.goal_id: GoalRef(
            year=p.ctx_goal_year,
            unit_id=p.ctx_goal_unit_id,
            project_id=p.ctx_goal_project_id,
            project=SimpleNamespace(code=p.ctx_goal_project_code)
            if p.ctx_goal_project_id
            else None,
        )
        for p in parents
    }


# --- light rows of any model, for the API's compiled serializers --------------------------------


@cache
def light_class(model: type[models.Model], names: tuple[str, ...]) -> type:
    """A named tuple of ``model``'s columns ``names`` (attnames), with ``pk`` and the model's
    own properties, for rows read with ``values_list(*names)``: built by the C tuple
    constructor, read by C attribute getters."""
    base = namedtuple(f"{model.__name__}Row", names)
    namespace = {
        name: value
        for klass in reversed(model.__mro__)
        for name, value in vars(klass).items()
        if isinstance(value, property) and name != "pk" and name not in names
    }
    namespace.update(
        {
            "__slots__": (),
            "__doc__": f"A {model.__name__} row read without a model instance.",
            "pk": getattr(base, model._meta.pk.attname),
            "_meta": model._meta,
        }
    )
    return type(base.__name__, (base,), namespace)


@cache
def columns(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


def light_rows(queryset: QuerySet, *, defer: Sequence[str] = ()) -> list:
    """The rows of ``queryset`` as :func:`light_class` objects (one query); the ``defer``
    columns are not read (the rows have no such attribute)."""
    names = tuple(name for name in columns(queryset.model) if name not in defer)
    make = light_class(queryset.model, names)._make
    rows, json_text = fetch_values(queryset, names, psycopg_timestamps=True)
    json_columns = [
        i
        for i, name in enumerate(names)
        if queryset.model._meta.get_field(name).get_internal_type() == "JSONField"
    ]
    if not (json_text and json_columns):
        return [make(values) for values in rows]
    # JSON comes as text from the cursor (kept so for Django's converters): decode it here.
    result = []
    for values in rows:
        values = list(values)
        for i in json_columns:
            if values[i] is not None:
                values[i] = from_json(values[i])
        result.append(make(values))
    return result
