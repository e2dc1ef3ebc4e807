"""Selectors for the API's hot reads: goal detail, and large lists whose page's nested rows
are read as light objects.

A page of 50 goals holds 750 indicators. Read as model instances through
``prefetch_related`` they cost more than everything else in the request: Django builds each
instance field by field, and a plain ``goal.indicators`` prefetch also builds a queryset per
goal. Here the page's nested rows come from one ``values_list`` query each and become
:func:`light_rows` objects: named tuples with the model's column attributes and the
model's own properties (``Indicator.needs_attention`` is the same function), which is all a
serializer reads. They are attached as ``<relation>_list`` (``indicators_list``,
``tasks_list``), where ``api.serializers.compiled.PrefetchedListSerializer`` looks first.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Prefetch, QuerySet

from projects.permissions import visible_units

from ..models import GoalTask, Indicator, PerformanceGoal
from .light_rows import light_rows


def goal_detail_for(user) -> QuerySet[PerformanceGoal]:
    """A goal as its detail shows it: unit and project joined, indicators and tasks prefetched.

    Leaner than ``scoping.goals_for`` (which also joins the unit's parent, the previous
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
