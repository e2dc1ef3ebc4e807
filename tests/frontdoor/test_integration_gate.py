"""The services check in front of every integration test (``tests/integration_gate.py``).

Each case runs pytest in a subprocess on a throwaway test file, with the project's real root
conftest as its only plugin (so the wiring in ``tests/conftest.py`` is what is tested) and no
PostgreSQL or Redis configured: what a fresh machine running ``make test`` sees.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]

# A new integration test whose fixtures would start work against the servers (as the worker
# and fault-injection fixtures of tests/integration do) and which asks for no services check.
NEW_INTEGRATION_TESTS = """
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session", autouse=True)
def session_worker():
    pytest.fail("a session fixture ran before the services check")


@pytest.fixture
def spawn_worker():
    pytest.fail("a fixture ran before the services check")


def test_uses_a_worker(spawn_worker):
    pytest.fail("an integration test ran without the services")


def test_uses_the_database(demo):
    pytest.fail("an integration test ran without the services")
"""

PASSING_UNIT_TEST = """
def test_plain():
    assert True
"""


@pytest.fixture
def no_servers(pytester, monkeypatch):
    """A pytester project using the real root conftest, with no services configured."""
    for name in ("DATABASE_URL", "REDIS_URL", "REDIS_CACHE_URL", "REQUIRE_INTEGRATION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    # pytest-django only: the dev venv's other plugins (hypothesis, faker…) take seconds to load.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("CELERY_TASK_ALWAYS_EAGER", "0")
    monkeypatch.setenv("VAR_DIR", str(pytester.path / "var"))
    pytester.makeconftest('pytest_plugins = ["tests.conftest"]\n')
    pytester.makeini(
        "[pytest]\n"
        "DJANGO_SETTINGS_MODULE = config.settings.test\n"
        "addopts = --strict-markers -p pytest_django.plugin -p no:cacheprovider\n"
        "markers =\n    integration: needs the services\n"
    )
    return pytester


def test_a_new_integration_test_is_skipped_before_any_of_its_fixtures_without_the_services(
    no_servers,
):
    no_servers.makepyfile(test_new=NEW_INTEGRATION_TESTS)

    # As .ci/run checks the no-server path: every collected test skipped, and said so.
    result = no_servers.runpytest_subprocess("-rs", "--expect-only-skips")

    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*--expect-only-skips：全部 2 个测试均已跳过*",
            "*跳过集成测试：DATABASE_URL 未指向 PostgreSQL*",
        ]
    )
    result.stdout.no_fnmatch_line("*before the services check*")


def test_ci_turns_a_missing_service_into_an_error_before_any_fixture(no_servers, monkeypatch):
    monkeypatch.setenv("REQUIRE_INTEGRATION", "1")
    no_servers.makepyfile(test_new=NEW_INTEGRATION_TESTS)

    result = no_servers.runpytest_subprocess()

    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*CI 要求运行集成测试，但DATABASE_URL 未指向 PostgreSQL*"])
    result.stdout.no_fnmatch_line("*before the services check*")


def test_expect_only_skips_fails_a_run_in_which_a_test_passed(no_servers):
    no_servers.makepyfile(test_new=NEW_INTEGRATION_TESTS, test_plain=PASSING_UNIT_TEST)

    result = no_servers.runpytest_subprocess("--expect-only-skips")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*--expect-only-skips 失败：以下测试没有被跳过：*",
            "test_plain.py::test_plain（call：passed）",
        ]
    )


def test_expect_only_skips_fails_a_run_that_collected_nothing(no_servers):
    no_servers.makepyfile(test_new=NEW_INTEGRATION_TESTS)

    result = no_servers.runpytest_subprocess("--expect-only-skips", "-m", "not integration")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*--expect-only-skips 失败：没有任何测试被跳过*"])
