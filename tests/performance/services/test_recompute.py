"""recompute_year: set-based, and identical to the single-object services and the pure engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from performance import scoring, targets
from performance.models import (
    Indicator,
    IndicatorEvaluation,
    MonitoringEntry,
    MonitoringReport,
    SelfEvaluation,
)
from performance.services.evaluation import (
    evaluation_compute,
    evaluation_start,
    evaluation_update,
)
from performance.services.monitoring import (
    monitoring_report_compute,
    monitoring_report_update,
    monitoring_round_open,
)
from performance.services.recompute import recompute_year
from projects import audit
from projects.models import AuditEntry, Project, Unit
from projects.services import projects as project_services

pytestmark = pytest.mark.django_db

EVALUATION_FIELDS = (
    "budget",
    "executed",
    "execution_rate",
    "execution_score",
    "category_rates",
    "total_score",
    "grade",
    "has_deviation",
)
SCORE_FIELDS = ("actual_value", "computed_score", "final_score", "over_achieved", "notes")
REPORT_FIELDS = ("budget", "executed", "execution_rate", "time_progress", "budget_light", "light")
ENTRY_FIELDS = ("value", "forecast_value", "light", "findings")
SAMPLE_VALUES = ["1批", "2", "0", "15根", "88%", "120%", "3.5万元", "12", "", "40000人"]


def _snapshot() -> dict:
    evaluations = {e["pk"]: e for e in SelfEvaluation.objects.values("pk", *EVALUATION_FIELDS)}
    scores = {s["pk"]: s for s in IndicatorEvaluation.objects.values("pk", *SCORE_FIELDS)}
    reports = {r["pk"]: r for r in MonitoringReport.objects.values("pk", *REPORT_FIELDS)}
    entries = {e["pk"]: e for e in MonitoringEntry.objects.values("pk", *ENTRY_FIELDS)}
    return {"evaluations": evaluations, "scores": scores, "reports": reports, "entries": entries}


def _scramble() -> None:
    """Wipe every derived figure, as if the engine had never run."""
    SelfEvaluation.objects.update(
        budget=0,
        executed=0,
        execution_rate=None,
        execution_score=None,
        category_rates={},
        total_score=None,
        grade="",
        has_deviation=True,
    )
    IndicatorEvaluation.objects.update(
        actual_value=None, computed_score=None, final_score=None, over_achieved=True, notes=[]
    )
    MonitoringReport.objects.update(
        budget=0, executed=0, execution_rate=None, time_progress=None, budget_light="", light=""
    )
    MonitoringEntry.objects.update(value=None, forecast_value=None, light="", findings=[])


@pytest.fixture
def year_2022(filler, finance_reviewer):
    """027001's 2022: weights on every indicator, execution, evaluations and a monitoring round
    filled with a spread of values — all through the services."""
    Indicator.objects.filter(goal__unit__code="027001", goal__year=2022).update(weight=Decimal(5))
    for index, project in enumerate(Project.objects.filter(year=2022).order_by("code")):
        project_services.execution_add(
            project=project, date=dt.date(2022, 6, 30), amount=Decimal(index) + Decimal("0.5")
        )
        project_services.execution_add(
            project=project, date=dt.date(2022, 11, 30), amount=Decimal(index + 1)
        )
        evaluation = evaluation_start(actor=filler, year=2022, project=project)
        rows = []
        for position, score in enumerate(evaluation.scores.select_related("indicator")):
            if score.indicator.kind == targets.QUALITATIVE or score.indicator.operator == "":
                rows.append({"indicator": score.indicator_id, "band": "部分达成"})
                continue
            raw = SAMPLE_VALUES[(index + position) % len(SAMPLE_VALUES)]
            target = targets.parse_target(score.indicator.raw_value, level1=score.indicator.level1)
            _, findings = targets.parse_actual(raw, target=target)
            if raw and not any(f.severity == "error" for f in findings):
                rows.append({"indicator": score.indicator_id, "actual_raw": raw})
        evaluation_update(evaluation=evaluation, actor=filler, data={}, scores=rows)
    unit = Unit.objects.get(code="027001")
    overall = evaluation_start(actor=filler, year=2022, unit=unit)
    first = overall.scores.filter(indicator__operator="").first()
    evaluation_update(
        evaluation=overall,
        actor=filler,
        data={"has_deviation": True},
        scores=[{"indicator": first.indicator_id, "band": "达成", "band_score": "4.5"}],
    )
    round_ = monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 20),
    )
    for index, report in enumerate(MonitoringReport.objects.filter(round=round_)):
        rows = []
        for position, entry in enumerate(report.entries.select_related("indicator")):
            raw = SAMPLE_VALUES[(index * 3 + position) % len(SAMPLE_VALUES)]
            target = targets.parse_target(entry.indicator.raw_value, level1=entry.indicator.level1)
            _, findings = targets.parse_actual(raw, target=target)
            if target.operator is None:
                rows.append({"indicator": entry.indicator_id, "band": "未达成"})
            elif raw and not any(f.severity == "error" for f in findings):
                rows.append({"indicator": entry.indicator_id, "value_raw": raw})
        monitoring_report_update(report=report, actor=filler, data={}, entries=rows)
    return round_


def test_recompute_equals_the_single_object_services_for_every_evaluation_and_report(
    year_2022,
):
    for evaluation in SelfEvaluation.objects.all():
        evaluation_compute(evaluation=evaluation)
    for report in MonitoringReport.objects.all():
        monitoring_report_compute(report=report)
    expected = _snapshot()
    assert len(expected["evaluations"]) == 16  # 10 + 1 of 027001 (2022), 5 of 305004 (2023)
    assert len(expected["reports"]) == 10

    _scramble()
    first = recompute_year(year=2022)
    second = recompute_year(year=2023)
    assert _snapshot() == expected
    assert (first["evaluations"], first["evaluations_changed"]) == (11, 11)
    assert (first["reports"], first["reports_changed"]) == (10, 10)
    assert (
        first["scores_changed"] == IndicatorEvaluation.objects.filter(evaluation__year=2022).count()
    )
    assert (second["evaluations"], second["evaluations_changed"], second["errors"]) == (5, 5, [])


def test_a_second_recompute_changes_nothing_and_writes_no_audit_rows(year_2022):
    recompute_year(year=2022)
    audit_rows = AuditEntry.objects.count()
    counts = recompute_year(year=2022)
    assert (counts["evaluations_changed"], counts["reports_changed"]) == (0, 0)
    assert AuditEntry.objects.count() == audit_rows


def test_changed_rows_are_audited_as_computed_with_the_old_and_new_values(demo, superuser):
    evaluation = SelfEvaluation.objects.get(project__name="党建工作")
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(total_score=Decimal("50"))
    counts = recompute_year(year=2023, actor=superuser)
    assert counts["evaluations_changed"] == 1
    entry = audit.history(evaluation).get(action="compute")
    assert entry.changes == {"total_score": ["50", "80"]}
    assert entry.actor == superuser


def test_recompute_matches_the_pure_engine_for_the_published_evaluations(demo):
    _scramble()
    recompute_year(year=2023, batch_size=2)
    for evaluation in SelfEvaluation.objects.filter(year=2023).select_related("scheme"):
        scheme = evaluation.scheme.to_engine()
        scored = []
        for score in evaluation.scores.select_related("indicator"):
            indicator = score.indicator
            target = targets.parse_target(indicator.raw_value, level1=indicator.level1)
            actual = None
            if target.operator is not None:
                actual, _ = targets.parse_actual(score.actual_raw, target=target)
            result = scoring.indicator_score(
                weight=indicator.weight,
                operator=target.operator,
                target=target.value,
                actual=actual,
                scheme=scheme,
                category=indicator.category,
                spent=evaluation.executed,
                band=score.band or None,
            )
            assert score.final_score == result.final
            scored.append((indicator.category, indicator.weight, result))
        expected = scoring.project_result(
            scheme=scheme, budget=evaluation.budget, executed=evaluation.executed, indicators=scored
        )
        assert evaluation.execution_rate == expected.execution_rate
        assert evaluation.execution_score == expected.execution_score
        assert evaluation.total_score == expected.total
        assert evaluation.grade == expected.grade.value
        assert evaluation.category_rates == {
            key: format(rate, "f") for key, rate in sorted(expected.category_rates.items())
        }


def test_unit_filter_limits_the_work_to_those_units(year_2022):
    _scramble()
    unit = Unit.objects.get(code="027001")
    counts = recompute_year(year=2022, unit_ids=[unit.pk])
    assert counts["evaluations"] == 11
    assert not SelfEvaluation.objects.filter(unit=unit, total_score__isnull=True).exists()
    recompute_year(year=2023, unit_ids=[unit.pk])
    assert not SelfEvaluation.objects.filter(
        year=2023, total_score__isnull=False
    ).exists()  # 305004 untouched


def test_progress_is_reported_per_batch(year_2022):
    calls = []
    recompute_year(
        year=2022, batch_size=4, progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(0, 21), (4, 21), (8, 21), (11, 21), (15, 21), (19, 21), (21, 21)]


def test_query_count_does_not_grow_with_the_number_of_rows(year_2022):
    def queries(evaluations, reports) -> int:
        # Wipe the figures but keep grades and lights, so no notification event differs.
        evaluations.update(execution_rate=None, total_score=None, category_rates={})
        IndicatorEvaluation.objects.filter(evaluation__in=evaluations).update(final_score=None)
        reports.update(execution_rate=None, time_progress=None)
        MonitoringEntry.objects.filter(report__in=reports).update(findings=[{"x": 1}])
        with CaptureQueriesContext(connection) as context:
            counts = recompute_year(year=2022)
        assert counts["evaluations_changed"] == evaluations.count()
        assert counts["reports_changed"] == reports.count()
        return len(context.captured_queries)

    one = queries(
        SelfEvaluation.objects.filter(pk=SelfEvaluation.objects.filter(year=2022).first().pk),
        MonitoringReport.objects.filter(pk=MonitoringReport.objects.first().pk),
    )
    every = queries(SelfEvaluation.objects.filter(year=2022), MonitoringReport.objects.all())
    assert every == one


def test_a_full_recompute_of_a_unit_takes_a_fixed_handful_of_queries(year_2022):
    _scramble()
    rows = SelfEvaluation.objects.filter(year=2022).count() + MonitoringReport.objects.count()
    with CaptureQueriesContext(connection) as context:
        recompute_year(year=2022)
    assert rows == 21
    # 26: the batches' reads and writes, the notices' checks, and one read of the year's rounds
    # (whole, so the red-light notices see each round's deadline).
    assert len(context.captured_queries) <= 26


def test_a_report_the_recompute_turns_red_notifies_its_unit_once(year_2022):
    """The recompute's red-light notices read the round's deadline: a report that turns red
    in a round past its deadline tells the unit's staff (found on a province where the round
    was read without its deadline and the notice raised a ``TypeError``)."""
    from performance.choices import Light, NotificationKind
    from performance.models import Notification

    reports = MonitoringReport.objects.filter(round=year_2022)
    reds = list(reports.filter(light=Light.RED).values_list("pk", flat=True))
    assert reds, "the fixture's spread of values gives red lights"
    Notification.objects.all().delete()
    reports.update(light="")
    recompute_year(year=2022)
    told = Notification.objects.filter(kind=NotificationKind.RED_LIGHT)
    keys = set(told.values_list("occasion_key", flat=True))
    assert keys == {f"red:{pk}" for pk in reds}
    assert "filler027" in {n.recipient.username for n in told}
    count = told.count()
    reports.update(light="")
    recompute_year(year=2022)
    assert told.count() == count  # once per report
