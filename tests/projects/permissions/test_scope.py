"""visible_units: the one answer to "which units may this user see"."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from projects.models import Unit
from projects.permissions import roles_for, visible_units

pytestmark = pytest.mark.django_db


def codes(user) -> set[str]:
    return set(visible_units(user).values_list("code", flat=True))


def test_filler_sees_only_their_unit(filler):
    assert codes(filler) == {"027001"}


def test_department_reviewer_sees_the_department_and_its_units(dept_reviewer):
    assert codes(dept_reviewer) == {"027", "027001"}


def test_finance_reviewer_sees_every_unit(finance_reviewer):
    assert codes(finance_reviewer) == set(Unit.objects.values_list("code", flat=True))


def test_user_without_membership_sees_nothing(db):
    user = get_user_model().objects.create_user("nobody", password="x" * 12)
    assert codes(user) == set()


def test_inactive_user_sees_nothing(filler):
    filler.is_active = False
    assert codes(filler) == set()


def test_roles_apply_downwards_only(dept_reviewer):
    assert roles_for(dept_reviewer, Unit.objects.get(code="027001")) == {"dept_reviewer"}
    assert roles_for(dept_reviewer, Unit.objects.get(code="410300")) == set()
    assert roles_for(dept_reviewer, Unit.objects.get(code="305004")) == set()
