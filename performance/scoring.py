"""Scores, rates, grades and monitoring lights of budget performance. Pure Python, no Django.

Every figure is a ``Decimal``; weights, rounding, grade bands and light thresholds come from a
``Scheme`` because provinces differ (domain.md §5–§6). Categories are the codes returned by
``performance.targets.category_of``.

Public interface
----------------
Rounding(StrEnum): HALF_UP "half_up", TRUNCATE "truncate";   ROUNDING_LABELS {mode: "四舍五入"…}
round_to(value: Decimal, places: int, mode: Rounding | str) -> Decimal
Grade(StrEnum): EXCELLENT, GOOD, FAIR, POOR;        GRADE_LABELS {Grade: "优"|"良"|"中"|"差"}
Light(StrEnum): GREEN, YELLOW, RED, BLUE;           LIGHT_LABELS {Light: "绿灯"…}
QualitativeBand(StrEnum): ACHIEVED, PARTIAL, NOT_ACHIEVED;   BAND_LABELS {band: "达成"…}
CATEGORIES = ("fund_management", "cost", "output", "benefit", "satisfaction")
CATEGORY_LABELS (re-exported from targets)

Scheme(execution_weight, category_weights, rate_rounding=HALF_UP, rate_places=2,
       score_rounding=HALF_UP, score_places=2, total_rounding=HALF_UP, total_places=2,
       grade_bands=((90, EXCELLENT), (80, GOOD), (60, FAIR), (0, POOR)),
       over_achievement_ratio=120, light_red_below=60, light_yellow_below=80, light_blue_from=120)
    .weight_of(category: str) -> Decimal          0 when the scheme has no weight for it
    .scoring_category(category: str) -> str       "cost" → "output" when cost has no own weight
    .total_weight -> Decimal                      execution weight + category weights
NATIONAL_SCHEME, COST_VARIANT_SCHEME, HENAN_2023_SCHEME

band_range(band: QualitativeBand | str, weight: Decimal) -> tuple[Decimal, Decimal]
    [low, high] of a band's scores; high is exclusive except for ACHIEVED
IndicatorScore(computed, final, override, override_reason, over_achieved, notes)
indicator_score(*, weight, operator, target, actual, scheme, category="", spent=None,
                band=None, band_score=None, override=None, override_reason="") -> IndicatorScore
meets_target(*, operator, target, actual, scheme, band=None) -> bool
    whether the actual meets the target (a weight-100 probe scores in full); memoised
execution_rate(*, budget: Decimal, executed: Decimal, scheme: Scheme) -> Decimal
execution_score(*, rate: Decimal, scheme: Scheme) -> Decimal
ProjectResult(execution_rate, execution_score, category_scores, category_weights,
              category_rates, total, grade, over_achieved_count)
project_result(*, scheme, budget, executed, indicators) -> ProjectResult
    indicators: iterable of (category, weight, score) where score is a Decimal or an
    IndicatorScore (its final score is used and its over-achievement counted)
review_result(*, scheme, budget, executed, indicators) -> ProjectResult
    财政复核: indicators are (category, weight, unit's final score, reviewed score or None);
    project_result over the reviewed scores where given, the unit's elsewhere
review_difference(self_total: Decimal, review_total: Decimal) -> Decimal
    self − review, exact (positive: the unit scored itself higher)
grade_for(total: Decimal, scheme: Scheme) -> Grade
unit_summary(grades: Iterable[Grade | str]) -> dict[str, int]
    {"evaluated", "excellent", "good", "fair", "poor"}
summary_text(summary: Mapping[str, int], *, required: int | None = None) -> str
weights_check(scheme: Scheme, indicators: Iterable[tuple]) -> tuple[Finding, ...]
    indicators: (category, weight, ...) tuples; errors where a category's weights do not add up
time_progress(month: int) -> Decimal
budget_light(*, rate: Decimal, month: int, scheme: Scheme) -> Light
indicator_light(*, operator, target, value, month, scheme, band=None, pro_rate=True) -> Light | None
worst_light(lights: Iterable[Light | str | None]) -> Light | None

Invalid input from an evaluator (a score outside its band, an override without a reason)
raises ``ValueError`` with a Chinese message meant for that person.

The enumerations (Grade, Light, QualitativeBand, Rounding) and their Chinese labels are defined
here and only here: ``performance.choices`` builds the Django choices from them.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, getcontext, localcontext
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType

from .targets import (
    CATEGORY_LABELS,
    ERROR,
    NEGATIVE_OPERATORS,
    OPERATORS,
    POSITIVE_OPERATORS,
    Finding,
)

__all__ = [
    "BAND_LABELS",
    "CATEGORIES",
    "CATEGORY_LABELS",
    "COST_VARIANT_SCHEME",
    # interim (period) targets
    "EXPECTATION_BASIS_LABELS",
    "GRADE_LABELS",
    "HENAN_2023_SCHEME",
    "LIGHT_LABELS",
    "NATIONAL_SCHEME",
    "PERIOD_ENDS",
    "PERIOD_KIND_LABELS",
    "PERIOD_MODE_LABELS",
    "ROUNDING_LABELS",
    "Expectation",
    "ExpectationBasis",
    "Grade",
    "IndicatorScore",
    "Light",
    "PeriodKind",
    "PeriodMode",
    "PeriodPlan",
    "ProjectResult",
    "QualitativeBand",
    "Rounding",
    "Scheme",
    "band_range",
    "budget_light",
    "describe_expectation",
    "execution_rate",
    "execution_score",
    "expected_to_date",
    "grade_for",
    "indicator_light",
    "indicator_score",
    "meets_target",
    "period_plan_problems",
    "progress_light",
    "project_result",
    "round_to",
    "summary_text",
    "time_progress",
    "unit_summary",
    "weights_check",
    "worst_light",
]

ZERO = Decimal(0)
HUNDRED = Decimal(100)
CATEGORIES = ("fund_management", "cost", "output", "benefit", "satisfaction")


def _dec(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("use Decimal, not float: binary floats do not round like published tables")
    return Decimal(value) if isinstance(value, int) else Decimal(str(value))


class Rounding(StrEnum):
    HALF_UP = "half_up"
    TRUNCATE = "truncate"


ROUNDING_LABELS = {Rounding.HALF_UP: "四舍五入", Rounding.TRUNCATE: "截断（舍去）"}

_DECIMAL_ROUNDING = {Rounding.HALF_UP: ROUND_HALF_UP, Rounding.TRUNCATE: ROUND_DOWN}


def round_to(value: Decimal, places: int, mode: Rounding | str) -> Decimal:
    """Round to ``places`` decimals: half-up, or truncate (toward zero)."""
    rounding = _DECIMAL_ROUNDING.get(mode) or _DECIMAL_ROUNDING[Rounding(mode)]
    value = _dec(value)
    exponent = _EXPONENTS.get(places) or Decimal(1).scaleb(-places)
    needed = max(28, value.adjusted() + places + 2)
    if getcontext().prec >= needed:  # the usual case: no need for a wider local context
        return value.quantize(exponent, rounding=rounding)
    with localcontext() as ctx:
        ctx.prec = needed
        return value.quantize(exponent, rounding=rounding)


_EXPONENTS = {places: Decimal(1).scaleb(-places) for places in range(0, 11)}


class Grade(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


GRADE_LABELS = {Grade.EXCELLENT: "优", Grade.GOOD: "良", Grade.FAIR: "中", Grade.POOR: "差"}


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    BLUE = "blue"


LIGHT_LABELS = {Light.GREEN: "绿灯", Light.YELLOW: "黄灯", Light.RED: "红灯", Light.BLUE: "蓝灯"}
_LIGHT_SEVERITY = {Light.GREEN: 0, Light.BLUE: 1, Light.YELLOW: 2, Light.RED: 3}


class QualitativeBand(StrEnum):
    ACHIEVED = "achieved"
    PARTIAL = "partial"
    NOT_ACHIEVED = "not_achieved"


BAND_LABELS = {
    QualitativeBand.ACHIEVED: "达成",
    QualitativeBand.PARTIAL: "部分达成",
    QualitativeBand.NOT_ACHIEVED: "未达成",
}
_BAND_BOUNDS = {  # share of the weight: [low, high)
    QualitativeBand.ACHIEVED: (Decimal("0.8"), Decimal(1)),
    QualitativeBand.PARTIAL: (Decimal("0.6"), Decimal("0.8")),
    QualitativeBand.NOT_ACHIEVED: (ZERO, Decimal("0.6")),
}
_BAND_DEFAULT_SHARE = {
    QualitativeBand.ACHIEVED: Decimal(1),
    QualitativeBand.PARTIAL: Decimal("0.7"),
    QualitativeBand.NOT_ACHIEVED: ZERO,
}


@dataclass(frozen=True)
class Scheme:
    execution_weight: Decimal
    category_weights: Mapping[str, Decimal]
    rate_rounding: Rounding = Rounding.HALF_UP
    rate_places: int = 2
    score_rounding: Rounding = Rounding.HALF_UP
    score_places: int = 2
    total_rounding: Rounding = Rounding.HALF_UP
    total_places: int = 2
    grade_bands: tuple[tuple[Decimal, Grade], ...] = (
        (Decimal(90), Grade.EXCELLENT),
        (Decimal(80), Grade.GOOD),
        (Decimal(60), Grade.FAIR),
        (ZERO, Grade.POOR),
    )
    over_achievement_ratio: Decimal = Decimal(120)
    light_red_below: Decimal = Decimal(60)
    light_yellow_below: Decimal = Decimal(80)
    light_blue_from: Decimal = Decimal(120)
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Accept ints and strings for convenience; store Decimals and enums only.
        set_ = object.__setattr__
        set_(self, "execution_weight", _dec(self.execution_weight))
        weights = {key: _dec(value) for key, value in self.category_weights.items()}
        set_(self, "category_weights", MappingProxyType(weights))
        for name in ("rate_rounding", "score_rounding", "total_rounding"):
            set_(self, name, Rounding(getattr(self, name)))
        bands = tuple(
            sorted(
                ((_dec(low), Grade(grade)) for low, grade in self.grade_bands),
                key=lambda band: band[0],
                reverse=True,
            )
        )
        set_(self, "grade_bands", bands)
        for name in (
            "over_achievement_ratio",
            "light_red_below",
            "light_yellow_below",
            "light_blue_from",
        ):
            set_(self, name, _dec(getattr(self, name)))
        # Hashable (for memoised engine calls) by value; computed once.
        fields_ = [getattr(self, f.name) for f in dataclasses.fields(self) if f.compare]
        fields_[1] = tuple(sorted(self.category_weights.items()))
        set_(self, "_hash", hash(tuple(fields_)))

    def __hash__(self) -> int:
        return self._hash

    def weight_of(self, category: str) -> Decimal:
        return self.category_weights.get(category, ZERO)

    def scoring_category(self, category: str) -> str:
        """The category an indicator is scored in: 成本 counts inside 产出 without its own weight."""
        if category == "cost" and not self.weight_of("cost"):
            return "output"
        return category

    @property
    def total_weight(self) -> Decimal:
        return self.execution_weight + sum(self.category_weights.values(), ZERO)


NATIONAL_SCHEME = Scheme(
    execution_weight=Decimal(10),
    category_weights={"output": Decimal(50), "benefit": Decimal(30), "satisfaction": Decimal(10)},
)
COST_VARIANT_SCHEME = Scheme(
    execution_weight=Decimal(10),
    category_weights={
        "cost": Decimal(10),
        "output": Decimal(40),
        "benefit": Decimal(30),
        "satisfaction": Decimal(10),
    },
)
HENAN_2023_SCHEME = Scheme(
    execution_weight=Decimal(10),
    category_weights={
        "fund_management": Decimal(10),
        "cost": Decimal(10),
        "output": Decimal(30),
        "benefit": Decimal(30),
        "satisfaction": Decimal(10),
    },
)


# --- indicators ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorScore:
    computed: Decimal
    final: Decimal
    override: Decimal | None = None
    override_reason: str = ""
    over_achieved: bool = False
    notes: tuple[str, ...] = ()


def band_range(band: QualitativeBand | str, weight: Decimal) -> tuple[Decimal, Decimal]:
    """Scores of a qualitative band: [low, high), or [low, high] for 达成."""
    low, high = _BAND_BOUNDS[_band(band)]
    weight = _dec(weight)
    return low * weight, high * weight


def indicator_score(
    *,
    weight: Decimal,
    operator: str | None,
    target: Decimal | None,
    actual: Decimal | None,
    scheme: Scheme,
    category: str = "",
    spent: Decimal | None = None,
    band: QualitativeBand | str | None = None,
    band_score: Decimal | None = None,
    override: Decimal | None = None,
    override_reason: str = "",
) -> IndicatorScore:
    """Score of one indicator (domain.md §5), never below 0 nor above its weight.

    operator None means 定性: the evaluator's band (and optional score inside it) decides.
    """
    weight = _dec(weight)
    if weight < 0:
        raise ValueError(f"指标分值不能为负数（{weight}）")
    if override is not None:
        override = _dec(override)
        if not (override_reason or "").strip():
            raise ValueError("调整指标得分必须填写调整理由")
        if not ZERO <= override <= weight:
            raise ValueError(f"调整后的得分应在 0 至 {weight} 分之间，填写的是 {override}")

    notes: list[str] = []
    over_achieved = False
    if operator is None:
        raw = _qualitative_score(weight, band, band_score, notes)
    elif operator not in OPERATORS:
        raise ValueError(f"无法识别的运算符「{operator}」")
    elif target is None:
        raw = ZERO
        notes.append("目标值缺失或无法读取，得0分")
    elif actual is None:
        raw = ZERO
        notes.append("未填写实际完成值，得0分")
    else:
        target, actual = _dec(target), _dec(actual)
        if operator in POSITIVE_OPERATORS:
            raw = _positive_score(weight, target, actual)
            ratio = scheme.over_achievement_ratio
            if target > 0 and actual * HUNDRED >= target * ratio:
                over_achieved = True
                notes.append(f"实际完成值达到目标值的 {ratio}% 以上，目标值可能设置偏低")
        else:
            raw = _negative_score(weight, target, actual)

    if category == "cost" and spent is not None and _dec(spent) == 0:
        raw = ZERO
        over_achieved = False
        notes.append("项目未发生支出，成本指标不得分")

    computed = min(_score(raw, scheme), weight)
    final = computed if override is None else min(_score(override, scheme), weight)
    if override is not None:
        notes.append(f"得分由 {computed} 调整为 {final}：{override_reason.strip()}")
    return IndicatorScore(
        computed=computed,
        final=final,
        override=override,
        override_reason=(override_reason or "").strip() if override is not None else "",
        over_achieved=over_achieved,
        notes=tuple(notes),
    )


def meets_target(
    *,
    operator: str | None,
    target: Decimal | None,
    actual: Decimal | None,
    scheme: Scheme,
    band: QualitativeBand | str | None = None,
) -> bool:
    """Whether an actual value meets its target — not merely scores less (an unspent 成本 is
    met): a probe indicator of weight 100 scores in full. Memoised: the answer depends only on
    these values, and a province repeats the same few thousand of them."""
    return _meets_target(operator, target, actual, band, scheme)


@lru_cache(maxsize=65536)
def _meets_target(operator, target, actual, band, scheme: Scheme) -> bool:
    probe = indicator_score(
        weight=HUNDRED, operator=operator, target=target, actual=actual, scheme=scheme, band=band
    )
    return probe.computed >= HUNDRED


def _positive_score(weight: Decimal, target: Decimal, actual: Decimal) -> Decimal:
    if actual >= target:
        return weight
    if target <= 0:  # below a zero or negative target: no proportion to apply
        return ZERO
    return _clamp(weight * actual / target, weight)


def _negative_score(weight: Decimal, target: Decimal, actual: Decimal) -> Decimal:
    if actual <= target:
        return weight
    if target <= 0 or actual >= 2 * target:
        return ZERO
    return _clamp(weight * (1 - (actual - target) / target), weight)


def _qualitative_score(
    weight: Decimal,
    band: QualitativeBand | str | None,
    band_score: Decimal | None,
    notes: list[str],
) -> Decimal:
    if band is None and band_score is None:
        notes.append("定性指标未评定完成等级，得0分")
        return ZERO
    if band_score is not None:
        band_score = _dec(band_score)
        if not ZERO <= band_score <= weight:
            raise ValueError(f"定性指标得分应在 0 至 {weight} 分之间，填写的是 {band_score}")
    if band is None:
        band = _band_of(band_score, weight)
    band = _band(band)
    if band_score is None:
        return weight * _BAND_DEFAULT_SHARE[band]
    low, high = band_range(band, weight)
    inside = (
        low <= band_score <= high if band is QualitativeBand.ACHIEVED else low <= band_score < high
    )
    if not inside:
        closing = "]" if band is QualitativeBand.ACHIEVED else ")"
        raise ValueError(
            f"“{BAND_LABELS[band]}”的得分应在 [{_plain(low)}, {_plain(high)}{closing} 之间，"
            f"填写的是 {band_score}"
        )
    return band_score


def _band_of(score: Decimal, weight: Decimal) -> QualitativeBand:
    for band in QualitativeBand:
        low, _ = band_range(band, weight)
        if score >= low:
            return band
    return QualitativeBand.NOT_ACHIEVED


def _band(band: QualitativeBand | str) -> QualitativeBand:
    """A band from its code or its Chinese label."""
    for candidate, label in BAND_LABELS.items():
        if band == label:
            return candidate
    try:
        return QualitativeBand(band)
    except ValueError:
        raise ValueError(f"无法识别的完成等级「{band}」，应为达成、部分达成或未达成") from None


# --- projects ------------------------------------------------------------------------------


def execution_rate(*, budget: Decimal, executed: Decimal, scheme: Scheme) -> Decimal:
    """执行率 as a percentage, rounded per the scheme; 0 when the budget is 0."""
    budget, executed = _dec(budget), _dec(executed)
    if budget == 0:
        return round_to(ZERO, scheme.rate_places, scheme.rate_rounding)
    with localcontext() as ctx:
        ctx.prec = 50
        rate = executed * HUNDRED / budget
    return round_to(rate, scheme.rate_places, scheme.rate_rounding)


def execution_score(*, rate: Decimal, scheme: Scheme) -> Decimal:
    """min(rate, 100%) × execution weight, rounded per the scheme's score rounding."""
    capped = min(max(_dec(rate), ZERO), HUNDRED)
    return _score(capped * scheme.execution_weight / HUNDRED, scheme)


