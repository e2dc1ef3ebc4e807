"""Who is told when a document moves through review (issue 15, N1 N2 N4 N6): the reviewers of
the step it reached, the unit's staff when it is approved, once per occasion, never the actor;
mail digested inside a bulk operation; opening a notice reads it and goes to its object."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from performance.choices import NotificationKind, Status
from performance.models import Notification, PerformanceGoal
from performance.services import notifications, schemes, workflow
from performance.services.reminders import reminders_sweep, review_escalation_sweep
from projects.audit import history
from projects.models import Unit

from ...support.goal_helpers import new_goal, new_project

pytestmark = pytest.mark.django_db


def told(kind: str, obj=None) -> list[str]:
    """Usernames told ``kind`` (about ``obj``), sorted."""
    rows = Notification.objects.filter(kind=kind)
    if obj is not None:
        rows = rows.filter(occasion_key__contains=f":{obj._meta.model_name}:{obj.pk}:")
    return sorted(rows.values_list("recipient__username", flat=True))


def test_every_transition_records_when_the_document_reached_its_step(
    filler, dept_reviewer, monkeypatch
):
    goal = new_goal(filler)
    submitted_at = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: submitted_at)
    workflow.submit(obj=goal, actor=filler)
    assert PerformanceGoal.objects.get(pk=goal.pk).step_entered_at == submitted_at

    approved_at = submitted_at + dt.timedelta(days=3)
    monkeypatch.setattr(timezone, "now", lambda: approved_at)
    workflow.approve(obj=goal, actor=dept_reviewer, comment="同意")
    assert PerformanceGoal.objects.get(pk=goal.pk).step_entered_at == approved_at


def test_existing_documents_take_their_arrival_from_their_latest_transition(filler):
    goal = new_goal(filler)
    workflow.submit(obj=goal, actor=filler)
    entry = history(goal).filter(action="transition").latest("created_at")
    earlier = entry.created_at - dt.timedelta(days=9)
    type(entry).objects.filter(pk=entry.pk).update(created_at=earlier)
    PerformanceGoal.objects.filter(pk=goal.pk).update(step_entered_at=None)

    migration = importlib.import_module("performance.migrations.0018_reviewed_step_entered_at")
    migration.fill_step_entered_at(apps, None)

    assert PerformanceGoal.objects.get(pk=goal.pk).step_entered_at == earlier


def test_reaching_the_department_step_tells_its_reviewers_once(
    filler, dept_reviewer, outsider_dept_reviewer, django_capture_on_commit_callbacks
):
    goal = new_goal(filler)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(obj=goal, actor=filler)

    assert told(NotificationKind.REVIEW_WAITING, goal) == ["dept027"]
    (notice,) = Notification.objects.filter(kind=NotificationKind.REVIEW_WAITING)
    assert notice.occasion_key == f"review:performancegoal:{goal.pk}:v2"
    assert notice.link == reverse("admin:performance_performancegoal_change", args=[goal.pk])
    assert [m.to for m in mail.outbox] == [[dept_reviewer.email]]
    # the same occasion again (a redelivered task, a retried call) tells nobody twice
    goal.refresh_from_db()
    assert notifications.notify_step_reached(obj=goal, roles=["dept_reviewer"], actor=None) == 0


def test_resubmission_after_a_return_is_a_new_occasion(filler, dept_reviewer):
    goal = new_goal(filler)
    workflow.submit(obj=goal, actor=filler)
    workflow.return_(obj=goal, actor=dept_reviewer, comment="请补充成本测算依据。")
    workflow.submit(obj=goal, actor=filler)

    keys = Notification.objects.filter(
        kind=NotificationKind.REVIEW_WAITING, recipient=dept_reviewer
    ).values_list("occasion_key", flat=True)
    assert sorted(keys) == [
        f"review:performancegoal:{goal.pk}:v2",
        f"review:performancegoal:{goal.pk}:v4",
    ]


def test_approval_tells_the_unit_staff_but_not_the_approver(
    filler, unit_reviewer, dept_reviewer, finance_reviewer
):
    goal = new_goal(filler)
    workflow.submit(obj=goal, actor=filler)
    workflow.approve(obj=goal, actor=dept_reviewer, comment="同意，报财政。")

    assert told(NotificationKind.APPROVED, goal) == ["filler027", "reviewer027"]
    approved = Notification.objects.filter(kind=NotificationKind.APPROVED).first()
    assert "已通过主管部门审核，已报财政" in approved.title
    assert "同意，报财政。" in approved.body
    assert told(NotificationKind.REVIEW_WAITING, goal) == ["dept027", "finance"]
    assert not Notification.objects.filter(
        recipient=dept_reviewer, kind=NotificationKind.APPROVED
    ).exists()


def test_finance_approval_tells_the_unit(filler, dept_reviewer, finance_reviewer):
    goal = new_goal(filler)
    workflow.submit(obj=goal, actor=filler)
    workflow.approve(obj=goal, actor=dept_reviewer)
    workflow.approve(obj=goal, actor=finance_reviewer, quality_grade="good")

    titles = Notification.objects.filter(
        kind=NotificationKind.APPROVED, recipient=filler
    ).values_list("title", flat=True)
    assert sorted(t.split("：")[0] for t in titles) == [
        "绩效目标已获财政批复",
        "绩效目标已通过主管部门审核，已报财政",
    ]
    assert goal.status == Status.APPROVED


def test_a_return_tells_the_unit_staff_and_a_submission_its_reviewers(
    filler, unit_reviewer, dept_reviewer
):
    goal = new_goal(unit_reviewer)
    workflow.submit(obj=goal, actor=unit_reviewer)
    workflow.return_(obj=goal, actor=dept_reviewer, comment="请修改。")
    assert told(NotificationKind.RETURNED, goal) == ["filler027", "reviewer027"]
    assert told(NotificationKind.REVIEW_WAITING, goal) == ["dept027"]


def test_bulk_approval_sends_one_digest_mail_per_recipient(
    filler, unit_reviewer, dept_reviewer, django_capture_on_commit_callbacks
):
    goals = [
        new_goal(filler, project=new_project(filler, code=f"41039523000000090000{n}"))
        for n in range(1, 4)
    ]
    for goal in goals:
        workflow.submit(obj=goal, actor=filler)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True), notifications.batch("批量审核"):
        for goal in goals:
            workflow.approve(obj=goal, actor=dept_reviewer)

    assert len(mail.outbox) == len({m.to[0] for m in mail.outbox})  # one mail per recipient
    for user in (filler, unit_reviewer):
        (message,) = [m for m in mail.outbox if m.to == [user.email]]
        assert message.subject == "【绩效管理】批量审核：您有 3 条新通知"
        assert message.body.count("已通过主管部门审核，已报财政") == 3
    # the inbox keeps one row per occasion, each marked mailed
    rows = Notification.objects.filter(kind=NotificationKind.APPROVED)
    assert rows.count() == 6 and not rows.filter(emailed_at__isnull=True).exists()


def test_opening_a_notification_marks_it_read_and_goes_to_its_object(client, filler, dept_reviewer):
    goal = new_goal(filler)
    workflow.submit(obj=goal, actor=filler)
    notice = Notification.objects.get(recipient=dept_reviewer, kind=NotificationKind.REVIEW_WAITING)
    assert notice.read_at is None

    client.force_login(dept_reviewer)
    listing = client.get(reverse("admin:performance_notification_changelist"))
    open_url = reverse("admin:performance_notification_open", args=[notice.pk])
    assert open_url in listing.content.decode()
    response = client.get(open_url)

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:performance_performancegoal_change", args=[goal.pk]
    )
    notice.refresh_from_db()
    assert notice.read_at is not None


@pytest.mark.parametrize(
    "link", ["https://evil.example/x", "//evil.example/x", "/\\evil.example/x", "javascript:x"]
)
def test_open_refuses_foreign_links_and_others_notifications(client, filler, outsider, link):
    notice = Notification.objects.create(
        recipient=filler, kind=NotificationKind.RETURNED, occasion_key="t:1", title="t", link=link
    )
    open_url = reverse("admin:performance_notification_open", args=[notice.pk])

    client.force_login(outsider)
    assert client.get(open_url).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None

    client.force_login(filler)
    response = client.get(open_url)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:performance_notification_change", args=[notice.pk]
    )


# --- escalation (N3) -------------------------------------------------------------------------


def waiting_since(goal, moment: dt.datetime) -> None:
    PerformanceGoal.objects.filter(pk=goal.pk).update(step_entered_at=moment)


def escalated(goal) -> list[str]:
    return told(NotificationKind.REVIEW_OVERDUE, goal)


FRIDAY_MORNING = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def test_a_step_waiting_more_than_five_working_days_escalates_once_to_the_next_level(
    filler, dept_reviewer, finance_reviewer, finance_admin
):
    goal = new_goal(filler)
    workflow.submit(obj=goal, actor=filler)
    waiting_since(goal, FRIDAY_MORNING)
    schemes.calendar_day_save(
        data={"date": dt.date(2026, 12, 1), "name": "测试假日"}, actor=finance_admin
    )

    # Mon 30, Wed 2, Thu 3, Fri 4, Mon 7: five working days (Tue 1 is listed as a holiday)
    reminders_sweep(today=dt.date(2026, 12, 7))
    assert escalated(goal) == []

    reminders_sweep(today=dt.date(2026, 12, 8))  # the sixth
    assert escalated(goal) == ["finance"]
    (notice,) = Notification.objects.filter(kind=NotificationKind.REVIEW_OVERDUE)
    assert notice.occasion_key == f"escalate:performancegoal:{goal.pk}:v2"
    assert "已等待 6 个工作日" in notice.title and "主管部门审核人" in notice.body

    assert review_escalation_sweep(today=dt.date(2026, 12, 9)) == 0  # once per stay


def test_escalation_days_zero_never_escalates(filler, finance_admin):
    schemes.bureau_policy_save(
        bureau=Unit.objects.get(kind="finance"),
        data={"escalation_working_days": 0},
        actor=finance_admin,
    )
    goal = new_goal(filler)
    workflow.submit(obj=goal, actor=filler)
    waiting_since(goal, FRIDAY_MORNING - dt.timedelta(days=300))

    assert review_escalation_sweep(today=dt.date(2026, 12, 8)) == 0


def test_a_bureau_with_fewer_escalation_days_escalates_sooner(filler, finance_admin):
    schemes.bureau_policy_save(
        bureau=Unit.objects.get(kind="finance"),
        data={"escalation_working_days": 1},
        actor=finance_admin,
    )
    goal = new_goal(filler)
    workflow.submit(obj=goal, actor=filler)
    waiting_since(goal, FRIDAY_MORNING)

    assert review_escalation_sweep(today=dt.date(2026, 11, 30)) == 0  # waited 1
    assert review_escalation_sweep(today=dt.date(2026, 12, 1)) == 1  # waited 2: finance told


def test_the_finance_step_escalates_to_the_bureaus_admin(
    filler, dept_reviewer, finance_admin, dept_admin
):
    goal = new_goal(filler)
    workflow.submit(obj=goal, actor=filler)
    workflow.approve(obj=goal, actor=dept_reviewer)
    waiting_since(goal, FRIDAY_MORNING)

    review_escalation_sweep(today=dt.date(2026, 12, 8))

    assert escalated(goal) == ["sysadmin"]  # not the department's 管理员


def test_a_superuser_reads_others_notices_without_marking_them_read(client, superuser, filler):
    theirs = Notification.objects.create(
        recipient=filler, kind=NotificationKind.RETURNED, occasion_key="t:2", title="别人的通知"
    )
    mine = Notification.objects.create(
        recipient=superuser, kind=NotificationKind.RETURNED, occasion_key="t:3", title="我的通知"
    )
    client.force_login(superuser)
    page = client.get(reverse("admin:performance_notification_changelist")).content.decode()

    assert reverse("admin:performance_notification_open", args=[mine.pk]) in page
    assert reverse("admin:performance_notification_open", args=[theirs.pk]) not in page
    assert reverse("admin:performance_notification_change", args=[theirs.pk]) in page
