"""The target import and the API agree on what is an error and what is a warning (issue 18).

Each case is one indicator problem written both ways: as a row of the 整体 import file and as
an indicator of ``POST /api/v1/goals/`` (scope unit). An import error is an API 400 on that
indicator's field (nothing written either way); an import warning is an API 201 whose goal
carries the matching finding (the quality review or the indicator's parse).
"""

from __future__ import annotations

import pytest

from performance.choices import GoalScope
from performance.models import PerformanceGoal
from performance.services.imports import import_run
from performance.services.target_review import review_findings
from projects.models import Unit
from tests.support.import_helpers import csv_bytes, db_counts

pytestmark = pytest.mark.django_db

HEADER = ["年度", "单位编码", "单位名称", "一级指标", "二级指标", "三级指标", "指标值"]
BASE = {"level1": "产出指标", "level2": "数量指标", "level3": "培训人次", "raw_value": "≥100人次"}
FIELD = {"level1": "一级指标", "level2": "二级指标", "level3": "三级指标", "raw_value": "指标值"}

# case: (indicators, import outcome, import code, API outcome, API field or finding code)
CASES = {
    "empty_level3": ([{**BASE, "level3": ""}], "error", "level3_required", 400, "level3"),
    "empty_raw_value": ([{**BASE, "raw_value": ""}], "error", "required", 400, "raw_value"),
    "repeated_level3_on_new_goal": (
        [BASE, {**BASE, "raw_value": "≥200人次"}],
        "warning",
        "repeated_indicator",
        201,
        "duplicate_indicator",
    ),
    "unreadable_raw_value": (
        [{**BASE, "raw_value": "≥95% 100%"}],
        "warning",
        "value_multiple_values",
        201,
        "multiple_values",
    ),
    "level2_misspelt": (
        [{**BASE, "level2": "数量指"}],
        "warning",
        "level2_unknown",
        201,
        "level2_unknown",
    ),
}


def _import_file(indicators) -> bytes:
    rows = [
        {
            "年度": "2030",
            "单位编码": "027001",
            "单位名称": "伊滨经开区（示范区）社会保障事务服务中心",
            **{FIELD[key]: value for key, value in item.items()},
        }
        for item in indicators
    ]
    return csv_bytes(rows, HEADER)


def _goal_codes(goal: PerformanceGoal) -> set[str]:
    codes = {f["code"] for f in review_findings(goal)}
    for indicator in goal.indicators.all():
        codes |= {f.get("code") for f in indicator.findings}
    return codes


@pytest.mark.parametrize("case", sorted(CASES))
def test_import_and_api_agree_on_errors_and_warnings(api, filler, case):
    indicators, outcome, import_code, status, api_code = CASES[case]
    unit = Unit.objects.get(code="027001")

    before = db_counts()
    result = import_run(
        kind="targets", actor=filler, file=_import_file(indicators), filename="p.csv", dry_run=True
    )
    issues = result.errors if outcome == "error" else result.warnings
    assert import_code in [issue.code for issue in issues], [str(i) for i in result.warnings]
    assert result.ok is (outcome == "warning")
    assert db_counts() == before

    response = api(filler).post(
        "/api/v1/goals/",
        {"scope": "unit", "year": 2030, "unit": unit.pk, "indicators": indicators},
    )
    assert response.status_code == status, response.content
    if status == 400:
        assert list(response.json()["errors"]) == [f"indicators.0.{api_code}"]
        assert not PerformanceGoal.objects.filter(scope=GoalScope.UNIT, year=2030).exists()
    else:
        goal = PerformanceGoal.objects.get(pk=response.json()["id"])
        assert goal.indicators.count() == len(indicators)  # repeated rows kept, as the import
        assert api_code in _goal_codes(goal)


def test_ambiguous_update_is_an_import_only_error(filler):
    # The API updates indicators by id, so it never has to guess; the import names each row.
    twice = [BASE, {**BASE, "raw_value": "≥200人次"}]
    assert import_run(kind="targets", actor=filler, file=_import_file(twice), filename="p.csv").ok
    changed = [BASE, {**BASE, "raw_value": "≥300人次"}]
    result = import_run(kind="targets", actor=filler, file=_import_file(changed), filename="p.csv")
    assert [(i.code, i.row) for i in result.errors] == [
        ("ambiguous_indicator", 2),
        ("ambiguous_indicator", 3),
    ]


def test_api_blank_indicator_message_follows_accept_language(api, filler):
    unit = Unit.objects.get(code="027001")
    payload = {
        "scope": "unit",
        "year": 2030,
        "unit": unit.pk,
        "indicators": [{**BASE, "raw_value": ""}],
    }
    chinese = api(filler).post("/api/v1/goals/", payload)
    english = api(filler).post("/api/v1/goals/", payload, HTTP_ACCEPT_LANGUAGE="en")
    assert chinese.json()["errors"]["indicators.0.raw_value"] == [
        "指标值不能为空（如“≥90%”“及时”）。"
    ]
    assert english.json()["errors"]["indicators.0.raw_value"][0].startswith("The target value")