@dataclass(frozen=True)
class ProjectResult:
    execution_rate: Decimal
    execution_score: Decimal
    category_scores: dict[str, Decimal]
    category_weights: dict[str, Decimal]
    category_rates: dict[str, Decimal | None]
    total: Decimal
    grade: Grade
    over_achieved_count: int = 0
    indicator_count: int = 0


def project_result(
    *,
    scheme: Scheme,
    budget: Decimal,
    executed: Decimal,
    indicators: Iterable[tuple[str, Decimal, Decimal | IndicatorScore]],
) -> ProjectResult:
    """Execution rate and score, per-category scores and 得分率, total and grade of a project.

    category_weights are the summed indicator weights per scoring category (what 得分率 is
    measured against); every weighted category of the scheme is present, 0 when empty.
    """
    rate = execution_rate(budget=budget, executed=executed, scheme=scheme)
    exec_score = execution_score(rate=rate, scheme=scheme)
    scores = {category: ZERO for category, weight in scheme.category_weights.items() if weight}
    weights = dict(scores)
    over = count = 0
    for category, weight, score in indicators:
        if isinstance(score, IndicatorScore):
            over += score.over_achieved
            score = score.final
        key = scheme.scoring_category(category)
        scores[key] = scores.get(key, ZERO) + _dec(score)
        weights[key] = weights.get(key, ZERO) + _dec(weight)
        count += 1
    rates: dict[str, Decimal | None] = {}
    for key, weight in weights.items():
        rates[key] = (
            round_to(scores[key] * HUNDRED / weight, scheme.rate_places, scheme.rate_rounding)
            if weight
            else None
        )
    total = round_to(
        exec_score + sum(scores.values(), ZERO), scheme.total_places, scheme.total_rounding
    )
    return ProjectResult(
        execution_rate=rate,
        execution_score=exec_score,
        category_scores=scores,
        category_weights=weights,
        category_rates=rates,
        total=total,
        grade=grade_for(total, scheme),
        over_achieved_count=over,
        indicator_count=count,
    )


