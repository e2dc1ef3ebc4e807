"""The monitoring and self-evaluation half of the cycle, walked through the admin as department
users do: the finance bureau opens a round, the 027001 filler fills values (lights computed),
the 主管部门 returns with a comment, the filler fixes and resubmits, both reviews approve; then
the self-evaluation is started, filled, overridden with a reason and graded."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from performance.choices import Grade, Light, Status
from performance.models import (
    Indicator,
    MonitoringReport,
    MonitoringRound,
    SelfEvaluation,
)
from performance.services.monitoring import monitoring_report_update, monitoring_round_open
from projects import audit
from projects.models import Project
from projects.services import projects as project_services
from tests.support.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

PROJECT_CODE = "410395220000000007669"  # 社保、医保经办经费, 14.48万元


def _url(name: str, *args) -> str:
    return reverse(f"admin:performance_{name}", args=args)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _inline_key(response, level3: str, field: str) -> str:
    """The POST key of ``field`` in the inline row of the indicator named ``level3``."""
    formset = response.context["inline_admin_formsets"][0].formset
    for form in formset.forms:
        if form.instance.indicator.level3 == level3:
            return form.add_prefix(field)
    raise AssertionError(f"no inline row for {level3}")


def _open_round(finance_reviewer) -> MonitoringRound:
    return monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 20),
    )


def _report() -> MonitoringReport:
    return MonitoringReport.objects.get(project__code=PROJECT_CODE)


def _workflow(client, name, obj, action, comment=""):
    return client.post(
        _url(f"{name}_workflow", obj.pk, action),
        {"comment": comment, "lock_version": str(type(obj).objects.get(pk=obj.pk).lock_version)},
        follow=True,
    )


# --- monitoring ------------------------------------------------------------------------------


def test_finance_reviewer_opens_a_round_from_the_admin_add_form(login, finance_reviewer):
    client = login(finance_reviewer)
    page = client.get(_url("monitoringround_changelist"))
    assert "开启监控轮次" in page.content.decode()
    response = client.post(
        _url("monitoringround_add"),
        {
            "year": "2022",
            "data_month": "7",
            "title": "",
            "opens_on": "2022-08-01",
            "deadline": "2022-08-20",
        },
        follow=True,
    )
    round_ = MonitoringRound.objects.get()
    assert round_.title == "2022年1-7月绩效运行监控"
    assert round_.created_by == finance_reviewer
    assert round_.reports.count() == 10
    assert "生成 10 张项目绩效监控表" in " ".join(_messages(response))
    listing = client.get(_url("monitoringround_changelist")).content.decode()
    assert "light-badge light-red" in listing  # nothing spent by July: every budget light is red


def test_a_deadline_before_the_opening_is_a_form_error(login, finance_reviewer):
    response = login(finance_reviewer).post(
        _url("monitoringround_add"),
        {"year": "2022", "data_month": "7", "opens_on": "2022-08-20", "deadline": "2022-08-01"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["deadline"] == ["截止日期不能早于开始日期。"]
    assert not MonitoringRound.objects.exists()


@pytest.mark.parametrize("persona", ["filler", "dept_reviewer"])
def test_units_and_departments_cannot_open_rounds(request, login, persona):
    client = login(request.getfixturevalue(persona))
    assert client.get(_url("monitoringround_add")).status_code == 403


def test_monitoring_report_walks_fill_submit_return_resubmit_approve_in_the_admin(
    login, finance_reviewer, filler, dept_reviewer
):
    _open_round(finance_reviewer)
    report = _report()
    project_services.execution_add(
        project=report.project, date=dt.date(2022, 7, 15), amount=Decimal("7.24")
    )

    client = login(filler)
    page = client.get(_url("monitoringreport_change", report.pk))
    assert page.status_code == 200
    data = admin_form_data(
        page,
        summary="上半年各项工作按计划推进。",
        forecast_executed="14.48",
        **{
            _inline_key(page, "宣传资料", "value_raw"): "1批",
            _inline_key(page, "办公用品", "value_raw"): "1",
            _inline_key(page, "办公用品", "deviation_cause"): "funding",
            _inline_key(page, "办公用品", "likelihood"): "possible",
            _inline_key(page, "办公用品", "measures"): "下半年集中采购",
            _inline_key(page, "专用光纤", "value_raw"): "7根",
            _inline_key(page, "群众参保满意度", "value_raw"): "85%",
            _inline_key(page, "社保信息管理系统正常运行", "band"): "achieved",
        },
    )
    response = client.post(_url("monitoringreport_change", report.pk), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    report = _report()
    assert (report.executed, report.execution_rate) == (Decimal("7.24"), Decimal("50.00"))
    assert (report.budget_light, report.light) == (Light.GREEN, Light.RED)  # 办公用品 57%
    assert report.summary == "上半年各项工作按计划推进。"
    lights = {e.indicator.level3: e.light for e in report.entries.select_related("indicator")}
    assert lights["宣传资料"] == Light.BLUE
    assert lights["专用光纤"] == Light.GREEN
    assert lights["社保信息管理系统正常运行"] == Light.GREEN
    assert audit.history(report).filter(action="update", actor=filler).count() == 1
    page = client.get(_url("monitoringreport_change", report.pk)).content.decode()
    assert "light-badge light-blue" in page and "light-badge light-red" in page

    _workflow(client, "monitoringreport", report, "submit")
    assert _report().status == Status.SUBMITTED
    page = client.get(_url("monitoringreport_change", report.pk))
    assert page.context["has_change_permission"] is False  # submitted: read-only for the unit

    reviewer = login(dept_reviewer)
    refused = _workflow(reviewer, "monitoringreport", report, "return", comment="")
    assert "退回时必须填写退回意见" in " ".join(_messages(refused))
    assert _report().status == Status.SUBMITTED
    _workflow(reviewer, "monitoringreport", report, "return", comment="办公用品偏差请说明原因")
    assert _report().status == Status.RETURNED

    client = login(filler)
    page = client.get(_url("monitoringreport_change", report.pk))
    assert "办公用品偏差请说明原因" in page.content.decode()
    data = admin_form_data(
        page, **{_inline_key(page, "办公用品", "deviation_note"): "政府采购流程尚未完成"}
    )
    assert client.post(_url("monitoringreport_change", report.pk), data).status_code == 302
    _workflow(client, "monitoringreport", report, "submit")
    _workflow(login(dept_reviewer), "monitoringreport", report, "approve", comment="同意")
    approved = _workflow(login(finance_reviewer), "monitoringreport", report, "approve")
    assert _report().status == Status.APPROVED
    assert "已审核通过" in " ".join(_messages(approved))


def test_compute_button_recomputes_with_new_execution(login, finance_reviewer, filler):
    _open_round(finance_reviewer)
    report = _report()
    assert report.executed == 0
    project_services.execution_add(
        project=report.project, date=dt.date(2022, 6, 1), amount=Decimal("14.48")
    )
    response = login(filler).post(_url("monitoringreport_compute", report.pk), follow=True)
    report = _report()
    assert (report.executed, report.execution_rate) == (Decimal("14.48"), Decimal("100.00"))
    assert report.budget_light == Light.GREEN
    assert "已重新计算：预算执行率 100%（" in " ".join(_messages(response))


def test_unreadable_value_is_an_inline_field_error_and_nothing_changes(
    login, finance_reviewer, filler
):
    _open_round(finance_reviewer)
    report = _report()
    client = login(filler)
    page = client.get(_url("monitoringreport_change", report.pk))
    key = _inline_key(page, "专用光纤", "value_raw")
    response = client.post(
        _url("monitoringreport_change", report.pk),
        admin_form_data(page, summary="不应保存", **{key: "十几根"}),
    )
    assert response.status_code == 200
    errors = [
        e
        for form in response.context["inline_admin_formsets"][0].formset.errors
        for e in form.get("value_raw", [])
    ]
    assert any("「专用光纤」" in e for e in errors)
    assert _report().summary == "" and _report().lock_version == report.lock_version


def test_a_stale_admin_save_is_refused_and_keeps_the_newer_data(
    login, finance_reviewer, filler, unit_reviewer
):
    _open_round(finance_reviewer)
    report = _report()
    client = login(filler)
    page = client.get(_url("monitoringreport_change", report.pk))
    monitoring_report_update(
        report=report, actor=unit_reviewer, data={"summary": "先保存的"}, entries=[]
    )
    response = client.post(
        _url("monitoringreport_change", report.pk),
        admin_form_data(page, summary="后保存的旧页面"),
        follow=True,
    )
    assert "已被其他用户修改" in " ".join(_messages(response))
    assert _report().summary == "先保存的"


def test_another_units_report_is_a_404(login, finance_reviewer, outsider):
    _open_round(finance_reviewer)
    client = login(outsider)
    assert client.get(_url("monitoringreport_change", _report().pk)).status_code == 404
    assert client.post(_url("monitoringreport_compute", _report().pk)).status_code == 404


# --- self-evaluation -------------------------------------------------------------------------


@pytest.fixture
def weighted_project(filler):
    """The published 2022 targets carry no weights: give this project's ten indicators the
    national scheme's split (产出 incl. 成本 50, 效益 30, 满意度 10) and a year's spending."""
    project = Project.objects.get(code=PROJECT_CODE)
    weights = {
        "预算资金": 10,
        "宣传资料": 8,
        "办公用品": 8,
        "智慧社保网络身份认证软件": 8,
        "专用光纤": 8,
        "社保信息管理系统正常运行": 8,
        "顺利开展到龄人员人脸识别认证工作": 15,
        "顺利开展到龄人员人脸识别认证工作,提升群众满意": 15,
        "群众参保满意度": 5,
        "提升群众参保满意度": 5,
    }
    for level3, weight in weights.items():
        Indicator.objects.filter(goal__project=project, level3=level3).update(weight=weight)
    project_services.execution_add(
        project=project, date=dt.date(2022, 12, 20), amount=Decimal("12")
    )
    return project


def test_self_evaluation_is_started_filled_overridden_and_graded_in_the_admin(
    login, filler, dept_reviewer, finance_reviewer, weighted_project
):
    client = login(filler)
    response = client.post(
        _url("selfevaluation_add"), {"year": "2022", "project": str(weighted_project.pk)}
    )
    assert response.status_code == 302
    evaluation = SelfEvaluation.objects.get(project=weighted_project)
    assert evaluation.scheme.code == "national"

    page = client.get(_url("selfevaluation_change", evaluation.pk))
    values = {
        ("预算资金", "actual_raw"): "12万元",
        ("宣传资料", "actual_raw"): "2批",
        ("办公用品", "actual_raw"): "3批",
        ("智慧社保网络身份认证软件", "actual_raw"): "1个",
        ("专用光纤", "actual_raw"): "12根",
        ("专用光纤", "override_score"): "7",
        ("专用光纤", "override_reason"): "3 根光纤因供应商延期于次年 1 月到货，已验收",
        ("社保信息管理系统正常运行", "band"): "achieved",
        ("顺利开展到龄人员人脸识别认证工作", "band"): "achieved",
        ("顺利开展到龄人员人脸识别认证工作", "band_score"): "14",
        ("顺利开展到龄人员人脸识别认证工作,提升群众满意", "band"): "partial",
        ("群众参保满意度", "actual_raw"): "92%",
        ("提升群众参保满意度", "actual_raw"): "85%",
        ("提升群众参保满意度", "deviation_reason"): "新参保人员对流程不熟悉",
    }
    data = admin_form_data(
        page,
        deviation_analysis="光纤到货延期；满意度略低于目标。",
        measures="加强采购计划管理。",
        **{_inline_key(page, level3, field): value for (level3, field), value in values.items()},
    )
    response = client.post(_url("selfevaluation_change", evaluation.pk), data)
    assert response.status_code == 302, response.context and response.context["errors"]

    evaluation = SelfEvaluation.objects.get(pk=evaluation.pk)
    scores = {s.indicator.level3: s for s in evaluation.scores.select_related("indicator")}
    fibre = scores["专用光纤"]
    assert (fibre.computed_score, fibre.override_score, fibre.final_score) == (
        Decimal("6.40"),
        Decimal("7"),
        Decimal("7.00"),
    )
    assert fibre.override_reason.startswith("3 根光纤")
    assert scores["宣传资料"].over_achieved is True  # 2 of ≥1: the target was set too low
    assert scores["顺利开展到龄人员人脸识别认证工作,提升群众满意"].final_score == Decimal("10.50")
    assert scores["提升群众参保满意度"].final_score == Decimal("4.72")
    # 12 / 14.48 = 82.87% → 8.29; indicators 83.22 → 91.51
    assert (evaluation.execution_rate, evaluation.execution_score) == (
        Decimal("82.87"),
        Decimal("8.29"),
    )
    assert evaluation.total_score == Decimal("91.51")
    assert evaluation.grade == Grade.EXCELLENT
    assert evaluation.has_deviation is True
    page = client.get(_url("selfevaluation_change", evaluation.pk)).content.decode()
    assert "grade-badge grade-excellent" in page and "≥120%" in page

    _workflow(client, "selfevaluation", evaluation, "submit")
    _workflow(login(dept_reviewer), "selfevaluation", evaluation, "approve")
    _workflow(login(finance_reviewer), "selfevaluation", evaluation, "approve")
    assert SelfEvaluation.objects.get(pk=evaluation.pk).status == Status.APPROVED


def test_override_without_reason_and_unreadable_actual_are_inline_errors(
    login, filler, weighted_project
):
    client = login(filler)
    client.post(_url("selfevaluation_add"), {"year": "2022", "project": str(weighted_project.pk)})
    evaluation = SelfEvaluation.objects.get(project=weighted_project)
    before = (evaluation.lock_version, evaluation.total_score)
    page = client.get(_url("selfevaluation_change", evaluation.pk))
    response = client.post(
        _url("selfevaluation_change", evaluation.pk),
        admin_form_data(
            page,
            **{
                _inline_key(page, "专用光纤", "override_score"): "7",
                _inline_key(page, "宣传资料", "actual_raw"): "大约一批多",
            },
        ),
    )
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    flat = [message for form in errors for messages in form.values() for message in messages]
    assert "调整得分必须填写调整理由。" in flat
    assert any("「宣传资料」" in message for message in flat)
    evaluation = SelfEvaluation.objects.get(pk=evaluation.pk)
    assert (evaluation.lock_version, evaluation.total_score) == before
    assert not evaluation.scores.filter(override_score__isnull=False).exists()


def test_self_evaluation_list_opens_with_the_units_published_summary(login, finance_reviewer):
    response = login(finance_reviewer).get(_url("selfevaluation_changelist") + "?year__exact=2023")
    page = response.content.decode()
    assert response.context["summary_year"] == 2023
    assert "本单位需绩效自评项目 5 个，实际自评 5 个，4 个项目自评等级为优" in page
    assert "grade-badge grade-good" in page


def test_the_summary_list_is_scoped_to_the_users_units(login, filler):
    response = login(filler).get(_url("selfevaluation_changelist") + "?year__exact=2023")
    assert response.context["unit_summaries"] == []
