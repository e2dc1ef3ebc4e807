"""The indicator library (指标库) through its services: entries, proposal, confirmation,
return, retirement, versions and freezing — who may do each, and what each leaves."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from performance.choices import LibraryStatus, NotificationKind, Status
from performance.models import Indicator, LibraryEntry, Notification
from performance.services import library, target_review, workflow
from projects.audit import history
from projects.models import Project, Unit

from ...support.goal_helpers import GOOD_INDICATORS, new_goal, new_project

pytestmark = pytest.mark.django_db

SATISFACTION = {
    "level1": "满意度指标",
    "level2": "服务对象满意度指标",
    "level3": "参保人员满意度（测试）",
    "nature": "≥",
    "measure_unit": "%",
    "reference_value": "≥90%",
    "scoring_standard": "达到目标值得满分，每低1个百分点扣0.5分。",
}


def _unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def _proposed(dept_reviewer, **changes) -> LibraryEntry:
    return library.library_entry_create(
        actor=dept_reviewer, owner=_unit("027"), data={**SATISFACTION, **changes}, propose=True
    )


def _codes(entry) -> list[str]:
    return [row.transition or row.action for row in history(entry)]


def test_department_proposes_and_finance_confirms(dept_reviewer, finance_reviewer):
    entry = _proposed(dept_reviewer)
    assert entry.status == LibraryStatus.SUBMITTED
    assert entry.code.startswith("027-") and entry.version == 1
    assert not entry.is_common and entry.direction == "positive"
    assert Notification.objects.filter(
        recipient=finance_reviewer, kind=NotificationKind.LIBRARY_PROPOSED
    ).exists()
    library.library_entry_confirm(entry=entry, actor=finance_reviewer, comment="同意")
    entry.refresh_from_db()
    assert entry.status == LibraryStatus.APPROVED
    assert {"create", "library_propose", "library_confirm"} <= set(_codes(entry))


def test_return_requires_a_comment_and_notifies_the_department(dept_reviewer, finance_reviewer):
    entry = _proposed(dept_reviewer)
    with pytest.raises(ValidationError) as refused:
        library.library_entry_return(entry=entry, actor=finance_reviewer, comment=" ")
    assert refused.value.code == "comment_required"
    library.library_entry_return(entry=entry, actor=finance_reviewer, comment="名称不规范")
    entry.refresh_from_db()
    assert entry.status == LibraryStatus.RETURNED and entry.last_comment == "名称不规范"
    assert Notification.objects.filter(
        kind=NotificationKind.RETURNED, occasion_key__startswith="returned:libraryentry:"
    ).exists()


def test_only_finance_reviewers_confirm(dept_reviewer, finance_admin, superuser):
    entry = _proposed(dept_reviewer)
    for actor in (dept_reviewer, finance_admin, superuser):
        with pytest.raises(PermissionDenied):
            library.library_entry_confirm(entry=entry, actor=actor)
    entry.refresh_from_db()
    assert entry.status == LibraryStatus.SUBMITTED


def test_budget_unit_staff_cannot_write_entries(filler, unit_reviewer):
    for actor in (filler, unit_reviewer):
        with pytest.raises(PermissionDenied):
            library.library_entry_create(actor=actor, owner=_unit("027"), data=SATISFACTION)
    assert not LibraryEntry.objects.filter(level3=SATISFACTION["level3"]).exists()


def test_another_department_cannot_write_entries_of_027(outsider_dept_reviewer):
    with pytest.raises(PermissionDenied):
        library.library_entry_create(
            actor=outsider_dept_reviewer, owner=_unit("027"), data=SATISFACTION
        )


def test_a_budget_unit_never_owns_entries(finance_reviewer):
    with pytest.raises(ValidationError) as refused:
        library.library_entry_create(
            actor=finance_reviewer, owner=_unit("027001"), data=SATISFACTION
        )
    assert "unit" in refused.value.message_dict


def test_common_entries_belong_to_the_finance_bureau(finance_reviewer):
    with pytest.raises(ValidationError) as refused:
        library.library_entry_create(
            actor=finance_reviewer, owner=_unit("027"), data={**SATISFACTION, "is_common": True}
        )
    assert "is_common" in refused.value.message_dict
    root = _unit(finance_reviewer.memberships.first().unit.code)
    entry = library.library_entry_create(
        actor=finance_reviewer, owner=root, data=SATISFACTION, confirm=True
    )
    assert entry.is_common and entry.code.startswith("GX-")
    assert entry.status == LibraryStatus.APPROVED


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"level1": "杂项指标"}, "level1"),
        ({"level2": ""}, "level2"),
        ({"nature": "大约"}, "nature"),
        ({"measure_unit": ""}, "measure_unit"),
        ({"measure_unit": "斤两钱"}, "measure_unit"),
        ({"reference_value": "≤95%"}, "reference_value"),
        ({"reference_value": "≥90人"}, "reference_value"),
        ({"nature": "定性", "reference_value": "≥90%"}, "reference_value"),
        ({"is_required": True}, "is_required"),
    ],
)
def test_bad_entries_are_refused_field_by_field(dept_reviewer, changes, field):
    with pytest.raises(ValidationError) as refused:
        library.library_entry_create(
            actor=dept_reviewer, owner=_unit("027"), data={**SATISFACTION, **changes}
        )
    assert field in refused.value.message_dict
    assert not LibraryEntry.objects.filter(level3=SATISFACTION["level3"]).exists()


def test_units_and_natures_are_stored_canonical(dept_reviewer):
    entry = library.library_entry_create(
        actor=dept_reviewer,
        owner=_unit("027"),
        data={**SATISFACTION, "nature": "不高于", "measure_unit": "元", "reference_value": ""},
    )
    assert (entry.nature, entry.direction, entry.measure_unit) == ("<=", "negative", "万元")
    qualitative = library.library_entry_create(
        actor=dept_reviewer,
        owner=_unit("027"),
        data={**SATISFACTION, "level3": "制度健全性", "nature": "定性", "reference_value": "健全"},
    )
    assert qualitative.measure_unit == "" and qualitative.direction == "qualitative"


def test_codes_count_up_per_owner(dept_reviewer):
    first = library.library_entry_create(actor=dept_reviewer, owner=_unit("027"), data=SATISFACTION)
    second = library.library_entry_create(
        actor=dept_reviewer, owner=_unit("027"), data={**SATISFACTION, "level3": "另一指标"}
    )
    assert int(second.code.split("-")[1]) == int(first.code.split("-")[1]) + 1


def test_confirmed_entries_are_edited_in_place_only_by_finance_with_a_reason(
    dept_reviewer, finance_reviewer
):
    entry = _proposed(dept_reviewer)
    library.library_entry_confirm(entry=entry, actor=finance_reviewer)
    with pytest.raises(PermissionDenied):
        library.library_entry_update(
            entry=entry, actor=dept_reviewer, data={"basis": "x"}, reason="更正"
        )
    with pytest.raises(ValidationError) as refused:
        library.library_entry_update(entry=entry, actor=finance_reviewer, data={"basis": "x"})
    assert refused.value.code == "comment_required"
    library.library_entry_update(
        entry=entry, actor=finance_reviewer, data={"basis": "年度统计报表"}, reason="补充依据"
    )
    entry.refresh_from_db()
    assert entry.basis == "年度统计报表" and "update" in _codes(entry)


def test_submitted_entries_are_not_editable(dept_reviewer):
    entry = _proposed(dept_reviewer)
    with pytest.raises(ValidationError) as refused:
        library.library_entry_update(entry=entry, actor=dept_reviewer, data={"basis": "x"})
    assert refused.value.code == "not_editable"


def _approved_goal_using(entry, finance_reviewer, dept_reviewer, filler):
    """A 2026 project goal of 027001 referencing ``entry``, taken to 财政批复."""
    goal = new_goal(filler, project=new_project(filler))
    indicator = goal.indicators.get(level1="满意度指标")
    library.library_link_indicators(links=[(indicator, entry)], actor=None)
    workflow.submit(obj=goal, actor=filler)
    workflow.approve(obj=goal, actor=dept_reviewer)
    return goal


def test_finance_approval_of_a_goal_on_an_unconfirmed_entry_is_refused_then_freezes(
    dept_reviewer, finance_reviewer, filler
):
    entry = _proposed(dept_reviewer)
    goal = _approved_goal_using(entry, finance_reviewer, dept_reviewer, filler)
    with pytest.raises(ValidationError) as refused:
        workflow.approve(obj=goal, actor=finance_reviewer)
    assert refused.value.code == "library_unconfirmed"
    assert entry.code in refused.value.message_dict["status"][0]
    goal.refresh_from_db()
    assert goal.status == Status.DEPT_APPROVED

    library.library_entry_confirm(entry=entry, actor=finance_reviewer)
    workflow.approve(obj=goal, actor=finance_reviewer)
    entry.refresh_from_db()
    assert entry.frozen_at is not None

    with pytest.raises(ValidationError) as frozen:
        library.library_entry_update(
            entry=entry, actor=finance_reviewer, data={"level3": "新名称"}, reason="改名"
        )
    assert frozen.value.code == "library_frozen"
    # non-meaning fields of a frozen entry stay correctable by finance
    library.library_entry_update(
        entry=entry, actor=finance_reviewer, data={"reference_value": "≥92%"}, reason="调整"
    )


def test_a_revision_is_a_new_version_and_goals_keep_the_old_one(
    dept_reviewer, finance_reviewer, filler
):
    entry = _proposed(dept_reviewer)
    library.library_entry_confirm(entry=entry, actor=finance_reviewer)
    goal = _approved_goal_using(entry, finance_reviewer, dept_reviewer, filler)
    workflow.approve(obj=goal, actor=finance_reviewer)

    with pytest.raises(ValidationError) as no_reason:
        library.library_entry_revise(entry=entry, actor=dept_reviewer, data={}, reason="")
    assert no_reason.value.code == "comment_required"
    v2 = library.library_entry_revise(
        entry=entry, actor=dept_reviewer, data={"level3": "参保群众满意度（测试）"}, reason="更名"
    )
    assert (v2.code, v2.version, v2.status, v2.previous_id) == (
        entry.code,
        2,
        LibraryStatus.DRAFT,
        entry.pk,
    )
    with pytest.raises(ValidationError):  # one open version per code
        library.library_entry_revise(entry=entry, actor=dept_reviewer, data={}, reason="再改")
    entry.refresh_from_db()
    assert entry.status == LibraryStatus.APPROVED  # pickable until v2 is confirmed

    library.library_entry_propose(entry=v2, actor=dept_reviewer)
    library.library_entry_confirm(entry=v2, actor=finance_reviewer)
    entry.refresh_from_db()
    assert entry.status == LibraryStatus.SUPERSEDED
    linked = Indicator.objects.get(goal=goal, library_code=entry.code)
    assert linked.library_entry_id == entry.pk  # the goal keeps the version it referenced


def test_retire_needs_finance_for_confirmed_entries_and_never_deletes(
    dept_reviewer, finance_reviewer
):
    entry = _proposed(dept_reviewer)
    library.library_entry_confirm(entry=entry, actor=finance_reviewer)
    with pytest.raises(PermissionDenied):
        library.library_entry_retire(entry=entry, actor=dept_reviewer, reason="不再使用")
    with pytest.raises(ValidationError):
        library.library_entry_retire(entry=entry, actor=finance_reviewer, reason="")
    library.library_entry_retire(entry=entry, actor=finance_reviewer, reason="口径调整")
    entry.refresh_from_db()
    assert (entry.status, entry.retire_reason) == (LibraryStatus.RETIRED, "口径调整")
    assert LibraryEntry.objects.filter(pk=entry.pk).exists()


def test_the_owner_withdraws_a_draft(dept_reviewer):
    entry = library.library_entry_create(actor=dept_reviewer, owner=_unit("027"), data=SATISFACTION)
    library.library_entry_retire(entry=entry, actor=dept_reviewer, reason="重复")
    entry.refresh_from_db()
    assert entry.status == LibraryStatus.RETIRED
    assert "library_withdraw" in _codes(entry)


def test_allowed_actions_follow_the_library_rows(dept_reviewer, finance_reviewer):
    entry = library.library_entry_create(actor=dept_reviewer, owner=_unit("027"), data=SATISFACTION)
    assert workflow.allowed_actions(entry, dept_reviewer) == {"edit", "submit", "retire"}
    library.library_entry_propose(entry=entry, actor=dept_reviewer)
    assert workflow.allowed_actions(entry, finance_reviewer) == {"approve", "return"}
    assert workflow.allowed_actions(entry, dept_reviewer) == set()
    library.library_entry_confirm(entry=entry, actor=finance_reviewer)
    assert workflow.allowed_actions(entry, finance_reviewer) == {"retire", "revise"}
    assert workflow.allowed_actions(entry, dept_reviewer) == {"revise"}


def test_seeding_common_entries_is_idempotent(finance_reviewer):
    root = _unit(finance_reviewer.memberships.first().unit.code)
    library.library_seed_common(finance=root)
    count = LibraryEntry.objects.filter(unit=root, is_common=True).count()
    assert count >= 20
    assert library.library_seed_common(finance=root) == 0
    names = set(LibraryEntry.objects.filter(unit=root).values_list("level3", flat=True))
    assert {"预算执行率", "政府采购执行率", "结转结余率", "服务对象满意度"} <= names
    required = LibraryEntry.objects.filter(unit=root, is_required=True)
    assert set(required.values_list("level3", flat=True)) >= {"预算执行率", "结转结余率"}


# --- 智能审核 against the entry ---------------------------------------------------------------


def _linked_goal(filler, entry, raw_value: str, explanation: str = ""):
    """A draft goal whose 满意度 indicator says ``raw_value`` and references ``entry``."""
    indicators = [
        {**row, "raw_value": raw_value, "explanation": explanation}
        if row["level1"] == "满意度指标"
        else row
        for row in GOOD_INDICATORS
    ]
    taken = Project.objects.filter(code__startswith="41039523LIB").count()
    project = new_project(filler, code=f"41039523LIB{taken + 1:04d}")
    goal = new_goal(filler, project=project, indicators=indicators)
    indicator = goal.indicators.get(level1="满意度指标")
    library.library_link_indicators(links=[(indicator, entry)], actor=None)
    return goal


def _review(goal) -> dict[str, dict]:
    return {f["code"]: f for f in target_review.review_findings(goal) if "library" in f["code"]}


def _confirmed(dept_reviewer, finance_reviewer, **changes):
    entry = _proposed(dept_reviewer, **changes)
    return library.library_entry_confirm(entry=entry, actor=finance_reviewer)


def test_an_indicator_agreeing_with_its_entry_has_no_library_findings(
    filler, dept_reviewer, finance_reviewer
):
    entry = _confirmed(dept_reviewer, finance_reviewer)
    assert _review(_linked_goal(filler, entry, "≥92%")) == {}


def test_review_names_the_entry_when_the_unit_contradicts_it(
    filler, dept_reviewer, finance_reviewer
):
    entry = _confirmed(dept_reviewer, finance_reviewer)
    found = _review(_linked_goal(filler, entry, "≥90人"))
    assert found["library_unit_mismatch"]["severity"] == "error"
    assert entry.code in found["library_unit_mismatch"]["message"]
    found = _review(_linked_goal(filler, entry, "≤10%"))
    assert found["library_direction_mismatch"]["severity"] == "error"
    assert "≥" in found["library_direction_mismatch"]["message"]
    found = _review(_linked_goal(filler, entry, "满意"))
    assert "library_direction_mismatch" in found


def test_review_warns_about_an_unconfirmed_entry_and_errs_on_a_returned_one(
    filler, dept_reviewer, finance_reviewer
):
    entry = _proposed(dept_reviewer)
    goal = _linked_goal(filler, entry, "≥92%")
    assert _review(goal)["library_entry_unconfirmed"]["severity"] == "warning"
    library.library_entry_return(entry=entry, actor=finance_reviewer, comment="口径不清")
    found = _review(goal)
    assert found["library_entry_returned"]["severity"] == "error"
    assert "口径不清" in found["library_entry_returned"]["message"]
    with pytest.raises(ValidationError) as refused:
        workflow.submit(obj=goal, actor=filler)
    assert refused.value.code == "quality_errors"


def test_a_qualitative_entry_without_standard_is_one_finding_naming_it(filler, dept_reviewer):
    entry = library.library_entry_create(
        actor=dept_reviewer,
        owner=_unit("027"),
        data={
            **SATISFACTION,
            "level3": "群众获得感",
            "nature": "定性",
            "reference_value": "明显提升",
            "scoring_standard": "",
        },
    )
    found = target_review.review_findings(_linked_goal(filler, entry, "明显提升"))
    codes = [f["code"] for f in found]
    assert "library_standard_missing" in codes
    assert "qualitative_without_standard" not in codes  # no double report
    assert (
        entry.code in next(f for f in found if f["code"] == "library_standard_missing")["message"]
    )
    written = _linked_goal(filler, entry, "明显提升", explanation="满意率≥90%为达成")
    assert "library_standard_missing" not in _review(written)
