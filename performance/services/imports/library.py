"""Import of the indicator library (指标库) from Excel or csv with the 101号 核心指标表 columns.

``library_import(*, actor, file, filename, dry_run=False, submit=False) -> ImportResult``
reads every row, reports every problem at once (row, column, Chinese reason) and writes all or
nothing: each row goes through the library's services (``services.library``), inside one
transaction that is rolled back when any row is refused, or when ``dry_run``.

Columns: the nine 101号 headers 一级指标, 二级指标, 三级指标, 指标性质, 指标值 (the entry's 参考值),
度量单位, 权重 (参考分值), 指标值设定依据及数据来源, 评(扣)分标准 are required (cells may be blank
where an entry allows it); 指标编码, 归口单位编码, 共性/个性, 指标解释, 适用目标, 适用项目类型,
支出功能分类, 必选 are optional; 版本 and 状态 (written by the export) are informational.
A row with a 指标编码 changes that entry's open version (草稿/已退回), or is unchanged; a
confirmed entry is not changed by an import (a 修订 is). A row without one creates an entry
of its 归口单位 (default: the only department or bureau the importer may write for).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from projects.models import Unit
from projects.permissions import LIBRARY_EDITORS, has_role, visible_units

from ...choices import LibraryStatus
from ...models import LibraryEntry
from ...selectors import library as library_selectors
from .. import library
from .reading import open_table, read_bytes
from .result import ImportFileError, ImportIssue, ImportResult

# The 101号 核心指标表 columns, in order; they must all be present.
REQUIRED_HEADERS = (
    "一级指标",
    "二级指标",
    "三级指标",
    "指标性质",
    "指标值",
    "度量单位",
    "权重",
    "指标值设定依据及数据来源",
    "评(扣)分标准",
)
OPTIONAL_HEADERS = (
    "指标编码",
    "版本",
    "共性/个性",
    "归口单位编码",
    "指标解释",
    "适用目标",
    "适用项目类型",
    "支出功能分类",
    "必选",
    "状态",
)
HEADERS = (*REQUIRED_HEADERS, *OPTIONAL_HEADERS)
ALIASES = {
    "指标名称": "三级指标",
    "三级指标名称": "三级指标",
    "计量单位": "度量单位",
    "分值": "权重",
    "评分标准": "评(扣)分标准",
    "评(扣)分标准": "评(扣)分标准",
    "参考值": "指标值",
}
# Errors of the services, by field, reported under the file's column.
FIELD_COLUMNS = {
    "level1": "一级指标",
    "level2": "二级指标",
    "level3": "三级指标",
    "nature": "指标性质",
    "reference_value": "指标值",
    "measure_unit": "度量单位",
    "reference_weight": "权重",
    "basis": "指标值设定依据及数据来源",
    "scoring_standard": "评(扣)分标准",
    "explanation": "指标解释",
    "goal_scope": "适用目标",
    "project_categories": "适用项目类型",
    "function_class": "支出功能分类",
    "is_required": "必选",
    "is_common": "共性/个性",
    "unit": "归口单位编码",
}
MAX_FILE_BYTES = 10 * 1024 * 1024


def _header(text: Any) -> str:
    name = "".join(unicodedata.normalize("NFKC", "" if text is None else str(text)).split())
    name = name.strip("*").replace("（", "(").replace("）", ")")
    return ALIASES.get(name, name)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class LibraryImportResult(ImportResult):
    """An import's outcome with the library's counts (rows, created, updated, unchanged)."""

    @property
    def changed(self) -> int:
        return self.counts["created"] + self.counts["updated"]

    def summary(self) -> str:
        c = self.counts
        if self.errors:
            return (
                f"文件「{self.filename}」有 {len(self.errors)} 处错误，未导入任何数据；"
                "请修改后重新上传。"
            )
        verb = "校验通过（未写入）：将" if self.dry_run else "导入完成："
        return (
            f"{verb}新增指标 {c['created']} 条、更新 {c['updated']} 条、未变化 {c['unchanged']} 条"
            f"（共 {c['rows']} 行）。"
        )


class _Rollback(Exception):
    """Leave the import's transaction without writing (errors, or a dry run)."""


def _owners_of(actor) -> list[Unit]:
    units = visible_units(actor).exclude(kind="unit") if actor is not None else Unit.objects.none()
    return [u for u in units if has_role(actor, u, LIBRARY_EDITORS)]


