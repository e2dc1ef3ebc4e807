"""The published 2023 self-evaluation of 305004 (洛阳市西工区社会保险中心), reproduced to the cent."""

import json
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from performance.scoring import (
    HENAN_2023_SCHEME,
    Grade,
    Rounding,
    grade_for,
    indicator_score,
    project_result,
    summary_text,
    unit_summary,
)
from performance.targets import category_of, parse_actual, parse_target

FIXTURE = json.loads(
    (Path(__file__).parent / "data" / "2023_305004_self_evaluation.json").read_text(
        encoding="utf-8"
    )
)
COLUMNS = FIXTURE["columns"]
PROJECTS = [dict(zip(COLUMNS, row, strict=True)) for row in FIXTURE["projects"]]
RATE_COLUMNS = {
    "fund_management": "资金管理情况得分率",
    "cost": "成本指标得分率",
    "output": "产出指标得分率",
    "benefit": "效益指标得分率",
    "satisfaction": "满意度指标得分率",
}


def percent(text: str) -> Decimal:
    return Decimal(text.removesuffix("%"))


# The published table gives each project's category 得分率 but not its indicators, so these
# are worked by hand: targets and actual values typical of a 社保中心, weighted so that each
# category adds up to the HENAN_2023 scheme's weight. Every actual meets its target, so each
# indicator scores its whole weight — except a cost indicator when nothing was spent, which
# scores 0 (domain.md §5): that is 党建工作 (执行数 0). Last column: the score worked by hand.
# The category rates and totals are then computed from these scores by the engine and compared
# with the published figures; the published rates are never an input.
def hand_worked(project) -> list[tuple[str, str, str, Decimal, str | None, str | None, Decimal]]:
    """(一级, 三级, 指标值, 分值, actual, qualitative band, expected score) of ``project``."""
    budget, executed = project["全年预算数"], project["全年执行数"]
    cost = Decimal(10) if Decimal(executed) else Decimal(0)
    return [
        ("资金管理指标", "资金使用合规性", "合规", Decimal(10), None, "achieved", Decimal(10)),
        (
            "成本指标",
            "项目预算资金控制",
            f"≤{budget}万元",
            Decimal(10),
            f"{executed}万元",
            None,
            cost,
        ),
        ("产出指标", "年度工作任务完成率", "≥95%", Decimal(10), "100%", None, Decimal(10)),
        ("产出指标", "业务按时办结率", "≥90%", Decimal(10), "96.5%", None, Decimal(10)),
        ("产出指标", "系统正常运行天数", "≥360天", Decimal(10), "365天", None, Decimal(10)),
        ("效益指标", "社保经办工作顺利开展", "顺利开展", Decimal(15), None, "达成", Decimal(15)),
        ("效益指标", "群众办事平均等待时间", "≤2小时", Decimal(15), "1.5小时", None, Decimal(15)),
        ("满意度指标", "服务对象满意度", "≥90%", Decimal(10), "95%", None, Decimal(10)),
    ]


def scored_indicators(project, scheme=HENAN_2023_SCHEME):
    """(category, weight, IndicatorScore) of the hand-worked indicators, read and scored by the
    engine as the services do: ``parse_target``, ``parse_actual``, ``indicator_score``."""
    rows = []
    for level1, _level3, value, weight, actual_text, band, _expected in hand_worked(project):
        target = parse_target(value, level1=level1)
        actual = None
        if actual_text is not None:
            actual, findings = parse_actual(actual_text, target=target)
            assert findings == (), (actual_text, findings)
        category = category_of(level1)
        score = indicator_score(
            weight=weight,
            operator=target.operator,
            target=target.value,
            actual=actual,
            scheme=scheme,
            category=category,
            spent=Decimal(project["全年执行数"]),
            band=band,
        )
        rows.append((category, weight, score))
    return rows


def result_of(project, scheme=HENAN_2023_SCHEME):
    return project_result(
        scheme=scheme,
        budget=Decimal(project["全年预算数"]),
        executed=Decimal(project["全年执行数"]),
        indicators=scored_indicators(project, scheme),
    )


