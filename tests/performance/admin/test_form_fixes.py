"""Form fixes found while trying the screens (issue 15, F2/F3/F5/F6): what a user typing into
the admin is told, and what is (not) written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse

from performance.models import SelfEvaluation

pytestmark = pytest.mark.django_db


def _url(name: str, *args) -> str:
    return reverse(f"admin:performance_{name}", args=args)


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_starting_an_evaluation_that_exists_says_so_and_creates_nothing(demo, login):
    filler305 = get_user_model().objects.get(username="filler305")
    existing = SelfEvaluation.objects.filter(unit__code="305004", project__isnull=False).first()
    count = SelfEvaluation.objects.count()
    client = login(filler305)
    response = client.post(
        _url("selfevaluation_add"),
        {"year": str(existing.year), "project": str(existing.project_id)},
        follow=True,
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "已有绩效自评" in str(errors["project"]), errors
    assert _url("selfevaluation_change", existing.pk) in str(errors["project"])
    assert SelfEvaluation.objects.count() == count
    assert not any("成功添加" in message for message in _messages(response))


def test_starting_an_evaluation_says_only_that_it_started(demo, login, filler):
    from projects.models import Project

    project = Project.objects.filter(unit__code="027001", year=2022).order_by("pk").first()
    assert not SelfEvaluation.objects.filter(project=project).exists()
    client = login(filler)
    response = client.post(_url("selfevaluation_add"), {"year": "2022", "project": str(project.pk)})
    evaluation = SelfEvaluation.objects.get(project=project)
    assert response.status_code == 302
    assert response.url == _url("selfevaluation_change", evaluation.pk)
    said = _messages(response)
    assert any(message.startswith("已开展") for message in said), said
    assert not any("成功添加" in message for message in said), said


def _import(client, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("targets.csv", data, content_type="text/csv")
    return client.post(_url("performancegoal_import"), {"import_file": upload})


def test_import_errors_are_table_rows(login, filler):
    from tests.support.import_helpers import csv_bytes, row

    page = _import(login(filler), csv_bytes([row(年度="1990"), row(三级指标="")]))
    html = page.content.decode()
    assert html.count('<tr class="import-error">') == 2
    assert 'class="errornote"><td>' not in html


def test_import_preview_names_the_projects_it_would_create(login, filler):
    from projects.choices import ProjectCategory
    from projects.models import Project, Unit
    from projects.services.projects import project_save
    from tests.support.import_helpers import NEW_CODE, csv_bytes, rows

    existing = project_save(  # known to the system, no goal yet: the import adds one
        data={
            "code": "410395220000000099002",
            "name": "已登记的项目",
            "unit": Unit.objects.get(code="027001"),
            "year": 2022,
            "category": ProjectCategory.SPECIAL,
        }
    )
    known = rows(1, 项目编码=existing.code, 项目名称=existing.name, 三级指标="已有项目的新指标")
    page = _import(login(filler), csv_bytes([*rows(2), *known]))
    html = page.content.decode()
    assert "确认导入" in html, [str(issue) for issue in page.context["result"].errors]
    assert f"将新建 1 个项目：{NEW_CODE}（导入测试项目）。请核对项目编码" in html
    assert existing.code not in page.context["result"].new_projects_notice()
    assert not Project.objects.filter(code=NEW_CODE).exists()


def _own_report(finance_reviewer):
    import datetime as dt

    from performance.services.monitoring import monitoring_round_open

    round_ = monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 20),
    )
    return round_.reports.filter(unit__code="027001").order_by("pk").first()


def test_execution_added_from_the_report_moves_its_rate(login, filler, finance_reviewer):
    from decimal import Decimal

    from projects.models import AuditEntry, ExecutionRecord

    report = _own_report(finance_reviewer)
    before_rate, before_records = report.execution_rate, ExecutionRecord.objects.count()
    client = login(filler)
    page = client.get(_url("monitoringreport_change", report.pk))
    execution_url = _url("monitoringreport_execution", report.pk)
    assert execution_url in page.content.decode()
    response = client.post(
        execution_url, {"date": "2022-06-30", "amount": "5", "note": "从监控表录入"}, follow=True
    )
    assert response.status_code == 200
    report.refresh_from_db()
    record = ExecutionRecord.objects.get(project=report.project, note="从监控表录入")
    assert record.amount == Decimal("5") and record.created_by == filler
    assert ExecutionRecord.objects.count() == before_records + 1
    assert report.execution_rate != before_rate
    assert AuditEntry.objects.filter(comment="登记支出", actor=filler).exists()
    assert any(message.startswith("已录入支出") for message in _messages(response))


def test_execution_after_the_data_month_is_refused_and_writes_nothing(
    login, filler, finance_reviewer
):
    from projects.models import ExecutionRecord

    report = _own_report(finance_reviewer)
    before = ExecutionRecord.objects.count()
    response = login(filler).post(
        _url("monitoringreport_execution", report.pk),
        {"date": "2022-08-15", "amount": "5"},
        follow=True,
    )
    assert ExecutionRecord.objects.count() == before
    assert any("晚于本轮数据截止日" in message for message in _messages(response))


def test_a_reviewer_cannot_add_execution_from_the_report(login, dept_reviewer, finance_reviewer):
    from projects.models import ExecutionRecord

    report = _own_report(finance_reviewer)
    before = ExecutionRecord.objects.count()
    client = login(dept_reviewer)
    page = client.get(_url("monitoringreport_change", report.pk))
    assert _url("monitoringreport_execution", report.pk) not in page.content.decode()
    client.post(
        _url("monitoringreport_execution", report.pk), {"date": "2022-06-30", "amount": "5"}
    )
    assert ExecutionRecord.objects.count() == before


# --- F3: the goal form -----------------------------------------------------------------------


def _goal_change(goal) -> str:
    return _url("performancegoal_change", goal.pk)


def _row_key(page, level3: str, field: str) -> str:
    formset = page.context["inline_admin_formsets"][0].formset
    for form in formset.forms:
        if form.instance.level3 == level3:
            return form.add_prefix(field)
    raise AssertionError(f"no indicator row {level3}")


def test_a_project_goal_takes_its_unit_and_year_from_the_project(login, filler):
    from performance.models import PerformanceGoal
    from tests.support.admin_forms import admin_form_data
    from tests.support.goal_helpers import new_project

    project = new_project(filler)
    client = login(filler)
    add = _url("performancegoal_add")
    page = client.get(add + f"?scope=project&project={project.pk}")
    data = admin_form_data(page, unit="", year="")
    assert data["project"] == str(project.pk)  # prefilled from the to-do's link
    response = client.post(add, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    goal = PerformanceGoal.objects.get(project=project)
    assert (goal.unit_id, goal.year) == (project.unit_id, project.year)


def test_a_project_goal_without_a_project_names_the_field(login, filler):
    from performance.models import PerformanceGoal
    from tests.support.admin_forms import admin_form_data

    client = login(filler)
    add = _url("performancegoal_add")
    count = PerformanceGoal.objects.count()
    response = client.post(add, admin_form_data(client.get(add), scope="project", year="2023"))
    assert response.status_code == 200
    assert "项目绩效目标必须选择项目。" in response.context["adminform"].form.errors["project"]
    assert PerformanceGoal.objects.count() == count


def test_indicator_levels_offer_the_standard_framework(login, filler):
    from tests.support.goal_helpers import new_goal

    goal = new_goal(filler)  # 2023, a project's goal
    page = login(filler).get(_goal_change(goal))
    form = page.context["inline_admin_formsets"][0].formset.forms[0]
    level1 = [value for value, _label in form.fields["level1"].choices if value]
    assert level1 == ["产出指标", "成本指标", "效益指标", "满意度指标"]
    html = page.content.decode()
    assert '<option value="经济成本指标" data-level1="成本指标"' in html
    assert "performance/framework.js" in html


def test_a_level2_of_another_level1_is_refused(login, filler):
    from tests.support.admin_forms import admin_form_data
    from tests.support.goal_helpers import new_goal

    goal = new_goal(filler)
    client = login(filler)
    page = client.get(_goal_change(goal))
    key = _row_key(page, "培训人次", "level2")
    response = client.post(_goal_change(goal), admin_form_data(page, **{key: "经济成本指标"}))
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert any("不属于一级指标「产出指标」" in str(e) for e in errors)
    assert goal.indicators.get(level3="培训人次").level2 == "数量指标"


def test_an_old_nonstandard_level2_still_saves(login, filler):
    from tests.support.admin_forms import admin_form_data
    from tests.support.goal_helpers import new_goal

    old = {
        "level1": "效益指标",
        "level2": "长期影响指标",
        "level3": "长效机制",
        "raw_value": "有效",
    }
    goal = new_goal(filler, indicators=[old])
    stored = goal.indicators.get()
    client = login(filler)
    page = client.get(_goal_change(goal))
    assert f"原值：{stored.level2}（非标准）" in page.content.decode()
    key = _row_key(page, "长效机制", "raw_value")
    response = client.post(_goal_change(goal), admin_form_data(page, **{key: "长期有效"}))
    assert response.status_code == 302
    stored.refresh_from_db()
    assert (stored.level2, stored.raw_value) == ("长期影响指标", "长期有效")


def test_new_indicators_are_numbered_after_the_last(login, filler):
    from tests.support.admin_forms import admin_form_data
    from tests.support.goal_helpers import new_goal

    goal = new_goal(filler)
    last = max(goal.indicators.values_list("order", flat=True))
    client = login(filler)
    page = client.get(_goal_change(goal))
    formset = page.context["inline_admin_formsets"][0].formset
    prefix = formset.prefix
    total = int(formset.management_form["TOTAL_FORMS"].value())
    data = admin_form_data(page)
    data[f"{prefix}-TOTAL_FORMS"] = str(total + 2)
    for i, level3 in ((total, "新指标甲"), (total + 1, "新指标乙")):
        data.update(
            {
                f"{prefix}-{i}-level1": "产出指标",
                f"{prefix}-{i}-level2": "数量指标",
                f"{prefix}-{i}-level3": level3,
                f"{prefix}-{i}-raw_value": "≥1次",
                f"{prefix}-{i}-order": "",
            }
        )
    response = client.post(_goal_change(goal), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    orders = dict(
        goal.indicators.filter(level3__startswith="新指标").values_list("level3", "order")
    )
    assert orders == {"新指标甲": last + 1, "新指标乙": last + 2}


def test_a_new_indicator_row_has_no_order_to_type_over(login, filler):
    from tests.support.goal_helpers import new_goal

    goal = new_goal(filler)
    page = login(filler).get(_goal_change(goal))
    empty = page.context["inline_admin_formsets"][0].formset.empty_form
    assert empty["order"].value() in (None, "")
    assert 'placeholder="自动"' in str(empty["order"])


def test_new_amount_inputs_have_nothing_to_type_over(login, filler):
    from projects.models import ProjectBudget
    from tests.support.admin_forms import admin_form_data
    from tests.support.goal_helpers import new_project

    client = login(filler)
    add = reverse("admin:projects_projectbudget_add")
    page = client.get(add)
    html = page.content.decode()
    for name in ("amount", "adjusted_amount"):
        field = page.context["adminform"].form[name]
        assert field.value() in (None, ""), (name, field.value())
        assert "placeholder=" in str(field)
    assert 'value="0"' not in html.split('id="projectbudget_form"')[-1].split("</form>")[0]
    project = new_project(filler, code="410395230000000900077")
    response = client.post(
        add,
        admin_form_data(page, project=str(project.pk), fund_source="fiscal_special", amount="12.5"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    budget = ProjectBudget.objects.get(project=project, fund_source="fiscal_special")
    assert (budget.amount, budget.adjusted_amount) == (Decimal("12.5"), Decimal("12.5"))
