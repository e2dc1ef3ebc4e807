"""智能审核: the target quality review of a goal, run on demand and on every submission.

Each finding is ``{"code", "severity", "message", "indicator_id", "field"}``. Errors block
submission (``workflow.submit``); warnings are advice for the filler and the reviewers.

errors    output_missing, benefit_missing      产出 and 效益 are always required
          cost_missing                          project goals, when the unit's scheme requires 成本
          weights_incomplete, weights_total     some indicators weighted, others not / unit total ≠ 100
          category_missing, weights_mismatch,   project goals: the engine's ``weights_check``
          category_not_scored                   against the unit's scheme (only when weights are set)
          the parser's error findings           an unreadable or ambiguous 指标值 (``≥95% 100%``)
warnings  satisfaction_missing, too_few_indicators (fewer than 3 三级), overall_goal_missing,
          qualitative_without_standard (定性 value without a 指标值说明 saying how it is judged),
          cost_budget_mismatch (money ceilings of 成本 ≠ the project's adjusted budget),
          duplicate_indicator (same 三级, one name containing another in the same 一级, or
          near-identical names: SequenceMatcher ratio ≥ 0.85, both ≥ 6 characters),
          misfiled_indicator (wording that belongs to another 一级: 满意度 under 效益, a cost
          under 时效…), level3_generic (a 三级 that is only a category name, 社会效益),
          the parser's warnings (二级 blank or misspelt, 不低于上年 not yet resolvable, …)

Indicators picked from the indicator library (指标库) are checked against their entry, each
finding naming it ("指标库指标 027-0007「参保人员满意度」（v2）"):
errors    library_unit_mismatch (the value's unit ≠ the entry's 度量单位),
          library_direction_mismatch (≤ typed under a ≥ entry; a number under a 定性 one …),
          library_entry_returned (the finance bureau returned the entry)
warnings  library_unit_missing, library_entry_unconfirmed (not yet confirmed by finance),
          library_entry_outdated / library_entry_retired (draft and returned goals only),
          library_standard_missing (定性 entry without 评(扣)分标准 and no 指标值说明; replaces
          qualitative_without_standard for that indicator)

Unit-overall goals use their own framework (投入管理 / 产出 / 效益 / 满意度): 成本 is not
demanded there, the scheme's category weights do not apply, and set weights must total 100;
each 三级 the scheme's ``unit_required_indicators`` names (预算执行率 …) must be there
(error input_indicator_missing, by name or alias).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from projects import audit
from projects.models import AuditAction
from projects.numbers import PLAIN, SCORE, figure
from projects.permissions import roles_for
from projects.selectors import adjusted_budget

from .. import scoring, targets
from ..choices import (
    EDITABLE_STATUSES,
    LIBRARY_OPEN,
    Category,
    Direction,
    GoalScope,
    LibraryStatus,
    Nature,
    Severity,
    TargetKind,
)
from ..models import Indicator, PerformanceGoal
from ..selectors.schemes import scheme_for_unit

ERROR, WARNING = Severity.ERROR.value, Severity.WARNING.value
MIN_INDICATORS = 3
MIN_CONTAINED_NAME = 4  # "满意度" alone is too generic to call one name a copy of another
NEAR_IDENTICAL_RATIO = 0.85  # measured on the published fixtures (issue 18 design §2.10)
MIN_NEAR_IDENTICAL_NAME = 6
_GENERIC_NAMES = (
    "社会效益 经济效益 生态效益 可持续影响 满意度 数量指标 质量指标 时效指标 成本指标 "
    "产出指标 效益指标 满意度指标 社会效益指标 经济效益指标 生态效益指标 可持续影响指标"
)
GENERIC_LEVEL3 = frozenset(_GENERIC_NAMES.split())
# Where a wording category may be filed: (category, 二级) pairs; None = any 二级 of it.
_MISFILED_ALLOWED = {
    "satisfaction": {(Category.SATISFACTION, None)},
    "cost": {
        (Category.COST, None),
        (Category.OUTPUT, "成本指标"),
        (Category.INPUT, None),
        (Category.FUND_MANAGEMENT, None),
    },
}
_TIMELINESS_FORBIDDEN = {Category.COST, Category.BENEFIT, Category.SATISFACTION}
_WORDING_LABELS = {"satisfaction": "满意度", "cost": "成本（资金）", "timeliness": "时效"}
UNIT_TOTAL_WEIGHT = Decimal("100")
_PUNCTUATION = re.compile(r"[\s,，、。.;；:：“”\"'‘’()（）【】\[\]]+")


def _finding(
    code: str,
    severity: str,
    message: str,
    indicator: Indicator | None = None,
    field: str = "",
) -> dict[str, Any]:
    return {
        "code": code,
        "severity": severity,
        "message": message,
        "indicator_id": indicator.pk if indicator is not None else None,
        "field": field,
    }


def _name(indicator: Indicator) -> str:
    return f"「{indicator.level3}」"


def _row(position: int, indicator: Indicator) -> str:
    """ "第 N 条指标「…」": N is the indicator's position in the goal (a file's row order)."""
    return f"第 {position} 条指标「{indicator.level3}」"


def _is_cost(indicator: Indicator) -> bool:
    """成本 as 一级 (2021+) or as 二级 under 产出 (the older framework)."""
    return indicator.category == Category.COST or (
        indicator.category == Category.OUTPUT and indicator.level2 == "成本指标"
    )


def _structure(goal: PerformanceGoal, indicators: list[Indicator]) -> list[dict]:
    found = []
    categories = {i.category for i in indicators}
    for category, code in (
        (Category.OUTPUT, "output_missing"),
        (Category.BENEFIT, "benefit_missing"),
    ):
        if category not in categories:
            found.append(
                _finding(
                    code, ERROR, f"缺少{category.label}：每个绩效目标都必须设置{category.label}。"
                )
            )
    if goal.scope == GoalScope.PROJECT and not any(_is_cost(i) for i in indicators):
        scheme = scheme_for_unit(goal.unit, year=goal.year)
        if scheme.cost_required:
            found.append(
                _finding(
                    "cost_missing",
                    ERROR,
                    f"缺少成本指标：本单位适用的评分方案“{scheme.name}”要求设置成本指标。",
                )
            )
    if Category.SATISFACTION not in categories:
        found.append(
            _finding(
                "satisfaction_missing",
                WARNING,
                "未设置满意度指标：项目有服务对象的，应设置服务对象满意度指标。",
            )
        )
    if len(indicators) < MIN_INDICATORS:
        found.append(
            _finding(
                "too_few_indicators",
                WARNING,
                f"三级指标只有 {len(indicators)} 个，建议至少设置 {MIN_INDICATORS} 个。",
            )
        )
    if not (goal.overall_goal or "").strip():
        found.append(
            _finding(
                "overall_goal_missing",
                WARNING,
                "年度总体目标未填写。",
                field="overall_goal",
            )
        )
    return found


def _weights(goal: PerformanceGoal, indicators: list[Indicator]) -> list[dict]:
    weighted = [i for i in indicators if i.weight is not None]
    if not weighted:
        return []  # weights are optional when targets are set; checked once any is given
    missing = [i for i in indicators if i.weight is None]
    if missing:
        names = "、".join(_name(i) for i in missing)
        return [
            _finding(
                "weights_incomplete",
                ERROR,
                f"已为部分指标设置分值，以下指标尚未设置：{names}。",
                field="weight",
            )
        ]
    if goal.scope == GoalScope.UNIT:
        total = sum((i.weight for i in indicators), Decimal("0"))
        if total != UNIT_TOTAL_WEIGHT:
            return [
                _finding(
                    "weights_total",
                    ERROR,
                    f"各指标分值合计 {figure(total, SCORE)} 分，应为 {UNIT_TOTAL_WEIGHT} 分。",
                    field="weight",
                )
            ]
        return []
    engine = scheme_for_unit(goal.unit, year=goal.year).to_engine()
    return [
        _finding(f.code, f.severity, f.message, field="weight")
        for f in scoring.weights_check(engine, [(i.category, i.weight) for i in indicators])
    ]


def _library_findings(goal: PerformanceGoal, indicator: Indicator) -> list[dict]:
    """The indicator against the library entry it was picked from (none when unlinked)."""
    entry = indicator.library_entry
    if entry is None:
        return []
    name = f"{_name(indicator)}（{entry.label}）"
    found = []
    if entry.status == LibraryStatus.RETURNED:
        found.append(
            _finding(
                "library_entry_returned",
                ERROR,
                f"{name}已被财政退回：{entry.last_comment or '请修改后重新提交确认'}。",
                indicator,
                "library_entry",
            )
        )
    elif entry.status in LIBRARY_OPEN:
        found.append(
            _finding(
                "library_entry_unconfirmed",
                WARNING,
                f"{name}尚未经财政确认；财政批复前须先确认该指标。",
                indicator,
                "library_entry",
            )
        )
    elif goal.status in EDITABLE_STATUSES and entry.status == LibraryStatus.SUPERSEDED:
        found.append(
            _finding(
                "library_entry_outdated",
                WARNING,
                f"{name}已有新版本，可“更新为最新版本”。",
                indicator,
                "library_entry",
            )
        )
    elif goal.status in EDITABLE_STATUSES and entry.status == LibraryStatus.RETIRED:
        found.append(
            _finding(
                "library_entry_retired",
                WARNING,
                f"{name}已停用（{entry.retire_reason}），请改用其他指标。",
                indicator,
                "library_entry",
            )
        )
    typed = (indicator.raw_value or "").strip()
    unreadable = any(f.get("severity") == ERROR for f in indicator.findings or [])
    if typed and not unreadable:
        if indicator.direction != entry.direction:
            wanted = Nature(entry.nature).label if entry.nature else entry.get_direction_display()
            found.append(
                _finding(
                    "library_direction_mismatch",
                    ERROR,
                    f"{name}的指标值「{typed}」是{Direction(indicator.direction).label}，"
                    f"与指标库的指标性质“{wanted}”不一致。",
                    indicator,
                    "raw_value",
                )
            )
        elif entry.measure_unit and indicator.kind == TargetKind.QUANTITATIVE:
            if not indicator.target_unit:
                found.append(
                    _finding(
                        "library_unit_missing",
                        WARNING,
                        f"{name}的指标值「{typed}」没有单位；指标库的度量单位为“{entry.measure_unit}”。",
                        indicator,
                        "raw_value",
                    )
                )
            elif indicator.target_unit != entry.measure_unit:
                found.append(
                    _finding(
                        "library_unit_mismatch",
                        ERROR,
                        f"{name}的指标值「{typed}」单位为“{indicator.target_unit}”，"
                        f"与指标库的度量单位“{entry.measure_unit}”不一致。",
                        indicator,
                        "raw_value",
                    )
                )
    if (
        entry.nature == Nature.QUALITATIVE
        and not (entry.scoring_standard or "").strip()
        and not (indicator.explanation or "").strip()
    ):
        found.append(
            _finding(
                "library_standard_missing",
                WARNING,
                f"{name}是定性指标，指标库未给出评(扣)分标准，指标值说明也未填写；"
                "请写明达成、部分达成、未达成的判断标准。",
                indicator,
                "explanation",
            )
        )
    return found


def _indicator_findings(indicator: Indicator) -> list[dict]:
    found = [
        _finding(
            f.get("code", ""),
            f.get("severity", WARNING),
            f"{_name(indicator)}：{f.get('message', '')}",
            indicator,
            f.get("field", "raw_value"),
        )
        for f in indicator.findings or []
    ]
    unreadable = any(f["severity"] == ERROR for f in found)
    library_standard = indicator.library_entry_id is not None and (
        indicator.library_entry.nature == Nature.QUALITATIVE
        and not (indicator.library_entry.scoring_standard or "").strip()
    )
    if (
        not unreadable
        and not library_standard  # library_standard_missing says it, naming the entry
        and indicator.kind == TargetKind.QUALITATIVE
        and (indicator.raw_value or "").strip()
        and not (indicator.explanation or "").strip()
    ):
        found.append(
            _finding(
                "qualitative_without_standard",
                WARNING,
                f"{_name(indicator)}的指标值「{indicator.raw_value}」是定性表述，未填写指标值说明；"
                "请写明达成、部分达成、未达成的判断标准。",
                indicator,
                "explanation",
            )
        )
    return found


def _cost_ceiling(goal: PerformanceGoal, indicators: list[Indicator]) -> list[dict]:
    if goal.scope != GoalScope.PROJECT:
        return []
    ceilings = [
        i
        for i in indicators
        if _is_cost(i)
        and i.operator in targets.NEGATIVE_OPERATORS
        and i.target_unit == "万元"
        and i.target_value is not None
    ]
    if not ceilings:
        return []
    total = sum((i.target_value for i in ceilings), Decimal("0"))
    budget = adjusted_budget(goal.project)
    if total == budget:
        return []
    subject = (
        f"成本指标{_name(ceilings[0])}的金额上限 {figure(total, PLAIN)} 万元"
        if len(ceilings) == 1
        else f"成本指标金额上限合计 {figure(total, PLAIN)} 万元"
    )
    return [
        _finding(
            "cost_budget_mismatch",
            WARNING,
            f"{subject}与项目调整后预算 {figure(budget, PLAIN)} 万元不一致，请核对。",
            ceilings[0] if len(ceilings) == 1 else None,
            "raw_value",
        )
    ]


def _normalised_name(text: str) -> str:
    """三级 name without spaces and punctuation, full-width folded, for comparing spellings."""
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", text or ""))


def _duplicates(indicators: list[Indicator]) -> list[dict]:
    found = []
    seen: list[tuple[Indicator, str]] = []
    for indicator in indicators:
        name = _normalised_name(indicator.level3)
        for earlier, earlier_name in seen:
            same = name == earlier_name
            same_category = indicator.category == earlier.category
            contained = (
                same_category
                and min(len(name), len(earlier_name)) >= MIN_CONTAINED_NAME
                and (name in earlier_name or earlier_name in name)
            )
            near = (
                same_category
                and min(len(name), len(earlier_name)) >= MIN_NEAR_IDENTICAL_NAME
                and SequenceMatcher(None, name, earlier_name).ratio() >= NEAR_IDENTICAL_RATIO
            )
            if same or contained or near:
                how = "重复" if same else "疑似重复"
                found.append(
                    _finding(
                        "duplicate_indicator",
                        WARNING,
                        f"{_name(indicator)}与{_name(earlier)}{how}，请合并或删除其一。",
                        indicator,
                        "level3",
                    )
                )
                break
        seen.append((indicator, name))
    return found


def _required_inputs(goal: PerformanceGoal, indicators: list[Indicator]) -> list[dict]:
    """A 整体 goal without a 三级 its scheme requires (预算执行率 …): a goal-level error."""
    if goal.scope != GoalScope.UNIT:
        return []
    scheme = scheme_for_unit(goal.unit, year=goal.year)
    names = {_normalised_name(i.level3) for i in indicators}
    found = []
    for entry in scheme.unit_required_indicators or []:
        wanted = {_normalised_name(n) for n in [entry.get("name", ""), *entry.get("aliases", [])]}
        if entry.get("name") and not names & wanted:
            found.append(
                _finding(
                    "input_indicator_missing",
                    ERROR,
                    f"整体绩效目标缺少投入管理指标「{entry['name']}」：本单位适用的评分方案"
                    f"“{scheme.name}”要求设置。",
                )
            )
    return found


def _misfiled(indicators: list[Indicator]) -> list[dict]:
    """Wording that belongs to another 一级 (满意度 under 效益, a cost under 时效…), row named."""
    found = []
    for position, indicator in enumerate(indicators, start=1):
        wording = targets.wording_category(indicator.level3, indicator.target_unit or "")
        category = indicator.category
        if wording is None or category == Category.OTHER:
            continue
        if wording == "timeliness":
            misfiled = category in _TIMELINESS_FORBIDDEN
        else:
            allowed = _MISFILED_ALLOWED[wording]
            misfiled = (category, None) not in allowed and (
                category,
                indicator.level2,
            ) not in allowed
        if misfiled:
            found.append(
                _finding(
                    "misfiled_indicator",
                    WARNING,
                    f"{_row(position, indicator)}看起来是{_WORDING_LABELS[wording]}指标，却填在"
                    f"「{indicator.level1} / {indicator.level2 or '—'}」下；请核对一级指标。",
                    indicator,
                    "level1",
                )
            )
    return found


def _generic(indicators: list[Indicator]) -> list[dict]:
    return [
        _finding(
            "level3_generic",
            WARNING,
            f"{_row(position, indicator)}只是指标类别的名称，不是可衡量的三级指标；"
            "请写明具体衡量什么（如“参保人数”“服务对象满意度”）。",
            indicator,
            "level3",
        )
        for position, indicator in enumerate(indicators, start=1)
        if _normalised_name(indicator.level3) in GENERIC_LEVEL3
    ]


def review_findings(goal: PerformanceGoal) -> list[dict]:
    """The findings for ``goal`` as it is now, errors first; reads only, writes nothing."""
    indicators = list(goal.indicators.select_related("library_entry").order_by("order", "id"))
    found = (
        _structure(goal, indicators)
        + _required_inputs(goal, indicators)
        + _weights(goal, indicators)
    )
    for indicator in indicators:
        found += _indicator_findings(indicator) + _library_findings(goal, indicator)
    found += (
        _cost_ceiling(goal, indicators)
        + _duplicates(indicators)
        + _misfiled(indicators)
        + _generic(indicators)
    )
    return sorted(found, key=lambda f: f["severity"] != ERROR)


@transaction.atomic
def quality_review(*, goal: PerformanceGoal, actor=None, save: bool = True) -> list[dict]:
    """Run the quality review; with ``save`` store the findings on the goal and audit the run.

    Anyone who may see the goal may run it (fillers before submitting, reviewers on demand).
    """
    if actor is not None and not roles_for(actor, goal.unit):
        raise PermissionDenied(f"“{goal}”不在您的管辖范围内，无权访问。")
    findings = review_findings(goal)
    if not save:
        return findings
    before = _counts(goal.quality_findings)
    goal.quality_findings = findings
    goal.quality_checked_at = timezone.now()
    goal.save(update_fields=["quality_findings", "quality_checked_at", "updated_at"])
    after = _counts(findings)
    audit.record(
        obj=goal,
        actor=actor,
        action=AuditAction.COMPUTE,
        transition="quality_review",
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        comment=f"智能审核：{after['errors']} 个错误，{after['warnings']} 个提示",
    )
    return findings


def _counts(findings) -> dict[str, int]:
    findings = findings or []
    return {
        "errors": sum(1 for f in findings if f.get("severity") == ERROR),
        "warnings": sum(1 for f in findings if f.get("severity") == WARNING),
    }
