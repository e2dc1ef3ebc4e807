"""What the master-data kinds (``units``, ``people``) share: the header map of a kind's own
columns, the row loop that records bad cells, the options a complete import carries, and
mapping problems found by code back to the rows that named them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..cell_cleaning import Bad
from ..columns import Column
from ..reading import Table
from ..result import ImportFileError, ImportIssue, ImportResult
from ..validation import map_columns

Progress = Callable[[int], None]


def clean_rows(
    table: Table,
    columns: tuple[Column, ...],
    result: ImportResult,
    progress: Progress | None,
    cleaners: dict[str, Callable[[Any], Any]],
    build: Callable[[int, dict[str, Any]], Any],
) -> list:
    """Every data row through ``cleaners`` (one per column key; a ``Bad`` is the cell's error),
    then ``build(row_number, values)`` for the rows without a bad cell."""
    index = map_columns(table, columns, result)
    header_of = {c.key: c.header for c in columns}
    rows, count = [], 0
    for number, values in table.rows:
        count += 1
        clean, bad = {}, False
        for key, clean_cell in cleaners.items():
            position = index.get(key)
            raw = values[position] if position is not None and position < len(values) else None
            try:
                clean[key] = clean_cell(raw)
            except Bad as error:
                result.error(error.message, error.code, number, header_of[key])
                bad = True
        if not bad:
            rows.append(build(number, clean))
        if progress and count % 1000 == 0:
            progress(count)
    result.counts["rows"] = count
    if count == 0:
        raise ImportFileError(
            ImportIssue("文件只有表头，没有数据行。", "no_rows", table.header_row)
        )
    return rows


def flag(options: dict, key: str, default: bool = False) -> bool:
    """A boolean option as the API, the command or the admin sends it (``"true"``, 1, True)."""
    value = options.get(key, default)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def expected_count(options: dict, key: str) -> int | None:
    value = options.get(key)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def guard_complete(
    result: ImportResult, *, dry_run: bool, count: int, expected: int | None, key: str, what: str
) -> None:
    """A complete import that switches off ``count`` > 0 records must say how many it expects
    (``expected_deactivations`` / ``expected_revocations``): a truncated master-data file then
    cannot silently switch off half a province. A dry run only announces the count."""
    if count == 0:
        return
    if dry_run:
        result.notices.append(f"完整导入将{what} {count} 个；正式导入时请带上 {key}={count}。")
        return
    if expected != count:
        result.error(
            f"本次完整导入将{what} {count} 个，与确认的数量（{key}="
            f"{'未填写' if expected is None else expected}）不符；请先只校验（dry_run），核对后带上 "
            f"{key}={count} 重新提交。",
            "expected_count",
            column=key,
        )
