"""Selectors for the API's hot reads: goal detail, and large lists whose page's nested rows
are read as light objects.

A page of 50 goals holds 750 indicators. Read as model instances through
``prefetch_related`` they cost more than everything else in the request: Django builds each
instance field by field, and a plain ``goal.indicators`` prefetch also builds a queryset per
goal. Here the page's nested rows come from one ``values_list`` query each and become
:func:`light_rows` objects: named tuples with the model's column attributes and the
model's own properties (``Indicator.needs_attention`` is the same function), which is all a
serializer reads. They are attached as ``<relation>_list`` (``indicators_list``,
``tasks_list``), where ``api.serializers.fast.PrefetchedListSerializer`` looks first.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from functools import cache

from django.db import models
from django.db.models import Prefetch, QuerySet

from projects.permissions import visible_units

from .models import GoalTask, Indicator, PerformanceGoal
from .services.rows import fetch_values, from_json


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


def goal_detail_for(user) -> QuerySet[PerformanceGoal]:
    """A goal as its detail shows it: unit and project joined, indicators and tasks prefetched.

    Leaner than ``selectors.goals_for`` (which also joins the unit's parent, the previous
    version and the author for other readers): a 6-table join costs PostgreSQL three times the
    planning of this one, on every request.
    """
    return (
        PerformanceGoal.objects.filter(unit__in=visible_units(user))
        .select_related("unit", "project")
        .prefetch_related(
            Prefetch("indicators", queryset=Indicator.objects.order_by("order", "id")), "tasks"
        )
    )


def goal_list_for(user) -> QuerySet[PerformanceGoal]:
    """The goals a list page shows, with unit and project; :func:`attach_goal_rows` adds their
    indicators and tasks to the page."""
    return PerformanceGoal.objects.filter(unit__in=visible_units(user)).select_related(
        "unit", "project"
    )


def attach_goal_rows(goals: Sequence[PerformanceGoal]) -> None:
    """``indicators_list`` and ``tasks_list`` on each goal of a page: two queries."""
    ids = [goal.pk for goal in goals]
    for relation, model in (("indicators", Indicator), ("tasks", GoalTask)):
        by_goal: dict[int, list] = {pk: [] for pk in ids}
        queryset = model.objects.filter(goal_id__in=ids).order_by("order", "id")
        rows = light_rows(queryset, defer=("created_at",))  # lists show updated_at only
        for row in rows:
            by_goal[row.goal_id].append(row)
        for goal in goals:
            setattr(goal, f"{relation}_list", by_goal[goal.pk])
