"""Monitoring (绩效运行监控): the finance bureau opens a round, each unit fills its reports, the
engine computes execution, 时间进度 and lights.

Submit / review / return of a report are the shared transitions of ``workflow``; filling it in
is the shared path of ``filling`` (fields from ``field_specs.MONITORING_REPORT``). Derived
figures come from ``derived_figures.apply_report`` — the same row function ``recompute_year``
uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from projects import audit
from projects.bulk_writes import bulk_update_rows
from projects.models import AuditAction
from projects.permissions import may_open_rounds
from projects.services import projects as project_services
from projects.services.locking import check_lock_version
from projects.years import is_budget_year, year_out_of_range_message

from .. import dispatch
from ..choices import (
    GoalScope,
    RoundStatus,
    Status,
    WindowKind,
)
from ..field_specs import MONITORING_REPORT
from ..models import (
    Indicator,
    MonitoringEntry,
    MonitoringReport,
    MonitoringRound,
    PerformanceGoal,
    ReportingWindow,
)
from ..selectors import budget_execution, previous_year
from ..selectors.schemes import scheme_for_unit, scheme_lookup
from . import derived_figures, filling, typed_values
from .alerts import notify_lights
from .workflow import require_edit

ROUND_FIELDS = ("year", "data_month", "title", "opens_on", "deadline", "status")


# --- rounds --------------------------------------------------------------------------------


def default_round_title(year: int, data_month: int) -> str:
    return f"{year}年1-{data_month}月绩效运行监控"


def check_round_input(year: int, data_month: int, opens_on: dt.date, deadline: dt.date) -> None:
    """Field errors for a round's year, data month and dates (also used by the admin form)."""
    errors = {}
    if not isinstance(data_month, int) or not 1 <= data_month <= 12:
        errors["data_month"] = "数据截止月份应为 1 至 12 之间的整数。"
    if not is_budget_year(year):
        errors["year"] = year_out_of_range_message(year)
    if opens_on and deadline and deadline < opens_on:
        errors["deadline"] = "截止日期不能早于开始日期。"
    if errors:
        raise typed_values.refuse(errors, "invalid")


