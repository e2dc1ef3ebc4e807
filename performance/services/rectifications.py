"""整改 (rectification): raise tasks (automatically, exactly once per cause and source, or by
hand), let the unit fill its measures, remind before the deadline and when overdue.

- :func:`rectifications_raise` — set-based: one candidate query per cause with
  ``~Exists(task of that cause and source)``, ``bulk_create(ignore_conflicts=True)`` (the
  partial unique constraints make a concurrent or repeated run create nothing), one audit
  ``COPY``, and the unit's staff told once per task. Not scoped by ``visible_units``: it is the
  system's act.
- :func:`rectification_raise` — a reviewer (``RECTIFICATION_RAISERS``) raises one by hand.
- :func:`rectification_update` — the unit fills 整改措施/整改成效; the 验收方 may change
  整改要求/整改期限 while the task is open.
- submit / accept / return go through ``services.workflow`` (the table's rectification rows).
- :func:`rectification_reminders` — due and overdue reminders (overdue escalated to the
  主管部门), once per recipient and occasion; the deadline is in the key, so an extended
  deadline reminds again, once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext

from projects import audit
from projects.bulk_writes import bulk_insert_rows
from projects.models import AuditAction, Project, Unit
from projects.numbers import RATE, SCORE, figure
from projects.permissions import (
    DEPT_REVIEWERS,
    RECTIFICATION_RAISERS,
    UNIT_STAFF,
    RoleHolders,
    has_role,
    require_role,
)
from projects.services.locking import check_lock_version

from ..choices import (
    SPOT_CHECK_FINAL,
    Grade,
    Light,
    Likelihood,
    NotificationKind,
    RectificationCause,
    RectificationReviewer,
    RoundStatus,
    Status,
)
from ..field_specs import RECTIFICATION
from ..models import (
    MonitoringEntry,
    MonitoringReport,
    MonitoringRound,
    Notification,
    Rectification,
    SelfEvaluation,
    SpotCheck,
)
from ..models.rectifications import CAUSE_SOURCE
from . import notifications
from .reminders.common import notify_once
from .typed_values import refuse
from .workflow import APPROVE, require_edit

# Years the daily sweep looks at (the safety net behind the inline raises).
SWEEP_YEARS_BACK = 2
# Who hears of a new task beyond the unit's staff: the department, for the causes it reviews.
ESCALATED_CAUSES = (
    RectificationCause.RED_LIGHT,
    RectificationCause.IMPOSSIBLE,
    RectificationCause.POOR_GRADE,
)
UNIT_FIELDS = RECTIFICATION.filled  # the unit's answer
REVIEWER_FIELDS = ("requirement", "deadline")  # the 验收方's, while the task is open
BATCH = 1000


@dataclass
class RaiseResult:
    """How many tasks each cause created, and their ids."""

    created: dict[str, int] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.created.values())


def _link(pk: int | None = None) -> str:
    try:
        if pk is None:
            return reverse("admin:performance_rectification_changelist")
        return reverse("admin:performance_rectification_change", args=[pk])
    except NoReverseMatch:  # the admin is not mounted in this deployment
        return ""


def _not_raised(cause: str) -> Exists:
    source = CAUSE_SOURCE[cause]
    return Exists(Rectification.objects.filter(cause=cause, **{source: OuterRef("pk")}))


def _red_light_rows(reports: QuerySet) -> Iterable[dict[str, Any]]:
    cause = RectificationCause.RED_LIGHT
    candidates = (
        reports.filter(light=Light.RED)
        .filter(~_not_raised(cause))
        .values_list(
            "pk",
            "unit_id",
            "project_id",
            "round__year",
            "project__name",
            "execution_rate",
            "time_progress",
            "round__title",
        )
        .order_by("pk")
    )
    for pk, unit_id, project_id, year, name, rate, progress, title in candidates:
        yield {
            "report_id": pk,
            "unit_id": unit_id,
            "project_id": project_id,
            "year": year,
            "problem": (
                f"“{title} · {name}”综合预警为红灯：预算执行率 {figure(rate, RATE)}，"
                f"时间进度 {figure(progress, RATE)}。请分析原因、制定整改措施并上传佐证材料。"
            ),
        }


def _impossible_rows(reports: QuerySet) -> Iterable[dict[str, Any]]:
    cause = RectificationCause.IMPOSSIBLE
    impossible = MonitoringEntry.objects.filter(
        report=OuterRef("pk"), likelihood=Likelihood.IMPOSSIBLE
    )
    candidates = list(
        reports.filter(Exists(impossible))
        .filter(~_not_raised(cause))
        .values_list("pk", "unit_id", "project_id", "round__year", "project__name", "round__title")
        .order_by("pk")
    )
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start : start + BATCH]
        names: dict[int, list[str]] = {}
        for report_id, level3 in (
            MonitoringEntry.objects.filter(
                report_id__in=[row[0] for row in batch], likelihood=Likelihood.IMPOSSIBLE
            )
            .order_by("report_id", "indicator__order", "pk")
            .values_list("report_id", "indicator__level3")
        ):
            names.setdefault(report_id, []).append(level3)
        for pk, unit_id, project_id, year, name, title in batch:
            listed = "、".join(f"“{n}”" for n in names.get(pk, []))
            yield {
                "report_id": pk,
                "unit_id": unit_id,
                "project_id": project_id,
                "year": year,
                "problem": (
                    f"“{title} · {name}”中指标 {listed} 预计全年完全不可能完成。"
                    "请分析原因、制定整改措施并上传佐证材料。"
                ),
            }


def _evaluation_rows(evaluations: QuerySet, cause: str) -> Iterable[dict[str, Any]]:
    approved = evaluations.filter(status=Status.APPROVED)
    if cause == RectificationCause.POOR_GRADE:
        approved = approved.filter(grade=Grade.POOR)
    else:  # a deviation: the 差 task already covers a 差 evaluation (one task, not two)
        approved = approved.filter(has_deviation=True).exclude(grade=Grade.POOR)
    candidates = (
        approved.filter(~_not_raised(cause))
        .values_list("pk", "unit_id", "project_id", "year", "project__name", "total_score", "grade")
        .order_by("pk")
    )
    for pk, unit_id, project_id, year, name, total, grade in candidates:
        what = f"“{name or '部门（单位）整体'}”{year}年度绩效自评"
        if cause == RectificationCause.POOR_GRADE:
            problem = (
                f"{what}得分 {figure(total, SCORE)}，等级为“{Grade(grade).label}”。"
                "请分析原因、制定整改措施并上传佐证材料。"
            )
        else:
            problem = (
                f"{what}存在偏差（得分 {figure(total, SCORE)}）。"
                "请针对偏差原因制定整改措施并上传佐证材料。"
            )
        yield {
            "evaluation_id": pk,
            "unit_id": unit_id,
            "project_id": project_id,
            "year": year,
            "problem": problem,
        }


def _review_difference_rows(spot_checks: QuerySet) -> Iterable[dict[str, Any]]:
    cause = RectificationCause.REVIEW_DIFFERENCE
    threshold = settings.SPOT_CHECK_DIFFERENCE_THRESHOLD
    candidates = (
        spot_checks.filter(
            outcome__in=SPOT_CHECK_FINAL, final_difference__gte=threshold
        )  # only a self score above the final one: an understated score needs no 整改
        .filter(~_not_raised(cause))
        .values_list(
            "pk",
            "unit_id",
            "project_id",
            "year",
            "project__name",
            "self_total",
            "final_total",
            "final_difference",
        )
        .order_by("pk")
    )
    for pk, unit_id, project_id, year, name, self_total, final_total, difference in candidates:
        yield {
            "spot_check_id": pk,
            "unit_id": unit_id,
            "project_id": project_id,
            "year": year,
            "problem": (
                f"“{name or '部门（单位）整体'}”{year}年度绩效自评得分 {figure(self_total, SCORE)}，"
                f"财政复核最终得分 {figure(final_total, SCORE)}，差异 {figure(difference, SCORE)} 分，"
                f"达到 {threshold} 分。请分析自评偏高的原因、制定整改措施并上传佐证材料。"
            ),
        }


# What the raise reads back of the tasks it created (plain values: no model per row).
CREATED = ("pk", "unit_id", "unit__path", "unit__name", "year", "cause", "problem", "deadline")
INSERTED = (
    "unit",
    "project",
    "year",
    "cause",
    "report",
    "evaluation",
    "spot_check",
    "review_by",
    "problem",
    "requirement",
    "deadline",
    "measures",
    "result",
    "raised_at",
    "status",
    "last_comment",
    "lock_version",
    "step_entered_at",
    "created_at",
    "updated_at",
)


def _insert(rows: list[tuple]) -> None:
    """Insert a batch in one ``COPY``; should a concurrent raise have inserted one of them
    first (a unique constraint), insert the batch again skipping the conflicts."""
    try:
        with transaction.atomic():
            bulk_insert_rows(Rectification, INSERTED, rows)
    except IntegrityError:
        Rectification.objects.bulk_create(
            [Rectification(**dict(zip(_ATTNAMES, row, strict=True))) for row in rows],
            ignore_conflicts=True,
        )


_ATTNAMES = tuple(
    f"{name}_id" if name in ("unit", "project", "report", "evaluation", "spot_check") else name
    for name in INSERTED
)


def _audited(created: Sequence[tuple], changes: dict) -> Iterator[tuple[Rectification, dict]]:
    """The audit entries of created tasks: one model shell re-pointed per row (``record_many``
    reads each entry's pk and unit before it takes the next), so no model is built per task;
    every task of a cause and run has the same ``changes`` (one object, encoded once)."""
    shell = Rectification()
    for row in created:
        shell.pk, shell.unit_id = row[0], row[1]
        yield shell, changes


def _create(cause: str, rows: Iterable[dict[str, Any]], *, now, deadline, result) -> None:
    """Insert one cause's tasks in batches, then read back what this run created (its tasks
    carry this run's ``raised_at``; a concurrent run's rows are skipped by the unique
    constraints and are not counted twice), audit them and tell their units."""
    review_by = (
        RectificationReviewer.FINANCE_REVIEWER
        if cause == RectificationCause.REVIEW_DIFFERENCE
        else RectificationReviewer.DEPT_REVIEWER
    )
    source = CAUSE_SOURCE[cause]
    label = RectificationCause(cause).label
    template = {
        "report": None,
        "evaluation": None,
        "spot_check": None,
        "cause": cause,
        "review_by": review_by,
        "requirement": "",
        "deadline": deadline,
        "measures": "",
        "result": "",
        "raised_at": now,
        "status": Status.DRAFT,
        "last_comment": "",
        "lock_version": 1,
        "step_entered_at": now,
        "created_at": now,
        "updated_at": now,
    }
    batch: list[tuple] = []
    inserted = 0
    for row in rows:
        values = {
            **template,
            "unit": row["unit_id"],
            "project": row["project_id"],
            "year": row["year"],
            "problem": row["problem"],
            source: row[f"{source}_id"],
        }
        batch.append(tuple(values[name] for name in INSERTED))
        if len(batch) >= BATCH:
            _insert(batch)
            inserted += len(batch)
            batch.clear()
    if batch:
        _insert(batch)
        inserted += len(batch)
    if not inserted:
        return
    created = list(
        Rectification.objects.filter(cause=cause, raised_at=now)
        .order_by("pk")
        .values_list(*CREATED)
    )
    if not created:
        return
    changes = {"cause": [None, cause], "deadline": [None, deadline]}
    audit.record_many(
        entries=_audited(created, changes),
        actor=None,
        action=AuditAction.CREATE,
        comment="系统自动发起整改任务",
        reprs={row[0]: f"{row[4]}年 整改任务 #{row[0]}（{label}）" for row in created},
    )
    for start in range(0, len(created), BATCH):
        _announce(created[start : start + BATCH])
    result.created[cause] = result.created.get(cause, 0) + len(created)
    result.ids.extend(row[0] for row in created)


def _announce(created: Sequence[tuple]) -> int:
    """Tell each task's unit staff (and the department, for the causes it reviews) once;
    ``created`` rows are :data:`CREATED` values."""
    if notifications.is_silenced():  # nobody would get them: do not look for recipients
        return 0
    holders = RoleHolders([row[2] for row in created], (*UNIT_STAFF, *DEPT_REVIEWERS))
    existing: set = set()
    link = _link(0)
    count = 0
    for pk, unit_id, path, unit_name, _year, cause, problem, deadline in created:
        recipients = holders.of_path(path, UNIT_STAFF)
        if cause in ESCALATED_CAUSES:
            recipients += holders.of_path(path, DEPT_REVIEWERS)
        if not recipients:
            continue
        count += notify_once(
            recipients=list({u.pk: u for u in recipients}.values()),
            occasion_key=f"rectification:{pk}:raised",
            existing=existing,
            kind=NotificationKind.RECTIFICATION_RAISED,
            title=f"整改任务：{RectificationCause(cause).label}（{unit_name}）"[:200],
            body=f"{problem}\n整改期限：{deadline}",
            link=link.replace("/0/", f"/{pk}/"),
            unit=Unit(pk=unit_id, path=path, name=unit_name),
        )
    return count


@transaction.atomic
def rectifications_raise(
    *,
    year: int | None = None,
    rounds: QuerySet | Sequence[MonitoringRound] | None = None,
    evaluations: QuerySet | Sequence[SelfEvaluation] | None = None,
    spot_checks: QuerySet | Sequence[SpotCheck] | None = None,
    today: dt.date | None = None,
) -> RaiseResult:
    """Raise every automatic 整改 task not raised yet, of ``year`` (or the given rounds,
    evaluations or spot checks only; with none of them, the last ``SWEEP_YEARS_BACK`` years).

    Safe to re-run: a cause and source has at most one task ever (a task accepted or returned
    stays the one task), so a second run creates nothing.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    deadline = today + dt.timedelta(days=settings.RECTIFICATION_DAYS)
    result = RaiseResult()
    given = any(x is not None for x in (rounds, evaluations, spot_checks))
    since = today.year - SWEEP_YEARS_BACK

    def years(queryset: QuerySet, name: str) -> QuerySet:
        if year is not None:
            return queryset.filter(**{name: year})
        return queryset if given else queryset.filter(**{f"{name}__gte": since})

    def ids(objs) -> list[int]:
        return [getattr(o, "pk", o) for o in objs]

    if rounds is not None or not given:
        reports = MonitoringReport.objects.filter(round__status=RoundStatus.CLOSED)
        if rounds is not None:
            reports = reports.filter(round_id__in=ids(rounds))
        reports = years(reports, "round__year")
        kw = {"now": now, "deadline": deadline, "result": result}
        _create(RectificationCause.RED_LIGHT, _red_light_rows(reports), **kw)
        _create(RectificationCause.IMPOSSIBLE, _impossible_rows(reports), **kw)
    if evaluations is not None or not given:
        queryset = SelfEvaluation.objects.all()
        if evaluations is not None:
            queryset = queryset.filter(pk__in=ids(evaluations))
        queryset = years(queryset, "year")
        for cause in (RectificationCause.POOR_GRADE, RectificationCause.DEVIATION):
            _create(
                cause, _evaluation_rows(queryset, cause), now=now, deadline=deadline, result=result
            )
    if spot_checks is not None or not given:
        queryset = SpotCheck.objects.all()
        if spot_checks is not None:
            queryset = queryset.filter(pk__in=ids(spot_checks))
        queryset = years(queryset, "year")
        _create(
            RectificationCause.REVIEW_DIFFERENCE,
            _review_difference_rows(queryset),
            now=now,
            deadline=deadline,
            result=result,
        )
    return result