def review_result(
    *,
    scheme: Scheme,
    budget: Decimal,
    executed: Decimal,
    indicators: Iterable[tuple[str, Decimal, Decimal | None, Decimal | None]],
) -> ProjectResult:
    """The 复核 (spot check) result: :func:`project_result` with each reviewed score in place of
    the unit's. The execution score is recomputed from the same budget and execution, so it is
    never re-scored (treasury data, not judgement)."""
    substituted = [
        (category, weight, reviewed if reviewed is not None else (own or ZERO))
        for category, weight, own, reviewed in indicators
    ]
    return project_result(scheme=scheme, budget=budget, executed=executed, indicators=substituted)


def review_difference(self_total: Decimal, review_total: Decimal) -> Decimal:
    """Self minus 复核, exact (no rounding): positive means the unit scored itself higher."""
    return _dec(self_total) - _dec(review_total)


def grade_for(total: Decimal, scheme: Scheme) -> Grade:
    """The grade of a total: the first band (highest minimum first) whose minimum it reaches."""
    total = _dec(total)
    for minimum, grade in scheme.grade_bands:
        if total >= minimum:
            return grade
    return scheme.grade_bands[-1][1]


def unit_summary(grades: Iterable[Grade | str]) -> dict[str, int]:
    """Grade counts of a unit's evaluated projects: {"evaluated", "excellent", …, "poor"}."""
    counts = Counter(Grade(grade) for grade in grades)
    return {"evaluated": sum(counts.values()), **{grade.value: counts[grade] for grade in Grade}}


