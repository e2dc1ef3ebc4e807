"""Monitoring rounds and reports through the services: the finance bureau opens a round, the
027001 filler fills values, the engine lights them, and the report goes through review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from performance.choices import Light, NotificationKind, Status, WindowKind
from performance.models import (
    MonitoringEntry,
    MonitoringReport,
    MonitoringRound,
    Notification,
    ReportingWindow,
)
from performance.services import workflow
from performance.services.monitoring import (
    monitoring_report_compute,
    monitoring_report_update,
    monitoring_round_open,
)
from projects import audit
from projects.models import Project
from projects.services import projects as project_services
from projects.services.locking import StaleObjectError

pytestmark = pytest.mark.django_db

PROJECT_CODE = "410395220000000007669"  # 社保、医保经办经费, 14.48万元, 10 indicators


def _open(actor, month=7):
    return monitoring_round_open(
        actor=actor,
        year=2022,
        data_month=month,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 20),
    )


@pytest.fixture
def round_(finance_reviewer):
    return _open(finance_reviewer)


@pytest.fixture
def report(round_):
    return MonitoringReport.objects.get(round=round_, project__code=PROJECT_CODE)


def _entry(report, level3, raw=None):
    rows = MonitoringEntry.objects.filter(report=report, indicator__level3=level3)
    if raw is not None:
        rows = rows.filter(indicator__raw_value=raw)
    return rows.get()


def _fresh(report):
    return MonitoringReport.objects.get(pk=report.pk)


def _fill(report, actor, entries, **data):
    return monitoring_report_update(report=report, actor=actor, data=data, entries=entries)


# --- opening a round -------------------------------------------------------------------------


def test_finance_opens_a_round_with_one_report_per_approved_project_goal(round_):
    reports = MonitoringReport.objects.filter(round=round_)
    assert reports.count() == Project.objects.filter(year=2022).count() == 10
    assert {r.status for r in reports} == {Status.DRAFT}
    assert MonitoringEntry.objects.filter(report__round=round_).count() == 72
    assert round_.title == "2022年1-7月绩效运行监控"
    window = ReportingWindow.objects.get(monitoring_round=round_)
    assert (window.kind, window.closes_on) == (WindowKind.MONITORING, dt.date(2022, 8, 20))
    assert audit.history(round_).filter(action="create").exists()
    assert all(audit.history(r).filter(action="create").exists() for r in reports)


def test_opening_a_round_twice_keeps_existing_reports(round_, finance_reviewer, report):
    _fill(report, None, [], summary="已填写")
    again = _open(finance_reviewer)
    assert again.pk == round_.pk
    assert MonitoringReport.objects.filter(round=round_).count() == 10
    assert _fresh(report).summary == "已填写"
    assert ReportingWindow.objects.filter(monitoring_round=round_).count() == 1


@pytest.mark.parametrize("persona", ["filler", "unit_reviewer", "dept_reviewer", "outsider"])
def test_only_the_finance_bureau_opens_rounds(request, persona):
    with pytest.raises(PermissionDenied, match="财政审核人或管理员"):
        _open(request.getfixturevalue(persona))
    assert not MonitoringRound.objects.exists()


def test_round_with_deadline_before_opening_is_refused(finance_reviewer):
    with pytest.raises(ValidationError) as error:
        monitoring_round_open(
            actor=finance_reviewer,
            year=2022,
            data_month=7,
            opens_on=dt.date(2022, 8, 20),
            deadline=dt.date(2022, 8, 1),
        )
    assert error.value.message_dict["deadline"] == ["截止日期不能早于开始日期。"]
    assert not MonitoringRound.objects.exists()


# --- figures and lights ----------------------------------------------------------------------


def test_executed_counts_records_up_to_the_end_of_the_data_month(report, filler):
    project = report.project
    project_services.execution_add(project=project, date=dt.date(2022, 3, 10), amount=Decimal("4"))
    project_services.execution_add(
        project=project, date=dt.date(2022, 7, 31), amount=Decimal("3.24")
    )
    project_services.execution_add(project=project, date=dt.date(2022, 8, 1), amount=Decimal("5"))
    report = monitoring_report_compute(report=report)
    assert report.budget == Decimal("14.48")
    assert report.executed == Decimal("7.24")
    assert report.execution_rate == Decimal("50.00")
    assert report.time_progress == Decimal("58.33")
    assert report.budget_light == Light.GREEN  # 50 / 58.33 = 85.7% of the time progress


def test_lights_follow_the_engine_for_every_kind_of_indicator(report, filler):
    project_services.execution_add(
        project=report.project, date=dt.date(2022, 7, 1), amount=Decimal("7.24")
    )
    report = _fill(
        report,
        filler,
        [
            {"indicator": _entry(report, "宣传资料").indicator_id, "value_raw": "1批"},
            {"indicator": _entry(report, "办公用品").indicator_id, "value_raw": "1"},
            {"indicator": _entry(report, "专用光纤").indicator_id, "value_raw": "7根"},
            {"indicator": _entry(report, "群众参保满意度").indicator_id, "value_raw": "85%"},
            {"indicator": _entry(report, "提升群众参保满意度").indicator_id, "value_raw": "65%"},
            {"indicator": _entry(report, "预算资金").indicator_id, "value_raw": "7.24万元"},
            {
                "indicator": _entry(report, "社保信息管理系统正常运行").indicator_id,
                "band": "部分达成",
            },
        ],
        forecast_executed="14.48",
    )
    lights = {e.indicator.level3: e.light for e in report.entries.select_related("indicator")}
    assert lights["宣传资料"] == Light.BLUE  # 1 / (1 × 7/12) = 171%
    assert lights["办公用品"] == Light.RED  # 1 / (3 × 7/12) = 57%
    assert lights["专用光纤"] == Light.GREEN  # 7 / (15 × 7/12) = 80%
    assert lights["群众参保满意度"] == Light.GREEN  # a rate is not pro-rated: 85 / 90 = 94%
    assert lights["提升群众参保满意度"] == Light.YELLOW  # 65 / 90 = 72%
    assert lights["预算资金"] == Light.GREEN  # 反向: 7.24 ≤ 14.48
    assert lights["社保信息管理系统正常运行"] == Light.YELLOW  # 部分达成
    assert lights["智慧社保网络身份认证软件"] == ""  # nothing reported yet
    assert report.budget_light == Light.GREEN
    assert report.light == Light.RED  # the worst light
    stored = _fresh(report)
    assert (stored.light, stored.forecast_executed) == (Light.RED, Decimal("14.48"))
    assert _entry(report, "专用光纤").value == Decimal("7")


def test_a_cost_overrun_is_red(report, filler):
    report = _fill(
        report, filler, [{"indicator": _entry(report, "预算资金").indicator_id, "value_raw": "15"}]
    )
    assert _entry(report, "预算资金").light == Light.RED


def test_a_red_light_notifies_unit_staff_and_department_reviewers_once(
    report, filler, unit_reviewer, dept_reviewer, monkeypatch
):
    # Issue 15: no money spent by July makes the budget light red from the moment the round
    # opens, which is no news; the warning comes once the report is handed in.
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2022, 8, 10, 2, tzinfo=dt.UTC))
    assert report.light == Light.RED
    sent = Notification.objects.filter(
        kind=NotificationKind.RED_LIGHT, occasion_key=f"red:{report.pk}"
    )
    monitoring_report_compute(report=report)
    _fill(report, filler, [], summary="一季度未支付")
    assert not sent.exists()  # a draft before its deadline

    workflow.submit(obj=_fresh(report), actor=filler)
    monitoring_report_compute(report=report)

    assert sorted(n.recipient.username for n in sent) == ["dept027", "filler027", "reviewer027"]


def test_opening_a_round_sends_no_light_notice(round_):
    assert MonitoringReport.objects.filter(round=round_, light=Light.RED).exists()
    assert not Notification.objects.filter(
        kind__in=[NotificationKind.RED_LIGHT, NotificationKind.IMPOSSIBLE]
    ).exists()


def test_completely_impossible_forecast_notifies_once_per_entry(report, filler):
    entry = _entry(report, "办公用品")
    for _ in range(2):
        _fill(
            report,
            filler,
            [
                {
                    "indicator": entry.indicator_id,
                    "value_raw": "0",
                    "forecast_raw": "1批",
                    "deviation_cause": "经费",
                    "likelihood": "完全不可能",
                    "deviation_note": "采购计划取消",
                    "measures": "调整目标",
                }
            ],
        )
    entry.refresh_from_db()
    assert (entry.deviation_cause, entry.likelihood) == ("funding", "impossible")
    sent = Notification.objects.filter(kind=NotificationKind.IMPOSSIBLE)
    assert sent.count() == 3
    assert {n.occasion_key for n in sent} == {f"impossible:{entry.pk}"}


# --- refusals --------------------------------------------------------------------------------


def test_unreadable_value_is_a_field_error_and_changes_nothing(report, filler):
    before = _fresh(report)
    entries = [
        {"indicator": _entry(report, "宣传资料").indicator_id, "value_raw": "2批"},
        {"indicator": _entry(report, "专用光纤").indicator_id, "value_raw": "十几根"},
    ]
    with pytest.raises(ValidationError) as error:
        _fill(report, filler, entries, summary="不应保存")
    assert list(error.value.message_dict) == ["entries[1].value_raw"]
    assert "「专用光纤」" in error.value.message_dict["entries[1].value_raw"][0]
    after = _fresh(report)
    assert (after.summary, after.lock_version) == (before.summary, before.lock_version)
    assert _entry(report, "宣传资料").value_raw == ""
    assert not audit.history(report).filter(action="update").exists()


def test_unknown_choice_and_foreign_indicator_are_field_errors(report, filler):
    other = MonitoringEntry.objects.exclude(report=report).first()
    with pytest.raises(ValidationError) as error:
        _fill(
            report,
            filler,
            [
                {"indicator": _entry(report, "宣传资料").indicator_id, "likelihood": "大概吧"},
                {"indicator": other.indicator_id, "value_raw": "1"},
            ],
        )
    assert set(error.value.message_dict) == {"entries[0].likelihood", "entries[1].indicator"}
    assert "确定能、有可能、完全不可能" in error.value.message_dict["entries[0].likelihood"][0]


def test_stale_write_is_refused(report, filler):
    _fill(report, filler, [], summary="第一次")
    with pytest.raises(StaleObjectError) as error:
        monitoring_report_update(
            report=report, actor=filler, data={"summary": "第二次"}, entries=[], expected_version=1
        )
    assert error.value.code == "stale"
    assert "已被其他用户修改" in error.value.messages[0]
    assert _fresh(report).summary == "第一次"


def test_another_unit_cannot_fill_the_report(report, outsider):
    with pytest.raises(PermissionDenied):
        _fill(report, outsider, [], summary="越权")
    assert _fresh(report).summary == ""


# --- review ----------------------------------------------------------------------------------


def test_report_is_submitted_returned_with_comment_resubmitted_and_approved(
    report, filler, dept_reviewer, finance_reviewer
):
    entry = _entry(report, "宣传资料")
    _fill(report, filler, [{"indicator": entry.indicator_id, "value_raw": "1批"}])
    workflow.submit(obj=report, actor=filler)
    with pytest.raises(ValidationError) as error:
        _fill(report, filler, [], summary="提交后不能改")
    assert error.value.message_dict["status"][0].startswith("监控表当前状态为“已提交”")

    with pytest.raises(ValidationError) as error:
        workflow.return_(obj=report, actor=dept_reviewer, comment="")
    assert error.value.code == "comment_required"
    assert _fresh(report).status == Status.SUBMITTED

    workflow.return_(obj=report, actor=dept_reviewer, comment="请补充偏差原因")
    report = _fresh(report)
    assert (report.status, report.last_comment) == (Status.RETURNED, "请补充偏差原因")
    assert Notification.objects.filter(
        kind=NotificationKind.RETURNED, recipient=filler, unit=report.unit
    ).exists()

    _fill(report, filler, [{"indicator": entry.indicator_id, "deviation_cause": "其他"}])
    workflow.submit(obj=_fresh(report), actor=filler)
    workflow.approve(obj=_fresh(report), actor=dept_reviewer, comment="同意")
    workflow.approve(obj=_fresh(report), actor=finance_reviewer)
    assert _fresh(report).status == Status.APPROVED
    transitions = list(
        audit.history(report).filter(action="transition").values_list("transition", flat=True)
    )
    assert transitions == ["finance_approve", "dept_approve", "resubmit", "dept_return", "submit"]


def test_approving_a_draft_report_is_an_invalid_transition(report, dept_reviewer):
    with pytest.raises(ValidationError) as error:
        workflow.approve(obj=report, actor=dept_reviewer)
    assert error.value.code == "invalid_transition"
    assert "不能审核通过" in error.value.message_dict["status"][0]
    assert _fresh(report).status == Status.DRAFT


def test_reports_for_is_scoped_and_reads_entries_in_two_queries(
    round_, filler, outsider, finance_reviewer, django_assert_num_queries
):
    from performance.selectors.scoping import reports_for

    assert reports_for(filler).count() == 10
    assert reports_for(outsider).count() == 0  # 305004 has no 2022 goals
    assert reports_for(finance_reviewer).count() == 10
    with django_assert_num_queries(2):  # reports, entries with indicators
        rows = [
            (
                report.round.title,
                report.project.name,
                report.unit.parent,
                [(e.indicator.level3, e.light) for e in report.entries.all()],
            )
            for report in reports_for(filler)
        ]
    assert len(rows) == 10
