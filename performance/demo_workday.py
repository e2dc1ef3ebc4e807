"""A working day in the demo: something in every role's 待办, dated relative to today.

``manage.py load_demo`` calls :func:`load_demo_workday` (``--no-workday`` skips it); the test
fixture's ``load_demo()`` does not, so the permission matrices keep their world. Through the
services as the demo users, on 027001's 2022 goals (adjustments, v2):

- 7677: submitted 7 working days ago — dept027's oldest line, past its 5-working-day deadline;
- 18835: approved by dept027 2 working days ago — the finance bureau's line;
- 7680: returned by dept027 with a comment — filler027's 被退回 line;
- 18839: a draft adjustment — filler027's 待提交 line, due with the adjustment window of 2022,
  open until ``today + 10`` (created or moved here).

Running it again changes nothing but the window's dates (kept relative to today).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from projects.models import AuditAction, AuditEntry

from .choices import Status, WindowKind
from .models import PerformanceGoal, ReportingWindow
from .selectors.todo.timing import is_workday
from .services import workflow

YEAR = 2022
SUBMITTED, DEPT_APPROVED, RETURNED, DRAFT = (
    "410395220000000007677",
    "410395220000000018835",
    "410395220000000007680",
    "410395220000000018839",
)
RETURN_COMMENT = "请补充满意度调查方式并细化成本测算依据。"
ADJUSTMENT_WINDOW = "2022年度绩效目标调整（演示）"


def _working_days_before(today: dt.date, n: int) -> dt.date:
    day = today
    while n > 0:
        day -= dt.timedelta(days=1)
        if is_workday(day):
            n -= 1
    return day


def _move_back(goal: PerformanceGoal, day: dt.date) -> None:
    """Date the goal's transitions (and its submission) on ``day`` around 10:00 local time,
    keeping their order: the latest one marks its arrival at the current step."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))
    entries = AuditEntry.objects.filter(
        content_type__app_label="performance",
        content_type__model="performancegoal",
        object_id=str(goal.pk),
        action=AuditAction.TRANSITION,
    ).order_by("-created_at", "-id")
    for minutes, pk in enumerate(entries.values_list("pk", flat=True)):
        AuditEntry.objects.filter(pk=pk).update(created_at=moment - dt.timedelta(minutes=minutes))
    PerformanceGoal.objects.filter(pk=goal.pk).update(submitted_at=moment, step_entered_at=moment)


def _adjusted(code: str, filler) -> PerformanceGoal | None:
    """A new v2 of the project's approved goal, or ``None`` when one exists already."""
    if PerformanceGoal.objects.filter(project__code=code, year=YEAR, version__gt=1).exists():
        return None
    approved = PerformanceGoal.objects.get(project__code=code, year=YEAR, status=Status.APPROVED)
    return workflow.goal_adjust(goal=approved, actor=filler, reason="年中预算调整（演示）")


@transaction.atomic
def load_demo_workday(today: dt.date | None = None) -> None:
    """Put something in every demo role's 待办 (see the module docstring)."""
    today = today or timezone.localdate()
    users = get_user_model().objects.in_bulk(["filler027", "dept027"], field_name="username")
    filler, dept = users["filler027"], users["dept027"]
    window, _ = ReportingWindow.objects.get_or_create(
        kind=WindowKind.ADJUSTMENT,
        year=YEAR,
        title=ADJUSTMENT_WINDOW,
        defaults={"opens_on": today, "closes_on": today, "lead_days": 3},
    )
    window.opens_on, window.closes_on = today - dt.timedelta(days=20), today + dt.timedelta(10)
    window.save(update_fields=["opens_on", "closes_on"])

    goal = _adjusted(SUBMITTED, filler)
    if goal is not None:
        workflow.submit(obj=goal, actor=filler)
        _move_back(goal, _working_days_before(today, 7))
    goal = _adjusted(DEPT_APPROVED, filler)
    if goal is not None:
        workflow.submit(obj=goal, actor=filler)
        workflow.approve(obj=goal, actor=dept, comment="同意，报财政审核。")
        _move_back(goal, _working_days_before(today, 2))
    goal = _adjusted(RETURNED, filler)
    if goal is not None:
        workflow.submit(obj=goal, actor=filler)
        workflow.return_(obj=goal, actor=dept, comment=RETURN_COMMENT)
    _adjusted(DRAFT, filler)
