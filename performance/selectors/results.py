"""结果应用: one unit's year in one read — its self-evaluations with their grades and 复核
differences, and its 整改 tasks, open and closed, with their history. Read by the API
(``/api/v1/results/``); the admin page and the export read the same selector."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType

from projects.models import AuditEntry, Unit
from projects.permissions import may_spot_check

from ..choices import Status
from ..models import Rectification, SelfEvaluation


def unit_results(*, user, unit: Unit, year: int, today=None) -> dict[str, Any]:
    """The results of ``unit`` in ``year`` (the caller has checked that ``user`` sees the unit).

    A 财政复核 shows only when the user may see it (finance: any; others: once published).
    Four queries: evaluations with their spot checks, the tasks, the tasks' audit rows, and
    the caller's memberships (cached per request)."""
    from django.utils import timezone

    today = today or timezone.localdate()
    finance = may_spot_check(user)
    evaluations = []
    for evaluation in (
        SelfEvaluation.objects.filter(unit=unit, year=year)
        .select_related("project", "spot_check")
        .order_by("scope", "project__code", "pk")
    ):
        spot_check = getattr(evaluation, "spot_check", None)
        if spot_check is not None and not (finance or spot_check.status == Status.APPROVED):
            spot_check = None
        evaluations.append({"evaluation": evaluation, "spot_check": spot_check})
    tasks = list(
        Rectification.objects.filter(unit=unit, year=year)
        .select_related("project")
        .order_by("deadline", "pk")
    )
    history: dict[str, list[AuditEntry]] = {str(t.pk): [] for t in tasks}
    if tasks:
        for entry in (
            AuditEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(Rectification),
                object_id__in=list(history),
            )
            .select_related("actor")
            .order_by("created_at", "pk")
        ):
            history[entry.object_id].append(entry)
    for task in tasks:
        task.history = history[str(task.pk)]
        task.overdue_days = (
            (today - task.deadline).days
            if task.status != Status.APPROVED and task.deadline < today
            else 0
        )
    differences = [
        row["spot_check"].final_difference
        if row["spot_check"].final_difference is not None
        else row["spot_check"].difference
        for row in evaluations
        if row["spot_check"] is not None
    ]
    differences = [d for d in differences if d is not None]
    summary = {
        "evaluations": len(evaluations),
        "grades": dict(
            Counter(row["evaluation"].grade for row in evaluations if row["evaluation"].grade)
        ),
        "final_grades": dict(
            Counter(
                row["spot_check"].final_grade
                for row in evaluations
                if row["spot_check"] is not None and row["spot_check"].final_grade
            )
        ),
        "spot_checked": sum(1 for row in evaluations if row["spot_check"] is not None),
        "mean_difference": (
            (sum(differences, Decimal(0)) / len(differences)).quantize(Decimal("0.01"))
            if differences
            else None
        ),
        "rectifications_open": sum(1 for t in tasks if t.status != Status.APPROVED),
        "rectifications_closed": sum(1 for t in tasks if t.status == Status.APPROVED),
        "rectifications_overdue": sum(1 for t in tasks if t.overdue_days),
    }
    return {
        "unit": unit,
        "year": year,
        "summary": summary,
        "evaluations": evaluations,
        "rectifications": tasks,
    }
