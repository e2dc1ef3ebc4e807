"""Monitoring rounds (opened by the finance bureau) and each project's monitoring report."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from projects.admin.scoping import report_service_error
from projects.admin.versioning import EXPECTED_VERSION
from projects.admin.writes import WritesThroughServices
from projects.models import ExecutionRecord
from projects.numbers import RATE, figure
from projects.permissions import may_open_rounds

from ..choices import Light, RoundStatus
from ..field_specs import MONITORING_REPORT
from ..models import MonitoringEntry, MonitoringReport, MonitoringRound
from ..services import derived_figures
from ..services import monitoring as monitoring_services
from .common import (
    RowLastYearFormSet,
    light_badge,
    render_findings,
    with_last_year,
    with_second_line,
)
from .documents import FilledDocumentAdmin, IndicatorRowInline, may_edit
from .evidence import EvidenceColumnMixin


class RoundForm(forms.ModelForm):
    class Meta:
        model = MonitoringRound
        fields = ["year", "data_month", "title", "opens_on", "deadline"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "title" in self.fields:
            self.fields["title"].required = False
            self.fields["title"].help_text = "留空则为“某年1-N月绩效运行监控”。"

    def clean(self):
        cleaned = super().clean()
        year, month = cleaned.get("year"), cleaned.get("data_month")
        opens_on, deadline = cleaned.get("opens_on"), cleaned.get("deadline")
        if year and month and opens_on and deadline:
            try:
                monitoring_services.check_round_input(year, month, opens_on, deadline)
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    self.add_error(field, problems)
            if not cleaned.get("title"):
                cleaned["title"] = monitoring_services.default_round_title(year, month)
                self.instance.title = cleaned["title"]
        return cleaned


@admin.register(MonitoringRound)
class MonitoringRoundAdmin(WritesThroughServices, admin.ModelAdmin):
    form = RoundForm
    list_display = [
        "title",
        "year",
        "data_month",
        "opens_on",
        "deadline",
        "status",
        "report_link",
        "light_counts",
    ]
    list_filter = ["year", "status"]
    search_fields = ["title"]
    readonly_fields = ["status", "created_by", "created_at", "report_link", "light_counts"]

    def get_queryset(self, request):
        lights = {
            f"n_{light}": Count("reports", filter=Q(reports__light=light)) for light in Light.values
        }
        return (
            super()
            .get_queryset(request)
            .select_related("created_by")
            .annotate(n_reports=Count("reports"), **lights)
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["year", "data_month", "title", "opens_on", "deadline"]
        return [
            "title",
            "year",
            "data_month",
            "opens_on",
            "deadline",
            "status",
            "report_link",
            "light_counts",
            "created_by",
            "created_at",
        ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and may_open_rounds(request.user)

    def has_change_permission(self, request, obj=None):
        return False  # a round is opened (and topped up) through the service, never edited

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="监控表")
    def report_link(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        url = (
            reverse("admin:performance_monitoringreport_changelist") + f"?round__id__exact={obj.pk}"
        )
        return format_html('<a href="{}">{} 张</a>', url, getattr(obj, "n_reports", 0))

    @admin.display(description="预警分布")
    def light_counts(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html_join(
            " ",
            "{} {}",
            (
                (light_badge(light), getattr(obj, f"n_{light}", 0))
                for light in (Light.RED, Light.YELLOW, Light.GREEN, Light.BLUE)
            ),
        )

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied("监控轮次开启后不能修改。")
        data = form.cleaned_data
        round_ = monitoring_services.monitoring_round_open(
            actor=request.user,
            year=data["year"],
            data_month=data["data_month"],
            opens_on=data["opens_on"],
            deadline=data["deadline"],
            title=data.get("title") or "",
        )
        obj.pk = obj.id = round_.pk
        count = round_.reports.count()
        self.message_user(
            request, f"已开启“{round_}”，生成 {count} 张项目绩效监控表。", level=messages.SUCCESS
        )

    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(
            request, form_url, {"title": "开启监控轮次", **(extra_context or {})}
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/topup/",
                self.admin_site.admin_view(self.topup_view),
                name="performance_monitoringround_topup",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {
            "can_open_rounds": may_open_rounds(request.user),
            "topup_url": reverse("admin:performance_monitoringround_topup", args=[object_id]),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    def topup_view(self, request, object_id):
        """Generate reports for projects approved since the round was opened."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        round_ = self.get_object(request, unquote(object_id))
        if round_ is None:
            raise Http404(f"监控轮次 {object_id} 不存在。")
        before = round_.reports.count()
        try:
            monitoring_services.monitoring_round_open(
                actor=request.user,
                year=round_.year,
                data_month=round_.data_month,
                opens_on=round_.opens_on,
                deadline=round_.deadline,
            )
        except (ValidationError, PermissionDenied) as error:
            report_service_error(self, request, error)
        else:
            added = round_.reports.count() - before
            self.message_user(request, f"已补充生成 {added} 张监控表。", level=messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:performance_monitoringround_change", args=[round_.pk])
        )


# --- monitoring reports ------------------------------------------------------------------------


EXPECTATION_NOTE = (
    "预警按各指标的比较基准计算：设有分期目标的，按数据月份所在期的目标（期内按进度折算）；"
    "其余按全年目标×时间进度（比率类指标和反向指标按全年目标）。"
)


