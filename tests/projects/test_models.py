"""Constraints and invariants of the projects models, enforced by the database or clean()."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from projects.choices import FundSource, ProjectCategory, Role, UnitKind
from projects.models import ExecutionRecord, Membership, Project, ProjectBudget, Unit
from projects.services import accounts
from projects.services import projects as project_services
from projects.services import units as unit_services

pytestmark = pytest.mark.django_db


def test_unit_path_follows_the_tree(demo):
    assert Unit.objects.get(code="027001").path == "/410300/027/027001/"
    assert Unit.objects.get(code="410300").depth == 1


def test_moving_a_department_moves_its_units(demo):
    other = unit_services.unit_upsert(
        code="999",
        name="测试部门",
        kind=UnitKind.DEPARTMENT,
        parent=Unit.objects.get(code="410300"),
    )
    child = unit_services.unit_upsert(
        code="999001", name="测试单位", kind=UnitKind.UNIT, parent=other
    )
    other.code = "998"
    other.save()
    child.refresh_from_db()
    assert child.path == "/410300/998/999001/"


def test_finance_bureau_cannot_have_a_parent(demo):
    finance = Unit.objects.get(code="410300")
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(code="X1", name="x", kind=UnitKind.FINANCE, parent=finance)


def test_budget_unit_needs_a_department_parent(demo):
    unit = Unit(code="X2", name="x", kind=UnitKind.UNIT, parent=Unit.objects.get(code="410300"))
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert "parent" in error.value.message_dict


def test_unit_cannot_be_its_own_descendant(demo):
    department = Unit.objects.get(code="027")
    department.kind = UnitKind.UNIT
    department.parent = Unit.objects.get(code="027001")
    with pytest.raises(ValidationError):
        department.full_clean()


def test_project_code_unique_per_year(demo):
    project = Project.objects.filter(unit__code="027001").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.create(
            code=project.code,
            name="重复",
            unit=project.unit,
            year=project.year,
            category=ProjectCategory.SPECIAL,
        )


def _project_data(code: str, unit_code: str = "027001") -> dict:
    return {
        "code": code,
        "name": "编码测试",
        "unit": Unit.objects.get(code=unit_code),
        "year": 2023,
        "category": ProjectCategory.SPECIAL,
    }


def test_a_code_another_visible_unit_uses_is_refused_on_the_code(demo, superuser):
    for actor in (superuser, None):  # None: the system (demo loader, imports without a user)
        with pytest.raises(ValidationError) as error:
            project_services.project_save(data=_project_data("3050042023001"), actor=actor)
        assert list(error.value.message_dict) == ["code"]
        assert "305004" in error.value.message_dict["code"][0]
    assert not Project.objects.filter(unit__code="027001", code="3050042023001").exists()


def test_a_code_only_invisible_units_use_is_free_for_the_editor(demo, filler):
    project = project_services.project_save(data=_project_data("3050042023001"), actor=filler)
    assert (project.unit.code, project.code) == ("027001", "3050042023001")
    assert Project.objects.filter(code="3050042023001", year=2023).count() == 2


def test_project_period_must_be_ordered(demo):
    project = Project.objects.filter(unit__code="027001").first()
    project.period_start, project.period_end = dt.date(2022, 12, 1), dt.date(2022, 1, 1)
    with pytest.raises(ValidationError) as error:
        project.full_clean()
    assert "period_end" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        project.save()


def test_project_cannot_belong_to_the_finance_bureau(finance_reviewer):
    with pytest.raises(ValidationError):
        project_services.project_save(
            data={
                "code": "1",
                "name": "x",
                "unit": Unit.objects.get(code="410300"),
                "year": 2023,
                "category": ProjectCategory.SPECIAL,
            },
        )


def test_budget_is_unique_per_fund_source_and_non_negative(demo):
    project = Project.objects.filter(unit__code="027001").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectBudget.objects.create(
            project=project, fund_source=FundSource.GENERAL_PUBLIC, amount=1
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectBudget.objects.create(project=project, fund_source=FundSource.CARRYOVER, amount=-1)


def test_adjusted_budget_defaults_to_the_initial_amount(demo):
    project = Project.objects.filter(unit__code="027001").first()
    budget = project_services.project_set_budget(
        project=project, fund_source=FundSource.CARRYOVER, amount=Decimal("0.628")
    )
    assert budget.adjusted_amount == Decimal("0.628")


def test_execution_amount_cannot_be_zero(demo):
    project = Project.objects.filter(unit__code="027001").first()
    with pytest.raises(ValidationError):
        project_services.execution_add(
            project=project, date=dt.date(2022, 3, 1), amount=Decimal("0")
        )


def test_membership_role_must_fit_the_unit_kind(demo, filler):
    with pytest.raises(ValidationError) as error:
        accounts.membership_add(user=filler, unit=Unit.objects.get(code="410300"), role=Role.FILLER)
    assert "role" in error.value.message_dict
    assert not Membership.objects.filter(user=filler, unit__code="410300").exists()


def test_filler_cannot_edit_another_units_project(outsider):
    from django.core.exceptions import PermissionDenied

    project = Project.objects.filter(unit__code="027001").first()
    with pytest.raises(PermissionDenied):
        project_services.project_save(project=project, data={"leader": "张三"}, actor=outsider)
    project.refresh_from_db()
    assert project.leader == ""


def test_stale_project_edit_is_refused(filler):
    project = Project.objects.filter(unit__code="027001").first()
    version = project.lock_version
    project_services.project_save(
        project=project, data={"leader": "张三"}, actor=filler, expected_version=version
    )
    with pytest.raises(ValidationError) as error:
        project_services.project_save(
            project=project, data={"leader": "李四"}, actor=filler, expected_version=version
        )
    assert error.value.code == "stale"
    project.refresh_from_db()
    assert project.leader == "张三"


def test_execution_sum_gives_executed_to_date(demo):
    from projects.selectors import executed_to_date, projects_with_figures

    project = Project.objects.get(unit__code="305004", name="劳务派遣工资")
    assert executed_to_date(project) == Decimal("26.17")
    assert executed_to_date(project, as_of=dt.date(2023, 6, 30)) == Decimal("0")
    figures = projects_with_figures(Project.objects.filter(pk=project.pk)).get()
    assert (figures.budget_adjusted, figures.executed) == (Decimal("28"), Decimal("26.17"))
    assert ExecutionRecord.objects.filter(project=project).count() == 1
