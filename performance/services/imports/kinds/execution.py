"""Kind ``execution`` (支出执行): a batch of the treasury payment feed, streamed and set-based.

A file is one batch (``来源系统`` + ``批次号``); a row is identified by ``(来源系统, 行号)``
across batches. Rows are cleaned one at a time (no database) and staged in a temporary table
in blocks of ``STAGE_BLOCK`` rows while a digest of the normalised rows is computed, so memory
does not grow with the rows. Then:

1. the same batch id with the same rows digest is a re-send: after the scope check, nothing
   else runs ("没有任何变化"); the same batch id with other rows is ``batch_conflict``;
2. every check is one query over the staging table (unknown unit, unit out of scope, unknown
   project or another unit's, in-batch duplicate row ids, row ids already stored with other
   content, reversal targets, over-reversal, amounts implausible against the budget);
3. ``projects.services.execution.execution_batch_ingest`` inserts the new rows with
   ``INSERT … SELECT`` and audits one row per project; after commit one recompute job for
   the batch's projects is queued (never one per row, none for a re-send).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection

from projects.models import ExecutionBatch, ExecutionRecord, Project, ProjectBudget, Unit
from projects.permissions import UNIT_EDITORS, may_edit_unit, visible_units
from projects.services import execution as ingest
from projects.years import is_budget_year

from .... import dispatch
from ....choices import JobKind
from ...recompute_jobs import recompute_for_execution_batch
from .. import cell_cleaning, money_cells
from ..cell_cleaning import Bad, plain
from ..columns import Column
from ..framework import ImportKind, PlanContext, WriteContext
from ..reading import Table
from ..result import ImportFileError, ImportResult
from .money_table import map_columns

COLUMNS: tuple[Column, ...] = (
    Column("source", "来源系统", required=False),
    Column("batch_id", "批次号"),
    Column("row_id", "行号"),
    Column("year", "年度"),
    Column("unit_code", "单位编码"),
    Column("project_code", "项目编码"),
    Column("date", "支出日期"),
    Column("amount", "金额(万元)"),
    Column("fund_source", "资金来源", required=False),
    Column("note", "摘要", required=False),
    Column("reverses", "冲销行号", required=False),
)
HEADER = {column.key: column.header for column in COLUMNS}
DEFAULT_SOURCE = "treasury"
STAGE_BLOCK = 50_000
ERRORS_KEPT = 1000
ROW_ID_MAX = 64
UNIT_CODE_ASCII = re.compile(r"[0-9A-Za-z]{1,20}")
PROJECT_CODE_ASCII = re.compile(r"[0-9A-Za-z\-]{1,32}")
# The rows digest is the sum of the rows' sha256 values (mod 2**256): a multiset hash, so the
# same rows re-sent in another order, encoding or column order give the same digest.
DIGEST_MODULUS = 2**256


def budget_multiple() -> Decimal:
    return Decimal(str(getattr(settings, "IMPORT_EXECUTION_BUDGET_MULTIPLE", 3)))


@dataclass
class Rows:
    """The lazily cleaned rows of the file (consumed once, by the planner)."""

    table: Table
    index: dict[str, int]
    in_yuan: bool
    progress: object = None


@dataclass
class ExecutionPlan:
    source: str = ""
    batch_id: str = ""
    rows_digest: str = ""
    filename: str = ""
    staged: int = 0
    new: int = 0
    unchanged: int = 0
    unchanged_batch: ExecutionBatch | None = None
    stored_batch: ExecutionBatch | None = None
    years: list[int] = field(default_factory=list)
    recompute_jobs: list[int] = field(default_factory=list)


def validate(table: Table, result: ImportResult, progress=None) -> tuple[Rows, None]:
    """The header only; rows are cleaned while the planner stages them (streaming)."""
    index, in_yuan = map_columns(table, result, COLUMNS, ("amount",))
    return Rows(table=table, index=index, in_yuan=in_yuan, progress=progress), None


class _Errors:
    """Row errors kept up to ``ERRORS_KEPT`` (a wrong file can have a million), all counted."""

    def __init__(self, result: ImportResult) -> None:
        self.result, self.count = result, 0

    def add(self, message: str, code: str, row: int | None, key: str = "") -> None:
        self.count += 1
        if self.count <= ERRORS_KEPT:
            self.result.error(message, code, row, HEADER.get(key, key))

    def close(self) -> None:
        if self.count > ERRORS_KEPT:
            self.result.error(
                f"共有 {self.count} 处错误，仅列出前 {ERRORS_KEPT} 处。", "more_errors"
            )


def _cell(values: tuple, index: dict[str, int], key: str):
    position = index.get(key)
    if position is None or position >= len(values):
        return None
    return values[position]


def _row_id(value) -> str:
    text = money_cells.text(value, max_length=ROW_ID_MAX)
    return cell_cleaning.required(text)


FAST_TEXT = re.compile(r"[^=+\-@\t\r\n][^\r\n]{0,63}")
# The six cells every row has, joined by \x1f and matched at once: a row id (no formula start,
# no surrounding whitespace, at most 64 characters), year, unit code, project code, ISO date
# and an amount (ASCII digits only, so that its text below is what ``plain`` makes of it).
FAST_ROW = re.compile(
    r"([^=+\-@\s\x1f](?:[^\r\n\x1f]{0,62}[^\s\x1f])?)\x1f([0-9]{4})\x1f([0-9A-Za-z]{1,20})"
    r"\x1f([0-9A-Za-z\-]{1,32})\x1f([0-9]{4}-[0-9]{2}-[0-9]{2})\x1f(-?)([0-9]{1,14})"
    r"(?:\.([0-9]{1,6}))?"
)
FAST_KEYS = ("row_id", "year", "unit_code", "project_code", "date", "amount")
EXTRA_KEYS = ("fund_source", "note", "reverses")
NINE_TEXTS = (str,) * 9


def _fast_clean(values: tuple, positions: tuple[int, ...], extra_positions: tuple, cap: Decimal):
    """The common row of a machine feed (plain text cells: ``R0001``, ``2023``, ``2023-03-05``,
    ``1.5``) cleaned without the general cleaners; None for anything else, which then takes
    the general path (and gets its precise error). Same results as the general path, plus the
    date and amount as the digest writes them (so neither is formatted again)."""
    try:
        cells = [values[i] for i in positions]
        extra = ["" if i is None or i >= len(values) else values[i] for i in extra_positions]
    except IndexError:
        return None
    if tuple(map(type, cells + extra)) != NINE_TEXTS:
        return None
    fund, note, reverses = extra
    if fund or len(note) > 200:
        return None
    match = FAST_ROW.fullmatch("\x1f".join(cells))
    if match is None or (
        reverses and not (FAST_TEXT.fullmatch(reverses) and reverses == reverses.strip())
    ):
        return None
    row_id, year, unit, code, day, sign, whole, fraction = match.groups()
    year_number = int(year)
    if not is_budget_year(year_number):
        return None
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        return None
    value = Decimal(cells[5])
    if not value or abs(value) > cap:
        return None
    note = note.strip()
    if note[:1] in ("=", "+", "-", "@"):
        return None
    # ``plain(value)`` by string operations: no leading zeros, no trailing decimal zeros.
    fraction = (fraction or "").rstrip("0")
    text = f"{sign}{whole.lstrip('0') or '0'}{'.' + fraction if fraction else ''}"
    return (row_id, year_number, unit, code, date, value, "", note, reverses, day, text)


def _general_clean(values: tuple, index: dict[str, int], in_yuan: bool, number: int, errors):
    """Every cell through its cleaner, each problem a row error; None when any is bad."""
    cleaned = []
    bad = False
    for key, clean in (
        ("row_id", _row_id),
        ("year", cell_cleaning.year),
        ("unit_code", cell_cleaning.unit_code),
        ("project_code", cell_cleaning.project_code),
        ("date", money_cells.date),
        ("amount", lambda v: money_cells.money(v, in_yuan=in_yuan, negative_ok=True)),
        ("fund_source", lambda v: money_cells.fund_source(v, blank_ok=True)),
        ("note", lambda v: money_cells.text(v, max_length=200)),
        ("reverses", lambda v: money_cells.text(v, max_length=ROW_ID_MAX)),
    ):
        try:
            cleaned.append(clean(_cell(values, index, key)))
        except Bad as problem:
            errors.add(problem.message, problem.code, number, key)
            bad = True
    if bad:
        return None
    return (*cleaned, cleaned[4].isoformat(), plain(cleaned[5]))


class _Projects:
    """(unit code, year, project code) → project id, loaded per block of staged rows for the
    unit codes and years not seen before: one query per block, not a join over the staged
    table afterwards (which rewrote every staged row)."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, int, str], int] = {}
        self.loaded: set[tuple[str, int]] = set()

    def resolve(self, block: list[list]) -> None:
        wanted = {(row[3], row[2]) for row in block} - self.loaded
        if wanted:
            units = {unit for unit, _year in wanted}
            years = {year for _unit, year in wanted}
            for pk, unit, year, code in Project.objects.filter(
                unit__code__in=units, year__in=years
            ).values_list("pk", "unit__code", "year", "code"):
                self.ids[(unit, year, code)] = pk
            self.loaded |= wanted
        ids = self.ids
        for row in block:
            row[10] = ids.get((row[3], row[2], row[4]))


