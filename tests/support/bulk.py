"""Many rows quickly (bulk inserts) so every list endpoint and admin list can fill pages of 200.

Used by the stored query counts (``tests/performance/api/test_query_counts.py``,
``tests/projects/admin/test_query_counts.py``): a page must cost the same for 10 rows as for 200.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
from rest_framework.authtoken.models import Token

from performance.choices import AttachmentKind, GoalScope, JobKind, Status
from performance.models import (
    Attachment,
    GoalTask,
    ImportRun,
    Indicator,
    IndicatorEvaluation,
    Job,
    LibraryEntry,
    MonitoringEntry,
    MonitoringReport,
    MonitoringRound,
    Notification,
    PerformanceGoal,
    Rectification,
    ReportingWindow,
    SchemeAssignment,
    ScoringScheme,
    SelfEvaluation,
    SpotCheck,
    SpotCheckDraw,
)
from projects import audit
from projects.choices import Role
from projects.models import AuditAction, ExecutionRecord, Membership, Project, ProjectBudget, Unit

YEAR = 2024


def create_many(n: int, *, actor, recipients=()) -> dict:
    """``n`` units under department 027, each with a project, budget, execution, a goal with
    two indicators and a task, a monitoring report, a self-evaluation, a 填报人 (user, membership
    and API token) and a scheme assignment; plus ``n`` rounds, schemes, jobs, reporting windows,
    schedules (interval, crontab, periodic task), notifications for ``actor`` and each of
    ``recipients``, ``n`` confirmed 指标库 entries of 027, ``n`` audit rows of one goal, project, report,
    evaluation and library entry each, and an evidence file row
    (no stored file) on each self-evaluation."""
    department = Unit.objects.get(code="027")
    units = Unit.objects.bulk_create(
        Unit(
            code=f"9{i:05d}",
            name=f"批量单位{i}",
            kind="unit",
            parent=department,
            path=f"{department.path}9{i:05d}/",
        )
        for i in range(n)
    )
    projects = Project.objects.bulk_create(
        Project(
            code=f"BULK{YEAR}{i:05d}",
            name=f"批量项目{i}",
            unit=unit,
            year=YEAR,
            category="operating",
        )
        for i, unit in enumerate(units)
    )
    ProjectBudget.objects.bulk_create(
        ProjectBudget(
            project=p, fund_source="general_public", amount=Decimal("100"), adjusted_amount=100
        )
        for p in projects
    )
    ExecutionRecord.objects.bulk_create(
        ExecutionRecord(project=p, date=dt.date(YEAR, 6, 30), amount=Decimal("40"))
        for p in projects
    )
    goals = PerformanceGoal.objects.bulk_create(
        PerformanceGoal(
            scope=GoalScope.PROJECT,
            project=p,
            unit=p.unit,
            year=YEAR,
            status=Status.APPROVED,
            overall_goal=f"目标{p.code}",
        )
        for p in projects
    )
    indicators = Indicator.objects.bulk_create(
        Indicator(
            goal=goal,
            level1=level1,
            level2="数量指标" if category == "output" else "服务对象满意度指标",
            level3=f"指标{k}",
            category=category,
            raw_value="≥90%",
            operator=">=",
            target_value=Decimal("90"),
            target_unit="%",
            kind="quantitative",
            direction="positive",
            weight=Decimal("10"),
            order=k,
            findings=[
                {"code": "x", "severity": "warning", "message": "提示", "field": "raw_value"}
            ],
        )
        for goal in goals
        for k, (level1, category) in enumerate(
            [("产出指标", "output"), ("满意度指标", "satisfaction")], start=1
        )
    )
    GoalTask.objects.bulk_create(GoalTask(goal=g, name="任务", content="内容") for g in goals)
    monitoring_round = MonitoringRound.objects.create(
        year=YEAR,
        data_month=7,
        title="批量监控",
        opens_on=dt.date(YEAR, 8, 1),
        deadline=dt.date(YEAR, 8, 31),
    )
    MonitoringRound.objects.bulk_create(
        MonitoringRound(
            year=2030 + i // 12,
            data_month=i % 12 + 1,
            title=f"轮次{i}",
            opens_on=dt.date(2030, 1, 1),
            deadline=dt.date(2030, 1, 31),
        )
        for i in range(n)
    )
    reports = MonitoringReport.objects.bulk_create(
        MonitoringReport(
            round=monitoring_round,
            project=g.project,
            goal=g,
            unit=g.unit,
            budget=Decimal("100"),
            executed=Decimal("40"),
            light="yellow",
        )
        for g in goals
    )
    by_goal: dict[int, list[Indicator]] = {}
    for indicator in indicators:
        by_goal.setdefault(indicator.goal_id, []).append(indicator)
    MonitoringEntry.objects.bulk_create(
        MonitoringEntry(report=r, indicator=i, value_raw="50%")
        for r in reports
        for i in by_goal[r.goal_id]
    )
    scheme = ScoringScheme.objects.get(is_default=True)
    evaluations = SelfEvaluation.objects.bulk_create(
        SelfEvaluation(
            scope=GoalScope.PROJECT,
            project=g.project,
            unit=g.unit,
            year=YEAR,
            goal=g,
            scheme=scheme,
            total_score=Decimal("88.5"),
            grade="good",
        )
        for g in goals
    )
    IndicatorEvaluation.objects.bulk_create(
        IndicatorEvaluation(evaluation=e, indicator=i, actual_raw="95%")
        for e in evaluations
        for i in by_goal[e.goal_id]
    )
    Attachment.objects.bulk_create(  # rows only: list pages never open the stored file
        Attachment(
            kind=AttachmentKind.EVALUATION,
            anchor=Attachment.anchor_key(AttachmentKind.EVALUATION, e.pk),
            unit=e.unit,
            year=YEAR,
            evaluation=e,
            file=f"bulk/{e.pk}.pdf",
            name=f"佐证{e.pk}.pdf",
            file_type="pdf",
            content_type="application/pdf",
            size=1024,
            sha256=f"{e.pk:064d}",
            uploaded_by=actor,
        )
        for e in evaluations
    )
    draw = SpotCheckDraw.objects.create(
        year=YEAR, method="random", seed=1, count=n, population=n, created_by=actor
    )
    SpotCheck.objects.bulk_create(  # 财政复核 of every evaluation, in 复核中
        SpotCheck(
            draw=draw,
            evaluation=e,
            unit=e.unit,
            year=YEAR,
            project=e.project,
            scheme=scheme,
            self_total=e.total_score,
            self_grade=e.grade,
            review_total=e.total_score,
            review_grade=e.grade,
            difference=Decimal(0),
        )
        for e in evaluations
    )
    rectifications = Rectification.objects.bulk_create(  # 整改 of every evaluation, 整改中
        Rectification(
            unit=e.unit,
            year=YEAR,
            project=e.project,
            cause="deviation",
            evaluation=e,
            review_by="dept_reviewer",
            problem=f"批量整改{e.pk}",
            deadline=dt.date(YEAR + 1, 6, 30),
            raised_at=timezone.now(),
        )
        for e in evaluations
    )
    ScoringScheme.objects.bulk_create(
        ScoringScheme(code=f"bulk-{i}", name=f"方案{i}") for i in range(n)
    )
    jobs = Job.objects.bulk_create(
        Job(kind=JobKind.RECOMPUTE, created_by=actor, unit=units[i], params={"year": YEAR})
        for i in range(n)
    )
    ImportRun.objects.bulk_create(
        ImportRun(
            kind="targets",
            filename=f"导入{i}.csv",
            status="committed",
            counts={"rows": 1},
            job=jobs[i],
            unit=units[i],
            created_by=actor,
        )
        for i in range(n)
    )
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bulk{i:05d}", first_name=f"批量用户{i}", password="!")
        for i in range(n)
    )
    Membership.objects.bulk_create(
        Membership(user=user, unit=unit, role=Role.FILLER)
        for user, unit in zip(users, units, strict=True)
    )
    Token.objects.bulk_create(Token(user=user, key=Token.generate_key()) for user in users)
    SchemeAssignment.objects.bulk_create(
        SchemeAssignment(unit=unit, scheme=scheme) for unit in units
    )
    ReportingWindow.objects.bulk_create(
        ReportingWindow(
            kind="self_evaluation",
            year=2030 + i,
            title=f"窗口{i}",
            opens_on=dt.date(2030, 1, 1),
            closes_on=dt.date(2030, 4, 30),
        )
        for i in range(n)
    )
    Notification.objects.bulk_create(
        Notification(
            recipient=recipient,
            unit=units[i],
            kind="returned",
            occasion_key=f"bulk-{i}",
            title=f"通知{i}",
        )
        for recipient in (actor, *recipients)
        for i in range(n)
    )
    intervals = IntervalSchedule.objects.bulk_create(
        IntervalSchedule(every=i + 1, period=IntervalSchedule.MINUTES) for i in range(n)
    )
    CrontabSchedule.objects.bulk_create(
        CrontabSchedule(minute=str(i % 60), hour=str(i // 60 % 24)) for i in range(n)
    )
    PeriodicTask.objects.bulk_create(
        PeriodicTask(
            name=f"批量任务{i}", task="performance.tasks.send_reminders", interval=interval
        )
        for i, interval in enumerate(intervals)
    )
    library = LibraryEntry.objects.bulk_create(
        LibraryEntry(
            code=f"027-9{i:04d}",
            unit=department,
            status="approved",
            level1="产出指标",
            level2="数量指标",
            level3=f"批量指标{i}",
            category="output",
            nature=">=",
            direction="positive",
            measure_unit="个",
        )
        for i in range(n)
    )
    for obj in (goals[0], projects[0], reports[0], evaluations[0], library[0], rectifications[0]):
        audit.record_many(
            entries=((obj, {"n": [None, i]}) for i in range(n)),
            actor=actor,
            action=AuditAction.UPDATE,
        )
    return {
        "units": units,
        "projects": projects,
        "goals": goals,
        "reports": reports,
        "evaluations": evaluations,
        "library": library,
        "rectifications": rectifications,
    }
