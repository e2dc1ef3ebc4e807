"""Nothing of another unit leaks through the admin: list filters offer only visible objects, and a
foreign key naming another unit's object answers exactly as one naming an object that does not
exist (same status, same words with the id) — in the form, in a prefilled add page and in
autocomplete."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.contrib.admin.filters import RelatedFieldListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.messages import get_messages
from django.urls import reverse

from performance.models import Indicator, MonitoringReport, PerformanceGoal, SelfEvaluation
from performance.services import monitoring as monitoring_services
from projects.admin.scoping import (
    ScopedAdminMixin,
    ScopedRelatedFieldListFilter,
    scoped_related_queryset,
)
from projects.models import Project, Unit
from projects.permissions import visible_units
from tests.support.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

PERSONAS = ["outsider", "outsider_dept_reviewer", "filler", "dept_reviewer"]


@pytest.fixture
def rounds(finance_reviewer):
    """Monitoring rounds for both demo years, so both units have monitoring reports."""
    for year in (2022, 2023):
        monitoring_services.monitoring_round_open(
            actor=finance_reviewer,
            year=year,
            data_month=12,
            opens_on=dt.date(year, 12, 1),
            deadline=dt.date(year + 1, 1, 31),
        )


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def add_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")


def related_filters(response) -> list[RelatedFieldListFilter]:
    return [
        spec
        for spec in response.context["cl"].filter_specs
        if isinstance(spec, RelatedFieldListFilter)
    ]


def parent_choices(response) -> list[tuple[int, str]]:
    """The 上级单位 filter's choices (a filter with nothing to offer is not shown at all)."""
    specs = [s for s in related_filters(response) if s.field_path == "unit__parent"]
    return [choice for spec in specs for choice in spec.lookup_choices]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    "model", [PerformanceGoal, Project, MonitoringReport, SelfEvaluation], ids=lambda m: m.__name__
)
def test_the_parent_unit_filter_offers_only_the_users_units(request, login, rounds, persona, model):
    user = request.getfixturevalue(persona)
    response = login(user).get(changelist(model))
    assert response.status_code == 200
    visible = set(visible_units(user).values_list("pk", flat=True))
    assert {pk for pk, _label in parent_choices(response)} <= visible
    html = response.content.decode()
    for unit in Unit.objects.exclude(pk__in=visible).exclude(name__in=visible_names(user)):
        assert unit.name not in html, (persona, unit.code)


def visible_names(user) -> list[str]:
    # 027 and 027001 share their name in the demo: a name shown for a visible unit is no leak.
    return list(visible_units(user).values_list("name", flat=True))


def test_a_filler_of_305004_is_not_offered_027_or_027001(login, outsider):
    response = login(outsider).get(changelist(PerformanceGoal))
    offered = {label for _pk, label in parent_choices(response)}
    assert not {str(u) for u in Unit.objects.filter(code__in=["027", "027001"])} & offered
    assert "伊滨经开区" not in response.content.decode()


def test_the_finance_bureau_is_offered_the_departments_with_work(login, finance_reviewer):
    response = login(finance_reviewer).get(changelist(PerformanceGoal))
    offered = {pk for pk, _label in parent_choices(response)}
    assert offered == set(Unit.objects.filter(code__in=["027", "305"]).values_list("pk", flat=True))
    department = Unit.objects.get(code="305")
    narrowed = login(finance_reviewer).get(
        changelist(PerformanceGoal), {"unit__parent__id__exact": department.pk}
    )
    assert {g.unit.code for g in narrowed.context["cl"].result_list} == {"305004"}


def scoped_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ScopedAdminMixin)
    ]


