"""Bad input is a 4xx in the API's error shape, never a 500 (issue 13 §5): forged cursors,
bodies nested too deep or too large, and other forged values. Each answer is checked against
the schema by the ``api`` client, and nothing changes.
"""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest

from performance.models import PerformanceGoal
from performance.services import workflow

pytestmark = pytest.mark.django_db

CLEAN_PROJECT = "410395220000000007669"


@pytest.fixture
def draft(filler):
    approved = PerformanceGoal.objects.get(project__code=CLEAN_PROJECT, version=1)
    return workflow.goal_adjust(goal=approved, actor=filler, reason="预算调整")


def forged_cursor(**tokens: str) -> str:
    """A cursor as DRF encodes one (base64 of ``o=…&r=…&p=…``), with any values."""
    return base64.b64encode(urlencode(tokens).encode()).decode()


CURSOR_LISTS = [
    "/api/v1/goals/",
    "/api/v1/indicators/",
    "/api/v1/monitoring-reports/",
    "/api/v1/evaluations/",
]


@pytest.mark.parametrize("url", CURSOR_LISTS)
@pytest.mark.parametrize(
    ("ordering", "cursor"),
    [
        (None, "cD0lMjclMjBPUiUyMDE9MS0t"),  # p=' OR 1=1-- (the issue's cursor)
        (None, forged_cursor(p="abc")),  # ordered by id: not a number
        ("-id", forged_cursor(p="1.5", r="1")),
        ("created_at", forged_cursor(p="yesterday")),  # not a date-time
        ("-updated_at", forged_cursor(p="2022-13-45 99:00")),
        ("status", forged_cursor(p="draft\x00")),  # NUL: PostgreSQL refuses the parameter
        (None, forged_cursor(p="1", o="x")),
    ],
)
def test_a_forged_cursor_is_a_400_on_the_cursor(api, filler, url, ordering, cursor):
    params = {"cursor": cursor, **({"ordering": ordering} if ordering else {})}
    for language, message in (("zh-hans", "无效游标"), ("en", "Invalid cursor")):
        response = api(filler, HTTP_ACCEPT_LANGUAGE=language).get(url, params)
        assert response.status_code == 400, (url, params, response.content[:300])
        body = response.json()
        assert body["code"] == "invalid"
        assert body["errors"] == {"cursor": [message]}


def test_a_forged_cursor_on_an_objects_history_is_a_400(api, filler, draft):
    response = api(filler).get(
        f"/api/v1/goals/{draft.pk}/history/", {"cursor": forged_cursor(p="' OR 1=1--")}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"cursor": ["无效游标"]}


@pytest.mark.parametrize("ordering", ["id", "-id", "year", "-created_at", "updated_at", "status"])
def test_real_cursors_still_page_through_every_ordering(api, filler, ordering):
    client = api(filler)
    expected = client.get("/api/v1/goals/", {"ordering": ordering, "page_size": 200}).json()
    seen, url, params = [], "/api/v1/goals/", {"ordering": ordering, "page_size": 3}
    while url:
        page = client.get(url, params).json()
        seen += [goal["id"] for goal in page["results"]]
        url, params = page["next"], None
    assert seen == [goal["id"] for goal in expected["results"]]
    assert len(seen) > 3