def library_import(
    *, actor, file, filename: str, dry_run: bool = False, submit: bool = False
) -> LibraryImportResult:
    """Validate every row, then create or update the entries all at once (or nothing).

    ``submit`` proposes each new or changed entry for the finance bureau's confirmation."""
    result = LibraryImportResult(filename=filename, dry_run=dry_run)
    result.counts = {"rows": 0, "created": 0, "updated": 0, "unchanged": 0}
    try:
        table = open_table(read_bytes(file, MAX_FILE_BYTES), filename)
        headers = [_header(h) for h in table.headers]
        missing = [h for h in REQUIRED_HEADERS if h not in headers]
        if missing:
            raise ImportFileError(
                ImportIssue(f"缺少 101号 核心指标表的列：{'、'.join(missing)}。", "missing_columns")
            )
        for name in headers:
            if name and name not in HEADERS:
                result.warn(f"未知的列「{name}」已忽略。", "unknown_column", table.header_row, name)
        rows = [
            (number, {h: _cell(v) for h, v in zip(headers, values, strict=False) if h in HEADERS})
            for number, values in table.rows
        ]
    except ImportFileError as error:
        result.errors.extend(error.issues)
        return result
    owners = _owners_of(actor)
    default_owner = owners[0] if len(owners) == 1 else None
    try:
        with transaction.atomic():
            seen: dict[tuple, int] = {}
            for number, row in rows:
                result.counts["rows"] += 1
                _import_row(actor, number, row, result, seen, default_owner, submit)
            if result.errors or dry_run:
                raise _Rollback
            result.committed = True
    except _Rollback:
        pass
    return result


def _import_row(actor, number: int, row: dict, result, seen: dict, default_owner, submit) -> None:
    data = library.seed_row_data(row)
    data["reference_weight"] = row.get("权重", "")
    common = row.get("共性/个性", "")
    if common:
        data["is_common"] = common == "共性"
    code = row.get("指标编码", "")
    owner_code = row.get("归口单位编码", "")
    version = row.get("版本", "")
    version = int(version) if version.isdigit() else None
    key = (
        (code, version)
        if code
        else (owner_code, data.get("level1"), data.get("level2"), data.get("level3"))
    )
    if key in seen:
        result.error(
            f"与第{seen[key]}行重复（同一指标）。",
            "duplicate",
            number,
            "指标编码" if code else "三级指标",
        )
        return
    seen[key] = number
    try:
        with transaction.atomic():
            if code:
                _update(actor, number, code, version, data, result, submit)
            else:
                owner = _owner(actor, owner_code, default_owner)
                if owner is None:
                    result.error(
                        "请填写归口单位编码（您可以维护多个单位的指标）。"
                        if not owner_code
                        else f"归口单位「{owner_code}」不存在或不在您的管辖范围内。",
                        "unknown_owner",
                        number,
                        "归口单位编码",
                    )
                    return
                library.library_entry_create(actor=actor, owner=owner, data=data, propose=submit)
                result.counts["created"] += 1
    except ValidationError as error:
        for field, messages in getattr(error, "message_dict", {"": error.messages}).items():
            for message in messages:
                result.error(message, "invalid", number, FIELD_COLUMNS.get(field, ""))
    except PermissionDenied as error:
        result.error(str(error), "forbidden", number, "归口单位编码")


def _owner(actor, code: str, default_owner) -> Unit | None:
    if not code:
        return default_owner
    if actor is None:
        return Unit.objects.filter(code=code).first()
    return visible_units(actor).filter(code=code).first()


def _update(
    actor, number: int, code: str, version: int | None, data: dict, result, submit: bool
) -> None:
    """A row naming an entry (the version given, else the latest): unchanged (nothing
    written), or a change to its open version."""
    visible = (
        library_selectors.entries_for(actor) if actor is not None else LibraryEntry.objects.all()
    )
    rows = visible.filter(code=code)
    if version is not None:
        rows = rows.filter(version=version)
    current = rows.order_by("-version").first()
    if current is None:
        result.error(
            f"指标编码「{code}」不存在或不在您的管辖范围内。", "unknown_code", number, "指标编码"
        )
        return
    data.pop("is_common", None)
    probe = LibraryEntry(
        **{f: getattr(current, f) for f in library.ENTRY_FIELDS}, unit=current.unit
    )
    changes = library.assign_fields(probe, data)
    library.derive_and_check(probe, clean=False)
    if not {f for f in changes if getattr(probe, f) != getattr(current, f)}:
        result.counts["unchanged"] += 1
        return
    if current.status not in (LibraryStatus.DRAFT, LibraryStatus.RETURNED):
        result.error(
            f"指标「{code}」当前状态为“{current.get_status_display()}”，导入不能修改；"
            "已确认的指标请用“修订”生成新版本。",
            "not_editable",
            number,
            "指标编码",
        )
        return
    library.library_entry_update(entry=current, actor=actor, data=data)
    if submit:
        library.library_entry_propose(entry=current, actor=actor)
    result.counts["updated"] += 1
