"""整改 (rectification) through the services: raised once per cause (closed rounds' red lights
and 完全不可能 forecasts, 差 grades, deviations, 复核 differences) or by hand, filled by the unit,
accepted or returned by its 验收方, reminded before the deadline and when overdue."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from performance.choices import (
    Grade,
    Light,
    NotificationKind,
    RectificationCause,
    RectificationReviewer,
    RoundStatus,
    Status,
)
from performance.models import (
    MonitoringEntry,
    MonitoringReport,
    Notification,
    Rectification,
    ReportingWindow,
    SelfEvaluation,
)
from performance.services import rectifications as rs
from performance.services import workflow
from performance.services.monitoring import monitoring_round_close, monitoring_round_open
from performance.services.recompute import recompute_year
from performance.services.spot_checks import spot_checks_finalize
from projects.models import AuditEntry, Unit
from tests.performance.services.test_spot_checks import published

pytestmark = pytest.mark.django_db
TODAY = dt.date(2024, 3, 1)


def _open_round(actor):
    return monitoring_round_open(
        actor=actor,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 20),
    )


@pytest.fixture
def closed_round(finance_reviewer, django_capture_on_commit_callbacks):
    round_ = _open_round(finance_reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        monitoring_round_close(actor=finance_reviewer, round_=round_)
    return round_


@pytest.fixture
def unit027(demo):
    return Unit.objects.get(code="027001")


def _approved_evaluation(**changes) -> SelfEvaluation:
    evaluation = SelfEvaluation.objects.filter(status=Status.APPROVED).order_by("pk").first()
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(**changes)
    return SelfEvaluation.objects.get(pk=evaluation.pk)


# --- raised automatically, once per cause ------------------------------------------------------


def test_closing_a_round_raises_one_task_per_red_report(closed_round):
    red = MonitoringReport.objects.filter(round=closed_round, light=Light.RED)
    assert red.exists()
    tasks = Rectification.objects.filter(cause=RectificationCause.RED_LIGHT)
    assert sorted(tasks.values_list("report_id", flat=True)) == sorted(
        red.values_list("pk", flat=True)
    )
    task = tasks.select_related("report").first()
    assert task.unit_id == task.report.unit_id and task.year == 2022
    assert task.review_by == RectificationReviewer.DEPT_REVIEWER
    assert task.status == Status.DRAFT and task.raised_by is None
    assert "综合预警为红灯" in task.problem
    assert AuditEntry.objects.filter(
        content_type__model="rectification", object_id=str(task.pk), action="create"
    ).exists()


def test_raising_again_creates_nothing(closed_round):
    before = Rectification.objects.count()
    again = rs.rectifications_raise(year=2022)
    assert again.total == 0 and again.ids == []
    assert Rectification.objects.count() == before
    assert rs.rectifications_raise().total == 0


def test_an_open_rounds_red_light_raises_nothing(finance_reviewer):
    round_ = _open_round(finance_reviewer)
    assert MonitoringReport.objects.filter(round=round_, light=Light.RED).exists()
    assert rs.rectifications_raise(year=2022).total == 0
    assert not Rectification.objects.exists()


def test_closing_a_round_ends_its_window_and_refuses_a_second_close(closed_round, finance_reviewer):
    closed_round.refresh_from_db()
    assert closed_round.status == RoundStatus.CLOSED
    assert closed_round.closed_by == finance_reviewer and closed_round.closed_at is not None
    assert not ReportingWindow.objects.get(monitoring_round=closed_round).is_active
    with pytest.raises(ValidationError) as error:
        monitoring_round_close(actor=finance_reviewer, round_=closed_round)
    assert "已于" in error.value.message_dict["status"][0]


def test_only_round_openers_close_a_round(finance_reviewer, dept_reviewer):
    round_ = _open_round(finance_reviewer)
    with pytest.raises(PermissionDenied):
        monitoring_round_close(actor=dept_reviewer, round_=round_)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.OPEN


def test_recompute_leaves_a_closed_rounds_reports_alone(closed_round):
    report = MonitoringReport.objects.filter(round=closed_round, light=Light.RED).first()
    MonitoringReport.objects.filter(pk=report.pk).update(light=Light.GREEN)
    counts = recompute_year(year=2022)
    report.refresh_from_db()
    assert report.light == Light.GREEN  # final: not recomputed
    assert counts["reports"] == 0


def test_impossible_forecast_raises_one_task_per_report_listing_its_entries(finance_reviewer):
    round_ = _open_round(finance_reviewer)
    report = MonitoringReport.objects.filter(round=round_).order_by("pk").first()
    entries = list(MonitoringEntry.objects.filter(report=report).order_by("pk")[:2])
    MonitoringEntry.objects.filter(pk__in=[e.pk for e in entries]).update(likelihood="impossible")
    monitoring_round_close(actor=finance_reviewer, round_=round_)
    rs.rectifications_raise(rounds=[round_])
    task = Rectification.objects.get(cause=RectificationCause.IMPOSSIBLE)
    assert task.report_id == report.pk
    for entry in entries:
        assert entry.indicator.level3 in task.problem
    assert rs.rectifications_raise(rounds=[round_]).total == 0


def test_poor_grade_raises_a_task_and_suppresses_the_deviation_task(demo):
    evaluation = _approved_evaluation(grade=Grade.POOR, has_deviation=True)
    result = rs.rectifications_raise(year=evaluation.year)
    assert result.created == {RectificationCause.POOR_GRADE: 1}
    task = Rectification.objects.get(evaluation=evaluation)
    assert task.cause == RectificationCause.POOR_GRADE
    assert "等级为“差”" in task.problem


def test_declared_deviation_raises_its_own_task(demo):
    evaluation = _approved_evaluation(grade=Grade.GOOD, has_deviation=True)
    rs.rectifications_raise(evaluations=[evaluation])
    assert Rectification.objects.get(evaluation=evaluation).cause == RectificationCause.DEVIATION


def test_an_unapproved_poor_evaluation_raises_nothing(demo):
    evaluation = _approved_evaluation(grade=Grade.POOR, status=Status.SUBMITTED)
    assert rs.rectifications_raise(evaluations=[evaluation]).total == 0


def test_new_task_tells_unit_staff_and_department_once(demo):
    evaluation = _approved_evaluation(grade=Grade.POOR)
    rs.rectifications_raise(evaluations=[evaluation])
    task = Rectification.objects.get(evaluation=evaluation)
    sent = Notification.objects.filter(occasion_key=f"rectification:{task.pk}:raised")
    assert sent.exists()
    assert {n.kind for n in sent} == {NotificationKind.RECTIFICATION_RAISED}
    roles = {m.role for n in sent for m in n.recipient.memberships.all()}
    assert "dept_reviewer" in roles
    count = sent.count()
    rs.rectifications_raise(evaluations=[evaluation])
    assert sent.count() == count


def test_review_difference_at_threshold_raises_a_finance_task(
    finance_reviewer,
    finance2,
    settings,
):
    settings.SPOT_CHECK_DIFFERENCE_THRESHOLD = 100
    spot_check = published(finance_reviewer, finance2)
    spot_checks_finalize(today=spot_check.objection_deadline + dt.timedelta(days=1))
    spot_check.refresh_from_db()
    assert spot_check.final_difference > 0
    assert not Rectification.objects.filter(spot_check=spot_check).exists()

    settings.SPOT_CHECK_DIFFERENCE_THRESHOLD = spot_check.final_difference + D("0.01")
    assert rs.rectifications_raise(spot_checks=[spot_check]).total == 0
    settings.SPOT_CHECK_DIFFERENCE_THRESHOLD = spot_check.final_difference
    rs.rectifications_raise(spot_checks=[spot_check])
    task = Rectification.objects.get(spot_check=spot_check)
    assert task.cause == RectificationCause.REVIEW_DIFFERENCE
    assert task.review_by == RectificationReviewer.FINANCE_REVIEWER


def test_an_understated_self_score_raises_no_review_task(
    finance_reviewer,
    finance2,
    settings,
):
    spot_check = published(finance_reviewer, finance2)
    spot_checks_finalize(today=spot_check.objection_deadline + dt.timedelta(days=1))
    type(spot_check).objects.filter(pk=spot_check.pk).update(final_difference=D("-30"))
    settings.SPOT_CHECK_DIFFERENCE_THRESHOLD = 5
    assert rs.rectifications_raise(spot_checks=[spot_check]).total == 0


def test_final_spot_check_raises_its_task_inline(
    finance_reviewer,
    finance2,
    settings,
):
    settings.SPOT_CHECK_DIFFERENCE_THRESHOLD = 0
    spot_check = published(finance_reviewer, finance2)
    spot_checks_finalize(today=spot_check.objection_deadline + dt.timedelta(days=1))
    assert Rectification.objects.filter(spot_check=spot_check).count() == 1


def test_upheld_objection_raises_its_review_task_at_once(
    finance_reviewer,
    finance2,
    reviewer305,
):
    """The decision is as final as the lapsed objection period: 维持 12.00 ≥ 10 raises the
    复核差异 task inline, not first at the daily sweep; the objection itself raises none."""
    from performance.services import spot_checks as sc

    spot_check = published(finance_reviewer, finance2)
    sc.spot_check_object(actor=reviewer305, spot_check=spot_check, reason="已完成")
    assert not Rectification.objects.filter(spot_check=spot_check).exists()
    sc.spot_check_decide(actor=finance2, spot_check=spot_check, decision="upheld", comment="维持")
    task = Rectification.objects.get(spot_check=spot_check)
    assert task.cause == RectificationCause.REVIEW_DIFFERENCE
    assert task.review_by == RectificationReviewer.FINANCE_REVIEWER


def test_database_refuses_a_second_task_for_the_same_cause(closed_round):
    task = Rectification.objects.filter(cause=RectificationCause.RED_LIGHT).first()
    duplicate = Rectification(
        unit=task.unit,
        year=task.year,
        cause=task.cause,
        report=task.report,
        review_by=task.review_by,
        problem="重复",
        deadline=task.deadline,
        raised_at=timezone.now(),
    )
    with pytest.raises(ValidationError):
        duplicate.full_clean()


# --- by hand ------------------------------------------------------------------------------------


def test_department_reviewer_raises_a_task_the_department_accepts(dept_reviewer, unit027):
    task = rs.rectification_raise(
        actor=dept_reviewer,
        unit=unit027,
        year=2023,
        problem="项目资料不全",
        deadline=timezone.localdate() + dt.timedelta(days=10),
    )
    assert task.cause == RectificationCause.MANUAL
    assert task.review_by == RectificationReviewer.DEPT_REVIEWER
    assert task.raised_by == dept_reviewer


def test_finance_reviewer_raises_a_finance_level_task(finance_reviewer, unit027):
    task = rs.rectification_raise(
        actor=finance_reviewer,
        unit=unit027,
        year=2023,
        problem="绩效目标不够细化",
        deadline=timezone.localdate() + dt.timedelta(days=10),
    )
    assert task.review_by == RectificationReviewer.FINANCE_REVIEWER


def test_manual_raise_refuses_past_deadline_and_empty_problem(dept_reviewer, unit027):
    with pytest.raises(ValidationError) as error:
        rs.rectification_raise(
            actor=dept_reviewer,
            unit=unit027,
            year=2023,
            problem=" ",
            deadline=timezone.localdate() - dt.timedelta(days=1),
        )
    assert error.value.message_dict == {
        "problem": ["请填写存在问题。"],
        "deadline": ["整改期限不能早于今天。"],
    }
    assert not Rectification.objects.exists()


def test_unit_staff_and_other_departments_cannot_raise(filler, outsider_dept_reviewer, unit027):
    for actor in (filler, outsider_dept_reviewer):
        with pytest.raises(PermissionDenied):
            rs.rectification_raise(
                actor=actor,
                unit=unit027,
                year=2023,
                problem="x",
                deadline=timezone.localdate(),
            )
    assert not Rectification.objects.exists()


# --- answered, accepted, returned -------------------------------------------------------------


def _task(actor, unit):
    return rs.rectification_raise(
        actor=actor,
        unit=unit,
        year=2023,
        problem="项目资料不全",
        deadline=timezone.localdate() + dt.timedelta(days=10),
    )


def test_unit_answers_and_department_accepts_closing_the_task(filler, dept_reviewer, unit027):
    task = _task(dept_reviewer, unit027)
    rs.rectification_update(
        actor=filler,
        rectification=task,
        data={"measures": "补齐资料", "result": "已补齐"},
        expected_version=task.lock_version,
    )
    workflow.submit(obj=task, actor=filler)
    workflow.approve(obj=task, actor=dept_reviewer, comment="同意销号")
    task.refresh_from_db()
    assert task.status == Status.APPROVED and task.closed_at is not None
    assert (task.measures, task.result) == ("补齐资料", "已补齐")
    assert AuditEntry.objects.filter(
        object_id=str(task.pk), transition="rectification_accept"
    ).exists()


def test_return_requires_a_comment_and_reopens_the_task(filler, dept_reviewer, unit027):
    task = _task(dept_reviewer, unit027)
    workflow.submit(obj=task, actor=filler)
    with pytest.raises(ValidationError):
        workflow.return_(obj=task, actor=dept_reviewer, comment="")
    workflow.return_(obj=task, actor=dept_reviewer, comment="佐证不足")
    task.refresh_from_db()
    assert task.status == Status.RETURNED and task.closed_at is None
    rs.rectification_update(
        actor=filler, rectification=task, data={"measures": "补充"}, expected_version=None
    )


def test_department_cannot_accept_a_finance_level_task(
    filler, dept_reviewer, finance_reviewer, unit027
):
    task = _task(finance_reviewer, unit027)
    workflow.submit(obj=task, actor=filler)
    assert workflow.APPROVE not in workflow.allowed_actions(task, dept_reviewer)
    with pytest.raises(PermissionDenied):
        workflow.approve(obj=task, actor=dept_reviewer)
    assert workflow.APPROVE in workflow.allowed_actions(task, finance_reviewer)
    workflow.approve(obj=task, actor=finance_reviewer)
    task.refresh_from_db()
    assert task.status == Status.APPROVED


def test_unit_cannot_change_the_requirement_or_deadline(filler, dept_reviewer, unit027):
    task = _task(dept_reviewer, unit027)
    with pytest.raises(PermissionDenied):
        rs.rectification_update(
            actor=filler,
            rectification=task,
            data={"deadline": task.deadline + dt.timedelta(days=30)},
            expected_version=None,
        )
    with pytest.raises(ValidationError) as error:
        rs.rectification_update(
            actor=filler, rectification=task, data={"cause": "manual"}, expected_version=None
        )
    assert error.value.message_dict == {"cause": ["该字段不能在此修改。"]}


def test_reviewer_extends_the_deadline_while_open_audited(dept_reviewer, unit027):
    task = _task(dept_reviewer, unit027)
    new = task.deadline + dt.timedelta(days=30)
    rs.rectification_update(
        actor=dept_reviewer, rectification=task, data={"deadline": new}, expected_version=None
    )
    task.refresh_from_db()
    assert task.deadline == new
    assert AuditEntry.objects.filter(object_id=str(task.pk), action="update").exists()


def test_unit_cannot_edit_a_submitted_task(filler, dept_reviewer, unit027):
    task = _task(dept_reviewer, unit027)
    workflow.submit(obj=task, actor=filler)
    with pytest.raises(ValidationError):
        rs.rectification_update(
            actor=filler, rectification=task, data={"measures": "x"}, expected_version=None
        )


# --- reminders ------------------------------------------------------------------------------------


def test_due_and_overdue_reminders_go_out_once_each_overdue_escalated(dept_reviewer, unit027):
    task = _task(dept_reviewer, unit027)
    far = task.deadline - dt.timedelta(days=30)
    assert rs.rectification_reminders(today=far) == 0
    due_day = task.deadline - dt.timedelta(days=3)
    assert rs.rectification_reminders(today=due_day) > 0
    assert rs.rectification_reminders(today=due_day) == 0
    due = Notification.objects.filter(kind=NotificationKind.RECTIFICATION_DUE)
    assert {n.occasion_key for n in due} == {f"rectification:{task.pk}:due:{task.deadline}"}
    assert "dept027" not in {n.recipient.username for n in due}

    late = task.deadline + dt.timedelta(days=2)
    assert rs.rectification_reminders(today=late) > 0
    assert rs.rectification_reminders(today=late + dt.timedelta(days=1)) == 0
    overdue = Notification.objects.filter(kind=NotificationKind.RECTIFICATION_OVERDUE)
    assert "dept027" in {n.recipient.username for n in overdue}


def test_an_extended_deadline_reminds_again_once(dept_reviewer, unit027):
    task = _task(dept_reviewer, unit027)
    rs.rectification_reminders(today=task.deadline - dt.timedelta(days=1))
    new = task.deadline + dt.timedelta(days=20)
    Rectification.objects.filter(pk=task.pk).update(deadline=new)
    assert rs.rectification_reminders(today=new - dt.timedelta(days=1)) > 0
    assert rs.rectification_reminders(today=new - dt.timedelta(days=1)) == 0


def test_a_closed_task_is_not_reminded(filler, dept_reviewer, unit027):
    task = _task(dept_reviewer, unit027)
    workflow.submit(obj=task, actor=filler)
    workflow.approve(obj=task, actor=dept_reviewer)
    assert rs.rectification_reminders(today=task.deadline + dt.timedelta(days=5)) == 0


def test_finance_approval_of_a_poor_evaluation_raises_its_task_at_once(finance_reviewer):
    evaluation = _approved_evaluation(grade=Grade.POOR, status=Status.DEPT_APPROVED)
    assert not Rectification.objects.exists()
    workflow.approve(obj=evaluation, actor=finance_reviewer)
    task = Rectification.objects.get(evaluation=evaluation)
    assert task.cause == RectificationCause.POOR_GRADE


# --- 待办 -----------------------------------------------------------------------------------------


def test_open_task_is_a_todo_line_of_the_unit_with_its_deadline(filler, dept_reviewer, unit027):
    from performance.selectors.todo import todo_for

    task = _task(dept_reviewer, unit027)
    (item,) = todo_for(filler, kind="rectification.open").items
    assert item.key == f"rectification.open:{task.pk}"
    assert item.due == task.deadline
    assert "整改任务（其他（人工发起））" in item.title
    assert item.link == f"/admin/performance/rectification/{task.pk}/change/"
    assert todo_for(dept_reviewer, kind="rectification.open").items == []


def test_submitted_task_waits_for_its_reviewers_only(
    filler, dept_reviewer, finance_reviewer, outsider_dept_reviewer, unit027
):
    from performance.selectors.todo import todo_for

    dept_task = _task(dept_reviewer, unit027)
    finance_task = _task(finance_reviewer, unit027)
    for task in (dept_task, finance_task):
        workflow.submit(obj=task, actor=filler)
    assert todo_for(filler, kind="rectification.open").items == []

    def keys(user):
        return {i.object_id for i in todo_for(user, kind="rectification.review").items}

    assert keys(dept_reviewer) == {dept_task.pk}
    assert keys(finance_reviewer) == {dept_task.pk, finance_task.pk}
    assert keys(outsider_dept_reviewer) == set()


# --- evidence -----------------------------------------------------------------------------------


def test_unit_attaches_evidence_while_open_and_files_freeze_on_acceptance(
    filler, dept_reviewer, unit027, evidence_storage
):
    from performance.choices import AttachmentKind
    from performance.services import attachments
    from tests.support.evidence_files import pdf_bytes
    from tests.support.evidence_files import upload as evidence_upload

    task = _task(dept_reviewer, unit027)
    anchor = attachments.Anchor(kind=AttachmentKind.RECTIFICATION, obj=task)
    [stored] = attachments.attachment_add(
        actor=filler, anchor=anchor, files=[evidence_upload("整改报告.pdf", pdf_bytes("a"))]
    )
    assert (stored.rectification_id, stored.unit_id, stored.year) == (task.pk, unit027.pk, 2023)
    workflow.submit(obj=task, actor=filler)
    workflow.approve(obj=task, actor=dept_reviewer)
    task.refresh_from_db()
    with pytest.raises(ValidationError):
        attachments.attachment_add(
            actor=filler,
            anchor=attachments.Anchor(kind=AttachmentKind.RECTIFICATION, obj=task),
            files=[evidence_upload("补充.pdf", pdf_bytes("b"))],
        )
    with pytest.raises(ValidationError):
        attachments.attachment_delete(actor=filler, attachment=stored)