def summary_text(summary: Mapping[str, int], *, required: int | None = None) -> str:
    """The published sentence, e.g. "本单位需绩效自评项目 5 个，实际自评 5 个，4 个项目自评等级为优，…".

    ``required`` is the number of projects that had to be evaluated (default: those evaluated).
    """
    evaluated = summary.get("evaluated", 0)
    required = evaluated if required is None else required
    text = (
        f"本单位需绩效自评项目 {required} 个，实际自评 {evaluated} 个，"
        f"{summary.get('excellent', 0)} 个项目自评等级为优，"
        f"{summary.get('good', 0)} 个项目自评为良，"
        f"{summary.get('fair', 0)} 个项目自评为中"
    )
    if summary.get("poor", 0):
        text += f"，{summary['poor']} 个项目自评为差"
    return text


def weights_check(scheme: Scheme, indicators: Iterable[tuple]) -> tuple[Finding, ...]:
    """Errors where indicator weights of a category do not add up to the scheme's weight."""
    sums: dict[str, Decimal] = {}
    for category, weight, *_ in indicators:
        key = scheme.scoring_category(category)
        sums[key] = sums.get(key, ZERO) + _dec(weight)
    findings = []
    for category, expected in scheme.category_weights.items():
        if not expected:
            continue
        label = CATEGORY_LABELS.get(category, category)
        actual = sums.get(category)
        if actual is None:
            findings.append(
                Finding("category_missing", f"缺少{label}（应占 {_plain(expected)} 分）", ERROR)
            )
        elif actual != expected:
            findings.append(
                Finding(
                    "weights_mismatch",
                    f"{label}下各指标分值合计 {_plain(actual)} 分，应为 {_plain(expected)} 分",
                    ERROR,
                )
            )
    for category, actual in sums.items():
        if not scheme.weight_of(category) and actual:
            label = CATEGORY_LABELS.get(category, category)
            findings.append(
                Finding(
                    "category_not_scored",
                    f"评分方案未给{label}设置分值，其指标的 {_plain(actual)} 分不计入总分",
                    ERROR,
                )
            )
    return tuple(findings)