def after_evaluation_transition(evaluation: SelfEvaluation, row, actor) -> None:
    """The workflow's hook on self-evaluations: a 差 or deviation evaluation reaching 财政批复
    raises its task at once (the daily sweep is the safety net)."""
    if row.action == APPROVE and row.target == Status.APPROVED:
        rectifications_raise(evaluations=[evaluation])


@transaction.atomic
def rectification_raise(
    *,
    actor,
    unit: Unit,
    year: int,
    problem: str,
    deadline: dt.date,
    requirement: str = "",
    project: Project | None = None,
    today: dt.date | None = None,
) -> Rectification:
    """A reviewer raises a task by hand (其他（人工发起）). The department's 主管部门审核人
    raises one its department accepts; a 财政审核人 one only finance accepts."""
    require_role(actor, unit, RECTIFICATION_RAISERS, "发起整改任务")
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    problem = (problem or "").strip()
    if not problem:
        errors["problem"] = gettext("请填写存在问题。")
    if deadline is None:
        errors["deadline"] = gettext("请填写整改期限。")
    elif deadline < today:
        errors["deadline"] = gettext("整改期限不能早于今天。")
    if project is not None and project.unit_id != unit.pk:
        errors["project"] = gettext("项目“%(project)s”不属于“%(unit)s”。") % {
            "project": project,
            "unit": unit.name,
        }
    if errors:
        raise refuse(errors, "invalid")
    review_by = (
        RectificationReviewer.DEPT_REVIEWER
        if actor is not None and has_role(actor, unit, DEPT_REVIEWERS)
        else RectificationReviewer.FINANCE_REVIEWER
    )
    now = timezone.now()
    task = Rectification(
        unit=unit,
        year=year,
        project=project,
        cause=RectificationCause.MANUAL,
        review_by=review_by,
        problem=problem,
        requirement=(requirement or "").strip(),
        deadline=deadline,
        raised_by=actor if getattr(actor, "pk", None) else None,
        raised_at=now,
        step_entered_at=now,
    )
    task.full_clean()
    task.save()
    audit.record(
        obj=task,
        actor=actor,
        action=AuditAction.CREATE,
        changes=audit.diff(
            {}, audit.snapshot(task, ("cause", "problem", "requirement", "deadline"))
        ),
        comment="人工发起整改任务",
    )
    _announce(
        [
            (
                task.pk,
                unit.pk,
                unit.path,
                unit.name,
                task.year,
                task.cause,
                task.problem,
                task.deadline,
            )
        ]
    )
    return task


