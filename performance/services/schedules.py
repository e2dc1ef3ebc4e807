"""The schedules beat runs, stored in the database (django-celery-beat) so the admin can edit them.

``beat_schedules_ensure`` creates the schedules when they are missing and otherwise leaves
them alone, so an administrator's change of time (or disabling one) survives every deploy.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

REMINDERS = "每日提醒扫描（到期、逾期与预警）"
RECOMPUTE = "夜间重新计算（当年）"
HOUSEKEEPING = "夜间清理（过期的导入预览和任务文件）"
STALLED_JOBS = "检查停滞的后台任务（每 5 分钟）"
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
