"""The schedules beat runs, stored in the database (django-celery-beat) so the admin can edit them.

``beat_schedules_ensure`` creates the schedules when they are missing and otherwise leaves
them alone, so an administrator's change of time (or disabling one) survives every deploy.
The admin's writes (``schedule_save``, ``schedule_delete``, ``periodic_tasks_enable``,
``periodic_tasks_run``) are for superusers only (``permissions.may_manage_schedules``: a
periodic task runs any registered task, with any arguments, as the system) and audited.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from projects import audit
from projects.models import AuditAction
from projects.permissions import may_manage_schedules

SCHEDULE_MODELS = (PeriodicTask, IntervalSchedule, CrontabSchedule, SolarSchedule, ClockedSchedule)

REMINDERS = "每日提醒扫描（到期、逾期与预警）"
RECOMPUTE = "夜间重新计算（当年）"
HOUSEKEEPING = "夜间清理（过期的导入预览和任务文件）"
STALLED_JOBS = "检查停滞的后台任务（每 5 分钟）"
SPOT_CHECKS = "每日财政复核确认（异议期届满）"
RECTIFICATIONS = "每日整改任务生成（兜底）"
# Earlier name of the same schedule: renamed in place (keeping an administrator's changes).
RENAMED = {"夜间清理（过期的导入预览文件）": HOUSEKEEPING}
SCHEDULES = {
    REMINDERS: {
        "task": "performance.reminders_sweep",
        "hour": "7",
        "description": "每天早上为有待办的单位发送填报提醒，逾期的同时告知主管部门审核人；"
        "同一提醒每人只收到一次。",
    },
    RECOMPUTE: {
        "task": "performance.recompute_nightly",
        "hour": "2",
        "description": "每天夜间按单位分批重新计算当年的执行率、指标得分、总分、等级和预警灯；"
        'kwargs 可指定年度，如 {"year": 2023}。',
    },
    HOUSEKEEPING: {
        "task": "performance.housekeeping",
        "hour": "3",
        "description": "每天夜间删除未确认、且所属会话已过期的导入预览文件（media/imports/preview/），"
        "以及结束超过保留天数（JOB_FILE_RETENTION_DAYS，默认 30 天）的后台任务的上传文件和结果文件"
        "（media/jobs/）；任务记录本身保留。",
    },
    STALLED_JOBS: {
        "task": "performance.mark_stalled_jobs",
        "hour": "*",
        "minute": "*/5",
        "description": "将超过 JOB_STALL_SECONDS（默认 15 分钟）没有进展的排队中或运行中的后台任务"
        "标记为“已停滞”（后台进程可能已停止）；有权发起该任务的用户可在任务页面重新排队。",
    },
    SPOT_CHECKS: {
        "task": "performance.spot_checks_finalize",
        "hour": "6",
        "description": "每天早上将异议期（SPOT_CHECK_OBJECTION_DAYS，默认 15 天）已过、单位未提出异议的"
        "财政复核结果确认为最终结论（无异议，已确认）；重复运行不会重复确认。",
    },
    RECTIFICATIONS: {
        "task": "performance.raise_rectifications",
        "hour": "6",
        "minute": "30",
        "description": "每天早上为近两年已结束监控轮次的红灯和“完全不可能”、财政批复的“差”和偏差自评、"
        "差异达到阈值的最终复核结果自动生成整改任务（兜底，平时在发生时即生成）；"
        "每个原因只生成一次，重复运行不会重复生成。",
    },
}


def _crontab(hour: str, minute: str = "0") -> CrontabSchedule:
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month="*",
        month_of_year="*",
        day_of_week="*",
        timezone=settings.TIME_ZONE,
    )
    return schedule


@transaction.atomic
def beat_schedules_ensure(*, every_seconds: int | None = None) -> dict[str, str]:
    """Create the missing schedules; returns ``{name: "created" | "kept" | "interval"}``.

    ``every_seconds`` (smoke tests, demos) switches the reminder sweep to run every N seconds,
    overwriting its schedule; without it existing rows are never changed.
    """
    outcome = {}
    for old, new in RENAMED.items():
        if not PeriodicTask.objects.filter(name=new).exists():
            PeriodicTask.objects.filter(name=old).update(
                name=new, description=SCHEDULES[new]["description"]
            )
    for name, spec in SCHEDULES.items():
        task = PeriodicTask.objects.filter(name=name).first()
        if task is None:
            PeriodicTask.objects.create(
                name=name,
                task=spec["task"],
                crontab=_crontab(spec["hour"], spec.get("minute", "0")),
                description=spec["description"],
            )
            outcome[name] = "created"
        else:
            outcome[name] = "kept"
    if every_seconds:
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=every_seconds, period=IntervalSchedule.SECONDS
        )
        task = PeriodicTask.objects.get(name=REMINDERS)
        task.crontab = None
        task.interval = interval
        task.enabled = True
        task.save()
        outcome[REMINDERS] = "interval"
    return outcome


# --- the admin's writes -------------------------------------------------------------------------


def _require(actor) -> None:
    if actor is not None and not may_manage_schedules(actor):
        raise PermissionDenied("只有系统管理员可以维护定时任务。")


def schedule_fields(model: type[models.Model]) -> tuple[str, ...]:
    """The fields of a periodic task or schedule a form may set (what the audit snapshots)."""
    if model not in SCHEDULE_MODELS:
        raise ValueError(f"{model.__name__} is not a django-celery-beat schedule")
    return tuple(f.name for f in model._meta.concrete_fields if f.editable and not f.primary_key)


@transaction.atomic
def schedule_save(
    *,
    model: type[models.Model],
    data: Mapping[str, Any],
    actor=None,
    schedule: models.Model | None = None,
) -> models.Model:
    """Create or change a periodic task or one of its schedules (interval, crontab, solar,
    clocked): superusers only, validated, audited field by field."""
    _require(actor)
    return audit.save_recorded(model, schedule, data, fields=schedule_fields(model), actor=actor)


@transaction.atomic
def schedule_delete(*, schedule: models.Model, actor=None) -> None:
    """Delete a periodic task, or a schedule no task uses any more (the tasks on a schedule
    are deleted with it: the admin's delete page lists them first)."""
    _require(actor)
    audit.delete_recorded(schedule, fields=schedule_fields(type(schedule)), actor=actor)


@transaction.atomic
def periodic_tasks_enable(
    *, tasks: Iterable[PeriodicTask], enabled: bool | None, actor=None
) -> int:
    """Switch periodic tasks on (``True``), off (``False``) or each to the other state
    (``None``); returns how many changed. Beat picks the change up at its next tick."""
    _require(actor)
    count = 0
    for task in tasks:
        task = PeriodicTask.objects.select_for_update().get(pk=task.pk)
        wanted = (not task.enabled) if enabled is None else enabled
        if task.enabled == wanted:
            continue
        task.enabled = wanted
        task.save()  # a disabled task also forgets its last run (django-celery-beat)
        audit.record(
            obj=task,
            actor=actor,
            action=AuditAction.UPDATE,
            changes={"enabled": [not wanted, wanted]},
        )
        count += 1
    return count


@transaction.atomic
def periodic_tasks_run(*, tasks: Iterable[PeriodicTask], actor=None) -> int:
    """Run periodic tasks once now, with their stored arguments, after the commit; refused
    (nothing runs) when one names a task this deployment does not have."""
    _require(actor)
    tasks = list(tasks)
    current_app.loader.import_default_modules()
    missing = [t.task for t in tasks if t.task not in current_app.tasks]
    if missing:
        raise ValidationError({"task": f"任务“{'、'.join(missing)}”不存在，未运行任何任务。"})
    for task in tasks:
        audit.record(
            obj=task,
            actor=actor,
            action=AuditAction.TRANSITION,
            transition="run",
            comment="手动运行一次",
        )
        transaction.on_commit(lambda task=task: _run(task))
    return len(tasks)


def _run(task: PeriodicTask) -> None:
    options: dict[str, Any] = {"headers": {"periodic_task_name": task.name}}
    if task.queue:
        options["queue"] = task.queue
    current_app.tasks[task.task].apply_async(
        args=json.loads(task.args or "[]"), kwargs=json.loads(task.kwargs or "{}"), **options
    )
