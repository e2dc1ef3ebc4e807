"""Interim (period) targets in the admin: the indicator page's 分期目标 fieldset writes the plan
through the indicator service (checked against the annual 指标值), and the goal page shows it."""

from __future__ import annotations

import pytest

from performance.models import Indicator
from tests.support.admin_forms import admin_form_data
from tests.support.goal_helpers import GOOD_INDICATORS, new_goal

pytestmark = pytest.mark.django_db

HOUSEHOLDS = {
    "level1": "产出指标",
    "level2": "数量指标",
    "level3": "走访户数",
    "raw_value": "≥100个",
}


@pytest.fixture
def indicator(filler) -> Indicator:
    goal = new_goal(filler, indicators=[*GOOD_INDICATORS, HOUSEHOLDS])
    return goal.indicators.get(level3="走访户数")


def _post(client, indicator, follow=False, **plan):
    url = f"/admin/performance/indicator/{indicator.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert "分期目标" in page.content.decode()
    return client.post(url, admin_form_data(page, **plan), follow=follow)


def test_indicator_page_saves_a_quarterly_plan_and_the_goal_page_shows_it(login, filler, indicator):
    client = login(filler)
    response = _post(
        client,
        indicator,
        period_kind="quarter",
        period_mode="cumulative",
        period_target_1="60",
        period_target_2="80",
        period_target_3="90",
        period_target_4="100",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    fresh = Indicator.objects.get(pk=indicator.pk)
    assert (fresh.period_kind, fresh.period_target_2, fresh.lock_version) == ("quarter", 80, 2)
    goal_page = client.get(f"/admin/performance/performancegoal/{indicator.goal_id}/change/")
    assert "分期：季度累计 60/80/90/100" in goal_page.content.decode()


def test_indicator_page_shows_the_plans_error_in_chinese_and_saves_nothing(
    login, filler, indicator
):
    response = _post(
        login(filler),
        indicator,
        period_kind="half",
        period_mode="per_period",
        period_target_1="50",
        period_target_2="45",
        follow=True,
    )
    assert response.status_code == 200
    assert "当期口径的分期目标合计 95 应等于全年目标值 100。" in response.content.decode()
    fresh = Indicator.objects.get(pk=indicator.pk)
    assert (fresh.period_kind, fresh.lock_version) == ("", 1)
