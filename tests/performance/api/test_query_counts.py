"""Every list and export endpoint costs exactly its stored number of queries, whatever the size.

The counts are in ``tests/support/query_counts.json`` (keys ``api:…``); a change of a single
query fails with the queries listed; ``tests/support/query_counts.py`` says how to update the
table on purpose. Each list is also read with pages of 10, 50 and 200 rows, and each export
before and after more data, and must cost the same: a count that grows with the rows is an N+1
even when the table is updated.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from performance.api.urls import router
from performance.services import monitoring as monitoring_services
from performance.services.exports import EXPORT_KINDS
from performance.services.imports import targets_import

from ...support.bulk import YEAR, create_many
from ...support.import_helpers import csv_bytes, rows
from ...support.query_counts import assert_query_count, stored_keys

pytestmark = [pytest.mark.django_db, pytest.mark.query_counts]

PAGE_SIZES = (10, 50, 200)

LIST_ENDPOINTS = {
    "units": "/api/v1/units/",
    "projects": "/api/v1/projects/",
    "goals": "/api/v1/goals/",
    "indicators": "/api/v1/indicators/",
    "monitoring-rounds": "/api/v1/monitoring-rounds/",
    "monitoring-reports": "/api/v1/monitoring-reports/",
    "evaluations": "/api/v1/evaluations/",
    "schemes": "/api/v1/schemes/",
    "jobs": "/api/v1/jobs/",
    "imports/runs": "/api/v1/imports/runs/",
    "attachments": "/api/v1/attachments/",
    "spot-checks": "/api/v1/spot-checks/",
    "goals-history": "/api/v1/goals/{goal}/history/",
    "projects-history": "/api/v1/projects/{project}/history/",
    "monitoring-reports-history": "/api/v1/monitoring-reports/{report}/history/",
    "evaluations-history": "/api/v1/evaluations/{evaluation}/history/",
    "library/entries": "/api/v1/library/entries/",
    "library/entries-history": "/api/v1/library/entries/{entry}/history/",
    "rectifications": "/api/v1/rectifications/",
    "rectifications-history": "/api/v1/rectifications/{rectification}/history/",
}
# Filters, search and ordering must not add queries per row either.
FILTERED = {
    "goals": {"department": "027", "status": "approved", "year": YEAR, "search": "目标"},
    "indicators": {"department": "027", "category": "output", "ordering": "-id"},
    "monitoring-reports": {"department": "027", "light": "yellow", "year": YEAR},
    "evaluations": {"department": "027", "grade": "good", "year": YEAR, "ordering": "-year"},
    "projects": {"department": "027", "year": YEAR, "type": "operating", "search": "批量"},
    "spot-checks": {
        "department": "027",
        "status": "draft",
        "year": YEAR,
        "ordering": "-difference",
    },
    "rectifications": {"department": "027", "status": "draft", "year": YEAR, "cause": "deviation"},
}
SUMMARIES = {"one-unit": {"group_by": "unit", "unit": "027001"}, "every-unit": {"group_by": "unit"}}
EXPORT_UNIT, EXPORT_YEAR = "027001", 2022
# GET actions of the resources that return one object or a file, not a list.
GET_ACTIONS_NOT_LISTS = {
    "goals-diff": "one comparison of two versions",
    "units-summary": "one row of figures",
    "jobs-download": "the job's file",
    "attachments-download": "the evidence file",
    "spot-checks-distribution": "one row per department (spot checks of one year are few)",
    "library/entries-export": "the library's xlsx file",
    "library-search": "at most 50 ranked hits (limit ≤ 50, offset ≤ 200), not a paginated list",
    "library-suggestions": "at most 50 suggestions of one project, not a paginated list",
}

# Every key this module stores (``test_the_table_holds_exactly_this_modules_pages``).
KEYS = {
    *(f"api:{name}" for name in LIST_ENDPOINTS),
    *(f"api:{name}?filtered" for name in FILTERED),
    *(f"api:summaries?{name}" for name in SUMMARIES),
    "api:goals-versions",
    *(f"api:exports/{kind}" for kind in EXPORT_KINDS),
}


@pytest.fixture
def many(finance_reviewer):
    objects = create_many(205, actor=finance_reviewer)
    if not objects["projects"][0].executions.exists():  # pragma: no cover - sanity
        raise AssertionError("bulk data missing")
    return objects


def measured_get(client, url: str, params: dict) -> tuple[CaptureQueriesContext, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content.decode()
    return queries, response


def page_costs(client, name: str, url: str, params: dict) -> CaptureQueriesContext:
    """The queries of the page of 10; fails unless pages of 50 and 200 cost as many."""
    client.get(url, {**params, "page_size": 10})  # per-process caches (content types) warm
    counts, first = {}, None
    for size in PAGE_SIZES:
        queries, response = measured_get(client, url, {**params, "page_size": size})
        rows = len(response.json()["results"])
        assert rows == size, f"{name}: page of {size} holds {rows} rows"
        counts[size] = len(queries)
        first = first or queries
    assert len(set(counts.values())) == 1, f"{name}: queries per page size {counts}"
    return first


@pytest.mark.parametrize("name", list(LIST_ENDPOINTS))
def test_list_costs_its_stored_query_count_for_any_page_size(name, api, finance_reviewer, many):
    url = LIST_ENDPOINTS[name].format(
        goal=many["goals"][0].pk,
        project=many["projects"][0].pk,
        report=many["reports"][0].pk,
        evaluation=many["evaluations"][0].pk,
        entry=many["library"][0].pk,
        rectification=many["rectifications"][0].pk,
    )
    queries = page_costs(api(finance_reviewer), name, url, {})
    assert_query_count(f"api:{name}", queries)


@pytest.mark.parametrize("name", list(FILTERED))
def test_filtered_list_costs_its_stored_query_count_for_any_page_size(
    name, api, finance_reviewer, many
):
    queries = page_costs(api(finance_reviewer), name, LIST_ENDPOINTS[name], FILTERED[name])
    assert_query_count(f"api:{name}?filtered", queries)


def test_summaries_cost_the_same_for_one_unit_and_for_every_unit(api, finance_reviewer, many):
    client = api(finance_reviewer)
    counts = {}
    for name, params in SUMMARIES.items():
        queries, response = measured_get(client, "/api/v1/summaries/", params)
        counts[len(response.json())] = assert_query_count(f"api:summaries?{name}", queries)
    assert len(counts) == 2 and len(set(counts.values())) == 1, counts


def test_goal_versions_cost_the_same_for_one_version_and_for_two(api, filler, finance_reviewer):
    from performance.services import workflow

    from ...support.goal_helpers import demo_goal

    client = api(finance_reviewer)
    goal = demo_goal("410395220000000007669")
    client.get(f"/api/v1/goals/{goal.pk}/versions/")
    one, response = measured_get(client, f"/api/v1/goals/{goal.pk}/versions/", {})
    assert len(response.json()) == 1
    adjusted = workflow.goal_adjust(goal=goal, actor=filler, reason="预算调整")
    two, response = measured_get(client, f"/api/v1/goals/{adjusted.pk}/versions/", {})
    assert len(response.json()) == 2
    assert len(two.captured_queries) == len(one.captured_queries)
    assert_query_count("api:goals-versions", one)


@pytest.fixture
def export_data(finance_reviewer):
    """A monitoring round of the export year, so every kind has rows."""
    return monitoring_services.monitoring_round_open(
        actor=finance_reviewer,
        year=EXPORT_YEAR,
        data_month=6,
        opens_on=dt.date(EXPORT_YEAR, 7, 1),
        deadline=dt.date(EXPORT_YEAR, 7, 20),
    )


def export_queries(client, kind: str) -> CaptureQueriesContext:
    url = f"/api/v1/exports/{kind}/"
    params = {"unit": EXPORT_UNIT, "year": EXPORT_YEAR}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, body[:500]
    assert body.startswith(b"PK"), f"{kind}: not an xlsx"
    return queries


@pytest.mark.parametrize("kind", list(EXPORT_KINDS))
def test_export_costs_its_stored_query_count_however_many_rows(
    kind, api, filler, finance_reviewer, export_data
):
    client = api(finance_reviewer)
    export_queries(client, kind)  # per-process caches warm
    before = export_queries(client, kind)
    for index in range(3):  # more projects and indicators, same number of queries
        result = targets_import(
            actor=filler,
            file=csv_bytes(rows(4, 项目编码=f"41039522000000009{index:04d}")),
            filename="more.csv",
        )
        assert result.ok
    after = export_queries(client, kind)
    assert len(after.captured_queries) == len(before.captured_queries), kind
    assert_query_count(f"api:exports/{kind}", before)


def test_every_list_endpoint_has_a_stored_count():
    """A new list, or a new GET action of a resource, fails here until it is measured above
    (or named in GET_ACTIONS_NOT_LISTS with what it returns instead of a list)."""
    found = set()
    for prefix, viewset, _basename in router.registry:
        if hasattr(viewset, "list"):
            found.add(prefix)
        for action in viewset.get_extra_actions():
            if "get" in action.mapping:
                found.add(f"{prefix}-{action.url_path}")
    assert found == {*LIST_ENDPOINTS, "goals-versions", *GET_ACTIONS_NOT_LISTS}


def test_the_table_holds_exactly_this_modules_pages():
    """No stale line (an endpoint gone) and no page without a line."""
    assert stored_keys("api:") == KEYS


def test_page_size_is_capped_at_200(api, finance_reviewer, many):
    response = api(finance_reviewer).get("/api/v1/goals/", {"page_size": 1000})
    assert len(response.json()["results"]) == 200
