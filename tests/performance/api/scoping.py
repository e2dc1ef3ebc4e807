"""What the scoping tests share: the tables to watch, the database state, the schema's operations.

Used by ``test_idor.py`` (another unit's objects, full table dumps) and
``test_permission_matrix.py`` (every operation × role × own/foreign object).
"""

from __future__ import annotations

from django.db.models import Count, Max, Sum
from rest_framework.authtoken.models import Token

from performance.models import (
    Attachment,
    GoalTask,
    Indicator,
    IndicatorEvaluation,
    Job,
    MonitoringEntry,
    MonitoringReport,
    MonitoringRound,
    Notification,
    PerformanceGoal,
    SelfEvaluation,
)
from projects.models import AuditEntry, ExecutionRecord, Project, ProjectBudget, Unit

from .schema_check import SKIPPED_METHODS, schema_document

WATCHED = (
    Unit,
    Project,
    ProjectBudget,
    ExecutionRecord,
    PerformanceGoal,
    Indicator,
    GoalTask,
    MonitoringRound,
    MonitoringReport,
    MonitoringEntry,
    SelfEvaluation,
    IndicatorEvaluation,
    Job,
    Notification,
    AuditEntry,
    Attachment,
)


def database_state() -> dict:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in WATCHED}


def database_fingerprint() -> dict:
    """A cheap summary of every watched table (and the API tokens): row count, highest id, sum
    of ``lock_version`` and latest ``updated_at``. Services audit every write, so any write
    changes it; one aggregate query per table."""
    fingerprint = {}
    for model in (*WATCHED, Token):
        names = {field.name for field in model._meta.concrete_fields}
        aggregates = {"rows": Count("pk"), "last": Max("pk")}
        if "lock_version" in names:
            aggregates["versions"] = Sum("lock_version")
        if "updated_at" in names:
            aggregates["updated"] = Max("updated_at")
        fingerprint[model.__name__] = model.objects.aggregate(**aggregates)
    return fingerprint


def operations() -> list[tuple[str, str]]:
    """Every documented (path template, method) of the API, sorted."""
    return sorted(
        (template, method)
        for template, item in schema_document()["paths"].items()
        for method in item
        if method not in SKIPPED_METHODS
    )


def object_operations() -> list[tuple[str, str]]:
    return [(template, method) for template, method in operations() if "{id}" in template]


def resource_of(template: str) -> str:
    return template.split("/")[3]
