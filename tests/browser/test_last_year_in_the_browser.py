"""从上年目标开始 in the browser at 1366×768: filler305 starts 305004's 2024 goal of a 延续
project from 2023's approved goal; the draft shows last year's target and actual under each
indicator as a grey second line, and the page still fits the screen.
Screenshots: artifacts/browser/fit-last-year-*.png."""

from __future__ import annotations

import pytest

from performance.choices import GoalScope, Status
from performance.models import PerformanceGoal
from projects.models import Project
from tests.browser.fit import assert_fits
from tests.browser.test_screens_fit_in_the_browser import SCREEN, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def driver(chromium, live_server, monkeypatch):
    from django.db import connections

    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    chromium.delete_all_cookies()
    chromium.set_window_size(*SCREEN)
    yield chromium
    chromium.set_window_size(1366, 900)


def test_filler305_starts_from_last_year_and_sees_it_beside(driver, live_server, outsider):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    source = (
        PerformanceGoal.objects.filter(
            unit__code="305004", year=2023, scope=GoalScope.PROJECT, status=Status.APPROVED
        )
        .order_by("project__code")
        .first()
    )
    last = source.project
    project = Project.objects.create(
        code=last.code, name=last.name, unit=last.unit, year=2024, category=last.category
    )
    base = live_server.url
    login(driver, base, "filler305")
    driver.get(base + "/admin/performance/performancegoal/add/")
    driver.find_element(By.LINK_TEXT, "从上年目标开始").click()
    assert_fits(driver)
    shot(driver, "last-year-start")
    Select(driver.find_element(By.ID, "id_project")).select_by_value(str(project.pk))
    driver.find_element(By.CSS_SELECTOR, "#content-main [type=submit]").click()
    # The POST answers with a redirect to the new goal's page: wait for it (on a busy machine
    # the database is asked before the server has written anything otherwise).
    WebDriverWait(driver, 15).until(lambda d: d.current_url.endswith("/change/"))

    goal = PerformanceGoal.objects.get(project=project)
    assert driver.current_url.endswith(f"/performancegoal/{goal.pk}/change/")
    lines = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "td .second-line")]
    assert len([line for line in lines if line.startswith("上年：")]) == source.indicators.count()
    assert any("（自评）" in line for line in lines)
    assert_fits(driver)
    shot(driver, "last-year-goal")
