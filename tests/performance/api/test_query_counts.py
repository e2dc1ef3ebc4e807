"""Every list endpoint costs the same number of queries for pages of 10, 50 and 200 rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .bulk import YEAR, create_many

pytestmark = pytest.mark.django_db

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
    "goal-history": "/api/v1/goals/{goal}/history/",
    "project-history": "/api/v1/projects/{project}/history/",
}
# Filters, search and ordering must not add queries per row either.
FILTERED = {
    "goals": {"department": "027", "status": "approved", "year": YEAR, "search": "目标"},
    "indicators": {"department": "027", "category": "output", "ordering": "-id"},
    "monitoring-reports": {"department": "027", "light": "yellow", "year": YEAR},
    "evaluations": {"department": "027", "grade": "good", "year": YEAR, "ordering": "-year"},
    "projects": {"department": "027", "year": YEAR, "type": "operating", "search": "批量"},
}
MAX_QUERIES = 12


@pytest.fixture
def many(finance_reviewer):
    objects = create_many(205, actor=finance_reviewer)
    if not objects["projects"][0].executions.exists():  # pragma: no cover - sanity
        raise AssertionError("bulk data missing")
    return objects


def count_queries(client, url: str, params: dict) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content.decode()
    return len(queries), len(response.json()["results"])


@pytest.mark.parametrize("name", list(LIST_ENDPOINTS))
def test_list_query_count_does_not_grow_with_the_page_size(name, api, finance_reviewer, many):
    client = api(finance_reviewer)
    url = LIST_ENDPOINTS[name].format(goal=many["goals"][0].pk, project=many["projects"][0].pk)
    counts = {}
    for size in PAGE_SIZES:
        counts[size], rows = count_queries(client, url, {"page_size": size})
        assert rows == size, f"{name}: page of {size} holds {rows} rows"
    assert len(set(counts.values())) == 1, f"{name}: queries per page size {counts}"
    assert counts[10] <= MAX_QUERIES, f"{name}: {counts[10]} queries"


@pytest.mark.parametrize("name", list(FILTERED))
def test_filtered_list_query_count_does_not_grow_with_the_page_size(
    name, api, finance_reviewer, many
):
    client = api(finance_reviewer)
    counts = {}
    for size in PAGE_SIZES:
        counts[size], rows = count_queries(
            client, LIST_ENDPOINTS[name], {**FILTERED[name], "page_size": size}
        )
        assert rows == size, f"{name}: page of {size} holds {rows} rows"
    assert len(set(counts.values())) == 1, f"{name}: queries per page size {counts}"


def test_summaries_cost_the_same_for_few_and_many_units(api, finance_reviewer, many):
    client = api(finance_reviewer)
    counts = {}
    for params in ({"group_by": "unit", "unit": "027001"}, {"group_by": "unit"}):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/summaries/", params)
        assert response.status_code == 200
        counts[len(response.json())] = len(queries)
    assert len(counts) == 2 and len(set(counts.values())) == 1, counts


def test_page_size_is_capped_at_200(api, finance_reviewer, many):
    response = api(finance_reviewer).get("/api/v1/goals/", {"page_size": 1000})
    assert len(response.json()["results"]) == 200
