"""Header mapping shared by the money feeds (``projects``, ``execution``).

A header written in 元 (``金额(元)``, ``年初预算（元）``) is the same column as its 万元 header
and declares the file's unit: the kinds convert exactly and say so."""

from __future__ import annotations

from ..columns import Column
from ..reading import Table
from ..result import ImportFileError, ImportIssue, ImportResult

YUAN_NOTICE = "本文件金额单位为元，已换算为万元。"


def yuan_header(header: str) -> str:
    """``年初预算(万元)`` → ``年初预算(元)``: the 元 spelling of a 万元 header."""
    return header.replace("(万元)", "(元)")


def map_columns(
    table: Table, result: ImportResult, columns: tuple[Column, ...], money_keys: tuple[str, ...]
) -> tuple[dict[str, int], bool]:
    """Positions of ``columns`` in the file and whether its amounts are in 元.

    Missing or doubled columns, and a file mixing 元 and 万元 headers, are file errors;
    unknown columns are ignored with a warning."""
    by_header = {column.header: column for column in columns}
    yuan = {yuan_header(c.header): c for c in columns if c.key in money_keys}
    index: dict[str, int] = {}
    units: set[bool] = set()
    issues: list[ImportIssue] = []
    for position, name in enumerate(table.headers):
        if not name:
            continue
        column = by_header.get(name) or yuan.get(name)
        if column is None:
            result.warn(
                f"未知列「{name}」不属于导入模板，已忽略。", "unknown_column", table.header_row
            )
            continue
        if column.key in money_keys:
            units.add(name in yuan)
        if column.key in index:
            issues.append(
                ImportIssue(
                    f"列「{name}」出现了两次，请删除重复的列。",
                    "duplicate_column",
                    table.header_row,
                    name,
                )
            )
            continue
        index[column.key] = position
    missing = [c.header for c in columns if c.required and c.key not in index]
    if missing:
        issues.append(
            ImportIssue(
                f"缺少必需的列：{'、'.join(missing)}。表头应为："
                f"{'，'.join(c.header for c in columns if c.required)}。",
                "missing_columns",
                table.header_row,
            )
        )
    if len(units) > 1:
        issues.append(
            ImportIssue(
                "金额列的单位不一致（有的是“元”，有的是“万元”），请统一后重新导入。",
                "mixed_amount_units",
                table.header_row,
            )
        )
    if issues:
        raise ImportFileError(*issues)
    in_yuan = units == {True}
    if in_yuan:
        result.notices.append(YUAN_NOTICE)
    return index, in_yuan
