"""Every admin list and export costs exactly its stored number of queries, whatever the size.

Every changelist of the admin site (taken from the registry, so a new admin is measured from its
first day), for a superuser and for a department reviewer (the scoped querysets), and the
flat-template exports of the goal and indicator lists. The counts are in
``tests/support/query_counts.json`` (keys ``admin:…``); ``tests/support/query_counts.py`` says
how to update them on purpose. Each list is also read with pages of 10 and 50 rows and must cost
the same, and each export before and after more goals: a count that grows with the rows is an
N+1 even when the table is updated.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from performance.services.imports import targets_import

from ...support.bulk import create_many
from ...support.import_helpers import csv_bytes, rows
from ...support.query_counts import assert_query_count, stored_keys

pytestmark = [pytest.mark.django_db, pytest.mark.query_counts]

ROWS = 60
PAGE_SIZES = (10, 50)
MODELS = sorted(model._meta.label_lower for model in admin.site._registry)
# A department reviewer may open the lists of his own work; the others (and memberships, which
# only 管理员 manage, and the finance bureau's 抽查记录) are refused (403) to him, as
# tests/projects/admin/test_matrix.py checks: measured for the superuser only.
SCOPED = [
    label
    for label in MODELS
    if label.split(".")[0] in {"projects", "performance"}
    and label not in ("projects.membership", "performance.spotcheckdraw")
]
CASES = [("superuser", label) for label in MODELS] + [("dept_reviewer", label) for label in SCOPED]
EXPORTS = ["performance.performancegoal", "performance.indicator"]
KEYS = {f"admin:{label}:{who}" for who, label in CASES} | {
    f"admin:{label}:export" for label in EXPORTS
}


def _admin_of(label: str):
    return next(a for m, a in admin.site._registry.items() if m._meta.label_lower == label)


def _url(label: str, view: str) -> str:
    return reverse(f"admin:{label.replace('.', '_')}_{view}")


@pytest.fixture
def many(finance_reviewer, superuser, dept_reviewer):
    return create_many(ROWS, actor=finance_reviewer, recipients=(superuser, dept_reviewer))


def changelist_queries(client, label: str, size: int, monkeypatch) -> CaptureQueriesContext:
    monkeypatch.setattr(_admin_of(label), "list_per_page", size)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_url(label, "changelist"))
    assert response.status_code == 200, f"{label}: {response.status_code}"
    shown = len(response.context["cl"].result_list)
    total = response.context["cl"].result_count
    assert shown == min(size, total), f"{label}: {shown} rows on a page of {size}"
    return queries


@pytest.mark.parametrize(("who", "label"), CASES)
def test_changelist_costs_its_stored_query_count_for_any_page_size(
    request, who, label, login, many, monkeypatch
):
    client = login(request.getfixturevalue(who))
    client.get(_url(label, "changelist"))  # the session and per-process caches warm
    counts, first = {}, None
    for size in PAGE_SIZES:
        queries = changelist_queries(client, label, size, monkeypatch)
        counts[size] = len(queries)
        first = first or queries
    assert len(set(counts.values())) == 1, f"{label}: queries per page size {counts}"
    assert_query_count(f"admin:{label}:{who}", first)


def export_queries(client, label: str) -> CaptureQueriesContext:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(_url(label, "export"), {"format": "0"})  # xlsx
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, body[:500]
    assert body.startswith(b"PK"), f"{label}: not an xlsx"
    return queries


@pytest.mark.parametrize("label", EXPORTS)
def test_export_costs_its_stored_query_count_however_many_goals(label, login, filler):
    client = login(filler)
    export_queries(client, label)
    before = export_queries(client, label)
    for index in range(3):  # more projects, goals and indicators, same number of queries
        result = targets_import(
            actor=filler,
            file=csv_bytes(rows(4, 项目编码=f"41039522000000009{index:04d}")),
            filename="more.csv",
        )
        assert result.ok
    after = export_queries(client, label)
    assert len(after.captured_queries) == len(before.captured_queries), label
    assert_query_count(f"admin:{label}:export", before)


def test_every_admin_export_is_measured():
    exports = sorted(
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if any(u.name and u.name.endswith("_export") for u in model_admin.get_urls())
    )
    assert exports == sorted(EXPORTS)


def test_the_table_holds_exactly_this_modules_pages():
    """No stale line (an admin gone) and no page without a line."""
    assert stored_keys("admin:") == KEYS
