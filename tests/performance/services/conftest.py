"""Fixtures of the service tests: the personas the 财政复核 tests share."""

import pytest
from django.contrib.auth import get_user_model

from projects.models import Unit


@pytest.fixture
def finance2(demo):
    """A second 财政审核人 at the finance root (four-eyes)."""
    from performance.demo import DEMO_PASSWORD
    from projects.choices import Role, UnitKind
    from projects.services import accounts

    existing = get_user_model().objects.filter(username="finance2").first()
    if existing is not None:
        return existing
    return accounts.user_create(
        username="finance2",
        password=DEMO_PASSWORD,
        first_name="财政局绩效科科长",
        unit=Unit.objects.get(kind=UnitKind.FINANCE),
        role=Role.FINANCE_REVIEWER,
    )


@pytest.fixture
def unit305(demo):
    return Unit.objects.get(code="305004")


@pytest.fixture
def reviewer305(demo):
    return get_user_model().objects.get(username="reviewer305")