def _stage(rows: Rows, plan: ExecutionPlan, errors: _Errors) -> None:
    """Clean every row, stage it, digest it; file-level identity (one batch) checked here."""
    index, in_yuan = rows.index, rows.in_yuan
    positions = tuple(index[key] for key in FAST_KEYS)
    extra_positions = tuple(index.get(key) for key in EXTRA_KEYS)
    cap = money_cells.amount_cap_wan()
    projects = _Projects()
    digest = 0
    sha256 = hashlib.sha256
    block: list[list] = []
    batch_ids: dict[tuple[str, str], int] = {}
    staging = True
    last: tuple = (None, None, "", "")  # the previous row's raw and clean identity cells

    def flush() -> None:
        projects.resolve(block)
        ingest.staging_write(block)
        plan.staged += len(block)
        block.clear()
        if rows.progress:
            rows.progress(plan.staged)

    for number, values in rows.table.rows:
        raw = (_cell(values, index, "source"), _cell(values, index, "batch_id"))
        if raw == last[:2] and type(raw[0]) is type(last[0]) and type(raw[1]) is type(last[1]):
            source, batch_id = last[2:]
        else:
            try:
                source = money_cells.text(raw[0], max_length=50) or DEFAULT_SOURCE
                batch_id = cell_cleaning.required(money_cells.text(raw[1], max_length=64))
            except Bad as problem:
                errors.add(problem.message, problem.code, number, "batch_id")
                continue
            last = (*raw, source, batch_id)
        if not batch_ids:
            # A batch id already imported is either a re-send (nothing to stage) or a
            # conflict: either way only the digest of its rows is needed.
            plan.stored_batch = ExecutionBatch.objects.filter(
                source=source, batch_id=batch_id
            ).first()
            staging = plan.stored_batch is None
        batch_ids.setdefault((source, batch_id), number)
        cleaned = None if in_yuan else _fast_clean(values, positions, extra_positions, cap)
        if cleaned is None:
            cleaned = _general_clean(values, index, in_yuan, number, errors)
            if cleaned is None:
                continue
        row_id, year, unit, code, date, amount, fund, note, reverses, day, text = cleaned
        if not amount:
            errors.add("金额不能为 0。", "zero_amount", number, "amount")
            continue
        if date.year != year:
            errors.add(f"支出日期 {date} 不在 {year} 年度内。", "date_outside_year", number, "date")
            continue
        if amount < 0 and not reverses:
            errors.add(
                "金额为负数但没有填写“冲销行号”；更正请发送冲销行，注明被冲销的行号。",
                "negative_without_reversal",
                number,
                "amount",
            )
            continue
        if reverses and amount > 0:
            errors.add("冲销行的金额必须为负数。", "reversal_positive", number, "amount")
            continue
        digest += int.from_bytes(
            sha256(
                "\x1f".join(
                    (row_id, str(year), unit, code, day, text, fund, note, reverses)
                ).encode()
            ).digest()
        )
        if not staging:
            plan.staged += 1
            continue
        # STAGING_COLUMNS order; the project id is filled per block by ``projects``.
        block.append([number, row_id, year, unit, code, day, text, fund, note, reverses, None])
        if len(block) >= STAGE_BLOCK:
            flush()
    if block:
        flush()
    if len(batch_ids) > 1:
        (first, first_row), *others = sorted(batch_ids.items(), key=lambda item: item[1])
        for (source, batch_id), row in others[:ERRORS_KEPT]:
            errors.add(
                f"一个文件只能是一个批次：本行是 {source} 批次 {batch_id}，第 {first_row} 行是 "
                f"{first[0]} 批次 {first[1]}。",
                "batch_mixed",
                row,
                "batch_id",
            )
    if batch_ids:
        plan.source, plan.batch_id = min(batch_ids, key=batch_ids.get)
    plan.rows_digest = f"{digest % DIGEST_MODULUS:064x}"


