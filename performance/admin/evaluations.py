"""Self-evaluations: started from the approved goal, filled and scored, with the unit summary."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from projects.admin.params import whole_number
from projects.admin.versioning import EXPECTED_VERSION
from projects.models import Unit
from projects.numbers import RATE, SCORE, figure

from ..choices import GoalScope, Grade
from ..field_specs import SELF_EVALUATION
from ..models import IndicatorEvaluation, SelfEvaluation
from ..scoring import CATEGORY_LABELS
from ..selectors.summaries import evaluation_summaries
from ..services import evaluation as evaluation_services
from .common import RowLastYearFormSet, grade_badge, with_last_year, with_second_line
from .documents import FilledDocumentAdmin, IndicatorRowForm, IndicatorRowInline
from .evidence import EvidenceColumnMixin


class ScoreForm(IndicatorRowForm):
    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("override_score") is not None
            and not (cleaned.get("override_reason") or "").strip()
        ):
            self.add_error("override_reason", "调整得分必须填写调整理由。")
        return cleaned


class IndicatorEvaluationInline(EvidenceColumnMixin, IndicatorRowInline):
    formset = RowLastYearFormSet
    model = IndicatorEvaluation
    row_spec = SELF_EVALUATION.row
    form = ScoreForm
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

    @admin.display(description="指标值（分值）")
    def target_display(self, obj):
        weight = obj.indicator.weight
        target = f"{obj.indicator.raw_value or '—'}（{figure(weight if weight is not None else 0, SCORE)} 分）"
        return with_last_year(target, obj)

    @admin.display(description="超额完成")
    def over_achieved_display(self, obj):
        return format_html('<b style="color:#1565c0">{}</b>', "≥120%") if obj.over_achieved else ""

    @admin.display(description="计算说明")
    def notes_display(self, obj):
        if not obj.notes:
            return "—"
        return format_html_join("", "<div>{}</div>", ((note,) for note in obj.notes))


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
        if year and not self.errors:
            self._refuse_existing(project, cleaned.get("unit"), year)
        return cleaned

    def _refuse_existing(self, project, unit, year: int) -> None:
        """开展 on a subject already evaluated that year opens nothing: the service would hand
        back the existing evaluation and the admin would call it added."""
        subject = {"scope": self.instance.scope, "year": year, "unit": unit, "project": project}
        existing = SelfEvaluation.objects.filter(**subject).only("pk", "status").first()
        if existing is None:
            return
        what = "该项目" if project is not None else "该单位（整体）"
        self.add_error(
            "project" if project is not None else "unit",
            format_html(
                '{}{} 年度已有绩效自评（状态：{}），请直接打开：<a href="{}">{}</a>',
                what,
                year,
                existing.get_status_display(),
                reverse("admin:performance_selfevaluation_change", args=[existing.pk]),
                "打开已有的自评",
            ),
        )


@admin.register(SelfEvaluation)
class SelfEvaluationAdmin(FilledDocumentAdmin):
    spec = SELF_EVALUATION
    add_fields = ("year", "project", "unit")
    # Fits 1366 px: 自评类型 is a filter, 单位 sits under the name.
    list_display = [
        "year",
        "subject",
        "budget",
        "executed",
        "execution_rate",
        "total_score",
        "grade_badge",
        "deviation_display",
        "status",
    ]
    list_filter = ["year", "scope", "grade", "status", "has_deviation", "unit__parent"]
    search_fields = ["project__code", "project__name", "unit__code", "unit__name"]
    list_select_related = ["project", "unit"]
    inlines = [IndicatorEvaluationInline]
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
                    "deviation_display",
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
                    EXPECTED_VERSION,
                ]
            },
        ),
        (
            "审核",
            {
                "fields": [
                    "last_comment",
                    "submitted_at",
                    "step_entered_at",
                    "created_by",
                    "lock_version",
                ]
            },
        ),
    ]

    @admin.display(description="项目/单位")
    def subject(self, obj):
        if obj.project_id:
            return with_second_line(obj.project.name, f"{obj.unit.code} {obj.unit.name}")
        return with_second_line(f"{obj.unit.name}（整体）", obj.unit.code)

    @admin.display(description="是否有偏差", ordering="has_deviation")
    def deviation_display(self, obj):
        """A deviation in words (red), “—” without one: never Django's green ✓ for a deviation."""
        if obj.has_deviation:
            return format_html(
                '<strong class="deviation-yes" style="color:#ba2121">{}</strong>', "有偏差"
            )
        return "—"

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
            ((CATEGORY_LABELS.get(key, key), figure(rate, RATE)) for key, rate in rates.items()),
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = EvaluationStartForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["year", "project", "unit"]})]
        return super().get_fieldsets(request, obj)

    def get_inline_instances(self, request, obj=None):
        return [] if obj is None else super().get_inline_instances(request, obj)

    def compute(self, request, obj):
        return evaluation_services.evaluation_compute(evaluation=obj, actor=request.user)

    def computed_message(self, obj) -> str:
        grade = Grade(obj.grade).label if obj.grade else "—"
        return f"已重新计算：自评得分 {figure(obj.total_score, SCORE)}，等级 {grade}。"

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

    def response_add(self, request, obj, post_url_continue=None):
        """Straight to the new evaluation's page with only “已开展…” (no Django “成功添加了”):
        its rows are filled there whichever save button was pressed."""
        if IS_POPUP_VAR in request.POST:
            return super().response_add(request, obj, post_url_continue)
        return HttpResponseRedirect(
            reverse("admin:performance_selfevaluation_change", args=[obj.pk])
        )

    def fill(self, request, obj, *, data, rows, expected_version):
        evaluation_services.evaluation_update(
            evaluation=obj,
            actor=request.user,
            data=data,
            scores=rows,
            expected_version=expected_version,
        )

    def changelist_view(self, request, extra_context=None):
        extra = dict(extra_context or {})
        extra.update(self.unit_summary_context(request))
        return super().changelist_view(request, extra)

    def unit_summary_context(self, request) -> dict[str, Any]:
        """The final-accounts summary of every visible unit with evaluations in the year shown."""
        scoped = self.get_queryset(request)
        year = whole_number(request.GET.get("year__exact") or request.GET.get("year"), high=9999)
        if year is None:
            year = scoped.aggregate(latest=Max("year"))["latest"]
        if not year:
            return {"unit_summaries": [], "summary_year": None}
        units = Unit.objects.filter(pk__in=scoped.filter(year=year).values("unit_id")).order_by(
            "code"
        )
        return {
            "unit_summaries": evaluation_summaries(units=units, year=year),
            "summary_year": year,
        }
