"""load_demo reproduces the published tables exactly and is idempotent."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps

from performance.choices import GoalScope
from performance.demo import DATA_DIR, load_demo
from performance.models import Indicator, PerformanceGoal
from projects.models import Project, Unit
from projects.selectors import projects_with_figures

pytestmark = pytest.mark.django_db
SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures"


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_shipped_demo_data_is_the_published_fixture_byte_for_byte():
    if not SHARED.exists():
        pytest.skip(f"{SHARED} 不存在：无法核对随项目分发的副本")
    for path in SHARED.iterdir():
        assert (DATA_DIR / path.name).read_bytes() == path.read_bytes(), path.name


def test_027001_has_its_ten_projects_and_72_indicators(demo):
    assert Project.objects.filter(unit__code="027001", year=2022).count() == 10
    indicators = Indicator.objects.filter(
        goal__unit__code="027001", goal__scope=GoalScope.PROJECT, goal__year=2022
    )
    assert indicators.count() == 72


def test_raw_target_text_is_preserved_character_for_character(demo):
    expected = [
        (r["项目编码"], r["一级指标"], r["二级指标"], r["三级指标"], r["指标值"])
        for r in _rows("2022_027001_project_targets.csv")
    ]
    stored = list(
        Indicator.objects.filter(goal__unit__code="027001", goal__scope=GoalScope.PROJECT)
        .order_by("goal__project__code", "order")
        .values_list("goal__project__code", "level1", "level2", "level3", "raw_value")
    )
    assert sorted(stored) == sorted(expected)


def test_budgets_match_the_published_project_amounts(demo):
    expected = {
        r["项目编码"]: Decimal(r["资金总额(万元)"])
        for r in _rows("2022_027001_project_targets.csv")
    }
    figures = projects_with_figures(Project.objects.filter(unit__code="027001"))
    assert {p.code: p.budget_adjusted for p in figures} == expected
    assert sum(expected.values()) == Decimal("6656.23")


def test_unit_overall_target_has_24_indicators_tasks_and_budget(demo):
    goal = PerformanceGoal.objects.get(scope=GoalScope.UNIT, unit__code="027001", year=2022)
    overview = json.loads((DATA_DIR / "2022_027001_unit_overview.json").read_text(encoding="utf-8"))
    assert goal.indicators.count() == 24
    assert [t.name for t in goal.tasks.all()] == [t[0] for t in overview["annual_tasks"]]
    assert goal.budget_total == Decimal("6824.79")
    assert goal.budget_basic + goal.budget_project == goal.budget_total
    assert goal.overall_goal == overview["annual_goal"]
    explanations = [r["指标值说明"] for r in _rows("2022_027001_unit_targets.csv")]
    assert (
        list(goal.indicators.order_by("order").values_list("explanation", flat=True))
        == explanations
    )


def test_305004_projects_budgets_and_execution(demo):
    data = json.loads((DATA_DIR / "2023_305004_self_evaluation.json").read_text(encoding="utf-8"))
    figures = projects_with_figures(Project.objects.filter(unit__code="305004", year=2023))
    got = {p.name: (p.budget_adjusted, p.executed) for p in figures}
    assert got == {row[0]: (Decimal(row[1]), Decimal(row[2])) for row in data["projects"]}
    assert Unit.objects.get(code="305004").parent.code == data["supervisor_code"]


def test_one_demo_user_per_role(demo):
    from projects.choices import Role
    from projects.models import Membership

    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"projects", "performance", "auth"}
    }


def test_loading_twice_changes_nothing(demo):
    before = _counts()
    load_demo()
    assert _counts() == before


def test_the_command_opens_a_year_end_round_with_the_published_execution_rates(
    demo, evidence_storage
):
    """`manage.py load_demo` also opens 2023年1-12月 monitoring: 305004's five reports carry
    the published year-end budget, execution and 预算执行率, with their lights; idempotent."""
    from django.core.management import call_command

    from performance.models import MonitoringReport

    said = io.StringIO()
    call_command("load_demo", stdout=said)
    # Figures as people write them, never Decimal reprs (93.5700).
    assert "自评 93.57 → 复核 81.57" in said.getvalue()
    before = _counts()
    call_command("load_demo", stdout=io.StringIO())
    assert _counts() == before

    published = json.loads((DATA_DIR / "2023_305004_self_evaluation.json").read_text("utf-8"))
    reports = {
        r.project.name: r
        for r in MonitoringReport.objects.filter(round__year=2023, round__data_month=12)
    }
    assert len(reports) == 5 == len(published["projects"])
    for name, budget, executed, rate, *_ in published["projects"]:
        report = reports[name]
        assert report.unit.code == "305004"
        assert (report.budget, report.executed) == (Decimal(budget), Decimal(executed))
        assert report.execution_rate == Decimal(rate.rstrip("%"))
    lights = sorted(r.budget_light for r in reports.values())
    assert lights == ["green", "green", "red", "red", "yellow"]


def test_the_command_can_leave_monitoring_out(demo):
    from django.core.management import call_command

    from performance.models import MonitoringRound

    call_command("load_demo", "--no-monitoring", stdout=io.StringIO())
    assert not MonitoringRound.objects.exists()


def test_demo_second_finance_reviewer_is_loaded_once(demo):
    from django.contrib.auth import get_user_model

    from performance.demo import load_demo_spot_check_reviewer
    from projects.models import Membership

    load_demo_spot_check_reviewer()
    load_demo_spot_check_reviewer()
    user = get_user_model().objects.get(username="finance2")
    assert list(Membership.objects.filter(user=user).values_list("unit__kind", "role")) == [
        ("finance", "finance_reviewer")
    ]


def test_demo_after_score_scenario_runs_and_is_idempotent(demo, evidence_storage):
    """The finance bureau's 财政复核 of 305004: drawn by risk, 职业年金 re-scored 30 → 18 with
    its 复核依据 (93.57 → 81.57, 良), the unit's objection with 异议说明, upheld — through the
    services, twice without a change; the public file shows none of it."""
    from performance.choices import AttachmentKind, SpotCheckOutcome
    from performance.demo import load_demo_after_score, load_demo_spot_check_reviewer
    from performance.models import Attachment, SpotCheck
    from performance.services.publication import publication_download
    from projects.models import AuditEntry

    load_demo_spot_check_reviewer()
    before = publication_download(actor=None, unit="305004", year=2023)
    load_demo_after_score()
    counts = _counts()
    audit_rows = AuditEntry.objects.count()
    load_demo_after_score()
    assert _counts() == counts and AuditEntry.objects.count() == audit_rows
    (spot_check,) = SpotCheck.objects.all()
    assert "职业年金" in spot_check.evaluation.project.name
    assert (spot_check.self_total, spot_check.review_total) == (Decimal("93.57"), Decimal("81.57"))
    assert spot_check.difference == Decimal("12") and spot_check.review_grade == "good"
    assert spot_check.outcome == SpotCheckOutcome.UPHELD
    assert spot_check.final_total == Decimal("81.57")
    kinds = sorted(Attachment.objects.filter(spot_check=spot_check).values_list("kind", flat=True))
    assert kinds == [AttachmentKind.OBJECTION, AttachmentKind.SPOT_CHECK]
    assert len([path for path in evidence_storage.rglob("*") if path.is_file()]) == 3
    after = publication_download(actor=None, unit="305004", year=2023)
    # 复核 results are not part of the public file: the same cells before and after
    assert _cells(after.content) == _cells(before.content)
    assert "81.57" not in str(_cells(after.content))


def test_demo_review_difference_task_is_answered_with_a_file_and_closed(demo, evidence_storage):
    """Issue 17: the upheld difference (12 ≥ the threshold) raises one 复核差异 task, which
    filler305 answers with measures and 整改报告.pdf and ``finance`` accepts (销号); audited."""
    from performance.choices import RectificationCause, Status
    from performance.demo import (
        DEMO_RECTIFICATION,
        load_demo_after_score,
        load_demo_spot_check_reviewer,
    )
    from performance.models import Rectification

    load_demo_spot_check_reviewer()
    shown = load_demo_after_score()
    (task,) = Rectification.objects.all()
    assert shown["rectification"] == task
    assert task.spot_check == shown["spot_check"] and task.unit.code == "305004"
    assert task.cause == RectificationCause.REVIEW_DIFFERENCE
    assert task.status == Status.APPROVED and task.closed_at is not None
    assert (task.measures, task.result) == (
        DEMO_RECTIFICATION["measures"],
        DEMO_RECTIFICATION["result"],
    )
    _assert_answered_and_accepted(task, file_name="整改报告.pdf", acceptor="finance")


def test_demo_red_lights_of_the_ended_round_become_tasks_one_closed_with_a_file(
    demo, evidence_storage
):
    """Issue 17 "Done when": the finance bureau ends the demo's 2023 round; its two red lights
    (职业年金, 党建工作) raise one 红灯 task each; filler305 answers 职业年金's with measures and
    红灯整改报告.pdf and dept305 accepts it; 党建工作's stays open. Twice changes nothing."""
    from performance.choices import RectificationCause, RoundStatus, Status
    from performance.demo import (
        DEMO_RED_LIGHT,
        load_demo_after_score,
        load_demo_monitoring,
        load_demo_spot_check_reviewer,
    )
    from performance.models import Rectification
    from projects.models import AuditEntry

    load_demo_spot_check_reviewer()
    round_ = load_demo_monitoring()
    shown = load_demo_after_score()
    round_.refresh_from_db()
    assert round_.status == RoundStatus.CLOSED
    tasks = Rectification.objects.filter(cause=RectificationCause.RED_LIGHT).order_by("pk")
    assert list(tasks) == shown["red_light"]
    by_project = {task.project.name: task for task in tasks}
    assert set(by_project) == {"机关事业单位职业年金记实补记资金", "党建工作"}
    assert all(task.report.round == round_ and task.report.light == "red" for task in tasks)
    closed = by_project[DEMO_RED_LIGHT["project"]]
    assert closed.status == Status.APPROVED and closed.closed_at is not None
    assert closed.measures == DEMO_RED_LIGHT["measures"]
    _assert_answered_and_accepted(closed, file_name="红灯整改报告.pdf", acceptor="dept305")
    still_open = by_project["党建工作"]
    assert still_open.status == Status.DRAFT and still_open.closed_at is None
    counts, audit_rows = _counts(), AuditEntry.objects.count()
    assert load_demo_monitoring() == round_
    load_demo_after_score()
    assert _counts() == counts and AuditEntry.objects.count() == audit_rows