@pytest.mark.parametrize("model, model_admin", scoped_admins(), ids=lambda v: str(v))
def test_every_relation_filter_of_a_scoped_list_is_scoped(model, model_admin, outsider):
    rf_request = type("R", (), {"user": outsider})()
    for item in model_admin.get_list_filter(rf_request):
        if isinstance(item, str):
            field = get_fields_from_path(model, item)[-1]
            assert not field.is_relation, f"{model.__name__}.list_filter {item!r} is not scoped"
        elif isinstance(item, tuple):
            assert issubclass(item[1], ScopedRelatedFieldListFilter)


@pytest.mark.parametrize("persona", ["outsider", "filler"])
@pytest.mark.parametrize("model, model_admin", scoped_admins(), ids=lambda v: str(v))
def test_every_relation_filter_offers_only_visible_objects(
    request, login, rounds, persona, model, model_admin
):
    user = request.getfixturevalue(persona)
    response = login(user).get(changelist(model))
    if response.status_code == 403:
        return
    assert response.status_code == 200
    for spec in related_filters(response):
        related = spec.field.remote_field.model
        offered = {pk for pk, _label in spec.lookup_choices}
        scoped = scoped_related_queryset(related, user, admin.site)
        if scoped is not None:
            assert offered <= set(scoped.values_list("pk", flat=True)), spec.field_path


# --- foreign keys: another unit's id answers as a missing id ------------------------------------


def missing_id(model) -> int:
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def answer(response, field: str, object_id: int) -> tuple:
    """Status, the field's errors and the messages, with the id itself taken out."""
    errors = []
    if response.status_code == 200 and "adminform" in response.context:
        errors = list(response.context["adminform"].form.errors.get(field, []))
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    return tuple(
        re.sub(rf"\b{object_id}\b", "<id>", str(part))
        for part in (response.status_code, errors, texts)
    )


def foreign_goal() -> PerformanceGoal:
    return PerformanceGoal.objects.filter(unit__code="305004").select_related("project").first()


INDICATOR_ADD = "admin:performance_indicator_add"


def test_the_indicator_form_answers_a_foreign_goal_as_a_missing_one(login, filler):
    client = login(filler)
    url = reverse(INDICATOR_ADD)
    page = client.get(url)
    goal = foreign_goal()
    answers = []
    for goal_id in (goal.pk, missing_id(PerformanceGoal)):
        data = admin_form_data(
            page, goal=str(goal_id), level1="产出指标", level3="培训人次", raw_value="≥100人次"
        )
        response = client.post(url, data)
        answers.append(answer(response, "goal", goal_id))
        assert goal.unit.name not in response.content.decode()
    assert answers[0] == answers[1]
    assert answers[0][1] == str(["绩效目标 <id> 不存在或无权访问。"])
    assert not goal.indicators.filter(level3="培训人次").exists()


def test_a_prefilled_indicator_form_does_not_name_a_foreign_goal(login, filler):
    client = login(filler)
    goal = foreign_goal()
    widgets = []
    for goal_id in (goal.pk, missing_id(PerformanceGoal)):
        response = client.get(reverse(INDICATOR_ADD) + f"?goal={goal_id}")
        assert response.status_code == 200
        html = response.content.decode()
        assert str(goal) not in html and goal.project.name not in html
        widget = str(response.context["adminform"].form["goal"])
        widgets.append(re.sub(rf"\b{goal_id}\b", "<id>", widget))
    assert widgets[0] == widgets[1]


def test_a_prefilled_indicator_form_names_the_users_own_goal(login, filler):
    goal = PerformanceGoal.objects.filter(unit__code="027001", scope="project").first()
    response = login(filler).get(reverse(INDICATOR_ADD) + f"?goal={goal.pk}")
    assert str(goal) in response.content.decode()


def test_goal_autocomplete_finds_no_foreign_goal(login, filler):
    goal = foreign_goal()
    url = reverse("admin:autocomplete")
    params = {"app_label": "performance", "model_name": "indicator", "field_name": "goal"}
    found = login(filler).get(url, {**params, "term": goal.project.code})
    nothing = login(filler).get(url, {**params, "term": "不存在的项目"})
    assert found.status_code == nothing.status_code == 200
    assert found.json()["results"] == nothing.json()["results"] == []
    own = login(filler).get(url, {**params, "term": "410395220000000007669"})
    assert own.json()["results"]


