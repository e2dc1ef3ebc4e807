"""Races of two writers over one object: the contested objects and the no-lost-update check.

Used by ``tests/performance/api/test_races.py`` (interleaved requests, any database),
``tests/performance/api/test_sqlite_races.py`` (two threads on a SQLite file) and
``tests/integration/test_races.py`` (two threads on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from rest_framework.test import APIClient

from performance.models import Indicator, MonitoringReport, PerformanceGoal, SelfEvaluation
from performance.services import evaluation as evaluation_services
from performance.services import monitoring as monitoring_services
from performance.services import workflow
from projects.audit import history
from projects.models import AuditAction, Project

CLEAN_PROJECT = "410395220000000007669"
ROUNDS = 100
RESOURCES = ["goals", "indicators", "monitoring-reports", "evaluations"]


@dataclass
class Race:
    """One contested object: where to PATCH it and which field the writers fight over."""

    model: type
    pk: int
    url: str
    field: str
    value: Callable[[int, str], str]
    audited: Callable[[], object]  # the object whose audit trail records the writes
    audit_key: str

    def version(self) -> int:
        return self.model.objects.values_list("lock_version", flat=True).get(pk=self.pk)

    def current(self) -> str:
        return self.model.objects.values_list(self.field, flat=True).get(pk=self.pk)

    def written_values(self) -> list[list[str]]:
        """``[old, new]`` of every audited write of the field, oldest first."""
        entries = history(self.audited()).filter(action=AuditAction.UPDATE).order_by("id")
        return [e.changes[self.audit_key] for e in entries if self.audit_key in e.changes]


def prepare(resource: str, filler, finance_reviewer) -> Race:
    project = Project.objects.get(code=CLEAN_PROJECT)
    if resource in ("goals", "indicators"):
        approved = PerformanceGoal.objects.get(project=project, version=1)
        goal = workflow.goal_adjust(goal=approved, actor=filler, reason="预算调整")
        if resource == "goals":
            return Race(
                PerformanceGoal,
                goal.pk,
                f"/api/v1/goals/{goal.pk}/",
                "overall_goal",
                lambda i, who: f"第{i}轮{who}写的年度目标",
                lambda: goal,
                "overall_goal",
            )
        indicator = goal.indicators.order_by("pk").first()
        return Race(
            Indicator,
            indicator.pk,
            f"/api/v1/indicators/{indicator.pk}/",
            "raw_value",
            lambda i, who: f"≥{i * 2 + (who == 'B') + 1}人次",
            lambda: goal,
            f"indicator[{indicator.pk}].raw_value",
        )
    if resource == "monitoring-reports":
        monitoring_services.monitoring_round_open(
            actor=finance_reviewer,
            year=2022,
            data_month=7,
            opens_on=dt.date(2022, 8, 1),
            deadline=dt.date(2022, 8, 31),
        )
        report = MonitoringReport.objects.get(project=project)
        return Race(
            MonitoringReport,
            report.pk,
            f"/api/v1/monitoring-reports/{report.pk}/",
            "summary",
            lambda i, who: f"第{i}轮{who}写的总体完成情况",
            lambda: report,
            "summary",
        )
    evaluation = evaluation_services.evaluation_start(actor=filler, year=2022, project=project)
    return Race(
        SelfEvaluation,
        evaluation.pk,
        f"/api/v1/evaluations/{evaluation.pk}/",
        "measures",
        lambda i, who: f"第{i}轮{who}写的改进措施",
        lambda: evaluation,
        "measures",
    )


def token_client(user) -> APIClient:
    from rest_framework.authtoken.models import Token

    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def assert_no_update_lost(
    race: Race, start_version: int, winners: list[str], rounds: int = ROUNDS
) -> None:
    assert race.version() == start_version + rounds  # one bump per round: one write per round
    assert race.current() == winners[-1]
    written = race.written_values()
    assert [new for _old, new in written] == winners  # every winner recorded, no loser
    for (old, _new), (_prev_old, prev_new) in zip(written[1:], written, strict=False):
        assert old == prev_new  # each write was based on the previous winner's value