def _cells(content: bytes) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def test_demo_library_goal_is_picked_from_suggestions_and_search_and_left_a_draft(demo):
    """Issue 16 D1: filler027's new 2023 goal is built by picking the entries its 同类项目 use
    and the confirmed proposal found by search, each with its 指标值; a 草稿 in its 待办; a
    second run changes nothing."""
    from django.contrib.auth import get_user_model

    from performance.choices import Status
    from performance.demo import DEMO_LIBRARY_GOAL, DEMO_LIBRARY_PROPOSAL, load_demo_library_goal
    from performance.selectors.todo import todo_for
    from projects.models import AuditEntry

    goal = load_demo_library_goal()
    counts, audit_rows = _counts(), AuditEntry.objects.count()
    assert load_demo_library_goal() == goal
    assert _counts() == counts and AuditEntry.objects.count() == audit_rows

    assert (goal.project.code, goal.year, goal.status) == ("0270012023001", 2023, Status.DRAFT)
    assert goal.project.continuity == "new"  # no last year to start from: picked instead
    picked = list(goal.indicators.order_by("order"))
    assert all(i.library_entry_id and i.library_code == i.library_entry.code for i in picked)
    assert [i.level3 for i in picked] == [
        *(level3 for level3, _ in DEMO_LIBRARY_GOAL["suggested"]),
        DEMO_LIBRARY_PROPOSAL["level3"],
    ]
    values = {i.level3: i.raw_value for i in picked}
    assert values["预算资金"] == "≤36.5万元" and values["群众参保满意度"] == "≥92%"
    assert values["社保信息管理系统正常运行"] == "运行正常"  # the entry's 参考值
    assert values[DEMO_LIBRARY_PROPOSAL["level3"]] == "≥85%"
    assert {i.library_entry.unit.code for i in picked} == {"027"}
    filler = get_user_model().objects.get(username="filler027")
    assert AuditEntry.objects.filter(
        object_id=str(goal.pk), actor=filler, comment="引用指标库指标 5 个"
    ).exists()
    drafts = [i.title for i in todo_for(filler).items if i.kind == "goal.draft"]
    assert drafts == [str(goal)]


