"""Build template files (csv/xlsx, well- and malformed) and count what an import could write."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook

from performance.models import Indicator, PerformanceGoal
from performance.services.imports.columns import COLUMNS
from projects.models import AuditEntry, Project, ProjectBudget

DEMO_CSV = (
    Path(__file__).resolve().parents[2]
    / "performance"
    / "demo_data"
    / "2022_027001_project_targets.csv"
)
HEADER = [column.header for column in COLUMNS if column.required]
NEW_CODE = "410395220000000099001"


def row(**overrides) -> dict[str, object]:
    """One valid template row for a new project of 027001 (2022); override any column."""
    values: dict[str, object] = {
        "年度": "2022",
        "单位编码": "027001",
        "单位名称": "伊滨经开区（示范区）社会保障事务服务中心",
        "项目编码": NEW_CODE,
        "项目名称": "导入测试项目",
        "项目类型": "特定目标类",
        "资金总额(万元)": "10.50",
        "一级指标": "产出指标",
        "二级指标": "数量指标",
        "三级指标": "培训人次",
        "指标值": "≥100人次",
    }
    values.update(overrides)
    return values


def rows(count: int = 2, **overrides) -> list[dict[str, object]]:
    """``count`` rows of one project, each with its own 三级 indicator."""
    return [row(**{"三级指标": f"培训人次{i}", **overrides}) for i in range(1, count + 1)]


def csv_bytes(
    data: Iterable[dict[str, object]],
    header: Sequence[str] = HEADER,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    for item in data:
        writer.writerow(["" if item.get(h) is None else item.get(h) for h in header])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(
    data: Iterable[dict[str, object]],
    header: Sequence[str] = HEADER,
    *,
    edit: Callable | None = None,
) -> bytes:
    """An xlsx of ``data`` (cells keep their Python types); ``edit(ws)`` may change the sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "导入模板"
    sheet.append(list(header))
    for item in data:
        sheet.append([item.get(h) for h in header])
    if edit:
        edit(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite_zip(data: bytes, changes: dict[str, Callable[[bytes], bytes]]) -> bytes:
    """Copy an xlsx package, passing the named members through ``changes``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename in changes:
                content = changes[info.filename](content)
            target.writestr(info.filename, content)
    return buffer.getvalue()


def db_counts() -> dict[str, int]:
    """Everything an import may write: a failed import must leave all of these unchanged."""
    return {
        "projects": Project.objects.count(),
        "budgets": ProjectBudget.objects.count(),
        "goals": PerformanceGoal.objects.count(),
        "indicators": Indicator.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def error_codes(result) -> list[str]:
    return [issue.code for issue in result.errors]


def warning_codes(result) -> list[str]:
    return [issue.code for issue in result.warnings]