# --- monitoring lights ---------------------------------------------------------------------


def time_progress(month: int) -> Decimal:
    """时间进度 after ``month`` months, as a percentage with 2 decimals (July → 58.33)."""
    _check_month(month)
    return round_to(Decimal(month) * HUNDRED / 12, 2, Rounding.HALF_UP)


def budget_light(*, rate: Decimal, month: int, scheme: Scheme) -> Light:
    """Execution rate against 时间进度 (exact month/12): red, yellow or green."""
    _check_month(month)
    if month == 0:
        return Light.GREEN
    ratio = _dec(rate) * 12 / month  # rate / (month / 12 × 100) × 100
    if ratio < scheme.light_red_below:
        return Light.RED
    if ratio < scheme.light_yellow_below:
        return Light.YELLOW
    return Light.GREEN


def indicator_light(
    *,
    operator: str | None,
    target: Decimal | None,
    value: Decimal | None,
    month: int,
    scheme: Scheme,
    band: QualitativeBand | str | None = None,
    pro_rate: bool = True,
) -> Light | None:
    """Light of an indicator's value so far; None when it cannot be judged yet.

    正向 values are compared with target × 时间进度 (pass ``pro_rate=False`` for rates and
    percentages that do not accumulate over the year); 反向 values with the full target.
    """
    _check_month(month)
    if operator is None:
        if band is None:
            return None
        return {
            QualitativeBand.ACHIEVED: Light.GREEN,
            QualitativeBand.PARTIAL: Light.YELLOW,
            QualitativeBand.NOT_ACHIEVED: Light.RED,
        }[_band(band)]
    if target is None or value is None or operator not in OPERATORS:
        return None
    target, value = _dec(target), _dec(value)
    if operator in NEGATIVE_OPERATORS:
        return Light.GREEN if value <= target else Light.RED
    expected = target * month / 12 if pro_rate else target
    if expected <= 0:
        return Light.GREEN if value >= expected else Light.RED
    ratio = value * HUNDRED / expected
    if ratio < scheme.light_red_below:
        return Light.RED
    if ratio < scheme.light_yellow_below:
        return Light.YELLOW
    if ratio >= scheme.light_blue_from:
        return Light.BLUE
    return Light.GREEN


