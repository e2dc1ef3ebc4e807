"""Two people editing the same goal, indicator or self-evaluation in the admin: the page carries
the ``lock_version`` it was built on (the goal, each indicator and task row; a report's or
self-evaluation's rows are covered by the report's / evaluation's version, which every row
change bumps), a save based on an outdated page is refused with a Chinese message and changes
nothing, and what the other person saved stays."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import reverse

from performance.models import (
    GoalTask,
    Indicator,
    MonitoringEntry,
    MonitoringReport,
    PerformanceGoal,
    SelfEvaluation,
)
from performance.services import evaluation as evaluation_services
from performance.services import goals as goal_services
from performance.services import monitoring as monitoring_services
from projects.audit import history
from projects.models import Project
from projects.services import projects as project_services
from tests.support.admin_forms import admin_form_data

from ...support.goal_helpers import new_goal

pytestmark = pytest.mark.django_db

STALE = "已被其他用户修改，请刷新后在最新内容上重新修改"


def goal_url(goal) -> str:
    return reverse("admin:performance_performancegoal_change", args=[goal.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def hidden_versions(response) -> dict[str, str]:
    """``{name: value}`` of the hidden version inputs a browser would post back."""
    html = response.content.decode()
    return dict(
        re.findall(r'<input type="hidden" name="([\w-]*expected_version)" value="(\d+)"', html)
    )


def inline_prefix(page, indicator: Indicator) -> str:
    formset = page.context["inline_admin_formsets"][0].formset
    for form in formset.forms:
        if form.instance.pk == indicator.pk:
            return form.prefix
    raise AssertionError(f"no inline row for indicator {indicator.pk}")


def snapshot(goal: PerformanceGoal) -> tuple:
    goal = PerformanceGoal.objects.get(pk=goal.pk)
    rows = tuple(goal.indicators.order_by("pk").values_list("raw_value", "lock_version"))
    return goal.overall_goal, goal.lock_version, rows, history(goal).count()


def test_the_goal_page_carries_the_versions_it_was_built_on(login, filler):
    goal = new_goal(filler)
    first = goal.indicators.order_by("pk").first()
    goal_services.indicator_save(
        goal=goal, indicator=first, data={"raw_value": "≤19万元"}, actor=filler
    )
    page = login(filler).get(goal_url(goal))
    versions = hidden_versions(page)
    assert versions["expected_version"] == str(goal.lock_version)
    assert versions[f"{inline_prefix(page, first)}-expected_version"] == "2"
    # The version is bookkeeping, not a change: an untouched page saves nothing.
    response = login(filler).post(goal_url(goal), admin_form_data(page), follow=True)
    assert STALE not in " ".join(messages_of(response))


def test_a_stale_goal_page_is_refused_and_keeps_the_other_users_text(login, filler, unit_reviewer):
    goal = new_goal(filler)
    page = login(filler).get(goal_url(goal))
    goal_services.goal_update(
        goal=goal, data={"overall_goal": "单位审核人先保存的目标"}, actor=unit_reviewer
    )
    before = snapshot(goal)
    first = goal.indicators.order_by("pk").first()
    response = login(filler).post(
        goal_url(goal),
        admin_form_data(
            page,
            overall_goal="填报人基于旧页面的修改",
            **{f"{inline_prefix(page, first)}-raw_value": "≤18万元"},
        ),
        follow=True,
    )
    assert any(STALE in m for m in messages_of(response))
    assert snapshot(goal) == before
    assert PerformanceGoal.objects.get(pk=goal.pk).overall_goal == "单位审核人先保存的目标"


def test_a_stale_indicator_row_refuses_the_whole_page(login, filler, unit_reviewer):
    goal = new_goal(filler)
    first = goal.indicators.order_by("pk").first()
    page = login(filler).get(goal_url(goal))
    goal_services.indicator_save(
        goal=goal,
        indicator=first,
        data={"raw_value": "≤19万元"},
        actor=unit_reviewer,
        expected_version=first.lock_version,
    )
    before = snapshot(goal)
    response = login(filler).post(
        goal_url(goal),
        admin_form_data(
            page,
            overall_goal="同时修改的目标文字",
            **{f"{inline_prefix(page, first)}-raw_value": "≤18万元"},
        ),
        follow=True,
    )
    assert any(STALE in m for m in messages_of(response))
    assert snapshot(goal) == before  # the goal text of the same post was rolled back too
    assert Indicator.objects.get(pk=first.pk).raw_value == "≤19万元"


def test_an_outdated_row_on_the_page_cannot_overwrite_the_newer_row(login, filler, unit_reviewer):
    # The browser posts every row as shown; row 1 as shown is older than row 1 saved meanwhile,
    # so saving it would silently undo the other user's change: the page is refused instead.
    goal = new_goal(filler)
    first, second = goal.indicators.order_by("pk")[:2]
    page = login(filler).get(goal_url(goal))
    goal_services.indicator_save(
        goal=goal, indicator=first, data={"raw_value": "≤19万元"}, actor=unit_reviewer
    )
    before = snapshot(goal)
    edit = {f"{inline_prefix(page, second)}-raw_value": "≥320人次"}
    response = login(filler).post(goal_url(goal), admin_form_data(page, **edit), follow=True)
    assert any(STALE in m for m in messages_of(response))
    assert snapshot(goal) == before
    # Reloaded, the same edit goes through and keeps the other user's row.
    page = login(filler).get(goal_url(goal))
    edit = {f"{inline_prefix(page, second)}-raw_value": "≥320人次"}
    response = login(filler).post(goal_url(goal), admin_form_data(page, **edit), follow=True)
    assert not any(STALE in m for m in messages_of(response))
    assert Indicator.objects.get(pk=first.pk).raw_value == "≤19万元"
    assert Indicator.objects.get(pk=second.pk).raw_value == "≥320人次"


def test_an_indicator_added_meanwhile_is_no_conflict_and_stays(login, filler, unit_reviewer):
    goal = new_goal(filler)
    page = login(filler).get(goal_url(goal))
    added = goal_services.indicator_save(
        goal=goal,
        data={
            "level1": "产出指标",
            "level2": "质量指标",
            "level3": "培训合格率",
            "raw_value": "≥95%",
        },
        actor=unit_reviewer,
    )
    response = login(filler).post(
        goal_url(goal), admin_form_data(page, overall_goal="填报人修改的目标"), follow=True
    )
    assert not any(STALE in m for m in messages_of(response))
    assert PerformanceGoal.objects.get(pk=goal.pk).overall_goal == "填报人修改的目标"
    assert Indicator.objects.filter(pk=added.pk, raw_value="≥95%").exists()


def test_a_stale_indicator_change_page_is_refused(login, filler, unit_reviewer):
    goal = new_goal(filler)
    indicator = goal.indicators.order_by("pk").first()
    url = reverse("admin:performance_indicator_change", args=[indicator.pk])
    page = login(filler).get(url)
    assert hidden_versions(page)["expected_version"] == "1"
    goal_services.indicator_save(
        goal=goal, indicator=indicator, data={"raw_value": "≤19万元"}, actor=unit_reviewer
    )
    response = login(filler).post(url, admin_form_data(page, raw_value="≤18万元"), follow=True)
    assert any(STALE in m for m in messages_of(response))
    fresh = Indicator.objects.get(pk=indicator.pk)
    assert (fresh.raw_value, fresh.lock_version) == ("≤19万元", 2)


def test_a_view_only_goal_page_has_no_version_field(login, filler, dept_reviewer):
    goal = new_goal(filler)
    page = login(dept_reviewer).get(goal_url(goal))
    assert page.status_code == 200
    assert hidden_versions(page) == {}


def test_a_stale_self_evaluation_page_is_refused(login, filler, unit_reviewer):
    project = Project.objects.get(code="410395220000000007669")
    evaluation = evaluation_services.evaluation_start(actor=filler, year=2022, project=project)
    url = reverse("admin:performance_selfevaluation_change", args=[evaluation.pk])
    page = login(filler).get(url)
    assert hidden_versions(page)["expected_version"] == str(evaluation.lock_version)
    evaluation_services.evaluation_update(
        evaluation=evaluation,
        actor=unit_reviewer,
        data={"measures": "单位审核人先写的措施"},
        scores=[],
    )
    before = SelfEvaluation.objects.get(pk=evaluation.pk)
    response = login(filler).post(
        url, admin_form_data(page, measures="填报人旧页面上的措施"), follow=True
    )
    assert any(STALE in m for m in messages_of(response))
    after = SelfEvaluation.objects.get(pk=evaluation.pk)
    assert (after.measures, after.lock_version) == ("单位审核人先写的措施", before.lock_version)


def task_prefix(page, task) -> str:
    for inline in page.context["inline_admin_formsets"]:
        for form in inline.formset.forms:
            if form.instance.pk == task.pk and form.instance.__class__ is task.__class__:
                return form.prefix
    raise AssertionError(f"no inline row for task {task.pk}")


def test_a_task_row_changed_meanwhile_is_not_overwritten_by_an_old_page(
    login, filler, unit_reviewer
):
    goal = new_goal(filler)
    task = goal_services.goal_task_save(
        goal=goal, data={"name": "业务培训", "content": "全年 4 期"}, actor=filler
    )
    page = login(filler).get(goal_url(goal))
    assert hidden_versions(page)[f"{task_prefix(page, task)}-expected_version"] == "1"
    goal_services.goal_task_save(
        goal=goal,
        task=task,
        data={"name": "业务培训", "content": "全年 6 期"},
        actor=unit_reviewer,
        expected_version=1,
    )
    response = login(filler).post(
        goal_url(goal), admin_form_data(page, overall_goal="填报人同时修改的目标"), follow=True
    )
    assert any(STALE in m for m in messages_of(response))
    assert GoalTask.objects.get(pk=task.pk).content == "全年 6 期"
    assert PerformanceGoal.objects.get(pk=goal.pk).overall_goal != "填报人同时修改的目标"


def test_a_stale_monitoring_entry_row_is_refused(login, filler, unit_reviewer, finance_reviewer):
    monitoring_services.monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 31),
    )
    report = MonitoringReport.objects.get(project__code="410395220000000007669")
    entry = report.entries.order_by("pk").first()
    url = reverse("admin:performance_monitoringreport_change", args=[report.pk])
    page = login(filler).get(url)
    monitoring_services.monitoring_report_update(
        report=report,
        actor=unit_reviewer,
        data={},
        entries=[{"indicator": entry.indicator_id, "deviation_note": "单位审核人先填的说明"}],
    )
    before = MonitoringReport.objects.get(pk=report.pk).lock_version
    prefix = next(
        form.prefix
        for form in page.context["inline_admin_formsets"][0].formset.forms
        if form.instance.pk == entry.pk
    )
    response = login(filler).post(
        url, admin_form_data(page, **{f"{prefix}-deviation_note": "旧页面上的说明"}), follow=True
    )
    assert any(STALE in m for m in messages_of(response))
    assert MonitoringEntry.objects.get(pk=entry.pk).deviation_note == "单位审核人先填的说明"
    assert MonitoringReport.objects.get(pk=report.pk).lock_version == before


# --- a post without the version is refused: it cannot say which version it was prepared on ----

MISSING = "页面缺少版本号"


def drop_versions(data: dict, *, prefix: str | None = None) -> dict:
    """``data`` less the hidden version inputs (all, or only the row with ``prefix``)."""
    return {
        key: value
        for key, value in data.items()
        if not (
            key.endswith("expected_version")
            and (prefix is None or key == f"{prefix}-expected_version")
        )
    }


def test_a_goal_page_posted_without_its_version_is_refused(login, filler, unit_reviewer):
    goal = new_goal(filler)
    page = login(filler).get(goal_url(goal))
    goal_services.goal_update(
        goal=goal, data={"overall_goal": "单位审核人先保存的目标"}, actor=unit_reviewer
    )
    before = snapshot(goal)
    data = drop_versions(admin_form_data(page, overall_goal="没有版本号的旧页面"))
    response = login(filler).post(goal_url(goal), data)
    assert response.status_code == 200
    assert MISSING in response.content.decode()
    assert snapshot(goal) == before


def test_an_indicator_row_posted_without_its_version_is_refused(login, filler):
    goal = new_goal(filler)
    first = goal.indicators.order_by("pk").first()
    page = login(filler).get(goal_url(goal))
    prefix = inline_prefix(page, first)
    before = snapshot(goal)
    data = drop_versions(admin_form_data(page, **{f"{prefix}-raw_value": "≤18万元"}), prefix=prefix)
    response = login(filler).post(goal_url(goal), data)
    assert response.status_code == 200
    assert MISSING in response.content.decode()
    assert snapshot(goal) == before


def test_a_task_row_posted_without_its_version_is_refused(login, filler):
    goal = new_goal(filler)
    task = goal_services.goal_task_save(
        goal=goal, data={"name": "业务培训", "content": "全年 4 期"}, actor=filler
    )
    page = login(filler).get(goal_url(goal))
    prefix = task_prefix(page, task)
    data = drop_versions(admin_form_data(page, **{f"{prefix}-content": "全年 8 期"}), prefix=prefix)
    response = login(filler).post(goal_url(goal), data)
    assert MISSING in response.content.decode()
    fresh = GoalTask.objects.get(pk=task.pk)
    assert (fresh.content, fresh.lock_version) == ("全年 4 期", 1)


def test_an_indicator_page_posted_without_its_version_is_refused(login, filler):
    goal = new_goal(filler)
    indicator = goal.indicators.order_by("pk").first()
    url = reverse("admin:performance_indicator_change", args=[indicator.pk])
    page = login(filler).get(url)
    response = login(filler).post(url, drop_versions(admin_form_data(page, raw_value="≤1万元")))
    assert MISSING in response.content.decode()
    fresh = Indicator.objects.get(pk=indicator.pk)
    assert (fresh.raw_value, fresh.lock_version) == (indicator.raw_value, 1)


def test_a_monitoring_report_posted_without_its_version_is_refused(login, filler, finance_reviewer):
    monitoring_services.monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 31),
    )
    report = MonitoringReport.objects.get(project__code="410395220000000007669")
    url = reverse("admin:performance_monitoringreport_change", args=[report.pk])
    page = login(filler).get(url)
    response = login(filler).post(url, drop_versions(admin_form_data(page, summary="旧页面")))
    assert MISSING in response.content.decode()
    fresh = MonitoringReport.objects.get(pk=report.pk)
    assert (fresh.summary, fresh.lock_version) == (report.summary, report.lock_version)


def test_a_self_evaluation_posted_without_its_version_is_refused(login, filler):
    project = Project.objects.get(code="410395220000000007669")
    evaluation = evaluation_services.evaluation_start(actor=filler, year=2022, project=project)
    url = reverse("admin:performance_selfevaluation_change", args=[evaluation.pk])
    page = login(filler).get(url)
    response = login(filler).post(url, drop_versions(admin_form_data(page, measures="旧页面")))
    assert MISSING in response.content.decode()
    fresh = SelfEvaluation.objects.get(pk=evaluation.pk)
    assert (fresh.measures, fresh.lock_version) == (evaluation.measures, evaluation.lock_version)


def test_a_stale_project_page_is_refused_with_or_without_its_version(login, filler, unit_reviewer):
    project = Project.objects.get(code="410395220000000007669")
    url = reverse("admin:projects_project_change", args=[project.pk])
    page = login(filler).get(url)
    assert hidden_versions(page)["expected_version"] == str(project.lock_version)
    project_services.project_save(
        project=project, data={"leader": "单位审核人"}, actor=unit_reviewer
    )
    stale = admin_form_data(page, leader="旧页面上的负责人")
    response = login(filler).post(url, stale, follow=True)
    assert any(STALE in m for m in messages_of(response))
    response = login(filler).post(url, drop_versions(stale))
    assert MISSING in response.content.decode()
    assert Project.objects.get(pk=project.pk).leader == "单位审核人"


def test_every_admin_form_of_a_versioned_model_carries_and_requires_the_version():
    """A versioned model's admin (or inline) without the version field would let a stale page
    overwrite a newer save: every one must use ``VersionedForm`` and show the field."""
    from django.contrib import admin
    from django.contrib.admin.utils import flatten_fieldsets

    from projects.admin.versioning import EXPECTED_VERSION, VersionedForm

    def versioned(model) -> bool:
        return any(f.name == "lock_version" for f in model._meta.fields)

    superuser = get_user_model()(is_superuser=True, is_active=True, is_staff=True)
    request = RequestFactory().get("/admin/")
    request.user = superuser
    checked = []
    for model, model_admin in admin.site._registry.items():
        if versioned(model) and not model_admin.has_change_permission(request):
            # Its change page saves nothing for anyone (财政复核 writes through its own views,
            # each with the version: tests/performance/admin/test_spot_checks.py).
            continue
        owners = [(model, model_admin)] + [
            (inline.model, inline) for inline in model_admin.inlines if versioned(inline.model)
        ]
        for owner_model, owner in owners:
            if not versioned(owner_model):
                continue
            form = owner.form
            assert issubclass(form, VersionedForm), owner
            if owner.fieldsets:
                names = flatten_fieldsets(owner.fieldsets)
            else:  # without fieldsets or fields the admin shows every field of the form
                names = owner.fields or list(form.base_fields)
            assert EXPECTED_VERSION in names, owner
            checked.append(owner_model.__name__)
    assert set(checked) >= {"PerformanceGoal", "Indicator", "GoalTask", "Project"}
    assert {"MonitoringReport", "SelfEvaluation"} <= set(checked)


def test_deleting_a_row_changed_meanwhile_is_refused(login, filler, unit_reviewer):
    goal = new_goal(filler)
    first = goal.indicators.order_by("pk").first()
    page = login(filler).get(goal_url(goal))
    goal_services.indicator_save(
        goal=goal, indicator=first, data={"raw_value": "≤19万元"}, actor=unit_reviewer
    )
    before = snapshot(goal)
    data = admin_form_data(page, **{f"{inline_prefix(page, first)}-DELETE": "on"})
    response = login(filler).post(goal_url(goal), data, follow=True)
    assert any(STALE in m for m in messages_of(response))
    assert snapshot(goal) == before


def test_deleting_a_row_posted_without_its_version_is_refused(login, filler):
    goal = new_goal(filler)
    task = goal_services.goal_task_save(goal=goal, data={"name": "业务培训"}, actor=filler)
    first = goal.indicators.order_by("pk").first()
    for obj, prefix_of in ((first, inline_prefix), (task, task_prefix)):
        page = login(filler).get(goal_url(goal))
        prefix = prefix_of(page, obj)
        data = drop_versions(admin_form_data(page, **{f"{prefix}-DELETE": "on"}), prefix=prefix)
        response = login(filler).post(goal_url(goal), data, follow=True)
        assert any(MISSING in m for m in messages_of(response))
        assert type(obj).objects.filter(pk=obj.pk).exists()
    # With its version, the same deletion goes through.
    page = login(filler).get(goal_url(goal))
    data = admin_form_data(page, **{f"{inline_prefix(page, first)}-DELETE": "on"})
    login(filler).post(goal_url(goal), data)
    assert not Indicator.objects.filter(pk=first.pk).exists()
