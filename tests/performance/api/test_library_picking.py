"""引用 through the API: search, suggestions with their reasons, adding entries to a goal —
field-level refusals, foreign goals look missing, all or nothing."""

from __future__ import annotations

import pytest

from performance.models import Indicator, LibraryEntry
from projects.audit import history

from ...support.goal_helpers import new_goal, new_project

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/library/search/"
SUGGESTIONS = "/api/v1/library/suggestions/"
ADD = "/api/v1/library/add-to-goal/"


def test_search_answers_ranked_hits_and_pages(api, filler):
    answer = api(filler).get(SEARCH, {"q": "满意度", "limit": 2})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert len(body["results"]) == 2 and body["next_offset"] == 2
    assert all(
        "满意度" in hit["entry"]["level3"] + hit["entry"]["level2"] for hit in body["results"]
    )
    exact = api(filler).get(SEARCH, {"q": "服务对象满意度"}).json()["results"][0]
    assert exact["tier"] == 0 and exact["entry"]["level3"] == "服务对象满意度"


def test_search_needs_a_query_and_checks_filters(api, filler):
    answer = api(filler).get(SEARCH, {"q": "", "project_category": "bogus"})
    assert answer.status_code == 400
    assert set(answer.json()["errors"]) >= {"q", "project_category"}


def test_suggestions_come_with_their_reason(api, filler):
    project = new_project(filler)
    answer = api(filler).get(SUGGESTIONS, {"project": project.pk})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["reference_year"] == 2022 and body["results"]
    top = body["results"][0]
    assert top["reason"].startswith(f"同类项目 {top['n']} 个使用")


def test_a_foreign_project_or_goal_looks_missing(api, outsider, filler):
    project = new_project(filler)
    goal = new_goal(filler, project=new_project(filler, code="410395230000000900077"))
    answer = api(outsider).get(SUGGESTIONS, {"project": project.pk})
    assert answer.status_code == 400 and answer.json()["errors"]["project"] == ["项目不存在。"]
    entry = LibraryEntry.objects.filter(status="approved").first()
    added = api(outsider).post(
        ADD, {"goal": goal.pk, "entries": [{"entry": entry.pk}]}, format="json"
    )
    assert added.status_code == 400 and "goal" in added.json()["errors"]


def test_add_to_goal_creates_linked_indicators(api, filler):
    goal = new_goal(filler)
    hits = api(filler).get(SEARCH, {"q": "满意度", "goal": goal.pk, "limit": 2}).json()["results"]
    rows = [
        {"entry": hits[0]["entry"]["id"], "raw_value": "≥95%"},
        {"entry": hits[1]["entry"]["id"], "use_reference": True},
    ]
    answer = api(filler).post(ADD, {"goal": goal.pk, "entries": rows}, format="json")
    assert answer.status_code == 201, answer.content
    created = answer.json()["indicators"]
    assert [row["library_entry"] for row in created] == [r["entry"] for r in rows]
    assert (
        created[0]["raw_value"] == "≥95%" and created[0]["library_code"] == hits[0]["entry"]["code"]
    )
    again = api(filler).get(SEARCH, {"q": "满意度", "goal": goal.pk}).json()["results"]
    assert not {h["entry"]["id"] for h in again} & {r["entry"] for r in rows}


def test_add_to_goal_refusals_are_per_entry_and_change_nothing(api, filler, unit_reviewer):
    goal = new_goal(filler)
    entry = LibraryEntry.objects.filter(status="approved", goal_scope="project").first()
    count, audits = Indicator.objects.filter(goal=goal).count(), history(goal).count()
    rows = [{"entry": entry.pk}, {"entry": entry.pk}, {"entry": 999999}]
    answer = api(filler).post(ADD, {"goal": goal.pk, "entries": rows}, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"]["entries.2"] == ["指标库指标不存在或不可引用。"]
    answer = api(filler).post(ADD, {"goal": goal.pk, "entries": rows[:2]}, format="json")
    assert answer.status_code == 400
    assert "已在该目标中" in answer.json()["errors"]["entries.1"][0]
    assert Indicator.objects.filter(goal=goal).count() == count and history(goal).count() == audits


def test_english_callers_get_english_refusals(api, filler):
    goal = new_goal(filler)
    answer = api(filler).post(
        ADD,
        {"goal": goal.pk, "entries": [{"entry": 999999}]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 400
    assert answer.json()["errors"]["entries.0"] == [
        "The library indicator does not exist or cannot be referenced."
    ]
