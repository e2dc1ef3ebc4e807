"""定时任务 (django-celery-beat's periodic tasks and their schedules) in the admin: superusers
only, every write through ``services.schedules``, so each change is validated and audited.

django-celery-beat registers its own admin classes; they are replaced here by subclasses that
keep its screens (the task picker, the crontab preview) and route the saves, deletes and the
启用/停用/切换/立即运行 actions through the services.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from projects.admin.accounts import SuperuserOnlyMixin, reregister
from projects.admin.writes import ReadOnlyInlineMixin, WritesThroughServices, delete_each
from projects.permissions import may_manage_schedules

from ..services import schedules


class ScheduleWritesMixin(SuperuserOnlyMixin):
    """Saves and deletes of a periodic task or schedule through ``schedules``."""

    manager = staticmethod(may_manage_schedules)

    def save_model(self, request, obj, form, change):
        fields = schedules.schedule_fields(self.model)
        saved = schedules.schedule_save(
            model=self.model,
            data={k: v for k, v in form.cleaned_data.items() if k in fields},
            actor=request.user,
            schedule=obj if change else None,
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        schedules.schedule_delete(schedule=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        delete_each(queryset, lambda schedule: self.delete_model(request, schedule))


class PeriodicTaskAdmin(ScheduleWritesMixin, WritesThroughServices, beat_admin.PeriodicTaskAdmin):
    @admin.action(description="启用所选定时任务")
    def enable_tasks(self, request, queryset):
        count = schedules.periodic_tasks_enable(tasks=queryset, enabled=True, actor=request.user)
        self.message_user(request, f"已启用 {count} 个定时任务。")

    @admin.action(description="停用所选定时任务")
    def disable_tasks(self, request, queryset):
        count = schedules.periodic_tasks_enable(tasks=queryset, enabled=False, actor=request.user)
        self.message_user(request, f"已停用 {count} 个定时任务。")

    @admin.action(description="切换所选定时任务的启用状态")
    def toggle_tasks(self, request, queryset):
        count = schedules.periodic_tasks_enable(tasks=queryset, enabled=None, actor=request.user)
        self.message_user(request, f"已切换 {count} 个定时任务的启用状态。")

    @admin.action(description="立即运行所选定时任务")
    def run_tasks(self, request, queryset):
        count = schedules.periodic_tasks_run(tasks=queryset, actor=request.user)
        self.message_user(request, f"已提交 {count} 个任务立即运行。", level=messages.SUCCESS)


class PeriodicTaskInline(ReadOnlyInlineMixin, beat_admin.PeriodicTaskInline):
    """The tasks on a schedule, shown on the schedule's page (changed on their own page)."""


class ScheduleAdminMixin(ScheduleWritesMixin, WritesThroughServices):
    inlines = [PeriodicTaskInline]


reregister(PeriodicTask, PeriodicTaskAdmin)
for _model, _admin_class in (
    (IntervalSchedule, beat_admin.IntervalScheduleAdmin),
    (CrontabSchedule, beat_admin.CrontabScheduleAdmin),
    (SolarSchedule, beat_admin.SolarScheduleAdmin),
    (ClockedSchedule, beat_admin.ClockedScheduleAdmin),
):
    reregister(_model, type(_admin_class.__name__, (ScheduleAdminMixin, _admin_class), {}))
