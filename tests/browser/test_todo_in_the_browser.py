"""待办 in a real browser at 1366×768 (and a phone's 390 px): each role starts from it.

With the demo's working day loaded, filler027, dept027 and the finance reviewer log in: the
home page starts with their lines, the header shows the count, nothing scrolls sideways (the
page and every to-do table's box), and a line's link opens the object. Screenshots go to
artifacts/browser/todo-*.png.
"""

from __future__ import annotations

import pytest

from performance.demo import DEMO_PASSWORD
from performance.demo_workday import load_demo_workday

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN, PHONE = (1366, 768), (390, 844)
FITS = """
    const page = document.documentElement.scrollWidth <= window.innerWidth;
    const boxes = [...document.querySelectorAll('#todo, .todo-group')]
        .filter(box => box.scrollWidth > box.clientWidth + 1).map(box => box.id || box.className);
    return [page, document.documentElement.scrollWidth, window.innerWidth, boxes];
"""
EXPECTED = {
    # user: (kinds on the home page, header count, what its first line opens)
    "filler027": ({"goal.returned", "goal.draft", "evaluation.start"}, 12, "/change/"),
    "dept027": ({"goal.review", "units.overdue"}, 1, "/change/#workflow-panel"),
    "finance": ({"goal.review", "units.overdue"}, 1, "/change/#workflow-panel"),
}


@pytest.fixture
def driver(chromium, live_server, monkeypatch):
    from django.db import connections

    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    chromium.delete_all_cookies()
    chromium.set_window_size(*SCREEN)
    yield chromium
    chromium.set_window_size(1366, 900)


def fits(driver) -> None:
    page, width, inner, boxes = driver.execute_script(FITS)
    assert page and not boxes, f"scrolls sideways: page {width} > {inner}, boxes {boxes}"


def login(driver, base: str, username: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base + "/admin/login/")  # cookies are deleted for the page's own origin
    driver.delete_all_cookies()
    driver.get(base + "/admin/login/?next=/admin/")
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(DEMO_PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
    # The click returns before the next page has loaded: wait for the home page's 待办.
    WebDriverWait(driver, 15).until(
        expected_conditions.presence_of_element_located((By.ID, "todo"))
    )


@pytest.mark.parametrize("username", list(EXPECTED))
def test_each_role_starts_its_day_from_todo(username, driver, live_server, filler, screenshot):
    from selenium.webdriver.common.by import By

    load_demo_workday()
    kinds, count, opens = EXPECTED[username]
    login(driver, live_server.url, username)
    rows = driver.find_elements(By.CSS_SELECTOR, "#todo tr[data-todo-key]")
    assert {row.get_attribute("data-todo-key").split(":")[0] for row in rows} == kinds
    header = driver.find_element(By.ID, "todo-count").text
    assert header == f"待办（{count}）", header
    fits(driver)
    screenshot(f"todo-{username}-home")

    driver.get(live_server.url + "/admin/todo/")
    assert len(driver.find_elements(By.CSS_SELECTOR, "tr[data-todo-key]")) >= len(kinds)
    fits(driver)
    screenshot(f"todo-{username}-list")

    driver.get(live_server.url + "/admin/")
    first = driver.find_element(By.CSS_SELECTOR, "#todo tr[data-todo-key] a.todo-action")
    first.click()
    assert opens in driver.current_url
    assert driver.find_element(By.ID, "content").text


def test_the_todo_reads_on_a_phone(driver, live_server, filler):
    from tests.browser.conftest import ARTIFACTS

    load_demo_workday()
    login(driver, live_server.url, "filler027")
    driver.set_window_size(*PHONE)
    driver.get(live_server.url + "/admin/")
    _page, _width, _inner, boxes = driver.execute_script(FITS)
    assert not boxes, f"to-do tables scroll sideways on a phone: {boxes}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "todo-filler027-phone.png"))
