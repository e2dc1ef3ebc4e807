"""Every admin screen renders for a superuser and for scoped users; scope is enforced."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from performance.models import PerformanceGoal
from projects.models import Project
from tests.support.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

MODELS = list(admin.site._registry)


def _urls(model, obj, user=None):
    info = (model._meta.app_label, model._meta.model_name)
    yield reverse("admin:{}_{}_changelist".format(*info))
    if admin.site._registry[model].has_add_permission(type("R", (), {"user": user})()):
        yield reverse("admin:{}_{}_add".format(*info))
    if obj is not None:
        yield reverse("admin:{}_{}_change".format(*info), args=[obj.pk])


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_admin_page_renders_for_a_superuser(login, superuser, model):
    client = login(superuser)
    for url in _urls(model, model.objects.first(), superuser):
        response = client.get(url)
        assert response.status_code == 200, url


# Every admin URL as every role, own and foreign objects, rows of list pages:
# tests/projects/admin/test_matrix.py (it replaced "200 or 403 for every persona" here).


@pytest.mark.parametrize(
    "url",
    [
        "admin:performance_performancegoal_add",
        "admin:performance_indicator_add",
        "admin:performance_selfevaluation_add",
        "admin:performance_monitoringreport_add",
    ],
)
def test_a_page_the_role_may_not_open_is_a_403_not_a_redirect_to_itself(login, dept_reviewer, url):
    response = login(dept_reviewer).get(reverse(url))
    assert response.status_code == 403


def test_admin_is_in_chinese_by_default(login, filler):
    response = login(filler).get(reverse("admin:index"))
    assert "预算绩效目标管理" in response.content.decode()
    assert "注销" in response.content.decode() or "退出" in response.content.decode()


def test_admin_speaks_english_when_asked(login, filler):
    response = login(filler).get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Log out" in response.content.decode()


def test_filler_sees_only_their_units_projects(login, filler):
    response = login(filler).get(reverse("admin:projects_project_changelist"))
    assert response.status_code == 200
    shown = {p.pk for p in response.context["cl"].result_list}
    assert shown == set(Project.objects.filter(unit__code="027001").values_list("pk", flat=True))
    assert len(shown) == 10


def test_finance_reviewer_sees_all_units_projects(login, finance_reviewer):
    response = login(finance_reviewer).get(reverse("admin:projects_project_changelist"))
    assert response.context["cl"].result_count == Project.objects.count() == 15


@pytest.mark.parametrize(
    "model, lookup",
    [(Project, "unit__code"), (PerformanceGoal, "unit__code")],
)
def test_another_units_object_is_a_404(login, outsider, model, lookup):
    obj = model.objects.filter(**{lookup: "027001"}).first()
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
    assert login(outsider).get(url).status_code == 404
    response = login(outsider).post(url, {"name": "篡改"})
    assert response.status_code == 404
    obj.refresh_from_db()
    assert getattr(obj, "name", "") != "篡改"


def test_filler_edits_a_project_through_the_admin_and_it_is_audited(login, filler):
    from projects.audit import history

    project = Project.objects.filter(unit__code="027001").first()
    url = reverse("admin:projects_project_change", args=[project.pk])
    client = login(filler)
    page = client.get(url)
    data = admin_form_data(page, leader="王五")
    response = client.post(url, data)
    assert response.status_code == 302, [
        f.formset.errors for f in response.context["inline_admin_formsets"]
    ] + [response.context["adminform"].form.errors]
    project.refresh_from_db()
    assert project.leader == "王五"
    assert history(project).filter(actor=filler, changes__has_key="leader").exists()
