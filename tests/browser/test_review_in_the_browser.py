"""The review cycle in a real browser, against a live server with the demo data.

027001's filler logs in, creates a goal with five indicators for a new 2023 project through
the admin's add form (select2 autocompletes, inline rows added by the admin's JavaScript) and
submits it; 主管部门 027's reviewer returns it with a comment; the filler sees the comment and
the unread notification; the dashboard renders its charts with their figures, and the
printable 项目绩效目标表 shows the new goal. Each step is saved to artifacts/browser/.
"""

from __future__ import annotations

import pytest

from performance.choices import Status
from performance.demo import DEMO_PASSWORD
from performance.models import PerformanceGoal
from tests.support.goal_helpers import GOOD_INDICATORS, new_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMMENT = "请补充成本指标的测算依据，并细化满意度调查方式。"
OVERALL_GOAL = "完成全年经办人员业务培训，提升经办服务能力。"
WAIT_SECONDS = 20


class Browser:
    """A few admin-shaped steps over a Selenium driver."""

    def __init__(self, driver, base_url: str) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver = driver
        self.base_url = base_url
        self.wait = WebDriverWait(driver, WAIT_SECONDS)

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def find(self, css: str):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        return self.wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))

    def find_all(self, css: str) -> list:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def click(self, css: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        self.wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, css))).click()

    def type(self, css: str, text: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(text)

    def text_in(self, css: str, text: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        try:
            self.wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
        except Exception:
            pytest.fail(f"“{css}” 中没有出现“{text}”。页面内容：\n{self.page_text()[:3000]}")

    def page_text(self) -> str:
        return self.find("body").text

    def login(self, username: str) -> None:
        self.open("/admin/login/?next=/admin/")
        self.type("#id_username", username)
        self.type("#id_password", DEMO_PASSWORD)
        self.click("#login-form [type=submit]")
        self.find("#logout-form")  # logged in: the header offers 注销

    def logout(self) -> None:
        self.click("#logout-form [type=submit]")
        self.find("#content")  # the "logged out" page
        self.driver.delete_all_cookies()

    def autocomplete(self, field_id: str, term: str, pick: str) -> None:
        """Search ``term`` in an admin autocomplete (select2) field and pick the option that
        reads ``pick``."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        self.click(f"#{field_id} + .select2 .select2-selection")
        self.type(".select2-container--open .select2-search__field", term)
        option = (
            By.XPATH,
            "//li[contains(@class, 'select2-results__option') and "
            f"not(contains(@class, 'loading-results')) and contains(., '{pick}')]",
        )
        try:
            self.wait.until(ec.element_to_be_clickable(option)).click()
        except Exception:
            results = self.find_all(".select2-results")
            pytest.fail(
                f"自动完成“{field_id}”搜索“{term}”找不到“{pick}”：{[r.text for r in results]}",
                pytrace=False,
            )
        self.wait.until(
            lambda driver: driver.find_element(By.ID, field_id).get_attribute("value") != ""
        )


@pytest.fixture
def browser(chromium, live_server, monkeypatch) -> Browser:
    from django.db import connections

    # The live server answers each request in a thread that keeps its socket (and with
    # CONN_MAX_AGE its database connection) open; close connections after every request so
    # none is left behind when the test database is dropped.
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    chromium.delete_all_cookies()
    return Browser(chromium, live_server.url)


def test_a_goal_is_submitted_returned_with_a_comment_and_the_dashboard_draws_it(
    browser, screenshot, filler, dept_reviewer
):
    project = new_project(filler)  # a new 2023 project of 027001, 20 万元

    # 1. The filler logs in and fills the goal in the admin's add form.
    browser.login("filler027")
    screenshot("01-filler-logged-in")
    browser.open("/admin/performance/performancegoal/add/")
    from selenium.webdriver.support.ui import Select

    Select(browser.find("#id_scope")).select_by_value("project")
    browser.autocomplete("id_project", project.code, pick=f"{project.name}（2023）")
    browser.autocomplete("id_unit", "027001", pick=project.unit.name)
    browser.type("#id_year", "2023")
    browser.type("#id_overall_goal", OVERALL_GOAL)
    for index, row in enumerate(GOOD_INDICATORS):
        browser.click("#indicators-group .add-row a")
        browser.type(f"#id_indicators-{index}-order", str(index + 1))
        for field, value in row.items():
            if field in ("level1", "level2"):  # chosen from the framework (domain §3)
                Select(browser.find(f"#id_indicators-{index}-{field}")).select_by_value(value)
            else:
                browser.type(f"#id_indicators-{index}-{field}", value)
    screenshot("02-filler-goal-form")
    browser.click("input[name=_continue]")
    browser.text_in("#workflow-status", Status.DRAFT.label)
    screenshot("03-filler-goal-saved")

    goal = PerformanceGoal.objects.get(project=project)
    assert goal.indicators.count() == len(GOOD_INDICATORS)
    assert [i.level3 for i in goal.indicators.order_by("order")] == [
        row["level3"] for row in GOOD_INDICATORS
    ]

    # 2. … and submits it.
    browser.click("#workflow-submit [type=submit]")
    browser.text_in("#workflow-status", Status.SUBMITTED.label)
    screenshot("04-filler-submitted")
    browser.logout()

    # 3. 主管部门 027 returns it with a comment.
    browser.login("dept027")
    browser.open(f"/admin/performance/performancegoal/{goal.pk}/change/")
    browser.type("#id_return_comment", COMMENT)
    screenshot("05-reviewer-writes-comment")
    browser.click("#workflow-return [type=submit]")
    browser.text_in("#workflow-status", Status.RETURNED.label)
    screenshot("06-reviewer-returned")
    browser.logout()
    goal.refresh_from_db()
    assert (goal.status, goal.last_comment) == (Status.RETURNED, COMMENT)

    # 4. The filler is told and reads the comment on the goal.
    browser.login("filler027")
    browser.text_in("#unread-notifications", "未读")
    browser.open(f"/admin/performance/performancegoal/{goal.pk}/change/")
    browser.text_in("#return-comment", COMMENT)
    screenshot("07-filler-sees-comment")

    # 5. The dashboard, reached from the admin index, draws its charts with their figures.
    browser.open("/admin/")
    browser.click("#dashboard-links a[href$='/admin/dashboard/']")
    Select(browser.find("#id_year")).select_by_value("2023")
    browser.click("#dashboard-filter [type=submit]")
    browser.text_in("#time-progress", "%")
    charts = browser.find_all("svg.chart")
    assert [chart.get_attribute("id") for chart in charts] == [
        "chart-goals",
        "chart-execution",
        "chart-lights",
        "chart-scores",
        "chart-grades",
        "chart-reviews",  # 财政复核: self minus 复核 per department (issue 17)
        "chart-overdue",
    ]
    assert all(chart.get_attribute("role") == "img" for chart in charts)
    goals_chart = browser.find("#chart-goals")
    assert "已退回" in goals_chart.text
    bar_values = [t.text for t in goals_chart.find_elements("css selector", "text.bar-value")]
    assert "1 个" in bar_values
    assert goals_chart.find_elements("css selector", "rect.bar")
    execution_chart = browser.find("#chart-execution")
    assert "时间进度" in execution_chart.text and "0% 红灯" in execution_chart.text
    assert "027001" in browser.find("#execution-units").text
    screenshot("08-dashboard")

    # 6. The printable 项目绩效目标表 of the unit shows the new goal.
    browser.click("#dashboard-filter a[href*='/admin/print/']")
    Select(browser.find("#id_kind")).select_by_value("project_targets")
    Select(browser.find("#id_unit")).select_by_value("027001")
    browser.click("#print-form [type=submit]")
    browser.text_in("table.official", project.name)
    browser.text_in("h1", "2023年部门预算项目绩效目标表")
    screenshot("09-printable-project-table")