def worst_light(lights: Iterable[Light | str | None]) -> Light | None:
    """The most severe light: red > yellow > blue > green; None when there is none."""
    present = [Light(light) for light in lights if light]
    return max(present, key=_LIGHT_SEVERITY.__getitem__, default=None)


# --- interim (period) targets --------------------------------------------------------------


class PeriodKind(StrEnum):
    QUARTER = "quarter"
    HALF = "half"


class PeriodMode(StrEnum):
    CUMULATIVE = "cumulative"  # each value is the total due by the period's end
    PER_PERIOD = "per_period"  # each value is due within its own period


class ExpectationBasis(StrEnum):
    PERIOD = "period"  # the period target of the data month (exact, or 期内折算)
    PRORATED = "prorated"  # no plan: the annual target × 时间进度
    ANNUAL = "annual"  # no plan, 反向 or a percentage: the annual target itself


PERIOD_KIND_LABELS = {PeriodKind.QUARTER: "按季度", PeriodKind.HALF: "按半年"}
PERIOD_MODE_LABELS = {PeriodMode.CUMULATIVE: "累计（截至期末）", PeriodMode.PER_PERIOD: "当期"}
EXPECTATION_BASIS_LABELS = {
    ExpectationBasis.PERIOD: "分期目标",
    ExpectationBasis.PRORATED: "全年目标按时间进度",
    ExpectationBasis.ANNUAL: "全年目标",
}
# The month each period ends in.
PERIOD_ENDS = {PeriodKind.QUARTER: (3, 6, 9, 12), PeriodKind.HALF: (6, 12)}
_PERIOD_NAMES = {
    PeriodKind.QUARTER: ("第1季度", "第2季度", "第3季度", "第4季度"),
    PeriodKind.HALF: ("上半年", "下半年"),
}
PERIOD_TARGET_FIELDS = tuple(f"period_target_{n}" for n in range(1, 5))


