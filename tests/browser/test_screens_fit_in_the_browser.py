"""Every screen of the day fits 1366×768 (and 待办 and a document fit a phone), each role
starting from its 待办.

filler027 opens his returned goal from 待办 (the goal form with its indicator inline), the add
page, and the goal and project lists; filler305 opens a draft monitoring report
from 待办, a self-evaluation form and the report list; dept027 the goal and project lists
and the finance reviewer all four.
On each page ``assert_fits``: neither the page nor any table box scrolls sideways and the key
columns end inside the window. Screenshots: artifacts/browser/fit-*.png.
"""

from __future__ import annotations

import pytest

from performance.demo import DEMO_PASSWORD, load_demo_monitoring
from performance.demo_workday import load_demo_workday
from tests.browser.fit import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN, PHONE = (1366, 768), (375, 812)
LISTS = {
    "goals": "/admin/performance/performancegoal/",
    "projects": "/admin/projects/project/",
    "reports": "/admin/performance/monitoringreport/",
    "evaluations": "/admin/performance/selfevaluation/",
}
KEY_COLUMNS = {
    # list: column headers that must be on screen (status, findings, budget and rate, lights, score)
    "goals": ["column-status", "column-check_badge"],
    "projects": ["column-budget_adjusted_display", "column-rate_display"],
    "reports": ["column-execution_rate", "column-budget_light_badge", "column-light_badge"],
    "evaluations": ["column-execution_rate", "column-total_score", "column-status"],
}


@pytest.fixture
def driver(chromium, live_server, monkeypatch):
    from django.db import connections

    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    chromium.delete_all_cookies()
    chromium.set_window_size(*SCREEN)
    yield chromium
    chromium.set_window_size(1366, 900)


@pytest.fixture
def workday(filler):
    load_demo_workday()
    load_demo_monitoring()


def login(driver, base: str, username: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base + "/admin/login/")
    driver.delete_all_cookies()
    driver.get(base + "/admin/login/?next=/admin/")
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(DEMO_PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
    WebDriverWait(driver, 15).until(
        expected_conditions.presence_of_element_located((By.ID, "todo"))
    )


def shot(driver, name: str) -> None:
    """Save the whole page (the window stretched to its height) under artifacts/browser/."""
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    width, height = driver.get_window_size()["width"], driver.get_window_size()["height"]
    full = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(int(full) + 40, height), 8000))
    driver.save_screenshot(str(ARTIFACTS / f"fit-{name}.png"))
    driver.set_window_size(width, height)


def open_from_todo(driver, kind: str) -> None:
    """Click the action link of the first 待办 line of ``kind`` on the home page."""
    from selenium.webdriver.common.by import By

    row = driver.find_element(By.CSS_SELECTOR, f'#todo tr[data-todo-key^="{kind}:"]')
    row.find_element(By.CSS_SELECTOR, "a.todo-action").click()


def check(driver, name: str) -> None:
    assert_fits(driver)
    shot(driver, name)


def check_list(driver, base: str, username: str, name: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + LISTS[name])
    assert driver.find_elements(By.CSS_SELECTOR, "#result_list tbody tr"), f"{name}: no rows"
    for column in KEY_COLUMNS[name]:
        assert driver.find_elements(By.CSS_SELECTOR, f"#result_list th.{column}"), column
    check(driver, f"{username}-{name}")


def editable_inline(driver) -> int:
    """How many editable inputs the page's inlines hold (0 on a view-only page)."""
    from selenium.webdriver.common.by import By

    return len(
        driver.find_elements(
            By.CSS_SELECTOR, ".inline-group tr.form-row input[type=text], .inline-group textarea"
        )
    )


def test_filler027_goal_form_and_lists_fit_the_screen(driver, live_server, workday):
    base = live_server.url
    login(driver, base, "filler027")
    check(driver, "filler027-home")
    open_from_todo(driver, "goal.returned")
    assert "/performancegoal/" in driver.current_url
    assert editable_inline(driver) > 0, "the returned goal's indicator inline is not editable"
    check(driver, "filler027-goal-form")
    driver.get(base + "/admin/performance/performancegoal/add/")
    check(driver, "filler027-goal-add")
    for name in ("goals", "projects"):  # 027001 has no reports or self-evaluations yet
        check_list(driver, base, "filler027", name)


def test_filler305_report_and_evaluation_forms_fit_the_screen(driver, live_server, workday):
    from selenium.webdriver.common.by import By

    base = live_server.url
    login(driver, base, "filler305")
    check(driver, "filler305-home")
    open_from_todo(driver, "report.draft")
    assert "/monitoringreport/" in driver.current_url
    assert editable_inline(driver) > 0, "the draft report's entries are not editable"
    check(driver, "filler305-report-form")
    driver.get(base + LISTS["evaluations"])
    driver.find_element(By.CSS_SELECTOR, "#result_list tbody tr th a").click()
    assert driver.find_elements(By.CSS_SELECTOR, ".inline-group")
    check(driver, "filler305-evaluation-form")
    check_list(driver, base, "filler305", "reports")


@pytest.mark.parametrize(
    "username, lists",
    [("dept027", ["goals", "projects"]), ("finance", list(LISTS))],  # 027 has no reports yet
)
def test_reviewers_lists_fit_the_screen(username, lists, driver, live_server, workday):
    base = live_server.url
    login(driver, base, username)
    check(driver, f"{username}-home")
    for name in lists:
        check_list(driver, base, username, name)


def test_todo_and_a_goal_read_on_a_phone(driver, live_server, workday):
    base = live_server.url
    login(driver, base, "filler027")
    driver.set_window_size(*PHONE)
    driver.get(base + "/admin/")
    check(driver, "phone-filler027-home")
    open_from_todo(driver, "goal.returned")
    check(driver, "phone-filler027-goal")
