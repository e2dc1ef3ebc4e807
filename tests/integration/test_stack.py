"""The stack CI promises: PostgreSQL, Redis and a Celery worker doing real work."""

from __future__ import annotations

import pytest
from django.db import connection

from performance.models import Indicator, PerformanceGoal
from performance.tasks import reparse_indicators
from projects.audit import history

from .conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_runs_on_postgresql(integration_services):
    assert connection.vendor == "postgresql"


def test_worker_reparses_indicators_through_redis(celery_worker, demo):
    goal = PerformanceGoal.objects.filter(unit__code="027001", scope="project").first()
    indicator = goal.indicators.filter(operator=">=").first()
    expected = (indicator.operator, indicator.target_value, indicator.target_unit)
    Indicator.objects.filter(pk=indicator.pk).update(operator="", target_value=None, target_unit="")

    result = reparse_indicators.delay([goal.pk])

    def repaired():
        """the worker restored the parsed target"""
        indicator.refresh_from_db()
        return (indicator.operator, indicator.target_value, indicator.target_unit) == expected

    wait_for(repaired)
    assert result.id
    assert history(goal).filter(action="compute").exists()