def test_demo_department_proposal_is_confirmed_by_the_finance_bureau(demo):
    """dept027 proposes 社保业务线上办理率 and ``finance`` confirms it; the fixture's other
    proposal still waits for the finance bureau."""
    from performance.choices import LibraryStatus
    from performance.demo import DEMO_PROPOSAL, load_demo_library_proposal
    from performance.models import LibraryEntry
    from projects.models import AuditEntry

    entry = load_demo_library_proposal()
    assert load_demo_library_proposal() == entry
    entry.refresh_from_db()
    assert (entry.unit.code, entry.is_common, entry.status) == ("027", False, "approved")
    steps = AuditEntry.objects.filter(object_id=str(entry.pk), transition__startswith="library_")
    assert sorted((e.transition, e.actor.username) for e in steps) == [
        ("library_confirm", "finance"),
        ("library_propose", "dept027"),
    ]
    waiting = LibraryEntry.objects.get(level3=DEMO_PROPOSAL["level3"])
    assert waiting.status == LibraryStatus.SUBMITTED


def test_the_command_can_leave_the_library_goal_out(demo):
    from django.core.management import call_command

    call_command(
        "load_demo",
        "--no-library-goal",
        "--no-after-score",
        "--no-monitoring",
        "--no-workday",
        stdout=io.StringIO(),
    )
    assert not Project.objects.filter(code="0270012023001").exists()
    call_command(
        "load_demo", "--no-after-score", "--no-monitoring", "--no-workday", stdout=io.StringIO()
    )
    assert PerformanceGoal.objects.get(project__code="0270012023001").status == "draft"


def _assert_answered_and_accepted(task, *, file_name: str, acceptor: str) -> None:
    """filler305 answered ``task`` with ``file_name`` (a PDF, kind 整改) and ``acceptor``
    accepted it: the two audited steps, no others."""
    from performance.choices import AttachmentKind
    from projects.models import AuditEntry

    (file,) = task.attachments.all()
    assert file.kind == AttachmentKind.RECTIFICATION and file.uploaded_by.username == "filler305"
    assert file.name == file_name and file.file.read().startswith(b"%PDF-")
    steps = AuditEntry.objects.filter(object_id=str(task.pk), transition__startswith="rect")
    assert {(e.transition, e.actor.username) for e in steps} == {
        ("rectification_submit", "filler305"),
        ("rectification_accept", acceptor),
    }