@transaction.atomic
def rectification_update(
    *, actor, rectification: Rectification, data: Mapping[str, Any], expected_version: int | None
) -> Rectification:
    """The unit fills 整改措施 and 整改成效 (in 整改中/退回重新整改); the 验收方 changes 整改要求
    and 整改期限 while the task is not closed. Anything else is refused; audited."""
    locked = (
        Rectification.objects.select_for_update().select_related("unit").get(pk=rectification.pk)
    )
    check_lock_version(locked, expected_version)
    unknown = [name for name in data if name not in (*UNIT_FIELDS, *REVIEWER_FIELDS)]
    if unknown:
        raise refuse({name: gettext("该字段不能在此修改。") for name in unknown}, "invalid")
    if any(name in data for name in UNIT_FIELDS):
        require_edit(locked, actor=actor, action="填写整改情况")
    if any(name in data for name in REVIEWER_FIELDS):
        require_role(actor, locked.unit, locked.reviewer_roles(), "修改整改要求或期限")
        if locked.status == Status.APPROVED:
            raise refuse(
                {"status": gettext("“%(task)s”已销号，不能再修改。") % {"task": locked}},
                "not_editable",
            )
    errors: dict[str, str] = {}
    changes: dict[str, list] = {}
    for name, value in data.items():
        if name == "deadline":
            if not isinstance(value, dt.date):
                errors[name] = gettext("请填写有效的整改期限。")
                continue
            if value < timezone.localdate() and value != locked.deadline:
                errors[name] = gettext("整改期限不能早于今天。")
                continue
        else:
            value = "" if value is None else str(value).strip()
        if getattr(locked, name) != value:
            changes[name] = [getattr(locked, name), value]
            setattr(locked, name, value)
    if errors:
        raise refuse(errors, "invalid")
    if changes:
        locked.lock_version += 1
        locked.full_clean()
        locked.save()
        audit.record(obj=locked, actor=actor, action=AuditAction.UPDATE, changes=changes)
    for name in (*changes, "lock_version", "updated_at"):
        setattr(rectification, name, getattr(locked, name))
    return locked


