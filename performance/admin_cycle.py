"""Monitoring rounds, monitoring reports and self-evaluations in the admin.

Every write calls a service: a round is opened with ``monitoring_round_open`` (the add form,
finance bureau only), a report or an evaluation is saved — its entries / scores included — in one
``monitoring_report_update`` / ``evaluation_update`` call, 计算 calls the compute service, and
提交 / 审核通过 / 退回 are the workflow buttons of ``WorkflowAdminMixin``. Lights and grades
show as coloured badges; the self-evaluation list opens with each unit's published summary.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from projects.admin_scoping import ScopedAdminMixin, record_formset_result, report_service_error
from projects.models import Unit

from .admin_workflow import WorkflowAdminMixin
from .choices import GoalScope, Grade, Light
from .models import (
    IndicatorEvaluation,
    MonitoringEntry,
    MonitoringReport,
    MonitoringRound,
    SelfEvaluation,
)
from .scoring import CATEGORY_LABELS
from .selectors import evaluation_summaries
from .services import evaluation as evaluation_services
from .services import figures, workflow
from .services import monitoring as monitoring_services

LIGHT_COLOURS = {
    Light.GREEN: "#2e7d32",
    Light.YELLOW: "#e0a800",
    Light.RED: "#c62828",
    Light.BLUE: "#1565c0",
}
GRADE_COLOURS = {
    Grade.EXCELLENT: "#2e7d32",
    Grade.GOOD: "#1565c0",
    Grade.FAIR: "#e0a800",
    Grade.POOR: "#c62828",
}
BADGE = (
    '<span class="{}" style="display:inline-block;min-width:2.5em;padding:1px 8px;'
    'border-radius:9px;color:#fff;background:{};text-align:center;white-space:nowrap">{}</span>'
)


def light_badge(value: str) -> str:
    if not value:
        return "—"
    return format_html(
        BADGE, f"light-badge light-{value}", LIGHT_COLOURS[value], Light(value).label
    )


def grade_badge(value: str) -> str:
    if not value:
        return "—"
    return format_html(
        BADGE, f"grade-badge grade-{value}", GRADE_COLOURS[value], Grade(value).label
    )


def render_findings(findings) -> str:
    if not findings:
        return "—"
    return format_html_join(
        "",
        '<div style="color:{}">{}</div>',
        (
            ("#ba2121" if f.get("severity") == "error" else "#8a6d00", f.get("message", ""))
            for f in findings
        ),
    )


def can_edit(request, obj) -> bool:
    """Only where the workflow lets this user edit (draft/returned, unit staff)."""
    return obj is not None and workflow.EDIT in workflow.allowed_actions(obj, request.user)


class VersionedForm(forms.ModelForm):
    """Carries the ``lock_version`` the page was built on, so a stale save is refused."""

    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.lock_version


class ServiceSavingAdmin(WorkflowAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Shared plumbing: read-only unless editable, 计算 button, service errors as messages."""

    compute_label = "计算"

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or can_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and self.has_change_permission(request, obj):
            return fieldsets
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "expected_version"]})
            for name, opts in fieldsets
        ]

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/compute/",
                self.admin_site.admin_view(self.compute_view),
                name="{}_{}_compute".format(*info),
            ),
            *super().get_urls(),
        ]

    def workflow_context(self, request, obj) -> dict[str, Any]:
        context = super().workflow_context(request, obj)
        context["compute_url"] = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_compute", args=[obj.pk]
        )
        return context

    def compute_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_or_change_permission(request, obj):
            raise Http404(f"{self.opts.verbose_name} {object_id} 不存在或无权访问。")
        try:
            obj = self.compute(request, obj)
        except (ValidationError, PermissionDenied) as error:
            report_service_error(self, request, error)
        else:
            self.message_user(request, self.computed_message(obj), level=messages.SUCCESS)
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, PermissionDenied) as error:
            report_service_error(self, request, error)
            return HttpResponseRedirect(request.get_full_path())

    @staticmethod
    def changed_rows(formsets, fields) -> list[dict[str, Any]]:
        """The inline rows the user changed, as service input ({"indicator": id, field: value})."""
        rows = []
        for formset in formsets:
            changed = []
            for inline_form in formset.forms:
                if not inline_form.instance.pk or not inline_form.has_changed():
                    continue
                row = {"indicator": inline_form.instance.indicator_id}
                row.update(
                    {
                        k: inline_form.cleaned_data.get(k)
                        for k in fields
                        if k in inline_form.changed_data
                    }
                )
                rows.append(row)
                changed.append((inline_form.instance, inline_form.changed_data))
            record_formset_result(formset, new=[], changed=changed, deleted=[])
        return rows


