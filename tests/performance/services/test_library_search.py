"""Library search and suggestions (selectors): every word required, the exact name first;
同类项目 (last year's approved projects of the same type, same department or a similar name)
rank what to pick, each with why; the Python twin of pg_trgm's similarity."""

from __future__ import annotations

import pytest

from performance import text
from performance.choices import LibraryStatus, Status
from performance.models import Indicator, PerformanceGoal
from performance.selectors import library as selectors
from performance.services import library
from performance.services.library import Pick
from projects.models import Project

from ...support.goal_helpers import new_goal, new_project

pytestmark = pytest.mark.django_db


def test_similarity_matches_pg_trgm_examples():
    # Values PostgreSQL 15's pg_trgm gives (design §0; checked with SELECT similarity(...)).
    assert text.similarity(
        "城乡居民基本医疗保险区级配套资金", "城乡居民基本养老保险区级配套资金"
    ) == pytest.approx(0.619048, abs=1e-6)
    assert text.similarity("服务对象满意度", "满意度") == pytest.approx(0.2)
    assert text.similarity("Abc 预算执行率", "预算执行") == pytest.approx(4 / 11)
    assert sorted(text.trigrams("预算ab")) == ["  预", " 预算", "ab ", "算ab", "预算a"]
    assert text.similar("预算执行率", "预算执行") and not text.similar("满意度", "服务对象满意度")


def test_search_requires_every_word_and_ranks_exact_name_first(filler):
    hits = selectors.search(filler, "满意度")
    assert hits, "the demo library has 满意度 entries"
    assert all("满意度" in hit.entry.search_text for hit in hits)
    assert [h.tier for h in hits] == sorted(h.tier for h in hits)
    exact = selectors.search(filler, "服务对象满意度")
    assert exact[0].entry.level3 == "服务对象满意度" and exact[0].tier == 0
    both = selectors.search(filler, "服务对象 满意度")
    assert {h.entry.pk for h in both} <= {h.entry.pk for h in hits}
    assert selectors.search(filler, "满意度 不存在的词") == []
    assert all(h.entry.status == LibraryStatus.APPROVED for h in hits)


def test_search_for_a_goal_leaves_out_what_it_already_references(filler):
    goal = new_goal(filler)
    first = selectors.search(filler, "满意度", goal=goal)[0].entry
    library.goal_add_library_entries(goal=goal, actor=filler, picks=[Pick(entry=first)])
    again = selectors.search(filler, "满意度", goal=goal)
    assert first.code not in {h.entry.code for h in again}


def _approved_2022_special_projects() -> list[Project]:
    return list(
        Project.objects.filter(
            year=2022,
            category="special",
            unit__code="027001",
            goals__status=Status.APPROVED,
            goals__indicators__library_entry__isnull=False,
        ).distinct()
    )


def test_suggestion_reason_says_how_many_similar_projects_use_it(filler):
    neighbours = _approved_2022_special_projects()
    assert neighbours, "the demo has 027001's approved 2022 goals linked to the library"
    project = new_project(filler)  # 2023, 027001, 特定目标类: same department
    found = selectors.suggestions(filler, project=project)
    assert found
    top = found[0]
    users = (
        PerformanceGoal.objects.filter(
            project__in=neighbours,
            status=Status.APPROVED,
            indicators__library_code=top.entry.code,
        )
        .values("project")
        .distinct()
        .count()
    )
    assert top.n == users == top.n_department
    assert top.reason.startswith(f"同类项目 {users} 个使用（本部门 {users} 个")
    counts = [(-s.n, -s.n_department) for s in found]
    assert counts == sorted(counts)


def test_suggestions_exclude_entries_already_in_goal(filler):
    goal = new_goal(filler)
    before = selectors.suggestions(filler, goal=goal)
    assert before
    library.goal_add_library_entries(goal=goal, actor=filler, picks=[Pick(entry=before[0].entry)])
    after = {s.entry.code for s in selectors.suggestions(filler, goal=goal)}
    assert before[0].entry.code not in after


def test_suggestions_are_empty_without_similar_projects_last_year(filler):
    project = new_project(filler, year=2025, code="410395230000000925001")
    assert selectors.suggestions(filler, project=project) == []


def test_similar_projects_by_name_count_outside_the_department(filler, outsider):
    neighbour = _approved_2022_special_projects()[0]
    foreign = new_project(outsider, unit_code="305004", code="410395230000000930001")
    Project.objects.filter(pk=foreign.pk).update(name=neighbour.name, year=2023)
    foreign.refresh_from_db()
    rows = selectors.similar_projects(foreign)
    assert (neighbour.pk, False, True) in rows
    found = selectors.suggestions(outsider, project=foreign)
    used = set(
        Indicator.objects.filter(
            goal__project__in=[pk for pk, _, _ in rows], goal__status=Status.APPROVED
        )
        .exclude(library_code="")
        .values_list("library_code", flat=True)
    )
    codes = {s.entry.code for s in found}
    assert codes and codes <= used  # the bureau's library: 027's confirmed entries too
    assert all(s.n_department == 0 and s.n_similar_name >= 1 for s in found)
    assert all(not same and near for _, same, near in rows)  # 305 is another department
    assert all(s.reason.endswith(f"（名称相近 {s.n} 个）") for s in found)
