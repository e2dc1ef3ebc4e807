"""Background jobs in the admin: progress and 重新计算.

``recompute_jobs.recompute_request`` serves the 重新计算 form, which then shows the job's page
with a progress bar that refreshes itself until the job has finished or stalled, and
``jobs.job_requeue`` the 重新排队 button a stalled job's page offers.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from projects.admin.scoping import ScopedAdminMixin, report_service_error
from projects.admin.technical import TECHNICAL_FIELDS
from projects.admin.writes import WritesThroughServices, delete_each
from projects.models import Unit
from projects.permissions import RECOMPUTERS, holds_any_role, visible_units
from projects.years import year_form_field

from ..choices import JOB_ACTIVE, JobKind, JobStatus
from ..models import Job
from ..services.jobs import job_delete, job_requeue, requeue_refusal
from ..services.recompute_jobs import recompute_request


class RecomputeForm(forms.Form):
    year = year_form_field()
    unit = forms.ModelChoiceField(
        label="单位",
        queryset=Unit.objects.none(),
        required=False,
        empty_label="全部单位（需要财政审核人或管理员）",
        help_text="选择主管部门时，连同其下属单位一并重新计算。",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = visible_units(user).order_by("path")
        self.fields["unit"].label_from_instance = lambda unit: f"{unit.code} {unit.name}"


class JobStatusFilter(admin.SimpleListFilter):
    """By the status shown: 已停滞 includes jobs the periodic check has not marked yet."""

    title = "状态"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return JobStatus.choices

    def queryset(self, request, queryset):
        if self.value() in JobStatus.values:
            return queryset.with_status([self.value()])
        return queryset


def progress_words(job: Job) -> str:
    """A recompute's progress in words (“已完成 3/10 组单位，已算 8/25 个单位”); other jobs keep
    “processed/total”."""
    result = job.result or {}
    if job.kind == JobKind.RECOMPUTE and "chunks" in result:
        return (
            f"已完成 {len(result.get('done') or [])}/{len(result['chunks'])} 组单位，"
            f"已算 {job.processed}/{job.total} 个单位"
        )
    if job.kind == JobKind.RECOMPUTE:
        return "尚未分组"
    return f"{job.processed}/{job.total}"


def result_words(job: Job) -> str:
    """A job's result in words: an import's summary, a recompute's counts (“自评 5 个（0 个有变化，
    0 条得分有变化）；监控表 5 张（0 张有变化）”); “—” before there is one."""
    result = job.result or {}
    if result.get("summary"):
        return str(result["summary"])
    counts = result.get("counts") or {}
    if job.kind == JobKind.RECOMPUTE and counts:
        return (
            f"自评 {counts.get('evaluations', 0)} 个（{counts.get('evaluations_changed', 0)} 个有变化，"
            f"{counts.get('scores_changed', 0)} 条得分有变化）；"
            f"监控表 {counts.get('reports', 0)} 张（{counts.get('reports_changed', 0)} 张有变化）"
        )
    if result.get("superseded_by"):
        return f"已由任务 #{result['superseded_by']} 接替"
    return "—"


@admin.register(Job)
class JobAdmin(ScopedAdminMixin, WritesThroughServices, admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "params_display",
        "status_display",
        "progress_display",
        "attempts",
        "unit",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["kind", JobStatusFilter]
    list_select_related = ["unit", "created_by"]
    readonly_fields = [
        "status_display" if f.name == "status" else f.name for f in Job._meta.fields
    ] + [
        "progress_display",
        "params_display",
        "progress_words_display",
        "result_display",
        "errors_display",
    ]
    # the raw JSON and the counters behind the words above (superusers: under 技术信息)
    technical_fields = (*TECHNICAL_FIELDS, "params", "result", "errors", "total", "processed")
    change_list_template = "admin/performance/job/change_list.html"
    change_form_template = "admin/performance/job/change_form.html"

    def scope_queryset(self, queryset, user):
        """A job is its starter's (a superuser sees all)."""
        return queryset if user.is_superuser else queryset.filter(created_by=user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a job row is written by its services and tasks; the page shows it

    def delete_model(self, request, obj):
        job_delete(job=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        delete_each(queryset, lambda job: self.delete_model(request, job))

    def get_urls(self):
        view = self.admin_site.admin_view(self.recompute_view)
        requeue = self.admin_site.admin_view(require_POST(self.requeue_view))
        return [
            path("recompute/", view, name="performance_job_recompute"),
            path("<path:object_id>/requeue/", requeue, name="performance_job_requeue"),
            *super().get_urls(),
        ]

    @admin.display(description="状态", ordering="status")
    def status_display(self, obj):
        if obj.is_stalled():
            return format_html(
                '<strong style="color:#ba2121" title="{}">{}</strong>',
                obj.status_explanation,
                obj.get_effective_status_display(),
            )
        return obj.get_effective_status_display()

    @admin.display(description="进度")
    def progress_display(self, obj):
        return format_html(
            '<progress value="{}" max="100" style="width:8em"></progress> {}%（{}/{}）',
            obj.progress,
            obj.progress,
            obj.processed,
            obj.total,
        )

    @admin.display(description="参数")
    def params_display(self, obj):
        params = obj.params or {}
        if obj.kind == JobKind.RECOMPUTE:
            return f"{params.get('year')}年 · {obj.unit.name if obj.unit_id else '全部单位'}"
        return "，".join(f"{k}={v}" for k, v in params.items()) or "—"

    @admin.display(description="进度")
    def progress_words_display(self, obj):
        return progress_words(obj)

    @admin.display(description="结果")
    def result_display(self, obj):
        return result_words(obj)

    @admin.display(description="错误")
    def errors_display(self, obj):
        errors = obj.errors or []
        if not errors:
            return "无"
        items = format_html_join(
            "",
            "<li>{}</li>",
            ((e.get("message", e) if isinstance(e, dict) else e,) for e in errors),
        )
        return format_html('<ul class="errorlist">{}</ul>', items)

    def can_recompute(self, request) -> bool:
        """Reviewers above the unit level (the service checks the chosen unit again)."""
        user = request.user
        if not user.has_perm("performance.add_job"):
            return False
        return holds_any_role(user, RECOMPUTERS)

    def changelist_view(self, request, extra_context=None):
        extra_context = {"can_recompute": self.can_recompute(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        context = {}
        if job is not None:
            stalled = job.is_stalled()
            refusal = requeue_refusal(request.user, job) if stalled else ""
            context = {
                # Reload while the job moves; a finished or stalled one will not change.
                "job_running": job.status in JOB_ACTIVE and not stalled,
                "job_progress_words": progress_words(job),
                "can_requeue": stalled and not refusal,
                "requeue_refusal": refusal,
            }
        return super().change_view(
            request, object_id, form_url, {**context, **(extra_context or {})}
        )

    def requeue_view(self, request, object_id):
        """重新排队 (POST from a stalled job's page): the service checks permission and state."""
        job = self.get_object(request, object_id)
        if job is None:
            raise Http404(f"后台任务 {object_id} 不存在或无权访问。")
        try:
            job = job_requeue(actor=request.user, job_id=job.pk)
        except (ValidationError, PermissionDenied) as error:
            report_service_error(self, request, error)
        else:
            self.message_user(
                request,
                f"已重新排队任务 #{job.pk}：只重新发送尚未完成的部分，本页显示进度。",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:performance_job_change", args=[job.pk]))

    def recompute_view(self, request):
        """重新计算: pick a year and a unit, queue the job, then watch its progress."""
        if not self.can_recompute(request):
            raise PermissionDenied
        initial = {"year": timezone.localdate().year}
        form = RecomputeForm(request.POST or None, initial=initial, user=request.user)
        if request.method == "POST" and form.is_valid():
            try:
                job = recompute_request(
                    actor=request.user,
                    year=form.cleaned_data["year"],
                    unit=form.cleaned_data["unit"],
                )
            except (ValidationError, PermissionDenied) as error:
                report_service_error(self, request, error)
            else:
                self.message_user(
                    request,
                    f"已提交重新计算任务 #{job.pk}：后台按单位分批计算，本页显示进度。",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:performance_job_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "重新计算执行率、得分、等级和预警灯",
            "form": form,
        }
        return TemplateResponse(request, "admin/performance/job/recompute.html", context)