# --- monitoring rounds -------------------------------------------------------------------------


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
class MonitoringRoundAdmin(admin.ModelAdmin):
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
        return super().has_add_permission(request) and monitoring_services.can_open_rounds(
            request.user
        )

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
            "can_open_rounds": monitoring_services.can_open_rounds(request.user),
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


class EntryForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        entry = self.instance
        if entry.pk:
            target = figures.indicator_target(entry.indicator)
            for key in ("value_raw", "forecast_raw"):
                if key in self.changed_data:
                    message = figures.value_error(
                        cleaned.get(key), indicator=entry.indicator, target=target
                    )
                    if message:
                        self.add_error(key, message)
        return cleaned


class MonitoringEntryInline(admin.TabularInline):
    model = MonitoringEntry
    form = EntryForm
    extra = 0
    can_delete = False
    fields = [
        "indicator",
        "target_display",
        "value_raw",
        "forecast_raw",
        "band",
        "deviation_cause",
        "deviation_note",
        "likelihood",
        "measures",
        "light_display",
        "findings_display",
    ]
    readonly_fields = ["indicator", "target_display", "light_display", "findings_display"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("indicator")

    @admin.display(description="指标值")
    def target_display(self, obj):
        return obj.indicator.raw_value or "—"

    @admin.display(description="预警")
    def light_display(self, obj):
        return light_badge(obj.light)

    @admin.display(description="解析提示")
    def findings_display(self, obj):
        return render_findings(obj.findings)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return can_edit(request, obj) and super().has_change_permission(request, obj)


class ReportForm(VersionedForm):
    class Meta:
        model = MonitoringReport
        fields = ["forecast_executed", "summary"]


@admin.register(MonitoringReport)
class MonitoringReportAdmin(ServiceSavingAdmin):
    form = ReportForm
    list_display = [
        "project",
        "unit",
        "round",
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
    readonly_fields = [
        "round",
        "project",
        "unit",
        "goal",
        "status",
        "budget",
        "executed",
        "execution_rate",
        "time_progress",
        "budget_light_badge",
        "light_badge",
        "last_comment",
        "submitted_at",
        "computed_at",
        "lock_version",
    ]
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
                ]
            },
        ),
        ("填报", {"fields": ["forecast_executed", "summary", "expected_version"]}),
        ("审核", {"fields": ["last_comment", "submitted_at", "lock_version"]}),
    ]

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
            f"已重新计算：预算执行率 {obj.execution_rate}%（时间进度 {obj.time_progress}%），"
            f"综合预警：{Light(obj.light).label if obj.light else '无'}。"
        )

    def save_model(self, request, obj, form, change):
        """The write happens in ``save_related``: one service call with the entries."""
        if not change:
            raise PermissionDenied("监控表由财政部门开启监控轮次时生成。")

    def save_related(self, request, form, formsets, change):
        entries = self.changed_rows(formsets, monitoring_services.ENTRY_FIELDS)
        data = {
            k: form.cleaned_data.get(k)
            for k in monitoring_services.REPORT_FIELDS
            if k in form.changed_data
        }
        if data or entries:
            monitoring_services.monitoring_report_update(
                report=form.instance,
                actor=request.user,
                data=data,
                entries=entries,
                expected_version=form.cleaned_data.get("expected_version"),
            )