@pytest.mark.parametrize("project", PROJECTS, ids=[p["项目名称"] for p in PROJECTS])
def test_hand_worked_indicators_score_as_worked_by_hand(project):
    worked = hand_worked(project)
    scored = scored_indicators(project)
    assert [score.final for _category, _weight, score in scored] == [row[-1] for row in worked]
    categories = {category: Decimal(0) for category in RATE_COLUMNS}
    for category, weight, _score in scored:
        categories[category] += weight
    assert categories == {
        category: HENAN_2023_SCHEME.weight_of(category) for category in RATE_COLUMNS
    }  # each category carries the scheme's whole weight


def test_fixture_has_the_five_published_projects():
    assert [p["项目名称"] for p in PROJECTS] == [
        "劳务派遣工资",
        "居民养老信息化办公专线网络费用",
        "办公经费",
        "机关事业单位职业年金记实补记资金",
        "党建工作",
    ]


@pytest.mark.parametrize("project", PROJECTS, ids=[p["项目名称"] for p in PROJECTS])
def test_execution_rate_and_total_match_the_published_figures(project):
    result = result_of(project)
    assert result.execution_rate == percent(project["预算执行率"])
    assert result.total == Decimal(project["自评得分"])
    for category, column in RATE_COLUMNS.items():
        assert result.category_rates[category] == percent(project[column])


def test_published_rates_and_totals_explicitly():
    results = [result_of(p) for p in PROJECTS]
    assert [r.execution_rate for r in results] == [
        Decimal(x) for x in ("93.46", "100", "69.05", "35.70", "0")
    ]
    assert [r.total for r in results] == [
        Decimal(x) for x in ("99.35", "100", "96.91", "93.57", "80")
    ]
    assert [r.execution_score for r in results] == [
        Decimal(x) for x in ("9.35", "10", "6.91", "3.57", "0")
    ]


def test_party_building_cost_indicator_scores_zero_because_nothing_was_spent():
    project = PROJECTS[4]
    assert project["项目名称"] == "党建工作"
    target = parse_target("≤0.9万元", level1="成本指标")
    assert (target.operator, target.value, target.unit) == ("<=", Decimal("0.9"), "万元")
    cost = indicator_score(
        weight=HENAN_2023_SCHEME.weight_of("cost"),
        operator=target.operator,
        target=target.value,
        actual=Decimal(0),
        scheme=HENAN_2023_SCHEME,
        category="cost",
        spent=Decimal(project["全年执行数"]),
    )
    assert cost.final == Decimal(0)
    assert cost.notes == ("项目未发生支出，成本指标不得分",)

    others = [row for row in scored_indicators(project) if row[0] != "cost"]
    result = project_result(
        scheme=HENAN_2023_SCHEME,
        budget=Decimal(project["全年预算数"]),
        executed=Decimal(project["全年执行数"]),
        indicators=[*others, ("cost", HENAN_2023_SCHEME.weight_of("cost"), cost)],
    )
    assert result.total == Decimal(project["自评得分"]) == Decimal(80)
    assert result.category_rates["cost"] == percent(project["成本指标得分率"]) == 0
    assert result.grade is Grade.GOOD


def test_grades_and_unit_summary_match_the_published_counts():
    grades = [grade_for(result_of(p).total, HENAN_2023_SCHEME) for p in PROJECTS]
    assert grades == [Grade.EXCELLENT] * 4 + [Grade.GOOD]
    summary = unit_summary(grades)
    published = re.search(
        r"(\d+) projects self-evaluated: (\d+) graded 优, (\d+) graded 良, (\d+) graded 中",
        FIXTURE["published_summary"],
    )
    assert published is not None
    evaluated, excellent, good, fair = map(int, published.groups())
    assert (summary["evaluated"], summary["excellent"], summary["good"], summary["fair"]) == (
        evaluated,
        excellent,
        good,
        fair,
    )
    assert summary_text(summary) == (
        "本单位需绩效自评项目 5 个，实际自评 5 个，4 个项目自评等级为优，1 个项目自评为良，0 个项目自评为中"
    )


def test_truncating_instead_of_rounding_would_not_reproduce_the_tables():
    """Rounding belongs to the scheme: truncation misses two of the five published totals."""
    truncating = replace(
        HENAN_2023_SCHEME,
        rate_rounding=Rounding.TRUNCATE,
        score_rounding=Rounding.TRUNCATE,
        total_rounding=Rounding.TRUNCATE,
    )
    totals = [result_of(p, truncating).total for p in PROJECTS]
    assert totals == [Decimal(x) for x in ("99.34", "100", "96.90", "93.57", "80")]
