"""引用: picking 指标库 entries into a goal through ``goal_add_library_entries`` — linked
indicators with the entry's fields, refusals per pick that change nothing, who may pick."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from performance.choices import LibraryGoalScope, LibraryStatus
from performance.models import Indicator
from performance.services import library, workflow
from performance.services.library import Pick
from projects.audit import history
from projects.models import Unit

from ...support.goal_helpers import new_goal, state

pytestmark = pytest.mark.django_db

ENTRY = {
    "level1": "产出指标",
    "level2": "数量指标",
    "level3": "经办窗口服务人次（引用测试）",
    "nature": "≥",
    "measure_unit": "人次",
    "reference_value": "≥5000人次",
    "reference_weight": "10",
    "explanation": "全年窗口受理业务人次。",
}


def _entry(actor, *, owner: str = "027", confirm_by=None, **changes):
    entry = library.library_entry_create(
        actor=actor, owner=Unit.objects.get(code=owner), data={**ENTRY, **changes}, propose=True
    )
    if confirm_by is not None:
        entry = library.library_entry_confirm(entry=entry, actor=confirm_by)
    return entry


def test_pick_creates_linked_indicators_with_copied_fields(filler, dept_reviewer, finance_reviewer):
    goal = new_goal(filler)
    last = max(goal.indicators.values_list("order", flat=True))
    first = _entry(dept_reviewer, confirm_by=finance_reviewer)
    second = _entry(
        dept_reviewer,
        confirm_by=finance_reviewer,
        level3="业务办结率（引用测试）",
        nature="≥",
        measure_unit="%",
        reference_value="≥98%",
        reference_weight="",
    )
    picked = library.goal_add_library_entries(
        goal=goal,
        actor=filler,
        picks=[
            Pick(entry=first, raw_value="≥6000人次", weight=Decimal("8")),
            Pick(entry=second, use_reference=True),
        ],
    )
    assert picked.warnings == []
    one, two = picked.indicators
    one = Indicator.objects.get(pk=one.pk)
    assert (one.library_entry_id, one.library_code) == (first.pk, first.code)
    assert (one.level1, one.level2, one.level3) == ("产出指标", "数量指标", first.level3)
    assert one.explanation == "全年窗口受理业务人次。" and one.weight == Decimal("8")
    assert one.target_value == Decimal("6000") and one.order == last + 1
    two = Indicator.objects.get(pk=two.pk)
    assert two.raw_value == "≥98%" and two.target_value == Decimal("98") and two.order == last + 2
    assert history(goal).first().comment == "引用指标库指标 2 个"


def test_a_pick_without_value_waits_for_the_unit_to_set_it(filler, dept_reviewer, finance_reviewer):
    goal = new_goal(filler)
    entry = _entry(dept_reviewer, confirm_by=finance_reviewer)
    picked = library.goal_add_library_entries(goal=goal, actor=filler, picks=[Pick(entry=entry)])
    indicator = Indicator.objects.get(pk=picked.indicators[0].pk)
    assert indicator.raw_value == "" and indicator.weight == Decimal("10")
    with pytest.raises(ValidationError):  # the quality review blocks submission until it is set
        workflow.submit(obj=goal, actor=filler)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"goal_scope": LibraryGoalScope.UNIT}, "只适用于部门（单位）整体绩效目标"),
        ({"project_categories": ["personnel"]}, "不适用于特定目标类项目"),
    ],
)
def test_pick_refusals_name_the_entry_and_change_nothing(
    filler, dept_reviewer, finance_reviewer, changes, expected
):
    goal = new_goal(filler)
    good = _entry(dept_reviewer, confirm_by=finance_reviewer)
    bad = _entry(dept_reviewer, confirm_by=finance_reviewer, level3="不适用的指标", **changes)
    before, count = state(goal), goal.indicators.count()
    with pytest.raises(ValidationError) as refused:
        library.goal_add_library_entries(
            goal=goal, actor=filler, picks=[Pick(entry=good), Pick(entry=bad)]
        )
    message = refused.value.message_dict["entries[1]"][0]
    assert (
        expected in message
        and bad.code in message
        and "entries[0]" not in refused.value.message_dict
    )
    assert state(goal) == before and goal.indicators.count() == count


def test_retired_entries_and_entries_already_in_the_goal_cannot_be_picked(
    filler, dept_reviewer, finance_reviewer
):
    goal = new_goal(filler)
    entry = _entry(dept_reviewer, confirm_by=finance_reviewer)
    library.goal_add_library_entries(goal=goal, actor=filler, picks=[Pick(entry=entry)])
    with pytest.raises(ValidationError) as twice:
        library.goal_add_library_entries(goal=goal, actor=filler, picks=[Pick(entry=entry)])
    assert "已在该目标中" in twice.value.message_dict["entries[0]"][0]
    retired = _entry(dept_reviewer, confirm_by=finance_reviewer, level3="将停用的指标")
    retired = library.library_entry_retire(entry=retired, actor=finance_reviewer, reason="不再使用")
    assert retired.status == LibraryStatus.RETIRED
    with pytest.raises(ValidationError) as stopped:
        library.goal_add_library_entries(goal=goal, actor=filler, picks=[Pick(entry=retired)])
    assert "“已停用”，不能引用" in stopped.value.message_dict["entries[0]"][0]


def test_own_departments_proposal_is_pickable_with_a_warning(filler, dept_reviewer):
    goal = new_goal(filler)
    proposed = _entry(dept_reviewer)
    picked = library.goal_add_library_entries(goal=goal, actor=filler, picks=[Pick(entry=proposed)])
    assert proposed.code in picked.warnings[0] and "尚未经财政确认" in picked.warnings[0]


def test_another_departments_proposal_looks_missing(filler, outsider_dept_reviewer):
    goal = new_goal(filler)
    foreign = _entry(outsider_dept_reviewer, owner="305")
    with pytest.raises(ValidationError) as refused:
        library.goal_add_library_entries(goal=goal, actor=filler, picks=[Pick(entry=foreign)])
    assert refused.value.message_dict["entries[0]"] == ["指标库指标不存在或不可引用。"]


def test_only_editors_of_an_editable_goal_may_pick(
    filler, outsider, unit_reviewer, dept_reviewer, finance_reviewer
):
    goal = new_goal(filler)
    entry = _entry(dept_reviewer, confirm_by=finance_reviewer)
    with pytest.raises(PermissionDenied):
        library.goal_add_library_entries(goal=goal, actor=outsider, picks=[Pick(entry=entry)])
    workflow.submit(obj=goal, actor=filler)
    with pytest.raises(ValidationError):  # submitted: no longer editable
        library.goal_add_library_entries(goal=goal, actor=filler, picks=[Pick(entry=entry)])
    assert not Indicator.objects.filter(goal=goal, library_entry=entry).exists()
