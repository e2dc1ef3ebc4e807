"""Browser fixtures: headless Chromium from Debian packages, driven by Selenium.

``/usr/bin/chromium`` and ``/usr/bin/chromedriver`` come from ``apt-get install chromium
chromium-driver``; Selenium is pointed at both, so selenium-manager never downloads a driver or
a browser. Without them (or without selenium) the tests are skipped with the reason shown;
with ``REQUIRE_INTEGRATION=1`` (``.ci/run``) the run fails instead, as the integration tests do.
Screenshots go to ``artifacts/browser/``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = ROOT / "artifacts" / "browser"
WINDOW = (1366, 900)
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=zh-CN",
)


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "未安装 selenium（pip install -r requirements-dev.txt）"
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.exists():
            return f"缺少 {binary}（apt-get install chromium chromium-driver）"
    return None


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    """A headless Chromium with a fresh profile for the session."""
    problem = _missing()
    if problem:
        if os.environ.get("REQUIRE_INTEGRATION") == "1":
            pytest.fail(f"CI 要求运行浏览器测试，但{problem}。", pytrace=False)
        pytest.skip(f"跳过浏览器测试：{problem}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let selenium-manager reach the network
    profile = tempfile.mkdtemp(prefix="perf-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (*CHROMIUM_ARGS, f"--user-data-dir={profile}"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_window_size(*WINDOW)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def screenshot(chromium):
    """``screenshot(name)`` saves the whole page as ``artifacts/browser/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def save(name: str) -> Path:
        height = chromium.execute_script(
            "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"
        )
        chromium.set_window_size(WINDOW[0], min(max(int(height) + 40, WINDOW[1]), 8000))
        path = ARTIFACTS / f"{name}.png"
        chromium.save_screenshot(str(path))
        chromium.set_window_size(*WINDOW)
        return path

    return save
