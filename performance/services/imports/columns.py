"""The flat template (项目绩效目标导入模板): its columns, as the import reads them.

One row per 三级 indicator: 年度, 单位编码, 单位名称, 项目编码, 项目名称, 项目类型, 资金总额(万元),
一级指标, 二级指标, 三级指标, 指标值, and optionally 指标值说明 and 分值 — exactly the columns of
``../shared/fixtures/*_project_targets.csv`` — and the optional period-plan columns 分期方式 and
第1期目标值…第4期目标值. The import (reading, validation, planning) maps
headers with these; the exports of the template (``exports.flat``: the 导出 button's xlsx,
``export_table(kind="targets_flat")``, and through it the admin's csv) write the same list, so
an exported file re-imports unchanged.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from projects.choices import ProjectCategory


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = True


# The template's columns in order. ``required`` columns must be present in an import file;
# the cells themselves are checked by the import's row validation.
COLUMNS: tuple[Column, ...] = (
    Column("year", "年度"),
    Column("unit_code", "单位编码"),
    Column("unit_name", "单位名称"),
    Column("project_code", "项目编码"),
    Column("project_name", "项目名称"),
    Column("project_type", "项目类型"),
    Column("amount", "资金总额(万元)"),
    Column("level1", "一级指标"),
    Column("level2", "二级指标"),
    Column("level3", "三级指标"),
    Column("raw_value", "指标值"),
    Column("explanation", "指标值说明", required=False),
    Column("weight", "分值", required=False),
    # interim (period) targets: absent columns leave an indicator's plan alone
    Column("period", "分期方式", required=False),
    *(Column(f"period_target_{n}", f"第{n}期目标值", required=False) for n in range(1, 5)),
)
PERIOD_KEYS = ("period", *(f"period_target_{n}" for n in range(1, 5)))
# What every export writes; the period columns only when an exported indicator has a plan, so a
# file without plans keeps the published tables' columns.
TEMPLATE_COLUMNS = tuple(column for column in COLUMNS if column.key not in PERIOD_KEYS)
# The unit-overall (部门（单位）整体) flat layout: the same columns without the project's
# (``../shared/fixtures/*_unit_targets.csv``); a file without 项目编码 is read as this layout
# into the unit's 整体 goal.
PROJECT_KEYS = ("project_code", "project_name", "project_type", "amount")
UNIT_COLUMNS: tuple[Column, ...] = tuple(
    Column(c.key, c.header, required=c.required and c.key != "unit_name")
    for c in TEMPLATE_COLUMNS
    if c.key not in PROJECT_KEYS
)
# The optional period-plan columns; both layouts read them, exports add them when a plan exists.
PERIOD_COLUMNS = tuple(column for column in COLUMNS if column.key in PERIOD_KEYS)
HEADER_OF = {column.key: column.header for column in COLUMNS}
HEADERS = tuple(column.header for column in TEMPLATE_COLUMNS)

# 分期方式 cells ↔ (period_kind, period_mode), as the admin's summary writes them ("季度累计
# 20/50/80/100"). The first label of each plan is what exports write.
PERIOD_LABELS = {
    ("quarter", "cumulative"): "季度累计",
    ("quarter", "per_period"): "季度当期",
    ("half", "cumulative"): "半年累计",
    ("half", "per_period"): "半年当期",
}
PERIOD_PLANS = {
    **{label: plan for plan, label in PERIOD_LABELS.items()},
    "季度分期": ("quarter", "per_period"),
    "半年分期": ("half", "per_period"),
    "按季度累计": ("quarter", "cumulative"),
    "按季度当期": ("quarter", "per_period"),
    "按半年累计": ("half", "cumulative"),
    "按半年当期": ("half", "per_period"),
}

# Spellings of a header accepted on import (after :func:`normalize_header`).
HEADER_ALIASES = {
    "预算年度": "年度",
    "资金总额": "资金总额(万元)",
    "项目金额(万元)": "资金总额(万元)",
    "项目资金总额(万元)": "资金总额(万元)",
    "三级指标名称": "三级指标",
    "指标值说明(计算公式)": "指标值说明",
    "权重": "分值",
    "指标分值": "分值",
}

# 项目类型 as published tables write it ↔ ProjectCategory. The first label of each category is
# what exports write, so an exported file re-imports unchanged.
PROJECT_TYPE_LABELS = {
    ProjectCategory.OPERATING: "其他运转类",
    ProjectCategory.SPECIAL: "特定目标类",
    ProjectCategory.PERSONNEL: "人员类",
}
PROJECT_TYPES = {
    "其他运转类": ProjectCategory.OPERATING,
    "运转类": ProjectCategory.OPERATING,
    "运转类(其他运转类)": ProjectCategory.OPERATING,
    "特定目标类": ProjectCategory.SPECIAL,
    "人员类": ProjectCategory.PERSONNEL,
    **{str(choice.value): choice for choice in ProjectCategory},
}


def normalize_header(text: object) -> str:
    """A header cell compared loosely: full-width to ASCII, no spaces, no required-star."""
    name = unicodedata.normalize("NFKC", "" if text is None else str(text))
    name = "".join(name.split()).strip("*")
    return HEADER_ALIASES.get(name, name)


def project_type_of(label: str) -> str | None:
    """ProjectCategory value of a 项目类型 cell, or None when it is not a known type."""
    return PROJECT_TYPES.get("".join(unicodedata.normalize("NFKC", label).split()))