def rectification_reminders(*, today: dt.date | None = None) -> int:
    """Remind each open task's unit within ``RECTIFICATION_LEAD_DAYS`` of its deadline, and
    when overdue (escalated to the 主管部门审核人), once per recipient and occasion."""
    today = today or timezone.localdate()
    lead = today + dt.timedelta(days=settings.RECTIFICATION_LEAD_DAYS)
    tasks = list(
        Rectification.objects.filter(status__in=(Status.DRAFT, Status.RETURNED), deadline__lte=lead)
        .select_related("unit")
        .order_by("deadline", "pk")
    )
    if not tasks:
        return 0
    keys = {
        t.pk: f"rectification:{t.pk}:{'overdue' if t.deadline < today else 'due'}:{t.deadline}"
        for t in tasks
    }
    existing = set(
        Notification.objects.filter(occasion_key__in=list(keys.values())).values_list(
            "recipient_id", "occasion_key"
        )
    )
    holders = RoleHolders([t.unit.path for t in tasks], (*UNIT_STAFF, *DEPT_REVIEWERS))
    created = 0
    for task in tasks:
        overdue = task.deadline < today
        recipients = holders.of(task.unit, UNIT_STAFF)
        if overdue:
            recipients += holders.of(task.unit, DEPT_REVIEWERS)
            days = (today - task.deadline).days
            title = f"整改逾期 {days} 天：{task.get_cause_display()}（{task.unit.name}）"
        else:
            title = (
                f"整改即将到期（{task.deadline}）：{task.get_cause_display()}（{task.unit.name}）"
            )
        created += notify_once(
            recipients=list({u.pk: u for u in recipients}.values()),
            occasion_key=keys[task.pk],
            existing=existing,
            kind=(
                NotificationKind.RECTIFICATION_OVERDUE
                if overdue
                else NotificationKind.RECTIFICATION_DUE
            ),
            title=title[:200],
            body=f"{task.problem}\n整改期限：{task.deadline}",
            link=_link(task.pk),
            unit=task.unit,
        )
    return created


__all__ = [
    "RaiseResult",
    "after_evaluation_transition",
    "rectification_raise",
    "rectification_reminders",
    "rectification_update",
    "rectifications_raise",
]