# --- self-evaluations --------------------------------------------------------------------------


class ScoreForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        score = self.instance
        if score.pk and "actual_raw" in self.changed_data:
            target = figures.indicator_target(score.indicator)
            message = figures.value_error(
                cleaned.get("actual_raw"), indicator=score.indicator, target=target
            )
            if message:
                self.add_error("actual_raw", message)
        if (
            cleaned.get("override_score") is not None
            and not (cleaned.get("override_reason") or "").strip()
        ):
            self.add_error("override_reason", "调整得分必须填写调整理由。")
        return cleaned


class IndicatorEvaluationInline(admin.TabularInline):
    model = IndicatorEvaluation
    form = ScoreForm
    extra = 0
    can_delete = False
    fields = [
        "indicator",
        "target_display",
        "actual_raw",
        "band",
        "band_score",
        "computed_score",
        "override_score",
        "override_reason",
        "final_score",
        "over_achieved_display",
        "deviation_reason",
        "notes_display",
    ]
    readonly_fields = [
        "indicator",
        "target_display",
        "computed_score",
        "final_score",
        "over_achieved_display",
        "notes_display",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("indicator")

    @admin.display(description="指标值（分值）")
    def target_display(self, obj):
        weight = obj.indicator.weight
        return f"{obj.indicator.raw_value or '—'}（{weight.normalize() if weight is not None else 0} 分）"

    @admin.display(description="超额完成")
    def over_achieved_display(self, obj):
        return format_html('<b style="color:#1565c0">{}</b>', "≥120%") if obj.over_achieved else ""

    @admin.display(description="计算说明")
    def notes_display(self, obj):
        if not obj.notes:
            return "—"
        return format_html_join("", "<div>{}</div>", ((note,) for note in obj.notes))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return can_edit(request, obj) and super().has_change_permission(request, obj)


class EvaluationForm(VersionedForm):
    class Meta:
        model = SelfEvaluation
        fields = ["deviation_declared", "deviation_analysis", "measures"]


class EvaluationStartForm(forms.ModelForm):
    """开展自评: pick a project (项目自评) or, without one, a unit (单位整体自评)."""

    class Meta:
        model = SelfEvaluation
        fields = ["year", "project", "unit"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].required = False
        self.fields["unit"].help_text = "单位整体自评时选择；项目自评只需选择项目。"

    def clean(self):
        cleaned = super().clean()
        project, unit, year = cleaned.get("project"), cleaned.get("unit"), cleaned.get("year")
        if project is None and unit is None:
            raise ValidationError("请选择要自评的项目（项目自评）或单位（单位整体自评）。")
        if project is not None:
            if year and project.year != year:
                self.add_error("year", f"自评年度 {year} 与项目年度 {project.year} 不一致。")
            cleaned["unit"] = self.instance.unit = project.unit
        self.instance.scope = GoalScope.PROJECT if project is not None else GoalScope.UNIT
        return cleaned


@admin.register(SelfEvaluation)
class SelfEvaluationAdmin(ServiceSavingAdmin):
    form = EvaluationForm
    list_display = [
        "year",
        "scope",
        "subject",
        "unit",
        "budget",
        "executed",
        "execution_rate",
        "total_score",
        "grade_badge",
        "has_deviation",
        "status",
    ]
    list_filter = ["year", "scope", "grade", "status", "has_deviation", "unit__parent"]
    search_fields = ["project__code", "project__name", "unit__code", "unit__name"]
    list_select_related = ["project", "unit"]
    inlines = [IndicatorEvaluationInline]
    readonly_fields = [
        "scope",
        "project",
        "unit",
        "year",
        "goal",
        "scheme",
        "status",
        "budget",
        "executed",
        "execution_rate",
        "execution_score",
        "category_rates_display",
        "total_score",
        "grade_badge",
        "has_deviation",
        "last_comment",
        "computed_at",
        "submitted_at",
        "created_by",
        "lock_version",
    ]
    fieldsets = [
        (None, {"fields": [("scope", "year"), "project", "unit", "goal", "scheme", "status"]}),
        (
            "自评结果（系统计算）",
            {
                "fields": [
                    ("budget", "executed"),
                    ("execution_rate", "execution_score"),
                    "category_rates_display",
                    ("total_score", "grade_badge"),
                    "has_deviation",
                    "computed_at",
                ]
            },
        ),
        (
            "偏差分析",
            {
                "fields": [
                    "deviation_declared",
                    "deviation_analysis",
                    "measures",
                    "expected_version",
                ]
            },
        ),
        ("审核", {"fields": ["last_comment", "submitted_at", "created_by", "lock_version"]}),
    ]

    @admin.display(description="项目/单位")
    def subject(self, obj):
        return obj.project.name if obj.project_id else f"{obj.unit.name}（整体）"

    @admin.display(description="自评等级", ordering="grade")
    def grade_badge(self, obj):
        return grade_badge(obj.grade)

    @admin.display(description="各类指标得分率")
    def category_rates_display(self, obj):
        rates = obj.category_rates or {}
        if not rates:
            return "—"
        return format_html_join(
            "",
            '<span style="margin-right:1.5em">{}：{}</span>',
            (
                (CATEGORY_LABELS.get(key, key), "—" if rate is None else f"{rate}%")
                for key, rate in rates.items()
            ),
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = EvaluationStartForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["year", "project", "unit"]})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_inline_instances(self, request, obj=None):
        return [] if obj is None else super().get_inline_instances(request, obj)

    def compute(self, request, obj):
        return evaluation_services.evaluation_compute(evaluation=obj, actor=request.user)

    def computed_message(self, obj) -> str:
        grade = Grade(obj.grade).label if obj.grade else "—"
        return f"已重新计算：自评得分 {obj.total_score}，等级 {grade}。"

    def save_model(self, request, obj, form, change):
        if change:
            return  # written in save_related: one service call with the scores
        data = form.cleaned_data
        project = data.get("project")
        evaluation = evaluation_services.evaluation_start(
            actor=request.user,
            year=data["year"],
            project=project,
            unit=None if project is not None else data.get("unit"),
        )
        obj.pk = obj.id = evaluation.pk
        self.message_user(
            request,
            f"已开展“{evaluation}”：请逐项填写实际完成值后保存，系统自动计算得分。",
            level=messages.SUCCESS,
        )

    def save_related(self, request, form, formsets, change):
        if not change:
            return
        scores = self.changed_rows(formsets, evaluation_services.SCORE_FIELDS)
        data = {}
        for key in ("deviation_analysis", "measures"):
            if key in form.changed_data:
                data[key] = form.cleaned_data.get(key)
        if "deviation_declared" in form.changed_data:
            data["has_deviation"] = form.cleaned_data.get("deviation_declared")
        if data or scores:
            evaluation_services.evaluation_update(
                evaluation=form.instance,
                actor=request.user,
                data=data,
                scores=scores,
                expected_version=form.cleaned_data.get("expected_version"),
            )

    def changelist_view(self, request, extra_context=None):
        extra = dict(extra_context or {})
        extra.update(self.unit_summary_context(request))
        return super().changelist_view(request, extra)

    def unit_summary_context(self, request) -> dict[str, Any]:
        """The final-accounts summary of every visible unit with evaluations in the year shown."""
        scoped = self.get_queryset(request)
        year = request.GET.get("year__exact") or request.GET.get("year")
        if not (year and str(year).isdigit()):
            year = scoped.aggregate(latest=Max("year"))["latest"]
        if not year:
            return {"unit_summaries": [], "summary_year": None}
        year = int(year)
        units = Unit.objects.filter(pk__in=scoped.filter(year=year).values("unit_id")).order_by(
            "code"
        )
        return {
            "unit_summaries": evaluation_summaries(units=units, year=year),
            "summary_year": year,
        }