class MonitoringEntryInline(EvidenceColumnMixin, IndicatorRowInline):
    model = MonitoringEntry
    row_spec = MONITORING_REPORT.row
    fields = [
        "indicator",
        "target_display",
        *MONITORING_REPORT.row.filled,
        "light_display",
        "expectation_display",
        "findings_display",
    ]

    formset = RowLastYearFormSet

    @admin.display(description="指标值")
    def target_display(self, obj):
        return with_last_year(obj.indicator.raw_value or "—", obj)

    def get_queryset(self, request):
        # the data month of the round: what the period target is read at
        return super().get_queryset(request).select_related("report__round")

    @admin.display(description="比较基准")
    def expectation_display(self, obj):
        month = obj.report.round.data_month
        return derived_figures.describe_entry_expectation(obj, month=month) or "—"

    @admin.display(description="预警")
    def light_display(self, obj):
        return light_badge(obj.light)

    @admin.display(description="解析提示")
    def findings_display(self, obj):
        return render_findings(obj.findings)


class ExecutionFromReportForm(forms.ModelForm):
    """录入支出执行 on a report's page: a payment of the report's project."""

    class Meta:
        model = ExecutionRecord
        fields = ["date", "amount", "note"]
        labels = {"date": "支出日期", "amount": "金额（万元）", "note": "摘要"}


@admin.register(MonitoringReport)
class MonitoringReportAdmin(FilledDocumentAdmin):
    spec = MONITORING_REPORT
    # Fits 1366 px: 单位 sits under the project, 监控轮次 is a filter.
    list_display = [
        "subject",
        "budget",
        "executed",
        "execution_rate",
        "time_progress",
        "budget_light_badge",
        "light_badge",
        "status",
    ]
    list_filter = ["round", "status", "light", "budget_light", "unit__parent"]
    search_fields = ["project__code", "project__name", "unit__code", "unit__name"]
    list_select_related = ["project", "unit", "round"]
    inlines = [MonitoringEntryInline]
    fieldsets = [
        (None, {"fields": ["round", "project", "unit", "goal", "status"]}),
        (
            "预算执行与预警（系统计算）",
            {
                "fields": [
                    ("budget", "executed"),
                    ("execution_rate", "time_progress"),
                    ("budget_light_badge", "light_badge"),
                    "computed_at",
                ],
                "description": EXPECTATION_NOTE,
            },
        ),
        ("填报", {"fields": [*MONITORING_REPORT.filled, EXPECTED_VERSION]}),
        ("审核", {"fields": ["last_comment", "submitted_at", "step_entered_at", "lock_version"]}),
    ]

    @admin.display(description="项目", ordering="project__name")
    def subject(self, obj):
        return with_second_line(obj.project.name, f"{obj.unit.code} {obj.unit.name}")

    @admin.display(description="预算执行预警", ordering="budget_light")
    def budget_light_badge(self, obj):
        return light_badge(obj.budget_light)

    @admin.display(description="综合预警", ordering="light")
    def light_badge(self, obj):
        return light_badge(obj.light)

    def has_add_permission(self, request):
        return False  # reports are generated when the finance bureau opens a round

    def compute(self, request, obj):
        return monitoring_services.monitoring_report_compute(report=obj, actor=request.user)

    def computed_message(self, obj) -> str:
        return (
            f"已重新计算：预算执行率 {figure(obj.execution_rate, RATE)}（时间进度 {figure(obj.time_progress, RATE)}），"
            f"综合预警：{Light(obj.light).label if obj.light else '无'}。"
        )

    def save_model(self, request, obj, form, change):
        """The write happens in ``save_related``: one service call with the entries."""
        if not change:
            raise PermissionDenied("监控表由财政部门开启监控轮次时生成。")

    def get_urls(self):
        return [
            path(
                "<path:object_id>/execution/",
                self.admin_site.admin_view(self.execution_view),
                name="performance_monitoringreport_execution",
            ),
            *super().get_urls(),
        ]

    def workflow_context(self, request, obj) -> dict:
        context = super().workflow_context(request, obj)
        context["execution_records_url"] = (
            reverse("admin:projects_executionrecord_changelist")
            + f"?project__id__exact={obj.project_id}"
        )
        if may_edit(request, obj) and obj.round.status == RoundStatus.OPEN:
            context["execution_url"] = reverse(
                "admin:performance_monitoringreport_execution", args=[obj.pk]
            )
            context["execution_form"] = ExecutionFromReportForm()
        return context

    def execution_view(self, request, object_id):
        """录入支出执行: the payment through ``monitoring_report_add_execution`` (audited by the
        execution service), then back to the report with its rate recomputed."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        report = self.get_object(request, unquote(object_id))
        if report is None or not self.has_view_or_change_permission(request, report):
            raise Http404(f"监控表 {object_id} 不存在或无权访问。")
        back = reverse("admin:performance_monitoringreport_change", args=[report.pk])
        form = ExecutionFromReportForm(request.POST)
        if not form.is_valid():
            for field, problems in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for problem in problems:
                    self.message_user(
                        request, f"{label}：{problem}" if label else problem, messages.ERROR
                    )
            return HttpResponseRedirect(back + "#execution-form")
        data = form.cleaned_data
        try:
            report = monitoring_services.monitoring_report_add_execution(
                report=report,
                actor=request.user,
                date=data["date"],
                amount=data["amount"],
                note=data.get("note") or "",
            )
        except (ValidationError, PermissionDenied) as error:
            report_service_error(self, request, error)
            return HttpResponseRedirect(back + "#execution-form")
        self.message_user(
            request,
            f"已录入支出 {data['amount']} 万元（{data['date']:%Y-%m-%d}）。{self.computed_message(report)}",
            level=messages.SUCCESS,
        )
        return HttpResponseRedirect(back)

    def fill(self, request, obj, *, data, rows, expected_version):
        monitoring_services.monitoring_report_update(
            report=obj,
            actor=request.user,
            data=data,
            entries=rows,
            expected_version=expected_version,
        )
