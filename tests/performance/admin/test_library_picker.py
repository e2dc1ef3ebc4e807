"""从指标库选取 on the goal page: suggestions with their reason, search, ticking entries with
values creates linked indicators; only the goal's editors while it is editable."""

from __future__ import annotations

import pytest
from django.urls import reverse

from performance.models import Indicator, LibraryEntry
from performance.services import workflow

from ...support.goal_helpers import new_goal

pytestmark = pytest.mark.django_db


def _url(goal) -> str:
    return reverse("admin:performance_performancegoal_library", args=[goal.pk])


def test_picker_shows_suggestion_reasons_and_search_results(login, filler):
    goal = new_goal(filler)
    client = login(filler)
    page = client.get(_url(goal))
    assert page.status_code == 200
    html = page.content.decode()
    assert "推荐（同类项目常用）" in html and "同类项目" in html and "个使用" in html
    found = client.get(_url(goal), {"q": "服务对象满意度"}).content.decode()
    assert "检索“服务对象满意度”的结果" in found and "服务对象满意度" in found
    change = client.get(reverse("admin:performance_performancegoal_change", args=[goal.pk]))
    assert _url(goal) in change.content.decode()


def test_picker_adds_ticked_entries_with_values(login, filler):
    goal = new_goal(filler)
    entries = list(
        LibraryEntry.objects.filter(
            status="approved", is_common=True, goal_scope__in=["project", "both"]
        ).order_by("code")[:2]
    )
    client = login(filler)
    answer = client.post(
        _url(goal),
        {
            "pick": [e.pk for e in entries],
            # listed twice (suggested and found): the filled input counts, whichever comes first
            f"value_{entries[0].pk}": [entries[0].reference_value or "≥90%", ""],
            f"weight_{entries[0].pk}": "5",
        },
        follow=True,
    )
    assert answer.redirect_chain[-1][0].endswith(
        reverse("admin:performance_performancegoal_change", args=[goal.pk])
    )
    assert "已引用 2 个指标库指标" in answer.content.decode()
    linked = Indicator.objects.filter(goal=goal, library_entry__in=entries).order_by("order")
    assert [i.library_entry_id for i in linked] == [e.pk for e in entries]
    assert str(linked[0].weight) == "5.00" and linked[1].raw_value == ""
    assert linked[0].raw_value == (entries[0].reference_value or "≥90%")


def test_picker_refusal_is_shown_and_changes_nothing(login, filler):
    goal = new_goal(filler)
    entry = LibraryEntry.objects.filter(status="approved", goal_scope="unit").first()
    count = goal.indicators.count()
    answer = login(filler).post(_url(goal), {"pick": [entry.pk]}, follow=True)
    assert "只适用于部门（单位）整体绩效目标" in answer.content.decode()
    assert goal.indicators.count() == count


def test_picker_is_for_editors_of_an_editable_goal(login, filler, unit_reviewer, outsider):
    goal = new_goal(filler)
    assert login(outsider).get(_url(goal)).status_code == 404
    workflow.submit(obj=goal, actor=filler)
    assert login(filler).get(_url(goal)).status_code == 403
