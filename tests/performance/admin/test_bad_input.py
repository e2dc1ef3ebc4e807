"""Forged admin input is a page or a message, never a 500 (issue 13 §5): ids that are not
ids, numbers past 64 bits, NUL characters, list filters the list cannot apply. Nothing changes.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from performance.models import PerformanceGoal
from performance.services import workflow

pytestmark = pytest.mark.django_db

CLEAN_PROJECT = "410395220000000007669"
GOALS = "/admin/performance/performancegoal/"
HUGE = "99999999999999999999999"


@pytest.fixture
def draft(filler):
    approved = PerformanceGoal.objects.get(project__code=CLEAN_PROJECT, version=1)
    return workflow.goal_adjust(goal=approved, actor=filler, reason="预算调整")


def messages_of(client, url: str) -> list[str]:
    return [str(m) for m in client.get(url).context["messages"]]


@pytest.mark.parametrize("selected", ["abc", HUGE, "1\x00", "²"])
@pytest.mark.parametrize(
    ("url", "action"),
    [
        (GOALS, "delete_selected"),
        ("/admin/performance/indicator/", "delete_selected"),
        (GOALS, "run_quality_check"),
    ],
)
def test_a_bulk_action_on_ids_that_are_not_ids_shows_the_list_again(
    login, superuser, url, action, selected
):
    client = login(superuser)
    goals = PerformanceGoal.objects.count()
    response = client.post(url, {"action": action, "_selected_action": [selected, "1"]})
    assert response.status_code == 302
    assert response["Location"] == url
    assert "所选的记录无效，请在列表中重新勾选后再执行操作。" in messages_of(client, url)
    assert PerformanceGoal.objects.count() == goals


def test_a_bulk_action_on_real_ids_still_runs(login, superuser, draft):
    client = login(superuser)
    response = client.post(
        GOALS, {"action": "delete_selected", "_selected_action": [str(draft.pk)], "post": "yes"}
    )
    assert response.status_code == 302
    assert not PerformanceGoal.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize(
    "url",
    [
        f"{GOALS}?status__exact=%00",  # PostgreSQL: a DataError in the list's query
        f"{GOALS}?q=a%00",
        "/admin/print/?kind=project_targets&unit=02%0001&year=2022",
        "/admin/dashboard/?year=2022&unit=%00",
    ],
)
def test_a_nul_in_the_querystring_is_a_400_page_in_chinese(login, filler, url):
    client = login(filler)
    response = client.get(url)
    assert response.status_code == 400
    assert "网址的参数中含有不允许的空字符（NUL），请检查网址。" in response.content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "contain a NUL character" in english


def test_a_list_filter_the_list_cannot_apply_says_so(login, filler):
    client = login(filler)
    response = client.get(f"{GOALS}?year__exact=明年")
    assert (response.status_code, response["Location"]) == (302, f"{GOALS}?e=1")
    assert "筛选条件无效，已显示全部记录，请重新选择筛选条件。" in messages_of(client, GOALS)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        # "²".isdigit() but int("²") fails: the unit summary above the list crashed
        ("/admin/performance/selfevaluation/?year=%C2%B2", 302),  # the list's own ?e=1
        ("/admin/dashboard/?year=%C2%B2", 200),  # the dashboard's default year
        (f"/admin/dashboard/?year={HUGE}", 200),
    ],
)
def test_a_year_that_is_not_a_number_is_not_a_500(login, filler, url, status):
    assert login(filler).get(url).status_code == status


@pytest.mark.parametrize("object_id", ["%C2%B2", HUGE])
def test_a_notification_id_that_is_not_an_id_is_a_404(login, filler, object_id):
    response = login(filler).get(f"/admin/performance/notification/{object_id}/change/")
    assert response.status_code == 404


@pytest.mark.parametrize("against", ["abc", "%C2%B2", HUGE])
def test_a_diff_against_a_version_that_is_not_an_id_is_a_404(login, filler, draft, against):
    response = login(filler).get(f"{GOALS}{draft.pk}/diff/?against={against}")
    assert response.status_code == 404


def test_a_transition_with_a_lock_version_that_is_not_a_number_is_not_a_500(login, filler, draft):
    url = reverse("admin:performance_performancegoal_workflow", args=[draft.pk, "submit"])
    response = login(filler).post(url, {"lock_version": "²"})
    assert response.status_code == 302