@transaction.atomic
def monitoring_round_open(
    *,
    actor,
    year: int,
    data_month: int,
    opens_on: dt.date,
    deadline: dt.date,
    title: str = "",
) -> MonitoringRound:
    """Open (or top up) a round: a draft report with one entry per indicator for every project
    whose goal for ``year`` is approved. Projects that already have a report keep it.

    Also creates the round's 绩效监控 reporting window, so the reminder sweep sees its deadline.
    """
    if not may_open_rounds(actor):
        raise PermissionDenied("只有财政审核人或管理员可以开启监控轮次。")
    check_round_input(year, data_month, opens_on, deadline)
    rounds = MonitoringRound.objects.select_for_update().filter(year=year, data_month=data_month)
    round_ = rounds.first()
    if round_ is None:
        round_ = MonitoringRound(
            year=year,
            data_month=data_month,
            opens_on=opens_on,
            deadline=deadline,
            title=(title or "").strip() or default_round_title(year, data_month),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        # check_round_input has checked the check constraints; uniqueness is left to the
        # database: two openers of the same month at once both find no round above, and the
        # second one's insert waits for the first to commit, then fails here.
        round_.full_clean(validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():  # a savepoint, so a lost race leaves this one usable
                round_.save()
        except IntegrityError:
            if not rounds.exists():
                raise
            round_ = None
        else:
            audit.record(
                obj=round_,
                actor=actor,
                action=AuditAction.CREATE,
                changes=audit.diff({}, audit.snapshot(round_, ROUND_FIELDS)),
                comment="开启监控轮次",
            )
    if round_ is None:  # another opener created it meanwhile: top it up like any open round
        round_ = rounds.get()
    if round_.status == RoundStatus.CLOSED:
        raise typed_values.refuse(
            {"status": f"“{round_}”已结束，不能再生成监控表。"},
            "round_closed",
        )
    ReportingWindow.objects.get_or_create(
        kind=WindowKind.MONITORING,
        monitoring_round=round_,
        defaults={
            "year": year,
            "title": round_.title,
            "opens_on": round_.opens_on,
            "closes_on": round_.deadline,
        },
    )
    _create_reports(round_, actor)
    return round_


def _create_reports(round_: MonitoringRound, actor) -> list[MonitoringReport]:
    goals = list(
        PerformanceGoal.objects.filter(
            scope=GoalScope.PROJECT, year=round_.year, status=Status.APPROVED
        )
        .exclude(project__monitoring_reports__round=round_)
        .select_related("unit", "project")
        .order_by("unit__code", "project__code")
    )
    if not goals:
        return []
    reports = MonitoringReport.objects.bulk_create(
        [
            MonitoringReport(
                round=round_, project=g.project, goal=g, unit=g.unit, status=Status.DRAFT
            )
            for g in goals
        ]
    )
    by_goal: dict[int, list[Indicator]] = {}
    for indicator in Indicator.objects.filter(goal__in=goals).select_related(
        "goal", "goal__project"
    ):
        by_goal.setdefault(indicator.goal_id, []).append(indicator)
    entries: dict[int, list[MonitoringEntry]] = {}
    new_entries = []
    for report in reports:
        rows = [
            MonitoringEntry(report=report, indicator=indicator)
            for indicator in sorted(by_goal.get(report.goal_id, []), key=lambda i: (i.order, i.pk))
        ]
        entries[report.pk] = rows
        new_entries.extend(rows)
    MonitoringEntry.objects.bulk_create(new_entries, batch_size=1000)
    compute_reports(round_, reports, entries)
    audit.record_many(
        entries=(
            (r, {"round": [None, round_.pk], "entries": [None, len(entries[r.pk])]})
            for r in reports
        ),
        actor=actor,
        action=AuditAction.CREATE,
        comment=f"开启“{round_}”：生成监控表",
    )
    return reports  # no light notice at round open (alerts.lights_due)


def compute_reports(
    round_: MonitoringRound,
    reports: Sequence[MonitoringReport],
    entries: Mapping[int, Sequence[MonitoringEntry]],
    *,
    batch_size: int = 1000,
    schemes: dict[int, Any] | None = None,
    unit_paths: Mapping[int, str] | None = None,
) -> list[tuple[MonitoringReport, dict]]:
    """Set-based compute of reports of one round (entries carry their indicator; model
    instances or ``rows.EntryRow``s). ``schemes`` caches engines by (unit id, year) across
    calls; ``unit_paths`` ({unit id: path}) spares loading the reports' units.

    One aggregate query for the figures, one for last year's values, then the shared row
    function and two bulk writes. Returns [(report, changes)] for the changed reports.
    """
    as_of = derived_figures.month_end(round_.year, round_.data_month)
    project_figures = budget_execution.figures_for({r.project_id for r in reports}, as_of=as_of)
    previous = previous_year.previous_year_values(
        e.indicator for rows in entries.values() for e in rows
    )
    schemes = {} if schemes is None else schemes
    if unit_paths is None:
        unit_paths = {r.unit_id: r.unit.path for r in reports}
    year = round_.year
    missing = {pk: path for pk, path in unit_paths.items() if (pk, year) not in schemes}
    if missing:
        scheme_of = scheme_lookup(missing.values())
        for unit_id, path in missing.items():
            schemes[unit_id, year] = scheme_of(path, year).to_engine()
    changed, changed_reports, changed_entries = [], [], []
    for report in reports:
        budget, executed = project_figures.get(report.project_id, (Decimal(0), Decimal(0)))
        rows = entries.get(report.pk, [])
        before_computed = report.computed_at
        own, per_entry = derived_figures.apply_report(
            report,
            rows,
            budget=budget,
            executed=executed,
            month=round_.data_month,
            scheme=schemes[report.unit_id, year],
            previous_values=previous,
        )
        if own or per_entry or before_computed != report.computed_at:
            changed_reports.append(report)
        changed_entries.extend(e for e in rows if e.pk in per_entry)
        if own or per_entry:
            changed.append((report, derived_figures.nested_changes(own, per_entry, "entries")))
    bulk_update_rows(
        changed_reports, [*derived_figures.REPORT_COMPUTED, "computed_at"], batch_size=batch_size
    )
    bulk_update_rows(
        changed_entries,
        list(derived_figures.ENTRY_COMPUTED),
        batch_size=batch_size,
        model=MonitoringEntry,
    )
    return changed


# --- reports -------------------------------------------------------------------------------


def _locked_report(report: MonitoringReport) -> MonitoringReport:
    return (
        MonitoringReport.objects.select_for_update(of=("self",))
        .select_related("round", "unit", "project")
        .get(pk=report.pk)
    )


def _entries_of(report: MonitoringReport) -> list[MonitoringEntry]:
    return list(derived_figures.with_indicators(MonitoringEntry.objects.filter(report=report)))


def _read_report_field(report: MonitoringReport, name: str, value) -> None:
    if name == "forecast_executed":
        amount = typed_values.decimal_or_none(value, name)
        report.forecast_executed = amount
        if amount is not None and amount < 0:
            raise typed_values.FieldProblem(name, "全年预计执行数不能为负数。")
    else:
        report.summary = value or ""


def _read_entry_field(entry: MonitoringEntry, name: str, value) -> None:
    if name == "band":
        value = typed_values.band_code(value)
    elif name == "deviation_cause":
        value = typed_values.cause_code(value)
    elif name == "likelihood":
        value = typed_values.likelihood_code(value)
    setattr(entry, name, (value or "").strip() if isinstance(value, str) else value or "")


def _check_entry(entry: MonitoringEntry, given: Mapping[str, Any], prefix: str, errors) -> None:
    """The values typed in this input must read against the indicator's target."""
    target = derived_figures.indicator_target(entry.indicator)
    for name in MONITORING_REPORT.row.typed:
        message = derived_figures.value_error(
            getattr(entry, name), indicator=entry.indicator, target=target
        )
        if message and name in given:
            errors[f"{prefix}.{name}"] = message


@transaction.atomic
def monitoring_report_update(
    *,
    report: MonitoringReport,
    actor,
    data: Mapping[str, Any],
    entries: Sequence[Mapping[str, Any]],
    expected_version: int | None = None,
) -> MonitoringReport:
    """Fill in a draft or returned report and recompute it.

    Bad input (an unreadable value, an unknown choice) is refused as a whole: field errors are
    keyed ``forecast_executed`` or ``entries[<index>].<field>`` and nothing is saved.
    """
    report = _locked_report(report)
    check_lock_version(report, expected_version)
    require_edit(report, actor=actor, action="填报绩效监控表")
    rows = _entries_of(report)
    filling.fill(
        MONITORING_REPORT,
        report,
        rows,
        data=data,
        row_data=entries,
        read=_read_report_field,
        read_row=_read_entry_field,
        check_row=_check_entry,
        missing_row="该指标不在本监控表中。",
    ).save(compute=lambda: _compute(report, rows), actor=actor, comment="填报绩效监控表")
    notify_lights(report, rows)
    return report


def _compute(report: MonitoringReport, rows: Sequence[MonitoringEntry]) -> tuple[dict, dict]:
    round_ = report.round
    as_of = derived_figures.month_end(round_.year, round_.data_month)
    budget, executed = budget_execution.figures_for([report.project_id], as_of=as_of).get(
        report.project_id, (Decimal(0), Decimal(0))
    )
    return derived_figures.apply_report(
        report,
        rows,
        budget=budget,
        executed=executed,
        month=round_.data_month,
        scheme=scheme_for_unit(report.unit, year=round_.year).to_engine(),
        previous_values=previous_year.previous_year_values(e.indicator for e in rows),
    )


@transaction.atomic
def monitoring_report_compute(*, report: MonitoringReport, actor=None) -> MonitoringReport:
    """Recompute executed-to-date, rate, 时间进度 and lights (any status; audited when changed)."""
    report = _locked_report(report)
    rows = _entries_of(report)
    computed_at = report.computed_at
    own, per_entry = _compute(report, rows)
    if own or per_entry or computed_at != report.computed_at:
        report.save(update_fields=[*derived_figures.REPORT_COMPUTED, "computed_at", "updated_at"])
        bulk_update_rows(
            [e for e in rows if e.pk in per_entry], list(derived_figures.ENTRY_COMPUTED)
        )
    if own or per_entry:
        audit.record(
            obj=report,
            actor=actor,
            action=AuditAction.COMPUTE,
            changes=derived_figures.nested_changes(own, per_entry, "entries"),
            comment="重新计算执行率与预警",
        )
    notify_lights(report, rows)
    return report


@transaction.atomic
def monitoring_report_add_execution(
    *, report: MonitoringReport, actor, date: dt.date, amount: Decimal, note: str = ""
) -> MonitoringReport:
    """Record a payment of the report's project (``execution_add``, audited there) from the
    report's page and recompute the report, so its rate and lights move at once.

    Why here: a fresh report has no executed amount until someone enters one, and the filler
    works on the report, not on the project's execution records."""
    report = _locked_report(report)
    require_edit(report, actor=actor, action="录入支出执行")
    round_ = report.round
    if round_.status != RoundStatus.OPEN:
        raise typed_values.refuse({"date": "本监控轮次已结束，不能再录入支出。"}, "round_closed")
    as_of = derived_figures.month_end(round_.year, round_.data_month)
    if date > as_of:
        raise typed_values.refuse(
            {"date": f"支出日期晚于本轮数据截止日 {as_of:%Y年%-m月%-d日}，不计入本监控表。"},
            "after_data_month",
        )
    project_services.execution_add(
        project=report.project, date=date, amount=amount, note=note, actor=actor
    )
    return monitoring_report_compute(report=report, actor=actor)


@transaction.atomic
def monitoring_round_close(*, actor, round_: MonitoringRound) -> MonitoringRound:
    """End a round (财政审核人 or 管理员 of the finance bureau): its reports become final, its
    reporting window stops reminding, and its red lights and 完全不可能 forecasts raise 整改
    tasks (queued after commit). Audited; a closed round stays closed."""
    if not may_open_rounds(actor):
        raise PermissionDenied("只有财政审核人或管理员可以结束监控轮次。")
    locked = MonitoringRound.objects.select_for_update().get(pk=round_.pk)
    if locked.status == RoundStatus.CLOSED:
        when = timezone.localtime(locked.closed_at).date() if locked.closed_at else ""
        raise typed_values.refuse({"status": f"“{locked}”已于{when}结束。"}, "round_closed")
    locked.status = RoundStatus.CLOSED
    locked.closed_at = timezone.now()
    locked.closed_by = actor if getattr(actor, "pk", None) else None
    locked.save(update_fields=["status", "closed_at", "closed_by"])
    ReportingWindow.objects.filter(
        kind=WindowKind.MONITORING, monitoring_round=locked, is_active=True
    ).update(is_active=False)
    audit.record(
        obj=locked,
        actor=actor,
        action=AuditAction.UPDATE,
        changes={"status": [RoundStatus.OPEN, RoundStatus.CLOSED]},
        comment="结束监控轮次",
    )
    round_id = locked.pk
    transaction.on_commit(lambda: dispatch.enqueue(dispatch.RAISE_RECTIFICATIONS, None, round_id))
    for name in ("status", "closed_at", "closed_by"):
        setattr(round_, name, getattr(locked, name))
    return locked
