"""Read 指标值 (target values) as budget units type them. Pure Python, no Django.

A target value is kept as the raw text plus a reading of it: operator, value and unit in
canonical form, its kind, and findings for a person to act on. Nothing here raises on user
text and nothing is guessed silently: what cannot be read safely carries an error finding.

Public interface
----------------
OPERATORS = (">=", ">", "=", "<", "<=")
QUALITATIVE_WORDS: frozenset[str]       lexicon of qualitative target words (及时, 明显, 有效保障…)
CATEGORY_LABELS: dict[str, str]         category code → Chinese 一级 name
LEVEL2_NAMES: dict[str, tuple[str, ...]]  known 二级 names per category (both frameworks)

Finding(code: str, message: str, severity: str)       severity is "error" or "warning"
Target(raw, operator, value, unit, kind, findings, relative_to=None)
    .direction -> str       "positive" (>=, >, =), "negative" (<=, <) or "qualitative"
    .is_readable -> bool    no error findings

parse_target(text: str | None, *, level1: str | None = None,
             previous_value: Decimal | None = None) -> Target
format_target(target: Target) -> str
parse_actual(text: str | None, *, target: Target) -> tuple[Decimal | None, tuple[Finding, ...]]
to_canonical(value: Decimal, unit: str) -> tuple[Decimal, str]
category_of(level1: str | None) -> str
normalize_level2(level1: str | None, level2: str | None) -> tuple[str, tuple[Finding, ...]]
wording_category(level3: str | None, target_unit: str = "") -> str | None
    "satisfaction", "cost" or "timeliness" when a 三级 name's wording says so, else None

Readings
--------
- kind "quantitative": operator in OPERATORS, value in the canonical unit. Money is in 万元
  (元, 千元, 亿元 converted), percentages in "%", counts in their base unit (万人 → 人 ×10000).
  A bare value (``100%``, ``15人``) reads as "=" (scored like 正向), except on a 成本 indicator
  (level1 category "cost"), where a bare amount is a ceiling "<=".
- kind "relative": ``不低于上年`` and the like; relative_to "previous_year"; value is
  previous_value when given, else None with the warning "relative_unresolved".
- kind "qualitative": operator and value None (及时, 明显, 顺利开展…).
- Chinese numerals are read like Arabic ones, the raw text kept: ``百分之X`` anywhere
  (百分之百 → 100%, 百分之九十五以上 → ≥95%), and a count numeral (0–9999, 点 decimals) in the
  leading position before a known unit (一条, 三台, 十个, 不少于三个, 二十五万人). Inside a label a
  numeral stays text (网络专线一条: narrative; 一站式, 十分满意: words).
- Unreadable text (any error finding): operator None, value None, unit "", kind the best
  guess of what the cell meant ("quantitative" when it holds a number or an operator).

Finding codes
-------------
errors:   empty, multiple_values, narrative, operator_without_number, conflicting_operators,
          ambiguous_scale, invalid_number, relative_change, incompatible_unit (actuals),
          qualitative_target (actuals), internal_error (a bug: reported, never raised)
warnings: relative_unresolved, qualitative_sentence, extra_text, unknown_unit, missing_unit,
          odd_operator, operator_in_actual, unit_not_in_target,
          level2_missing, level2_normalised, level2_unknown, level2_mismatch
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, localcontext
from functools import lru_cache

OPERATORS = (">=", ">", "=", "<", "<=")

ERROR = "error"
WARNING = "warning"
QUANTITATIVE = "quantitative"
QUALITATIVE = "qualitative"
RELATIVE = "relative"
PREVIOUS_YEAR = "previous_year"

POSITIVE_OPERATORS = (">=", ">", "=")
NEGATIVE_OPERATORS = ("<=", "<")
OPERATOR_SYMBOLS = {">=": "≥", ">": "＞", "=": "＝", "<": "＜", "<=": "≤"}

CATEGORY_LABELS = {
    "fund_management": "资金管理指标",
    "cost": "成本指标",
    "output": "产出指标",
    "benefit": "效益指标",
    "satisfaction": "满意度指标",
    "input": "投入管理指标",
    "other": "其他",
}


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    severity: str


@dataclass(frozen=True)
class Target:
    raw: str
    operator: str | None
    value: Decimal | None
    unit: str
    kind: str
    findings: tuple[Finding, ...]
    relative_to: str | None = None

    @property
    def direction(self) -> str:
        if self.operator in POSITIVE_OPERATORS:
            return "positive"
        if self.operator in NEGATIVE_OPERATORS:
            return "negative"
        return "qualitative"

    @property
    def is_readable(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)


# --- lexicons ------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


QUALITATIVE_WORDS = frozenset(
    _words(
        """
    及时 及时足额 足额 按时 按期 按时完成 按期完成 如期 如期完成 准时
    明显 显著 显著提高 显著提升 显著改善 明显提高 明显提升 明显改善 明显增强 大幅提升 大幅提高
    有效 有效保障 有效缓解 有效提升 有效提高 有效改善 有效推进 有效落实 有效控制 有效运行
    顺利 顺利开展 顺利完成 顺利推进 顺利实施 完成 全面完成 圆满完成 全面推进
    运行正常 正常运行 正常 稳定运行 平稳运行 正常开展
    相关 合规 完整 科学 合理 真实 健全 公开 规范 准确 安全 达标 到位 落实 有序 规范有序
    有保障 保障 得到保障 缓解 完善 进一步完善 逐步完善 不断完善 健全完善
    稳定 平稳 持续 不断 逐步 进一步 基本 全面 切实 持续稳定 稳步
    提高 提升 改善 增强 加强 增加 促进 推动 降低 减少 减轻 下降 好转
    良好 较好 优良 优秀 较高 很高 高 优 良 好 是 高效 便捷 畅通 清晰 明确 完备 充分 积极
    满意 基本满意 较满意 非常满意 符合 符合要求 符合标准 符合规定 达到预期 达到要求 预期 预期目标
    有所 得到 保持 确保 长期 可持续 长效 发挥 作用 效果 成效 显现
    """
    )
)

# Joining characters allowed between qualitative words ("及时、准确").
_CONNECTORS = frozenset("、,;.!?/和与及并且又")

_COUNT_UNITS = _words(
    "人 人次 户 家 个 项 份 件 批 根 条 台 套 组 列 次 场 期 名 所 座 辆 本 册 张 篇 部 间 处 块 只 "
    "头 株 棵 吨 公斤 千克 平方米 亩 公顷 公里 千米 米 天 日 周 月 年 小时 分钟 工作日 季度 课时 "
    "学时 床 宗 笔 卷 盒 箱 门 类 轮 栋 幢 户次 人月 人天"
)

_MONEY_SCALES = (
    ("", "0.0001"),
    ("千", "0.1"),
    ("万", "1"),
    ("百万", "100"),
    ("千万", "1000"),
    ("亿", "10000"),
)
# unit text → (canonical unit, factor into the canonical unit)
_UNIT_TABLE: dict[str, tuple[str, Decimal]] = {}
for _unit in _COUNT_UNITS:
    _UNIT_TABLE[_unit] = (_unit, Decimal(1))
    _UNIT_TABLE["万" + _unit] = (_unit, Decimal(10000))
    _UNIT_TABLE["亿" + _unit] = (_unit, Decimal(100000000))
_UNIT_TABLE.update(
    {
        **{f"个{unit}": (unit, Decimal(1)) for unit in ("月", "工作日", "小时", "季度")},
        **{f"{scale}元": ("万元", Decimal(factor)) for scale, factor in _MONEY_SCALES},
        "%": ("%", Decimal(1)),
        "‰": ("%", Decimal("0.1")),
        "个百分点": ("%", Decimal(1)),
        "百分点": ("%", Decimal(1)),
    }
)
_UNITS_LONGEST_FIRST = sorted(_UNIT_TABLE, key=len, reverse=True)
_UNITS_BY_FIRST: dict[str, tuple[str, ...]] = {}  # first character → units, longest first
for _unit in _UNITS_LONGEST_FIRST:
    _UNITS_BY_FIRST[_unit[0]] = (*_UNITS_BY_FIRST.get(_unit[0], ()), _unit)
_SCALES = {"万": Decimal(10000), "亿": Decimal(100000000)}


def _phrases(**by_operator: str) -> dict[str, str]:
    """{phrase: operator} from space-separated phrases per operator name."""
    names = {"ge": ">=", "gt": ">", "eq": "=", "lt": "<", "le": "<="}
    return {
        phrase: names[name] for name, phrases in by_operator.items() for phrase in phrases.split()
    }


# Operator phrases written before the number ("不少于3个") ...
_PREFIX_PHRASES = _phrases(
    ge="大于等于 大于或等于 不小于 不少于 不低于 不得少于 不得低于 至少 最少 最低",
    gt="大于 超过 高于 多于",
    le="小于等于 小于或等于 不大于 不超过 不高于 不多于 不得超过 不得高于 不得多于 最多 至多 最高 "
    "控制在 控制于 限制在",
    lt="小于 低于 少于",
    eq="等于 落实到 达到 保持在",
)
# ... and after it ("90%以上", "5天以内", "12月底前").
_SUFFIX_PHRASES = _phrases(
    ge="及以上 或以上 以上",
    le="及以下 或以下 以下 以内 之内 内 底前 之前 以前 前",
    eq="左右",
)
# Operator words of relative targets ("较上年有所提高").
_RELATIVE_PHRASES = {
    **_PREFIX_PHRASES,
    **_phrases(
        ge="不降低 不下降 不减少",
        gt="提高 提升 增长 增加 上升 改善",
        lt="下降 降低 减少",
        eq="持平 保持 相当",
    ),
}
_RELATIVE_FILLERS = _words("水平 同期 实际 标准 数值 数 值 的 较 比 与 有所 和")
_RELATIVE_TEXT = {
    ">=": "不低于上年",
    ">": "高于上年",
    "=": "与上年持平",
    "<=": "不高于上年",
    "<": "低于上年",
}


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_PREFIX_RE = re.compile(_alternation(_PREFIX_PHRASES))
_RELATIVE_OPS_RE = re.compile(_alternation(_RELATIVE_PHRASES))
_SYMBOL_RUN_RE = re.compile(r"[<>=≥≤≠]+")
_NUMBER_RE = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?")
_DIGIT_RE = re.compile(r"[0-9]")
_REFERENCE_RE = re.compile(r"(?:上一?年|去年|前一年)度?")
_DATE_RE = re.compile(r"(?:19|20)[0-9]{2}年|[0-9]{1,2}月[0-9]{1,2}[日号]")
_CN_COUNT_RE = re.compile("([零一二两三四五六七八九十百千]+)(" + _alternation(_COUNT_UNITS) + ")")
_UNIT_RUN_RE = re.compile(r"[A-Za-z\u4e00-\u9fff]+")
_PLACEHOLDER_RE = re.compile(r"[-—_/\\·*.]+|无|空|暂无|N/?A|null|None", re.IGNORECASE)
_MAX_DIGITS = 24
_SUFFIXES_LONGEST_FIRST = sorted(_SUFFIX_PHRASES, key=len, reverse=True)
_WELL_FORMED = {">", ">=", "=>", "≥", "<", "<=", "=<", "≤", "="}
_MAX_WORD = max(len(w) for w in QUALITATIVE_WORDS)
_EDGE_PUNCTUATION = " \t\r\n,;:、。!?"

_TRANSLATION = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}  # full-width ASCII
_TRANSLATION.update(
    str.maketrans("\u3000≧⩾≦⩽﹥﹤﹦−–﹣〜", " ≥≥≤≤><=---~", "\u200b\u200c\u200d\u2060\ufeff")
)
_CN_DIGITS = dict(zip("一二两三四五六七八九", (1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_CN_ZEROS = "零〇"
_CN_PLACES = {"十": 10, "百": 100, "千": 1000}
_CN_NUMERAL = "[零〇一二两三四五六七八九十百千]+(?:点[零〇一二三四五六七八九]+)?"
_CN_NUMERAL_CHARS = frozenset("零〇一二两三四五六七八九十百千")
_CN_PERCENT_RE = re.compile(f"百分之({_CN_NUMERAL})")
_CN_LEADING_RE = re.compile(f"((?:[<>=≥≤]|{_alternation(_PREFIX_PHRASES)})*)({_CN_NUMERAL})")


# --- Chinese numerals (a pre-pass; the raw text is never changed) -----------------------------


def _cn_integer(text: str) -> int | None:
    """0–9999 written with 千/百/十 places (两 = 2, a leading 十 = 10, 零 as a place filler);
    None for anything else ("一二三", "三百五": a word or an abbreviation, not a number)."""
    total, pending, last_place, after_zero = 0, None, 10000, False
    for position, char in enumerate(text):
        if char in _CN_DIGITS:
            if pending is not None:
                return None
            pending = _CN_DIGITS[char]
        elif char in _CN_ZEROS:
            if pending is not None or after_zero or (position == 0 and len(text) > 1):
                return None
            after_zero = True
            if len(text) == 1:
                return 0
        elif char in _CN_PLACES:
            place = _CN_PLACES[char]
            if place >= last_place:
                return None
            if pending is None:
                if not (char == "十" and position == 0):
                    return None
                pending = 1
            total, pending, last_place, after_zero = total + pending * place, None, place, False
        else:
            return None
    if after_zero and pending is None:
        return None  # "一百零"
    if pending is not None:
        if last_place > 10 and last_place != 10000 and not after_zero:
            return None  # "三百五" (350 or 305?) is not read
        total += pending
    return total


def _cn_number(text: str) -> str | None:
    """Arabic digits of a Chinese numeral ("九十五" → "95", "三点五" → "3.5"), or None."""
    whole, _, fraction = text.partition("点")
    value = 100 if whole == "百" else _cn_integer(whole)  # "百分之百"
    if value is None:
        return None
    if not fraction:
        return str(value)
    digits = "".join(str(_CN_DIGITS.get(c, 0)) for c in fraction)
    return f"{value}.{digits}"


def _read_chinese_numbers(compact: str) -> str:
    """Compact text with the numerals a reader would read as numbers in Arabic digits.

    ``百分之X`` anywhere becomes ``X%``; a count numeral is read only in the leading position
    (after operator words or symbols), followed by a known unit and nothing but a suffix
    operator ("不少于三个", "十个", "二十五万人", "三点五万元"). Inside a label a 一 is usually
    a word ("一站式", "网络专线一条"), so everything else is left as written."""
    if not _CN_NUMERAL_CHARS.intersection(compact):
        return compact

    def percent(match: re.Match) -> str:
        number = _cn_number(match.group(1))
        return match.group() if number is None else f"{number}%"

    compact = _CN_PERCENT_RE.sub(percent, compact)
    leading = _CN_LEADING_RE.match(compact)
    if leading is None or not leading.group(2):
        return compact
    rest = compact[leading.end() :]
    unit = _known_unit(rest)
    if not unit:
        return compact
    after = rest[len(unit) :]
    if after and after not in _SUFFIX_PHRASES:
        return compact
    number = _cn_number(leading.group(2))
    if number is None:
        return compact
    return leading.group(1) + number + rest


# --- public functions ----------------------------------------------------------------------


def parse_target(
    text: str | None, *, level1: str | None = None, previous_value: Decimal | None = None
) -> Target:
    """Read one 指标值 cell; never raises, never guesses silently (see the module docstring)."""
    raw, category = _raw_text(text), category_of(level1)
    if previous_value is not None:  # Decimal("5") == Decimal("5.0"): keep the caller's value
        return _parse_target_uncached(raw, category, previous_value)
    return _parse_target_cached(raw, category)


# Readings are immutable and depend only on the arguments: imports and recomputes meet the
# same few thousand texts again and again, so each is read once per process.
@lru_cache(maxsize=65536)
def _parse_target_cached(raw: str, category: str) -> Target:
    return _parse_target_uncached(raw, category, None)


def _parse_target_uncached(raw: str, category: str, previous_value: Decimal | None) -> Target:
    try:
        return _parse_target(raw, category, previous_value)
    except Exception:  # a bug must not break an import; the finding makes it visible
        return _unreadable(raw, QUALITATIVE, "internal_error")


def format_target(target: Target) -> str:
    """Canonical text of a target ("≥250000人", "≤14.48万元", "≥90%", "不低于上年", "及时")."""
    if not target.is_readable:
        return target.raw
    if target.kind == RELATIVE:
        return _RELATIVE_TEXT.get(target.operator or "=", target.raw)
    if target.kind == QUALITATIVE or target.operator is None or target.value is None:
        return target.raw.strip()
    return _format_parts(target.operator, target.value, target.unit)


def parse_actual(text: str | None, *, target: Target) -> tuple[Decimal | None, tuple[Finding, ...]]:
    """Read an actual or monitoring value ("26.17万元", "4,200", "2.5万人") in target.unit.

    Bare numbers take the target's unit; an incompatible unit gives an error and no value.
    """
    return _parse_actual_cached(_raw_text(text), target.kind, target.unit)


@lru_cache(maxsize=65536)
def _parse_actual_cached(raw: str, kind: str, wanted: str) -> tuple[Decimal | None, tuple]:
    """An actual value's reading depends only on the text and the target's kind and unit."""
    try:
        return _parse_actual(raw, kind, wanted)
    except Exception:  # see parse_target
        return None, (_finding("internal_error", ERROR, raw, "actual_internal_error"),)


def to_canonical(value: Decimal, unit: str) -> tuple[Decimal, str]:
    """Convert a value to its canonical unit: 元/亿元/"万" (money) → 万元, 万人 → 人, ‰ → %.

    Units the module does not know are returned unchanged.
    """
    if unit in _SCALES:  # a bare 万/亿 on money
        canonical, factor = "万元", _SCALES[unit] / Decimal(10000)
    elif unit in _UNIT_TABLE:
        canonical, factor = _UNIT_TABLE[unit]
    else:
        return value, unit
    return _scaled(_decimal(value), factor), canonical


def canonical_unit(unit: str | None) -> str | None:
    """The canonical spelling of a unit the parser knows (元 → 万元, 万人 → 人, ‰ → %), or
    ``None`` for a unit it cannot read (the indicator library refuses those)."""
    text = _normalize(unit or "").strip()
    if text in _SCALES:
        return "万元"
    if text in _UNIT_TABLE:
        return _UNIT_TABLE[text][0]
    return None


@lru_cache(maxsize=4096)  # a handful of 一级 spellings, read for every row of an import
def category_of(level1: str | None) -> str:
    """Scoring category of a 一级 name, loosely spelt ("产出指标", "产出", "成本指标（一级）")."""
    if not level1:
        return "other"
    name = "".join(_normalize(level1).split())
    if "资金管理" in name:
        return "fund_management"
    if "成本" in name:
        return "cost"
    if "产出" in name:
        return "output"
    if "效益" in name or "效果" in name:
        return "benefit"
    if "满意" in name:
        return "satisfaction"
    if "投入" in name or "管理" in name:
        return "input"
    return "other"


LEVEL2_NAMES: dict[str, tuple[str, ...]] = {
    "output": ("数量指标", "质量指标", "时效指标", "成本指标", "重点工作任务完成", "履职目标实现"),
    "cost": ("经济成本指标", "社会成本指标", "生态环境成本指标"),
    "benefit": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标", "履职效益"),
    "satisfaction": ("服务对象满意度指标", "满意度"),
    "input": ("工作目标管理", "预算和财务管理", "绩效管理"),
    # Henan's project self-evaluation scores 资金管理情况 as its own part (seed 002).
    "fund_management": ("资金管理", "资金使用", "财务管理", "预算执行"),
}
_LEVEL2_ALIASES = {
    "可持续发展影响指标": "可持续影响指标",
    "可持续发展影响": "可持续影响指标",
    "可持续发展指标": "可持续影响指标",
    "生态环境效益指标": "生态效益指标",
    "环境效益指标": "生态效益指标",
    "生态成本指标": "生态环境成本指标",
    "环境成本指标": "生态环境成本指标",
    "时效性指标": "时效指标",
    "预算与财务管理": "预算和财务管理",
    "预算及财务管理": "预算和财务管理",
}
for _names in LEVEL2_NAMES.values():
    for _name in _names:
        if _name.endswith("指标"):
            _LEVEL2_ALIASES.setdefault(_name[:-2], _name)  # "数量" → "数量指标"
            _LEVEL2_ALIASES.setdefault(_name[:-2] + "目标", _name)  # "质量目标" → "质量指标"


_LEVEL2_CATEGORY: dict[str, set[str]] = {}
for _category, _names in LEVEL2_NAMES.items():
    for _name in _names:
        _LEVEL2_CATEGORY.setdefault(_name, set()).add(_category)


@lru_cache(maxsize=16384)  # the answer is immutable and depends only on the two names
def normalize_level2(level1: str | None, level2: str | None) -> tuple[str, tuple[Finding, ...]]:
    """Known 二级 name for a loosely spelt one, with warnings; unknown names are kept as typed."""
    name = "".join(_normalize(level2 or "").split())
    if not name:
        return "", (Finding("level2_missing", "二级指标未填写", WARNING),)
    findings = []
    if name not in _LEVEL2_CATEGORY and name in _LEVEL2_ALIASES:
        canonical = _LEVEL2_ALIASES[name]
        findings.append(
            Finding("level2_normalised", f"二级指标「{name}」已规范为「{canonical}」", WARNING)
        )
        name = canonical
    if name not in _LEVEL2_CATEGORY:
        findings.append(
            Finding("level2_unknown", f"二级指标「{name}」不是常用的二级指标名称，请确认", WARNING)
        )
        return name, tuple(findings)
    category = category_of(level1)
    if level1 and category in LEVEL2_NAMES and category not in _LEVEL2_CATEGORY[name]:
        findings.append(
            Finding(
                "level2_mismatch",
                f"二级指标「{name}」通常不属于一级指标「{_normalize(level1)}」，请确认",
                WARNING,
            )
        )
    return name, tuple(findings)


# --- messages ------------------------------------------------------------------------------

# Every finding's text, by message key (the code unless noted). {raw} is the quoted cell.
_MESSAGES = {
    "empty": "指标值未填写",
    "multiple_values": "指标值「{raw}」中有多个值（{shown}），一个指标只能填写一个目标值，请保留其一",
    "multiple_numbers": "指标值「{raw}」中有多个数字，一个指标只能填写一个目标值"
    "（区间请只写下限或上限）",
    "narrative": "指标值「{raw}」是一段说明文字，不是可衡量的目标值；请填写运算符、数值和单位"
    "（如“≥1条”“≥90%”），或简短的定性值（如“及时”“明显”）",
    "date": "指标值「{raw}」是时间安排的描述，不是可衡量的目标值；请写成可衡量的值（如“≤12月”“100%”）",
    "chinese_numeral": "指标值「{raw}」中的数量用汉字书写，无法计分；请改用运算符和阿拉伯数字"
    "（如“{example}”）",
    "operator_without_number": "指标值「{raw}」只有运算符，缺少数值，请补充（如“≥90%”）",
    "conflicting_operators": "指标值「{raw}」中的运算符相互矛盾，请只保留一个",
    "ambiguous_scale": "指标值「{raw}」只写了“{scale}”，无法判断是金额（万元）还是数量（如万人）；"
    "请写明单位",
    "invalid_number": "指标值「{raw}」中的数字过长，无法读取",
    "relative_change": "指标值「{raw}」是相对上年的变化幅度，无法直接计分；请换算为具体目标值（如“≥95%”）",
    "internal_error": "指标值「{raw}」无法读取，请检查后重新填写",
    "relative_unresolved": "指标值「{raw}」以上年实际值为目标，上年实际值尚未取得，补充后才能计分",
    "qualitative_sentence": "指标值「{raw}」是一段描述，已按定性指标处理；建议改为简短的定性值"
    "（如“明显”“良好”）",
    "extra_text": "指标值「{raw}」中的「{extra}」不属于目标值，已按「{canonical}」读取，请确认",
    "unknown_unit": "指标值「{raw}」的计量单位「{unit}」不在常用单位表中，请确认",
    "missing_unit": "指标值「{raw}」未写计量单位，请补充",
    "odd_operator": "指标值「{raw}」的运算符书写不规范，已按「{canonical}」读取",
    # actual values
    "actual_empty": "实际值未填写",
    "actual_internal_error": "实际值「{raw}」无法读取，请检查",
    "actual_no_number": "实际值「{raw}」中没有数值，请填写数字（如“4200”）",
    "actual_multiple": "实际值「{raw}」中有多个数字，请只填写一个实际值",
    "actual_invalid_number": "实际值「{raw}」中的数字过长，无法读取",
    "qualitative_target": "定性指标不填写数值（收到「{raw}」），请选择完成等级：达成、部分达成或未达成",
    "operator_in_actual": "实际值「{raw}」不应带运算符，已按数值 {number} 读取",
    "actual_extra_text": "实际值「{raw}」中的「{extra}」不属于数值，已忽略，请确认",
    "incompatible_unit": "实际值「{raw}」的单位「{unit}」与目标值单位「{wanted}」不一致，无法换算，"
    "请按目标值的单位填写",
    "unit_not_in_target": "目标值未写单位，实际值「{raw}」按「{unit}」读取",
}


def _finding(code: str, severity: str, raw: str, key: str = "", **values: str) -> Finding:
    return Finding(code, _MESSAGES[key or code].format(raw=_quote(raw), **values), severity)


def _unreadable(raw: str, kind: str, code: str, key: str = "", **values: str) -> Target:
    """What cannot be read safely: nothing read, one error finding."""
    finding = _finding(code, ERROR, raw, key, **values)
    return Target(raw=raw, operator=None, value=None, unit="", kind=kind, findings=(finding,))


# --- target parsing ------------------------------------------------------------------------


def _parse_target(raw: str, category: str, previous_value: Decimal | None) -> Target:
    text = _normalize(raw)
    compact = _read_chinese_numbers("".join(text.split()))
    if not compact or _PLACEHOLDER_RE.fullmatch(compact):
        return _unreadable(raw, QUALITATIVE, "empty")

    # Values separated by spaces ("≥95% 100%", "顺利开展 明显") are two values, not one.
    parts = text.split()
    if len(parts) > 1 and compact not in QUALITATIVE_WORDS:
        values = [p for p in parts if _DIGIT_RE.search(p) or _is_pure_qualitative(p)]
        if len(values) > 1:
            kind = QUANTITATIVE if any(_DIGIT_RE.search(p) for p in values) else QUALITATIVE
            shown = "、".join(f"「{p}」" for p in values)
            return _unreadable(raw, kind, "multiple_values", shown=shown)

    if _REFERENCE_RE.search(compact):
        return _parse_relative(raw, compact, previous_value)
    if not _DIGIT_RE.search(compact):
        return _parse_without_number(raw, compact)

    split = _split_number(compact)
    if split == "invalid":
        return _unreadable(raw, QUANTITATIVE, "invalid_number")
    if split == "multiple":
        if _DATE_RE.search(compact):  # "2022年12月31日前完成"
            return _unreadable(raw, QUANTITATIVE, "narrative", "date")
        return _unreadable(raw, QUANTITATIVE, "multiple_values", "multiple_numbers")
    number, prefix, rest = split

    ops, odd, label = _prefix_operators(prefix)
    quantity = _read_unit(rest)
    is_year = quantity.unit == "年" and 1900 <= number <= 2100 and number % 1 == 0
    if is_year and quantity.after_unit:  # "2021年度按月实施", "2022年底前完成"
        return _unreadable(raw, QUANTITATIVE, "narrative", "date")

    operator, conflict, mixed = _combine(ops + list(quantity.ops))
    if conflict:
        return _unreadable(raw, QUANTITATIVE, "conflicting_operators")
    if operator is None:  # a bare value: reach it, or on a cost indicator stay below it
        operator = "<=" if category == "cost" else "="

    warnings = []
    if quantity.scale:
        if category != "cost":
            return _unreadable(raw, QUANTITATIVE, "ambiguous_scale", scale=quantity.scale)
        value, unit = to_canonical(number, quantity.scale)
    elif quantity.unit:
        value, unit = to_canonical(number, quantity.unit)
    else:
        value, unit = _clean(number), quantity.unknown_unit
        code = "unknown_unit" if unit else "missing_unit"
        warnings.append(_finding(code, WARNING, raw, unit=unit))

    canonical = _format_parts(operator, value, unit)
    if odd or mixed:
        warnings.insert(0, _finding("odd_operator", WARNING, raw, canonical=canonical))
    extra = label + quantity.leftover
    if extra:
        warnings.append(_finding("extra_text", WARNING, raw, extra=extra, canonical=canonical))
    return Target(raw, operator, value, unit, QUANTITATIVE, tuple(warnings))


def _parse_relative(raw: str, compact: str, previous_value: Decimal | None) -> Target:
    if _DIGIT_RE.search(compact):
        return _unreadable(raw, RELATIVE, "relative_change")
    ops: list[str] = []
    rest = _REFERENCE_RE.sub("", compact)
    rest = _RELATIVE_OPS_RE.sub(lambda m: ops.append(_RELATIVE_PHRASES[m.group()]) or "", rest)
    symbol_ops, odd, rest = _symbol_operators(rest)
    operator, conflict, _ = _combine(ops + symbol_ops)
    if conflict:
        return _unreadable(raw, RELATIVE, "conflicting_operators")
    operator = operator or "="
    canonical = _RELATIVE_TEXT[operator]
    for filler in _RELATIVE_FILLERS:
        rest = rest.replace(filler, "")
    rest = rest.strip(_EDGE_PUNCTUATION)

    findings = []
    if odd:
        findings.append(_finding("odd_operator", WARNING, raw, canonical=canonical))
    if rest:
        findings.append(_finding("extra_text", WARNING, raw, extra=rest, canonical=canonical))
    value = None
    if previous_value is not None:
        value = _clean(_decimal(previous_value))
    else:
        findings.append(_finding("relative_unresolved", WARNING, raw))
    return Target(raw, operator, value, "", RELATIVE, tuple(findings), PREVIOUS_YEAR)


def _parse_without_number(raw: str, compact: str) -> Target:
    ops, _, leftover = _prefix_operators(compact)
    if _SYMBOL_RUN_RE.search(compact) or (ops and (not leftover or leftover in _UNIT_TABLE)):
        return _unreadable(raw, QUANTITATIVE, "operator_without_number")
    pure = _is_pure_qualitative(compact)
    counted = _CN_COUNT_RE.search(compact)
    if counted and not pure:  # "网络专线一条"
        digits, unit = counted.groups()
        symbol = OPERATOR_SYMBOLS[_combine(ops)[0] or "="]
        example = f"{symbol}{_CN_DIGITS.get(digits, 1)}{unit}"
        return _unreadable(raw, QUANTITATIVE, "narrative", "chinese_numeral", example=example)
    if pure:
        return Target(raw, None, None, "", QUALITATIVE, ())
    if any(word in compact for word in QUALITATIVE_WORDS if len(word) > 1):
        return Target(
            raw, None, None, "", QUALITATIVE, (_finding("qualitative_sentence", WARNING, raw),)
        )
    return _unreadable(raw, QUALITATIVE, "narrative")


def _split_number(compact: str) -> tuple[Decimal, str, str] | str:
    """(number, text before, text after) of the single number in compact text.

    Returns "multiple" or "invalid" instead when there is not exactly one readable number.
    """
    numbers = list(_NUMBER_RE.finditer(compact))
    if len(numbers) != 1:
        return "multiple"
    match = numbers[0]
    digits = match.group().replace(",", "")
    if len(digits.replace(".", "").lstrip("0")) > _MAX_DIGITS:
        return "invalid"
    number = Decimal(digits)
    prefix, rest = compact[: match.start()], compact[match.end() :]
    if prefix.endswith("-"):
        number, prefix = -number, prefix[:-1]
    return number, prefix, rest


@dataclass(frozen=True)
class _Quantity:
    unit: str = ""  # a known unit (key of _UNIT_TABLE)
    scale: str = ""  # a bare 万 / 亿
    unknown_unit: str = ""
    ops: tuple[str, ...] = ()
    leftover: str = ""
    after_unit: str = ""  # everything written after the unit


def _read_unit(rest: str) -> _Quantity:
    """Split the text after the number into unit, suffix operators and leftover text."""
    unit = _known_unit(rest)
    scale = unknown = ""
    if unit:
        rest = rest[len(unit) :]
    elif rest[:1] in _SCALES:
        scale, rest = rest[:1], rest[1:]
    after_unit = rest
    ops, rest = _suffix_operators(rest)
    if not unit and not scale and ops:  # "5以上人": the unit after the suffix
        unit = _known_unit(rest)
        rest = rest[len(unit) :]
    if not unit and not scale and (run := _UNIT_RUN_RE.match(rest)):
        candidate = run.group()
        for phrase in _SUFFIX_PHRASES:  # a unit stops at "以上" and the like
            if (cut := candidate.find(phrase)) >= 0:
                candidate = candidate[:cut]
        looks_like_unit = 0 < len(candidate) <= 2 and candidate[0] not in _SCALES
        if looks_like_unit and not any(w in candidate for w in QUALITATIVE_WORDS):
            unknown, rest = candidate, rest[len(candidate) :]
            more, rest = _suffix_operators(rest)
            ops += more
    return _Quantity(
        unit=unit,
        scale=scale,
        unknown_unit=unknown,
        ops=tuple(ops),
        leftover=rest.strip(_EDGE_PUNCTUATION),
        after_unit=after_unit,
    )


def _known_unit(text: str) -> str:
    return next((u for u in _UNITS_BY_FIRST.get(text[:1], ()) if text.startswith(u)), "")


def _suffix_operators(rest: str) -> tuple[list[str], str]:
    for phrase in _SUFFIXES_LONGEST_FIRST:
        if rest.startswith(phrase):
            return [_SUFFIX_PHRASES[phrase]], rest[len(phrase) :]
    return [], rest


def _prefix_operators(prefix: str) -> tuple[list[str], bool, str]:
    """Operators written before the number: symbols and phrases. Returns (ops, odd, label)."""
    ops, odd, rest = _symbol_operators(prefix)
    rest = _PREFIX_RE.sub(lambda m: ops.append(_PREFIX_PHRASES[m.group()]) or "", rest)
    return ops, odd, rest.strip(_EDGE_PUNCTUATION + "()[]{}")


def _symbol_operators(text: str) -> tuple[list[str], bool, str]:
    """Operators from runs of symbols ("≥", ">=", "=>", "≥≥"). Returns (ops, odd, rest)."""
    ops: list[str] = []
    odd = False

    def read(match: re.Match) -> str:
        nonlocal odd
        run = match.group()
        greater = any(c in ">≥" for c in run)
        less = any(c in "<≤" for c in run)
        inclusive = any(c in "=≥≤" for c in run)
        if "≠" in run or (greater and less):
            ops.extend([">", "<"])  # reported as conflicting
        elif greater:
            ops.append(">=" if inclusive else ">")
        elif less:
            ops.append("<=" if inclusive else "<")
        else:
            ops.append("=")
        odd = odd or run not in _WELL_FORMED
        return ""

    rest = _SYMBOL_RUN_RE.sub(read, text)
    return ops, odd, rest


def _combine(ops: list[str]) -> tuple[str | None, bool, bool]:
    """One operator from several ("达到…以上" → ">="). Returns (operator, conflict, mixed)."""
    directional = {op for op in ops if op != "="}
    if not directional:
        return ("=" if ops else None), False, False
    if len(directional) == 1:
        return directional.pop(), False, False
    sides = {op[0] for op in directional}
    if len(sides) > 1:
        return None, True, False
    return sides.pop() + "=", False, True  # "超过90%以上": same side, read inclusively, flagged


# --- actual values -------------------------------------------------------------------------


def _parse_actual(raw: str, kind: str, wanted: str) -> tuple[Decimal | None, tuple[Finding, ...]]:
    compact = _read_chinese_numbers("".join(_normalize(raw).split()))
    if not compact or _PLACEHOLDER_RE.fullmatch(compact):
        return None, (_finding("empty", ERROR, raw, "actual_empty"),)
    if kind == QUALITATIVE:
        return None, (_finding("qualitative_target", ERROR, raw),)
    if not _DIGIT_RE.search(compact):
        return None, (_finding("narrative", ERROR, raw, "actual_no_number"),)
    split = _split_number(compact)
    if split == "multiple":
        return None, (_finding("multiple_values", ERROR, raw, "actual_multiple"),)
    if split == "invalid":
        return None, (_finding("invalid_number", ERROR, raw, "actual_invalid_number"),)
    number, prefix, rest = split
    ops, _, label = _prefix_operators(prefix)
    quantity = _read_unit(rest)

    findings = []
    if ops or quantity.ops:
        findings.append(_finding("operator_in_actual", WARNING, raw, number=_plain(number)))
    if extra := label + quantity.leftover:
        findings.append(_finding("extra_text", WARNING, raw, "actual_extra_text", extra=extra))

    value: Decimal | None
    if quantity.scale:  # "2.5万": 万元 on money, ×10000 on counts
        if wanted == "万元":
            value, unit = to_canonical(number, quantity.scale)
        elif wanted == "%":
            value, unit = None, quantity.scale + wanted
        else:
            value, unit = _scaled(number, _SCALES[quantity.scale]), wanted
    elif quantity.unit:
        value, unit = to_canonical(number, quantity.unit)
    else:  # a bare number takes the target's unit
        value, unit = _clean(number), quantity.unknown_unit or wanted

    if value is None or (wanted and unit != wanted):
        incompatible = _finding("incompatible_unit", ERROR, raw, unit=unit, wanted=wanted)
        return None, (*findings, incompatible)
    if unit and not wanted:
        findings.append(_finding("unit_not_in_target", WARNING, raw, unit=unit))
    return value, tuple(findings)


# --- helpers -------------------------------------------------------------------------------


def _normalize(text: str) -> str:
    """Full-width to ASCII, operator variants unified, zero-width characters dropped."""
    return text.translate(_TRANSLATION).strip(_EDGE_PUNCTUATION)


def _is_pure_qualitative(text: str) -> bool:
    """Whether text is made only of lexicon words and joining characters ("持续稳定顺利开展")."""
    text = text.strip(_EDGE_PUNCTUATION)
    if not text:
        return False
    reachable = [True] + [False] * len(text)
    for end in range(1, len(text) + 1):
        if text[end - 1] in _CONNECTORS and reachable[end - 1]:
            reachable[end] = True
            continue
        reachable[end] = any(
            reachable[start] and text[start:end] in QUALITATIVE_WORDS
            for start in range(max(0, end - _MAX_WORD), end)
        )
    return reachable[-1]


def _clean(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to an exponent (196000.0 → 196000, 0.6280 → 0.628)."""
    if not value.is_finite():
        return value
    if value == 0:
        return Decimal(0)
    with localcontext() as ctx:
        ctx.prec = max(80, len(value.as_tuple().digits) + 10)
        if value == value.to_integral_value():
            return value.quantize(Decimal(1))
        return value.normalize()


