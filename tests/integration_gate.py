"""The services check in front of every integration test (a pytest plugin; ``tests/conftest.py``).

Every test marked ``integration`` needs real PostgreSQL, Redis and a non-eager Celery. The check
runs in ``pytest_runtest_setup`` before any fixture of the test is set up, so no fixture (a
worker to spawn, a database to flush, a folder to watch) can start work against servers that
are not there, and a new integration test needs no explicit dependency to be gated. Without the
servers the test is skipped with the reason; with ``REQUIRE_INTEGRATION=1`` (``.ci/run``) it
errors instead, so CI can never skip it silently. The check runs once per session.

``--expect-only-skips`` turns the opposite into a failure: ``.ci/run`` runs the integration tests
once more without the servers and needs every collected test skipped, none passed, failed or
errored, and at least one collected, so the no-server path of ``make test`` cannot regress.
"""

from __future__ import annotations

import os

import pytest

MARKER = "integration"
_PROBLEM = pytest.StashKey[str | None]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--expect-only-skips",
        action="store_true",
        help="fail the run unless every collected test was skipped (the no-server check of CI)",
    )


def missing_service() -> str | None:
    """Why the integration tests cannot run here, or None when every service answers."""
    from django.conf import settings

    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        return "DATABASE_URL 未指向 PostgreSQL"
    if not settings.REDIS_URL:
        return "REDIS_URL 未设置"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as error:  # any connection problem means "no Redis here"
        return f"无法连接 Redis（{error}）"
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "CELERY_TASK_ALWAYS_EAGER 仍为开启（请通过 make test / tests/run.py 运行）"
    return None


def require_services(config: pytest.Config) -> None:
    """Skip the current test without the services (fail it under ``REQUIRE_INTEGRATION=1``)."""
    if _PROBLEM not in config.stash:
        config.stash[_PROBLEM] = missing_service()
    problem = config.stash[_PROBLEM]
    if problem:
        if os.environ.get("REQUIRE_INTEGRATION") == "1":
            pytest.fail(f"CI 要求运行集成测试，但{problem}。", pytrace=False)
        pytest.skip(f"跳过集成测试：{problem}")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Gate every ``integration`` test before its fixtures (autouse and session ones too)."""
    if item.get_closest_marker(MARKER) is not None:
        require_services(item.config)


class OnlySkips:
    """``--expect-only-skips``: the verdict over every test report of the run."""

    def __init__(self) -> None:
        self.skipped: set[str] = set()
        self.not_skipped: list[str] = []
        self.verdict = ""

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped:
            self.skipped.add(report.nodeid)
        elif report.failed or report.when == "call":
            self.not_skipped.append(f"{report.nodeid}（{report.when}：{report.outcome}）")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.not_skipped:
            self.verdict = "以下测试没有被跳过：\n" + "\n".join(self.not_skipped)
        elif not self.skipped:
            self.verdict = "没有任何测试被跳过（也没有收集到测试）"
        else:
            return
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.verdict:
            terminalreporter.write_line(f"--expect-only-skips 失败：{self.verdict}", red=True)
        else:
            terminalreporter.write_line(
                f"--expect-only-skips：全部 {len(self.skipped)} 个测试均已跳过", green=True
            )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("expect_only_skips") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(OnlySkips(), "expect-only-skips")
