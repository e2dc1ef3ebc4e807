"""The daily reminder sweep: who is reminded of what, when, and never twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from performance.choices import NotificationKind, Status, WindowKind
from performance.models import MonitoringReport, Notification, ReportingWindow
from performance.services import monitoring, workflow
from performance.services.reminders import reminders_sweep, window_key
from performance.tasks import reminders_sweep as reminders_sweep_task
from projects.choices import FundSource, ProjectCategory
from projects.models import Project, Unit
from projects.services import projects as project_services

pytestmark = pytest.mark.django_db

OPENS, CLOSES = dt.date(2024, 9, 1), dt.date(2024, 9, 30)


@pytest.fixture(autouse=True)
def _only_this_tests_windows(demo):
    """The demo's own windows (tested below) stay out of the other tests' counts."""
    ReportingWindow.objects.update(is_active=False)


def _window(kind=WindowKind.GOAL_SET, year=2024, **fields) -> ReportingWindow:
    values = {
        "kind": kind,
        "year": year,
        "title": f"{year}年度{WindowKind(kind).label}",
        "opens_on": OPENS,
        "closes_on": CLOSES,
        "lead_days": 5,
        **fields,
    }
    return ReportingWindow.objects.create(**values)


def _project_without_goal(year: int = 2024) -> Project:
    return project_services.project_save(
        data={
            "code": f"027001{year}901",
            "name": "演示：社保经办能力提升",
            "unit": Unit.objects.get(code="027001"),
            "year": year,
            "category": ProjectCategory.SPECIAL,
        }
    )


def _received(user, kind=None) -> list[Notification]:
    rows = Notification.objects.filter(recipient=user)
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows)


def test_a_window_not_yet_open_reminds_nobody(filler):
    _project_without_goal()
    _window()

    assert reminders_sweep(today=OPENS - dt.timedelta(days=1)) == 0
    assert not Notification.objects.exists()


def test_an_open_window_reminds_the_units_staff_once(filler, unit_reviewer, dept_reviewer):
    _project_without_goal()
    window = _window()

    first = reminders_sweep(today=OPENS)
    second = reminders_sweep(today=OPENS + dt.timedelta(days=1))

    assert first == 2 and second == 0
    for person in (filler, unit_reviewer):
        (notice,) = _received(person)
        assert notice.kind == NotificationKind.WINDOW_OPEN
        assert notice.occasion_key == window_key(window, "open", filler_unit_pk())
        assert "演示：社保经办能力提升" in notice.body
        assert "2024年09月30日" in notice.title
    assert _received(dept_reviewer) == []


def filler_unit_pk() -> int:
    return Unit.objects.get(code="027001").pk


def test_the_deadline_within_lead_days_is_a_second_reminder(filler):
    _project_without_goal()
    _window(lead_days=5)
    reminders_sweep(today=OPENS)

    assert reminders_sweep(today=CLOSES - dt.timedelta(days=6)) == 0
    assert reminders_sweep(today=CLOSES - dt.timedelta(days=5)) == 2
    assert reminders_sweep(today=CLOSES) == 0

    due = _received(filler, NotificationKind.WINDOW_DUE)
    assert len(due) == 1 and "剩 5 天" in due[0].title


def test_overdue_work_is_escalated_to_the_department_reviewer_only_of_that_unit(
    filler, unit_reviewer, dept_reviewer, outsider, outsider_dept_reviewer, finance_reviewer
):
    _project_without_goal()
    _window()

    created = reminders_sweep(today=CLOSES + dt.timedelta(days=1))

    assert created == 3
    for person in (filler, unit_reviewer, dept_reviewer):
        (notice,) = _received(person)
        assert notice.kind == NotificationKind.WINDOW_OVERDUE
        assert notice.unit.code == "027001"
    for person in (outsider, outsider_dept_reviewer, finance_reviewer):
        assert _received(person) == []
    assert reminders_sweep(today=CLOSES + dt.timedelta(days=30)) == 0


def test_a_sweep_starting_late_sends_only_the_current_stage(filler):
    _project_without_goal()
    _window()

    reminders_sweep(today=CLOSES + dt.timedelta(days=2))

    assert {n.kind for n in _received(filler)} == {NotificationKind.WINDOW_OVERDUE}


def test_units_whose_goals_are_handed_in_are_not_reminded(filler):
    # 027001's 2022 goals are all approved in the demo.
    _window(year=2022)

    assert reminders_sweep(today=CLOSES + dt.timedelta(days=1)) == 0


def test_a_returned_goal_is_work_due_again(filler, dept_reviewer):
    project = _project_without_goal()
    from performance.services import goals as goal_services

    goal = goal_services.goal_create(
        scope="project", year=2024, project=project, data={"overall_goal": "提升经办能力"}
    )
    _window()
    type(goal).objects.filter(pk=goal.pk).update(status=Status.SUBMITTED)
    assert reminders_sweep(today=OPENS) == 0

    type(goal).objects.filter(pk=goal.pk).update(status=Status.RETURNED)
    assert reminders_sweep(today=OPENS) == 2


def test_inactive_windows_are_ignored(filler):
    _project_without_goal()
    _window(is_active=False)

    assert reminders_sweep(today=OPENS) == 0


def test_monitoring_window_chases_reports_not_yet_submitted(filler, finance_reviewer):
    round_ = monitoring.monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 20),
    )
    window = ReportingWindow.objects.get(monitoring_round=round_)
    reports = MonitoringReport.objects.filter(round=round_, unit__code="027001")
    assert reports.count() == 10

    assert reminders_sweep(today=dt.date(2022, 8, 1)) == 2
    (notice,) = _received(filler, NotificationKind.WINDOW_OPEN)
    assert "10 项尚未提交绩效监控表" in notice.body
    assert notice.occasion_key == window_key(window, "open", filler_unit_pk())

    reports.update(status=Status.SUBMITTED)
    reminders_sweep(today=dt.date(2022, 8, 19))
    window_notices = Notification.objects.filter(occasion_key__startswith=f"window:{window.pk}:")
    assert window_notices.count() == 2  # only the opening notice: nothing left to chase


def test_self_evaluation_window_chases_projects_with_approved_goals(filler, dept_reviewer):
    _project_without_goal(year=2022)  # no approved goal: nothing to evaluate yet
    _window(kind=WindowKind.SELF_EVALUATION, year=2022)

    assert reminders_sweep(today=OPENS) == 2
    (notice,) = _received(filler)
    assert "10 项尚未提交绩效自评" in notice.body
    assert "演示：社保经办能力提升" not in notice.body


def test_adjustment_window_chases_changed_budgets_until_an_adjustment_is_opened(filler):
    project = Project.objects.filter(unit__code="027001", year=2022).order_by("code").first()
    budget = project.budgets.get()
    _window(kind=WindowKind.ADJUSTMENT, year=2022)
    assert reminders_sweep(today=OPENS) == 0

    project_services.project_set_budget(
        project=project,
        fund_source=budget.fund_source,
        amount=budget.amount,
        adjusted_amount=budget.amount + Decimal("5"),
    )
    assert reminders_sweep(today=OPENS) == 2
    (notice,) = _received(filler)
    assert notice.kind == NotificationKind.ADJUSTMENT_NEEDED
    assert project.name in notice.body

    goal = project.goals.get(status=Status.APPROVED)
    workflow.goal_adjust(goal=goal, actor=filler, reason="预算调整")
    assert reminders_sweep(today=CLOSES + dt.timedelta(days=1)) == 0


def test_each_new_reminder_is_mailed_once(
    filler, unit_reviewer, django_capture_on_commit_callbacks
):
    _project_without_goal()
    _window()

    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(today=OPENS)
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(today=OPENS)

    assert sorted(m.to[0] for m in mail.outbox) == [filler.email, unit_reviewer.email]
    assert all(m.subject.startswith("【绩效管理】") for m in mail.outbox)
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 2


def test_the_beat_task_runs_the_sweep_and_is_safe_to_run_twice(filler):
    _project_without_goal()
    _window()

    assert reminders_sweep_task.delay(OPENS.isoformat()).get() == 2
    assert reminders_sweep_task.delay(OPENS.isoformat()).get() == 0
    assert Notification.objects.count() == 2


def test_a_red_light_that_bypassed_the_report_service_is_warned_once(
    filler, dept_reviewer, finance_reviewer
):
    round_ = monitoring.monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 20),
    )
    ReportingWindow.objects.filter(monitoring_round=round_).update(is_active=False)
    report = MonitoringReport.objects.filter(round=round_).order_by("pk").first()
    # as a bulk recompute would leave it: red, submitted, nobody told yet
    MonitoringReport.objects.filter(pk=report.pk).update(light="red", status=Status.SUBMITTED)
    Notification.objects.filter(occasion_key=f"red:{report.pk}").delete()

    # before the deadline, so the other (draft) reports of the round are no news yet
    assert reminders_sweep(today=dt.date(2022, 8, 10)) == 3
    assert reminders_sweep(today=dt.date(2022, 8, 11)) == 0
    (notice,) = [n for n in _received(dept_reviewer) if n.occasion_key == f"red:{report.pk}"]
    assert notice.kind == NotificationKind.RED_LIGHT


def test_the_sweep_never_repeats_a_warning_the_report_service_sent(filler, finance_reviewer):
    # Issue 15: the report service warns when a red report is submitted (no longer when its
    # round opens); the sweep must not warn about it again.
    round_ = monitoring.monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 20),
    )
    ReportingWindow.objects.filter(monitoring_round=round_).update(is_active=False)
    report = MonitoringReport.objects.filter(round=round_, unit__code="027001").first()
    assert report.light == "red"
    workflow.submit(obj=report, actor=filler)
    already = set(Notification.objects.values_list("recipient_id", "occasion_key"))
    assert (filler.pk, f"red:{report.pk}") in already
    assert {key for _user, key in already if key.startswith("red:")} == {f"red:{report.pk}"}

    reminders_sweep(today=dt.date(2022, 8, 10))

    new = set(Notification.objects.values_list("recipient_id", "occasion_key")) - already
    assert not [key for _user, key in new if key.startswith("red:")]


def test_draft_reports_raise_no_light_warning_before_their_deadline(filler, finance_reviewer):
    round_ = monitoring.monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 20),
    )
    ReportingWindow.objects.filter(monitoring_round=round_).update(is_active=False)
    MonitoringReport.objects.filter(round=round_).update(light="red")

    assert reminders_sweep(today=dt.date(2022, 8, 20)) == 0


def test_a_red_draft_is_announced_once_its_deadline_has_passed(
    filler, unit_reviewer, dept_reviewer, finance_reviewer
):
    round_ = monitoring.monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 20),
    )
    ReportingWindow.objects.filter(monitoring_round=round_).update(is_active=False)
    report = MonitoringReport.objects.filter(round=round_, unit__code="027001").first()
    MonitoringReport.objects.filter(round=round_).exclude(pk=report.pk).update(light="green")
    assert report.light == "red" and report.status == Status.DRAFT

    assert reminders_sweep(today=dt.date(2022, 8, 21)) == 3
    assert reminders_sweep(today=dt.date(2022, 8, 22)) == 0
    told = Notification.objects.filter(occasion_key=f"red:{report.pk}")
    assert sorted(n.recipient.username for n in told) == ["dept027", "filler027", "reviewer027"]


def test_a_fund_source_change_without_amount_change_is_not_an_adjustment(filler):
    project = Project.objects.filter(unit__code="027001", year=2022).order_by("code").first()
    project_services.project_set_budget(
        project=project, fund_source=FundSource.CARRYOVER, amount=Decimal("3")
    )
    _window(kind=WindowKind.ADJUSTMENT, year=2022)

    assert reminders_sweep(today=OPENS) == 0


def test_the_demo_windows_remind_027001_and_escalate_to_dept027(
    filler, unit_reviewer, dept_reviewer, outsider, outsider_dept_reviewer
):
    ReportingWindow.objects.filter(
        title__in=["2022年度项目绩效自评", "2023年度项目绩效自评"]
    ).update(is_active=True)

    assert reminders_sweep(today=dt.date(2026, 5, 1)) == 3
    for person in (filler, unit_reviewer, dept_reviewer):
        (notice,) = _received(person)
        assert notice.kind == NotificationKind.WINDOW_OVERDUE
        assert "10 项尚未提交绩效自评" in notice.body
    assert _received(outsider) == [] and _received(outsider_dept_reviewer) == []


def test_mail_that_never_went_out_is_queued_again_and_sent_once(
    filler, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from performance.services.notifications import notify

    lost = notify(recipient=filler, kind=NotificationKind.WINDOW_DUE, occasion_key="x", title="t")
    fresh = notify(recipient=filler, kind=NotificationKind.WINDOW_DUE, occasion_key="y", title="u")
    Notification.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(today=OPENS)
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(today=OPENS)

    assert [m.subject for m in mail.outbox] == ["【绩效管理】t"]
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.emailed_at is not None and fresh.emailed_at is None


def test_a_worker_dying_between_claim_and_send_loses_no_mail(filler, monkeypatch):
    """The mail is claimed before sending and marked sent after: a claim left by a dead worker
    is taken over once it is MAIL_CLAIM_TIMEOUT old, a live worker's claim never is, and a
    failing mail server leaves the row unclaimed for the retry."""
    from django.utils import timezone

    from performance.services.notifications import MAIL_CLAIM_TIMEOUT, deliver_email, notify

    notice = notify(recipient=filler, kind=NotificationKind.WINDOW_DUE, occasion_key="c", title="t")
    now = timezone.now()

    # A worker claimed it a minute ago and may still be sending: hands off.
    Notification.objects.filter(pk=notice.pk).update(email_claimed_at=now)
    assert deliver_email(notification_id=notice.pk) is False
    assert mail.outbox == []

    # That worker died: once its claim is stale, the redelivered task sends it.
    stale = now - MAIL_CLAIM_TIMEOUT - dt.timedelta(seconds=1)
    Notification.objects.filter(pk=notice.pk).update(email_claimed_at=stale)
    assert deliver_email(notification_id=notice.pk) is True
    assert [m.subject for m in mail.outbox] == ["【绩效管理】t"]
    notice.refresh_from_db()
    assert notice.emailed_at is not None

    # Sent is sent: a later delivery attempt (even with an old claim) sends nothing.
    Notification.objects.filter(pk=notice.pk).update(email_claimed_at=stale)
    assert deliver_email(notification_id=notice.pk) is False
    assert len(mail.outbox) == 1

    # The mail server fails: the claim is released, so the task's retry can send it.
    other = notify(recipient=filler, kind=NotificationKind.WINDOW_DUE, occasion_key="d", title="u")

    def refuse(**kwargs):
        raise OSError("连接被拒绝")

    monkeypatch.setattr("django.core.mail.send_mail", refuse)
    with pytest.raises(OSError):
        deliver_email(notification_id=other.pk)
    other.refresh_from_db()
    assert other.email_claimed_at is None and other.emailed_at is None
    monkeypatch.undo()
    assert deliver_email(notification_id=other.pk) is True
    other.refresh_from_db()
    assert other.emailed_at is not None and len(mail.outbox) == 2


def test_light_warnings_write_rates_as_people_write_them(filler, dept_reviewer, finance_reviewer):
    round_ = monitoring.monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 20),
    )
    ReportingWindow.objects.filter(monitoring_round=round_).update(is_active=False)
    report = MonitoringReport.objects.filter(round=round_).order_by("pk").first()
    MonitoringReport.objects.filter(pk=report.pk).update(
        light="red",
        status=Status.SUBMITTED,
        execution_rate=Decimal("35.7"),
        time_progress=Decimal("58.33"),
    )
    Notification.objects.filter(occasion_key=f"red:{report.pk}").delete()

    reminders_sweep(today=dt.date(2023, 1, 5))
    (notice,) = [n for n in _received(dept_reviewer) if n.occasion_key == f"red:{report.pk}"]
    assert "预算执行率 35.7%，时间进度 58.33%。" in notice.body
