"""Export of the indicator library (指标库) to Excel: one sheet 「指标库」, the 101号 核心指标表
columns first, then the library's own; re-importing the file changes nothing."""

from __future__ import annotations

import io
from collections.abc import Iterable

from openpyxl import Workbook

from projects.choices import ProjectCategory

from ...choices import LibraryGoalScope
from ...models import LibraryEntry
from ..imports.library import HEADERS
from .workbook import plain_number

SCOPE_LABELS = {
    LibraryGoalScope.PROJECT: "项目",
    LibraryGoalScope.UNIT: "整体",
    LibraryGoalScope.BOTH: "通用",
}


def _row(entry: LibraryEntry) -> list:
    values = {
        "一级指标": entry.level1,
        "二级指标": entry.level2,
        "三级指标": entry.level3,
        "指标性质": entry.get_nature_display(),
        "指标值": entry.reference_value,
        "度量单位": entry.measure_unit,
        "权重": plain_number(entry.reference_weight) if entry.reference_weight is not None else "",
        "指标值设定依据及数据来源": entry.basis,
        "评(扣)分标准": entry.scoring_standard,
        "指标编码": entry.code,
        "版本": entry.version,
        "共性/个性": "共性" if entry.is_common else "个性",
        "归口单位编码": entry.unit.code,
        "指标解释": entry.explanation,
        "适用目标": SCOPE_LABELS[LibraryGoalScope(entry.goal_scope)],
        "适用项目类型": "、".join(
            ProjectCategory(code).label for code in entry.project_category_codes
        ),
        "支出功能分类": entry.function_class,
        "必选": "是" if entry.is_required else "",
        "状态": entry.get_status_display(),
    }
    return [values[name] for name in HEADERS]


def library_export(*, entries: Iterable[LibraryEntry]) -> bytes:
    """The xlsx bytes of ``entries`` (the caller scopes and filters them: a selector's queryset)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("指标库")
    sheet.append(list(HEADERS))
    for entry in entries:
        sheet.append(_row(entry))
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()