def _scaled(value: Decimal, factor: Decimal) -> Decimal:
    """value × factor, exact (unit conversions must not round)."""
    with localcontext() as ctx:
        ctx.prec = 80
        return _clean(value * factor)


def _plain(value: Decimal) -> str:
    return format(_clean(value), "f")


def _format_parts(operator: str, value: Decimal, unit: str) -> str:
    return f"{OPERATOR_SYMBOLS[operator]}{_plain(value)}{unit}"


def _quote(raw: str) -> str:
    raw = raw.strip()
    return raw if len(raw) <= 40 else raw[:40] + "…"


def _raw_text(text: object) -> str:
    """The cell as given; spreadsheet numbers arrive as int/Decimal and are kept as their text."""
    if text is None:
        return ""
    return text if isinstance(text, str) else str(text)


def _decimal(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return Decimal(value) if isinstance(value, int) else Decimal(str(value))


# --- what a 三级 name's wording says it measures ---------------------------------------------

# 费用 and money units were measured to flag benefit measures of the published tables
# (自付费用年度限额, 医疗费用负担减轻程度): only words that name the project's own spending count.
_COST_WORDS = ("成本", "经费", "预算资金")
_TIMELINESS_ENDINGS = ("及时性", "及时率", "时效", "完成时间")


def wording_category(level3: str | None, target_unit: str = "") -> str | None:
    """What the wording of a 三级 name says it measures: "satisfaction" (满意), "timeliness"
    (…及时性/及时率/时效/完成时间), "cost" (成本/经费/预算资金), or None. A lexicon, not a
    guess: the review only warns. ``target_unit`` is accepted for callers that know it."""
    name = "".join((level3 or "").split())
    if "满意" in name:
        return "satisfaction"
    if name.endswith(_TIMELINESS_ENDINGS):
        return "timeliness"
    if any(word in name for word in _COST_WORDS):
        return "cost"
    return None


# The 一级 → 二级 frameworks (domain §3) the goal form offers; imports accept any spelling.
_OUTPUT = ("数量指标", "质量指标", "时效指标")
_BENEFIT = ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标")
PROJECT_FRAMEWORK: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("产出指标", _OUTPUT),
    ("成本指标", ("经济成本指标", "社会成本指标", "生态环境成本指标")),
    ("效益指标", _BENEFIT),
    ("满意度指标", ("服务对象满意度指标",)),
)
PROJECT_FRAMEWORK_BEFORE_2021 = (
    ("产出指标", (*_OUTPUT, "成本指标")),
    ("效益指标", _BENEFIT),
    ("满意度指标", ("服务对象满意度指标",)),
)
UNIT_FRAMEWORK = (
    ("投入管理指标", ("工作目标管理", "预算和财务管理", "绩效管理")),
    ("产出指标", ("重点工作任务完成", "履职目标实现")),
    ("效益指标", ("履职效益",)),
    ("满意度指标", ("满意度",)),
)


def framework_for(scope: str | None, year: int | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The 一级 → 二级 names a new indicator is offered: the unit framework for an overall goal,
    the project one (成本 a 一级 since 2021) for a project's; both merged when not yet known."""
    if scope == "unit":
        return UNIT_FRAMEWORK
    project = PROJECT_FRAMEWORK if year is None or year >= 2021 else PROJECT_FRAMEWORK_BEFORE_2021
    if scope == "project":
        return project
    merged: dict[str, list[str]] = {}
    for level1, names in (*UNIT_FRAMEWORK, *PROJECT_FRAMEWORK, *PROJECT_FRAMEWORK_BEFORE_2021):
        merged.setdefault(level1, [])
        merged[level1] += [name for name in names if name not in merged[level1]]
    return tuple((level1, tuple(names)) for level1, names in merged.items())