def _fetch(sql: str, params: list | tuple = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _execute(sql: str, params: list | tuple = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def plan(rows: Rows, context: PlanContext) -> ExecutionPlan:
    """Stage, then check set-based; every problem a row error, nothing written here."""
    result, actor = context.result, context.actor
    out = ExecutionPlan(filename=result.filename)
    errors = _Errors(result)
    ingest.staging_create()
    try:
        _stage(rows, out, errors)
    except ImportFileError as error:
        result.errors.extend(error.issues)
        return out
    if errors.count or not out.staged:
        if not out.staged and not errors.count:
            result.error("文件中没有任何支出执行行。", "empty_file")
        errors.close()
        return out
    if out.stored_batch is not None:
        _check_resend(out.stored_batch, out, actor, errors)
        errors.close()
        return out
    _check_units(out, actor, errors)
    if not errors.count:
        _check_rows(out, errors)
    errors.close()
    return out


def _check_resend(stored: ExecutionBatch, out: ExecutionPlan, actor, errors: _Errors) -> None:
    """The same batch id again: unchanged when the rows are the same (and the actor may edit
    every unit the batch touched), ``batch_conflict`` otherwise."""
    if stored.rows_digest != out.rows_digest:
        errors.add(
            f"批次 {out.batch_id} 已于 {stored.created_at:%Y-%m-%d %H:%M} 导入且内容不同；更正请发送"
            "冲销行，或使用新的批次号。",
            "batch_conflict",
            None,
            "batch_id",
        )
        return
    units = Unit.objects.filter(projects__executions__batch=stored).distinct()
    for unit in units:
        if not may_edit_unit(actor, unit):
            errors.add(
                f"批次 {out.batch_id} 含有单位「{unit}」的支出，您不能登记该单位的支出。",
                "unit_out_of_scope",
                None,
                "unit_code",
            )
            return
    out.unchanged_batch = stored
    out.unchanged = out.staged


def _check_units(out: ExecutionPlan, actor, errors: _Errors) -> None:
    staging = ingest.STAGING
    codes = [code for (code,) in _fetch(f"SELECT DISTINCT unit_code FROM {staging}")]
    units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    if actor is not None and not actor.is_superuser:
        visible = set(visible_units(actor).filter(code__in=codes).values_list("code", flat=True))
        units = {code: unit for code, unit in units.items() if code in visible}
    for code in codes:
        unit = units.get(code)
        if unit is None:
            message, problem = f"单位编码 {code} 不存在或不在您的权限范围内。", "unknown_unit"
        elif not may_edit_unit(actor, unit):
            message = f"您不能登记单位「{unit}」的支出（需要：填报人、单位审核人或管理员）。"
            problem = "unit_out_of_scope"
        else:
            continue
        for (row_no,) in _fetch(
            f"SELECT row_no FROM {staging} WHERE unit_code = %s ORDER BY row_no LIMIT %s",
            [code, ERRORS_KEPT],
        ):
            errors.add(message, problem, row_no, "unit_code")


def _check_rows(out: ExecutionPlan, errors: _Errors) -> None:
    staging = ingest.STAGING
    record, budget = ExecutionRecord._meta.db_table, ProjectBudget._meta.db_table
    if connection.vendor == "postgresql":
        _execute(f"ANALYZE {staging}")  # temporary tables get no statistics otherwise
    _check_unknown_projects(errors)
    # In-batch duplicate row ids: different content names both rows; equal rows are skipped.
    duplicates = _fetch(
        f"SELECT row_id, MIN(row_no), MAX(row_no), COUNT(DISTINCT project_code || '|' || "
        f"CAST(date AS varchar(10)) || '|' || CAST(amount AS varchar(40)) || '|' || reverses) "
        f"FROM {staging} GROUP BY row_id HAVING COUNT(*) > 1 ORDER BY MIN(row_no) LIMIT %s",
        [ERRORS_KEPT],
    )
    for row_id, first, last, variants in duplicates:
        if variants > 1:
            errors.add(
                f"行号 {row_id} 在第 {first} 行和第 {last} 行内容不同（金额、日期或项目）；"
                "同一行号只能有一种内容。",
                "duplicate_row_id",
                last,
                "row_id",
            )
        else:
            errors.result.warn(
                f"行号 {row_id} 在第 {first} 行与第 {last} 行重复且内容相同，只导入一次。",
                "duplicate_row_same",
                last,
                HEADER["row_id"],
            )
    if duplicates:
        _execute(
            f"UPDATE {staging} SET skip = 1 WHERE row_no NOT IN "
            f"(SELECT MIN(row_no) FROM {staging} GROUP BY row_id)"
        )
    # Row ids stored before (any batch of this source): same content unchanged, else conflict.
    same = (
        f"r.project_id = {staging}.project_id AND r.date = {staging}.date AND "
        f"r.amount = {staging}.amount AND COALESCE((SELECT o.source_row_id FROM {record} o "
        f"WHERE o.id = r.reverses_id), '') = {staging}.reverses"
    )
    # One join marks them: skip 1 = stored with the same content, 2 = stored differently.
    _execute(
        f"UPDATE {staging} SET skip = CASE WHEN {same} THEN 1 ELSE 2 END FROM {record} r "
        f"WHERE {staging}.skip = 0 AND r.source = %s AND r.source_row_id = {staging}.row_id",
        [out.source],
    )
    for row_no, row_id in _fetch(
        f"SELECT row_no, row_id FROM {staging} WHERE skip = 2 ORDER BY row_no LIMIT %s",
        [ERRORS_KEPT],
    ):
        errors.add(
            f"行号 {row_id} 已在此前的批次中导入且内容不同；更正请发送冲销行。",
            "row_conflict",
            row_no,
            "row_id",
        )
    _check_reversals(out, errors)
    multiple = budget_multiple()
    for row_no, amount, adjusted in _fetch(
        f"SELECT t.row_no, t.amount, b.adjusted FROM {staging} t JOIN (SELECT project_id, "
        f"SUM(adjusted_amount) AS adjusted FROM {budget} GROUP BY project_id) b ON "
        "b.project_id = t.project_id WHERE t.skip = 0 AND b.adjusted > 0 AND "
        "ABS(t.amount) > %s * b.adjusted ORDER BY t.row_no LIMIT %s",
        [multiple, ERRORS_KEPT],
    ):
        amount, adjusted = Decimal(str(amount)), Decimal(str(adjusted))
        errors.add(
            f"金额 {plain(amount)} 万元是项目调整后预算 {plain(adjusted)} 万元的 "
            f"{int(abs(amount) / adjusted)} 倍，疑似以“元”填写（应为 "
            f"{plain(amount / 10000)} 万元？）；本列单位为万元。",
            "amount_scale_suspect",
            row_no,
            "amount",
        )
    (new,) = _fetch(f"SELECT COUNT(*) FROM {staging} WHERE skip = 0")[0]
    out.new = new
    out.unchanged = out.staged - new
    out.years = [y for (y,) in _fetch(f"SELECT DISTINCT year FROM {staging} WHERE skip = 0")]


def _check_unknown_projects(errors: _Errors) -> None:
    """Rows whose project is not the unit's: another visible unit's, or unknown (no leak: the
    units the actor may import for are all visible to him, and only they were staged)."""
    staging = ingest.STAGING
    project, unit = Project._meta.db_table, Unit._meta.db_table
    for row_no, year, code, other in _fetch(
        f"SELECT t.row_no, t.year, t.project_code, (SELECT MIN(u.name) FROM {project} p JOIN "
        f"{unit} u ON u.id = p.unit_id WHERE p.year = t.year AND p.code = t.project_code) "
        f"FROM {staging} t WHERE t.project_id IS NULL ORDER BY t.row_no LIMIT %s",
        [ERRORS_KEPT],
    ):
        if other:
            errors.add(
                f"项目编码 {code}（{year} 年）属于单位「{other}」，不是本行单位的项目。",
                "project_of_other_unit",
                row_no,
                "project_code",
            )
        else:
            errors.add(
                f"本行单位没有 {year} 年项目编码为 {code} 的项目；请先导入项目库。",
                "unknown_project",
                row_no,
                "project_code",
            )


def _check_reversals(out: ExecutionPlan, errors: _Errors) -> None:
    """Reversal rows (few): the target exists (this batch or stored), same project, not itself
    a reversal, and reversals never exceed it."""
    staging, record = ingest.STAGING, ExecutionRecord._meta.db_table
    reversals = _fetch(
        f"SELECT t.row_no, t.reverses, t.project_id, t.amount, s.project_id, s.amount, "
        f"s.reverses, r.id, r.project_id, r.amount, r.reverses_id FROM {staging} t "
        f"LEFT JOIN {staging} s ON s.row_id = t.reverses AND s.skip = 0 "
        f"LEFT JOIN {record} r ON r.source = %s AND r.source_row_id = t.reverses "
        "WHERE t.skip = 0 AND t.reverses <> '' ORDER BY t.row_no",
        [out.source],
    )
    stored_ids = [row[7] for row in reversals if row[7] is not None]
    reversed_before: dict[str, Decimal] = defaultdict(Decimal)
    for target, amount in ExecutionRecord.objects.filter(reverses_id__in=stored_ids).values_list(
        "reverses__source_row_id", "amount"
    ):
        reversed_before[target] += amount
    used: dict[str, Decimal] = defaultdict(Decimal)
    for (
        row_no,
        target,
        project_id,
        amount,
        s_project,
        s_amount,
        s_reverses,
        r_id,
        r_project,
        r_amount,
        r_reverses,
    ) in reversals:
        amount = Decimal(str(amount))
        if s_project is not None:
            target_project, original, is_reversal = (
                s_project,
                Decimal(str(s_amount)),
                bool(s_reverses),
            )
        elif r_id is not None:
            target_project, original, is_reversal = (
                r_project,
                Decimal(str(r_amount)),
                bool(r_reverses),
            )
        else:
            errors.add(
                f"冲销行号 {target} 在本批次和此前的批次中都不存在。",
                "reversal_unknown",
                row_no,
                "reverses",
            )
            continue
        if is_reversal:
            errors.add(
                f"行号 {target} 本身是冲销行，不能再被冲销。",
                "reversal_of_reversal",
                row_no,
                "reverses",
            )
        elif target_project != project_id:
            errors.add(
                f"冲销行与被冲销的行号 {target} 不是同一个项目。",
                "reversal_other_project",
                row_no,
                "project_code",
            )
        else:
            used[target] += amount
            if original + reversed_before[target] + used[target] < 0:
                errors.add(
                    f"对行号 {target}（{plain(original)} 万元）的冲销合计超过了原金额。",
                    "over_reversal",
                    row_no,
                    "amount",
                )


def count(plan: ExecutionPlan, result: ImportResult) -> None:
    result.counts.update(
        rows=plan.staged, records_created=plan.new, records_unchanged=plan.unchanged
    )
    if plan.unchanged_batch is not None:
        result.notices.append(
            f"该批次已于 {plan.unchanged_batch.created_at:%Y-%m-%d %H:%M} 导入，没有任何变化。"
        )


def write(plan: ExecutionPlan, context: WriteContext) -> None:
    """Insert the new rows as a batch; one recompute job per year of the batch, queued later."""
    if plan.unchanged_batch is not None or not plan.new:
        return
    batch = ingest.execution_batch_ingest(
        source=plan.source,
        batch_id=plan.batch_id,
        actor=context.actor,
        filename=plan.filename,
        rows_digest=plan.rows_digest,
    )
    if batch is None:
        return
    plan.recompute_jobs = recompute_for_execution_batch(batch=batch, actor=context.actor)


def after_commit(plan: ExecutionPlan, context: WriteContext) -> None:
    for job_id in plan.recompute_jobs:
        dispatch.enqueue(dispatch.RECOMPUTE_JOB, job_id)


EXECUTION = ImportKind(
    name="execution",
    title="支出执行",
    job_kind=JobKind.IMPORT_EXECUTION,
    roles=frozenset(UNIT_EDITORS),
    columns=COLUMNS,
    example="execution.csv",
    counts=(
        ("rows", "行数"),
        ("records_created", "新增支出记录"),
        ("records_unchanged", "已导入过的行"),
    ),
    change_counts=("records_created",),
    validate=validate,
    plan=plan,
    count=count,
    write=write,
    after_commit=after_commit,
    refusal_message="您没有导入支出执行的权限（需要：填报人、单位审核人或管理员）。",
)
