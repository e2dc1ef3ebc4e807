"""The demo fixture is cheap and every test sees the demo exactly as loaded.

The demo is loaded once per test database (``tests/conftest.py``: ``django_db_setup``); each
test runs in a rolled-back transaction; a transactional test's flush is repaired after it. The
tests below run in this order in one process (``-n 0``); under pytest-xdist a pair may land on
two workers, and then the later one checks an untouched database, which it also must pass.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Unit

pytestmark = pytest.mark.django_db

RENAMED = "改名后的单位（不得漏到下一个测试）"


def demo_queries(request) -> CaptureQueriesContext:
    with CaptureQueriesContext(connection) as queries:
        request.getfixturevalue("demo")
    return queries


def test_the_demo_fixture_costs_one_query(request):
    queries = demo_queries(request)
    assert len(queries) == 1, [q["sql"] for q in queries.captured_queries]
    assert Unit.objects.filter(code="027001").exists()


def test_a_test_may_change_the_demo(demo):
    Unit.objects.filter(code="027001").update(name=RENAMED)
    assert Unit.objects.get(code="027001").name == RENAMED


def test_the_next_test_sees_the_demo_unchanged(demo):
    assert Unit.objects.get(code="027001").name != RENAMED


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_sees_the_demo_and_may_change_it(demo):
    """Committed for real: pytest-django flushes every table after it."""
    Unit.objects.filter(code="027001").update(name=RENAMED)
    assert Unit.objects.get(code="027001").name == RENAMED


def test_after_a_flush_the_demo_is_back_and_still_costs_one_query(request):
    queries = demo_queries(request)
    assert len(queries) == 1, "the demo was reloaded in the test: the flush was not repaired"
    assert Unit.objects.get(code="027001").name != RENAMED