@dataclass(frozen=True)
class PeriodPlan:
    """An indicator's period targets as typed: ``values[k]`` for period k+1, in its unit."""

    kind: PeriodKind | str
    mode: PeriodMode | str
    values: tuple[Decimal | None, ...]

    def cumulative(self) -> tuple[Decimal, ...]:
        """The total due by the end of each period (per-period values summed up)."""
        values = [_dec(v) for v in self.values[: len(PERIOD_ENDS[PeriodKind(self.kind)])]]
        if PeriodMode(self.mode) == PeriodMode.CUMULATIVE:
            return tuple(values)
        running, sums = ZERO, []
        for value in values:
            running += value
            sums.append(running)
        return tuple(sums)


@dataclass(frozen=True)
class Expectation:
    """What a value should have reached by a data month, and which target said so.

    ``period`` is the period of the data month (1-based) when a plan was used; ``start`` the
    cumulative target at the start of that period when the month falls inside it (期内折算).
    """

    value: Decimal
    basis: ExpectationBasis
    period: int | None = None
    start: Decimal | None = None
    end: Decimal | None = None


def period_plan_problems(
    *,
    kind: str,
    mode: str,
    values: Iterable[Decimal | None],
    operator: str | None,
    annual: Decimal | None,
    unit: str,
    relative: bool,
) -> dict[str, str]:
    """Field-level Chinese errors of a period plan against its indicator's annual target.

    Empty when the plan is valid or absent (no kind, no mode, no values).
    """
    values = list(values)
    values += [None] * (4 - len(values))
    if not kind and not mode and all(v is None for v in values):
        return {}
    if not kind:
        return {"period_kind": "请选择分期目标：按季度或按半年。"}
    if kind not in PERIOD_ENDS:
        return {"period_kind": f"分期目标「{kind}」无法识别，应为按季度或按半年。"}
    if not mode:
        return {"period_mode": "请选择分期口径：累计或当期。"}
    if mode not in PERIOD_MODE_LABELS:
        return {"period_mode": f"分期口径「{mode}」无法识别，应为累计或当期。"}
    if relative:
        return {"period_kind": "相对上年的指标不能设置分期目标。"}
    if operator is None or annual is None:
        return {"period_kind": "定性指标不能设置分期目标。"}
    count = len(PERIOD_ENDS[PeriodKind(kind)])
    if kind == PeriodKind.HALF and any(v is not None for v in values[2:]):
        return {PERIOD_TARGET_FIELDS[2]: "按半年只能填写第1、2期目标值。"}
    for index, value in enumerate(values[:count]):
        if value is None:
            message = "按季度须填写第1至第4期目标值。"
            if kind == PeriodKind.HALF:
                message = "按半年须填写第1、2期目标值。"
            return {PERIOD_TARGET_FIELDS[index]: message}
        if _dec(value) < 0:
            return {PERIOD_TARGET_FIELDS[index]: f"第{index + 1}期目标值不能为负数。"}
    if unit == "%" and mode != PeriodMode.CUMULATIVE:
        return {"period_mode": "百分比指标只能按累计口径设置分期目标。"}
    plan = PeriodPlan(kind, mode, tuple(values))
    annual = _dec(annual)
    if mode == PeriodMode.CUMULATIVE:
        for index in range(1, count):
            previous, current = _dec(values[index - 1]), _dec(values[index])
            if current < previous:
                return {
                    PERIOD_TARGET_FIELDS[index]: (
                        f"累计口径的分期目标应逐期不减（第{index + 1}期 {_plain(current)} "
                        f"小于第{index}期 {_plain(previous)}）。"
                    )
                }
        last = plan.cumulative()[-1]
        if last != annual:
            return {
                PERIOD_TARGET_FIELDS[count - 1]: (
                    f"第{count}期累计目标 {_plain(last)} 应等于全年目标值 {_plain(annual)}。"
                )
            }
    else:
        total = plan.cumulative()[-1]
        if total != annual:
            return {
                PERIOD_TARGET_FIELDS[count - 1]: (
                    f"当期口径的分期目标合计 {_plain(total)} 应等于全年目标值 {_plain(annual)}。"
                )
            }
    return {}


