"""Exports of the official table layouts as xlsx (merged headers, amounts in 万元), streamed.

Public interface
----------------
EXPORT_KINDS: dict[str, str]            kind → Chinese title
    "project_targets"   项目绩效目标表 (seed 003: per project 成本/产出/效益/满意度 pairs 三级指标/指标值)
    "unit_targets"      部门(单位)整体绩效目标表 (seed 003), one sheet per unit
    "monitoring"        项目绩效监控表 (budget, executed, rate; per indicator target, value so far,
                        forecast, deviation cause, likelihood, measures, light)
    "self_evaluation"   单位项目绩效自评表 (seed 002)
    "targets_flat"      the flat import template (re-imports unchanged)
    "unit_targets_flat" the 整体 flat layout of the target import (re-imports unchanged)
    "spot_checks"       财政复核结果表 (the year's spot checks: self, 复核, difference, outcome,
                        final); published ones only unless the actor is a finance reviewer
    "results"           结果应用表 (the unit itself, as ``/api/v1/results/``: its evaluations
                        with grades and visible 复核 differences; its 整改 tasks with history)
export_table(*, actor, kind, unit, year, stream=None, data_month=None) -> ExportResult
    ``unit`` is a Unit or its code; the export covers the unit and the units below it that
    ``actor`` may see (``visible_units``; ``actor=None`` is the system). A unit the actor may
    not see is ``PermissionDenied``, an unknown kind/unit/round a ``ValidationError``.
    The workbook is written to ``stream`` (a binary file object) or, without one, returned in
    ``ExportResult.content``. ``data_month`` picks the monitoring round (default: the latest
    round of the year with reports in scope).
ExportResult(kind, title, filename, content_type, rows, sheets, content)
export_html(*, actor, kind, unit, year, data_month=None) -> HtmlExport(kind, title, unit, year,
    tables, rows)   the same layouts as HTML tables for the printable views (``html.py``);
    PRINTABLE_KINDS: the four official tables (not the flat template)

Each layout reads with a fixed number of queries (indicators streamed with ``iterator()``),
so the cost of an export grows only with its rows.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import BinaryIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet

from projects.models import Unit
from projects.permissions import may_spot_check, visible_units

from . import flat, monitoring, project_targets, self_evaluation, spot_checks, unit_targets
from . import results as results_table
from .html import HtmlBook, Table
from .workbook import new_workbook

EXPORT_KINDS = {
    "project_targets": "项目绩效目标表",
    "unit_targets": "部门(单位)整体绩效目标表",
    "monitoring": "项目绩效监控表",
    "self_evaluation": "单位项目绩效自评表",
    "targets_flat": "绩效目标导入模板",
    "unit_targets_flat": "整体绩效目标导入模板",
    "spot_checks": "财政复核结果表",
    "results": "结果应用表",
}
WRITERS = {
    "project_targets": project_targets.write,
    "unit_targets": unit_targets.write,
    "monitoring": monitoring.write,
    "self_evaluation": self_evaluation.write,
    "targets_flat": flat.write,
    "unit_targets_flat": flat.write_unit,
    "spot_checks": spot_checks.write,
    "results": results_table.write,
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ExportResult:
    kind: str
    title: str
    filename: str
    content_type: str = XLSX
    rows: int = 0
    sheets: list[str] = field(default_factory=list)
    content: bytes | None = None


def normalize_kind(kind: str) -> str:
    key = (kind or "").strip().lower().replace("-", "_")
    if key not in EXPORT_KINDS:
        raise ValidationError(
            {"kind": f"未知的报表类型「{kind}」，可选：{'、'.join(EXPORT_KINDS)}。"},
            code="invalid_kind",
        )
    return key


def scope_units(actor, unit: Unit | str) -> tuple[Unit, QuerySet[Unit]]:
    """The unit asked for and the units of its subtree the actor may see."""
    code = unit.code if isinstance(unit, Unit) else str(unit).strip()
    found = Unit.objects.filter(code=code).first()
    scoped = actor is not None and not actor.is_superuser
    if found is None or (scoped and not visible_units(actor).filter(pk=found.pk).exists()):
        if scoped:
            raise PermissionDenied(f"单位「{code}」不存在或您无权查看。")
        raise ValidationError({"unit": f"单位「{code}」不存在。"}, code="unknown_unit")
    units = Unit.objects.filter(path__startswith=found.path)
    if scoped:
        units = units.filter(pk__in=visible_units(actor).values("pk"))
    return found, units.order_by("path")


def _write(book, *, actor, kind: str, unit: Unit | str, year, data_month: int | None):
    """Check the request and write the ``kind`` layout into ``book`` (xlsx or HTML)."""
    kind = normalize_kind(kind)
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError({"year": f"年度「{year}」不是数字。"}, code="invalid_year") from None
    root, units = scope_units(actor, unit)
    options = {"data_month": data_month} if kind == "monitoring" else {}
    if kind == "spot_checks":  # drafts are the finance bureau's until published
        options = {"published_only": actor is not None and not may_spot_check(actor)}
    if kind == "results":  # which 复核 results show is the selector's rule, per actor
        options = {"user": actor}
    writers = WRITERS[kind](book, root=root, units=units, year=year, **options)
    return kind, year, root, writers


def export_table(
    *,
    actor,
    kind: str,
    unit: Unit | str,
    year: int,
    stream: BinaryIO | None = None,
    data_month: int | None = None,
) -> ExportResult:
    """Write the official ``kind`` table of ``unit`` (and the visible units below) for ``year``."""
    workbook = new_workbook()
    kind, year, root, writers = _write(
        workbook, actor=actor, kind=kind, unit=unit, year=year, data_month=data_month
    )
    title = EXPORT_KINDS[kind]
    result = ExportResult(
        kind=kind,
        title=title,
        filename=f"{year}_{root.code}_{title}.xlsx".replace("(", "（").replace(")", "）"),
        rows=sum(w.data_rows for w in writers),
        sheets=[name for w in writers for name in w.sheets],
    )
    target = stream if stream is not None else io.BytesIO()
    workbook.save(target)
    if stream is None:
        result.content = target.getvalue()
    return result


PRINTABLE_KINDS = {
    k: v
    for k, v in EXPORT_KINDS.items()
    if k not in ("targets_flat", "unit_targets_flat", "spot_checks", "results")
}


@dataclass
class HtmlExport:
    kind: str
    title: str
    unit: Unit
    year: int
    tables: list[Table]
    rows: int = 0


def export_html(
    *, actor, kind: str, unit: Unit | str, year: int, data_month: int | None = None
) -> HtmlExport:
    """The official ``kind`` table as HTML tables (merged headers as in the xlsx), for printing.

    Same checks, scope and rows as :func:`export_table` — the layouts are written once, into
    an :class:`~.html.HtmlBook` here — and the same fixed number of queries.
    """
    if normalize_kind(kind) not in PRINTABLE_KINDS:
        raise ValidationError(
            {"kind": f"「{EXPORT_KINDS[normalize_kind(kind)]}」不是正式表样，请导出 Excel。"},
            code="invalid_kind",
        )
    book = HtmlBook()
    kind, year, root, writers = _write(
        book, actor=actor, kind=kind, unit=unit, year=year, data_month=data_month
    )
    return HtmlExport(
        kind=kind,
        title=EXPORT_KINDS[kind],
        unit=root,
        year=year,
        tables=book.tables(),
        rows=sum(w.data_rows for w in writers),
    )