def test_the_indicator_list_filtered_by_a_foreign_goal_is_as_empty_as_by_a_missing_one(
    login, filler
):
    client = login(filler)
    counts = [
        client.get(changelist(Indicator), {"goal": goal_id})
        for goal_id in (foreign_goal().pk, missing_id(PerformanceGoal))
    ]
    assert [r.status_code for r in counts] == [200, 200]
    assert [r.context["cl"].result_count for r in counts] == [0, 0]


FOREIGN_KEY_FORMS = [
    # (admin add view, field, the foreign object, the rest of a valid form)
    (
        "admin:projects_executionrecord_add",
        "project",
        Project,
        {"date": "2023-03-01", "amount": "1.5", "note": "测试"},
    ),
    (
        "admin:projects_projectbudget_add",
        "project",
        Project,
        {"fund_source": "carryover", "amount": "1", "adjusted_amount": "1"},
    ),
    ("admin:performance_selfevaluation_add", "project", Project, {"year": "2023"}),
    (
        "admin:performance_performancegoal_add",
        "project",
        Project,
        {"scope": "project", "year": "2023"},
    ),
    ("admin:performance_performancegoal_add", "unit", Unit, {"scope": "unit", "year": "2023"}),
]


@pytest.mark.parametrize("view, field, model, data", FOREIGN_KEY_FORMS)
def test_another_units_object_in_a_form_answers_as_a_missing_one(
    login, filler, view, field, model, data
):
    client = login(filler)
    foreign = (
        model.objects.get(code="305004")
        if model is Unit
        else model.objects.filter(unit__code="305004").first()
    )
    url = reverse(view)
    page = client.get(url)
    assert page.status_code == 200
    answers = []
    for object_id in (foreign.pk, missing_id(model)):
        response = client.post(url, admin_form_data(page, **data, **{field: str(object_id)}))
        answers.append(answer(response, field, object_id))
    assert answers[0] == answers[1]
    label = model._meta.verbose_name
    assert answers[0][:2] == ("200", str([f"{label} <id> 不存在或无权访问。"]))


def test_a_prefilled_execution_form_does_not_show_a_foreign_project(login, filler):
    foreign = Project.objects.filter(unit__code="305004").first()
    response = login(filler).get(
        reverse("admin:projects_executionrecord_add"), {"project": foreign.pk}
    )
    assert response.status_code == 200
    assert foreign.name not in response.content.decode()


# --- project codes: a code of a unit the user cannot see is as good as free ---------------------


def project_add_data(page, **values):
    unit = Unit.objects.get(code="027001")
    return admin_form_data(
        page,
        name="新项目",
        unit=str(unit.pk),
        year="2023",
        category="special",
        continuity="new",
        **values,
    )


def test_a_code_only_an_invisible_unit_uses_is_free_in_the_project_form(login, filler):
    foreign = Project.objects.get(code="3050042023001", year=2023)
    client = login(filler)
    url = reverse("admin:projects_project_add")
    page = client.get(url)
    response = client.post(url, project_add_data(page, code=foreign.code))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Project.objects.filter(unit__code="027001", code=foreign.code, year=2023).exists()
    assert Project.objects.get(pk=foreign.pk).name == foreign.name


def test_a_code_a_visible_unit_uses_is_refused_naming_that_unit(login, superuser):
    foreign = Project.objects.get(code="3050042023001", year=2023)
    client = login(superuser)
    url = reverse("admin:projects_project_add")
    page = client.get(url)
    response = client.post(url, project_add_data(page, code=foreign.code), follow=True)
    texts = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "已属于单位「305004" in texts
    assert not Project.objects.filter(unit__code="027001", code=foreign.code).exists()