def expected_to_date(
    *, operator: str | None, target: Decimal | None, unit: str, month: int, plan: PeriodPlan | None
) -> Expectation | None:
    """What a value should have reached after ``month`` months; None for 定性 or unread targets.

    With a plan: the cumulative target of the data month's period (reached linearly inside the
    period when the month is not its end — 期内折算). Without: 正向 non-% targets × month/12,
    else the annual target (today's rule of :func:`indicator_light`).
    """
    _check_month(month)
    if operator is None or target is None or operator not in OPERATORS:
        return None
    target = _dec(target)
    if plan is None:
        if operator in NEGATIVE_OPERATORS or unit == "%":
            return Expectation(target, ExpectationBasis.ANNUAL)
        return Expectation(target * month / 12, ExpectationBasis.PRORATED)
    ends = PERIOD_ENDS[PeriodKind(plan.kind)]
    series = plan.cumulative()
    index = next(k for k, end in enumerate(ends) if month <= end)
    end = ends[index]
    start_month = ends[index - 1] if index else 0
    start = series[index - 1] if index else ZERO
    if month == end:
        return Expectation(series[index], ExpectationBasis.PERIOD, index + 1)
    value = start + (series[index] - start) * (month - start_month) / (end - start_month)
    # stored as compared: 6 places, like every figure of a monitoring entry
    value = round_to(value, 6, Rounding.HALF_UP)
    return Expectation(value, ExpectationBasis.PERIOD, index + 1, start, series[index])


def progress_light(
    *,
    operator: str | None,
    target: Decimal | None,
    unit: str,
    value: Decimal | None,
    month: int,
    scheme: Scheme,
    band: QualitativeBand | str | None = None,
    plan: PeriodPlan | None = None,
) -> tuple[Light | None, Expectation | None]:
    """An indicator's monitoring light and the expectation it was judged against.

    Without a plan the light is exactly :func:`indicator_light`'s (rates and percentages are
    not pro-rated); with one, the value is compared with the period target of the data month.
    """
    expectation = expected_to_date(
        operator=operator, target=target, unit=unit, month=month, plan=plan
    )
    if plan is None or expectation is None:
        light = indicator_light(
            operator=operator,
            target=target,
            value=value,
            month=month,
            scheme=scheme,
            band=band,
            pro_rate=unit != "%",
        )
        return light, expectation
    light = indicator_light(
        operator=operator,
        target=expectation.value,
        value=value,
        month=month,
        scheme=scheme,
        band=band,
        pro_rate=False,
    )
    return light, expectation


def describe_expectation(
    *,
    basis: ExpectationBasis | str,
    value: Decimal | None,
    period: int | None,
    month: int,
    operator: str | None,
    target: Decimal | None,
    unit: str,
    plan: PeriodPlan | None = None,
) -> str:
    """The Chinese text saying what a monitoring value was compared with.

    "第2季度累计目标 50个", "第3季度目标期内折算 60个（第2季度末 50 → 第3季度末 80）",
    "全年目标 100个 × 时间进度 50% = 50个", "全年目标 ≤14.48万元".
    """
    if not basis or value is None:
        return ""
    basis = ExpectationBasis(basis)
    shown = f"{_plain(round_to(_dec(value), 2, Rounding.HALF_UP))}{unit}"
    if basis == ExpectationBasis.ANNUAL:
        return f"全年目标 {_SYMBOLS.get(operator or '', '')}{_plain(_dec(value))}{unit}"
    if basis == ExpectationBasis.PRORATED:
        progress = _plain(time_progress(month))
        return f"全年目标 {_plain(_dec(target))}{unit} × 时间进度 {progress}% = {shown}"
    if plan is None or not period:
        return f"第{period or '?'}期目标 {shown}"
    names = _PERIOD_NAMES[PeriodKind(plan.kind)]
    name = names[period - 1]
    series = plan.cumulative()
    if month == PERIOD_ENDS[PeriodKind(plan.kind)][period - 1]:
        label = "累计目标" if plan.mode == PeriodMode.CUMULATIVE else "末各期目标合计"
        return f"{name}{label} {shown}"
    start = series[period - 2] if period > 1 else ZERO
    previous = f"{names[period - 2]}末" if period > 1 else "期初"
    return (
        f"{name}目标期内折算 {shown}（{previous} {_plain(start)} → "
        f"{name}末 {_plain(series[period - 1])}）"
    )


_SYMBOLS = {">=": "≥", ">": "＞", "=": "＝", "<": "＜", "<=": "≤"}


# --- helpers -------------------------------------------------------------------------------


def _score(value: Decimal, scheme: Scheme) -> Decimal:
    return round_to(max(value, ZERO), scheme.score_places, scheme.score_rounding)


def _clamp(value: Decimal, weight: Decimal) -> Decimal:
    return min(max(value, ZERO), weight)


def _plain(value: Decimal) -> str:
    value = _dec(value)
    return format(value.normalize(), "f") if value != value.to_integral_value() else f"{value:.0f}"


def _check_month(month: int) -> None:
    if not isinstance(month, int) or not 0 <= month <= 12:
        raise ValueError(f"月份应为 0 至 12 之间的整数，收到 {month!r}")
