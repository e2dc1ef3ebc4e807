"""Performance goals, their indicators and tasks in the admin. Every write goes through a service."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from projects.admin.scoping import (
    ScopedAdminMixin,
    ServiceErrorsAsMessagesMixin,
    record_formset_result,
)
from projects.admin.versioning import (
    EXPECTED_VERSION,
    MISSING_VERSION,
    VersionedForm,
    without_version,
)
from projects.admin.writes import WritesThroughServices, delete_each
from projects.choices import Continuity
from projects.models import Project, Unit
from projects.numbers import PLAIN, figure
from projects.permissions import UNIT_EDITORS, holds_any_role, visible_units
from projects.years import year_form_field

from .. import targets
from ..choices import GoalScope
from ..field_specs import GOAL, INDICATOR, TASK
from ..models import GoalTask, Indicator, PerformanceGoal
from ..services import goals as goal_services
from .common import LastYearFormSet, render_findings, with_last_year, with_second_line
from .documents import ReviewedDocumentAdmin, may_edit
from .excel import TargetImportExportMixin
from .library_picker import LibraryPickerAdminMixin
from .workflow import GoalWorkflowAdminMixin


class Level2Select(forms.Select):
    """二级 options grouped by their 一级, each carrying ``data-level1`` so framework.js shows
    only the chosen 一级's names (without JavaScript every option stays, grouped)."""

    def optgroups(self, name, value, attrs=None):
        groups = super().optgroups(name, value, attrs)
        for group_name, options, _index in groups:
            for option in options:
                if group_name:
                    option["attrs"]["data-level1"] = group_name
        return groups


def _original(value: str) -> str:
    return f"原值：{value}（非标准）"


class GoalIndicatorForm(VersionedForm):
    """One indicator row of the goal page: 一级/二级 chosen from the framework of the goal's
    scope and year (domain §3), a stored value outside it kept as “原值：…（非标准）” so old goals
    still save; 排序 blank on a new row (“自动”: after the goal's last indicator)."""

    framework: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        level1, level2 = self.instance.level1 or "", self.instance.level2 or ""
        names = dict(self.framework)
        level1_choices = [("", "---------")] + [(name, name) for name in names]
        if level1 and level1 not in names:
            level1_choices.append((level1, _original(level1)))
        groups: list = [("", "---------")]
        groups += [(one, [(two, two) for two in twos]) for one, twos in self.framework]
        if level2 and level2 not in names.get(level1, ()):
            groups.append((level1 or "", [(level2, _original(level2))]))
        if "level1" in self.fields:
            self.fields["level1"] = forms.ChoiceField(
                label=self.fields["level1"].label, choices=level1_choices
            )
            self.fields["level2"] = forms.ChoiceField(
                label=self.fields["level2"].label,
                choices=groups,
                required=False,
                widget=Level2Select,
            )
        if "order" in self.fields:
            self.fields["order"].required = False
            self.fields["order"].widget.attrs["placeholder"] = "自动"
            if self.instance.pk is None:
                self.fields["order"].initial = None
                self.initial["order"] = None

    def clean(self):
        cleaned = super().clean()
        level1, level2 = cleaned.get("level1"), cleaned.get("level2")
        kept = (level1, level2) == (self.instance.level1, self.instance.level2)
        names = dict(self.framework)
        if level1 and level2 and not kept and level1 in names and level2 not in names[level1]:
            self.add_error("level2", f"二级指标「{level2}」不属于一级指标「{level1}」。")
        return cleaned


class IndicatorInline(admin.TabularInline):
    model = Indicator
    form = GoalIndicatorForm
    extra = 0
    fields = [
        "order",
        "level1",
        "level2",
        "level3",
        "raw_value",
        "weight",
        "explanation",
        "parsed_display",
        "findings_display",
        EXPECTED_VERSION,
    ]

    formset = LastYearFormSet

    @admin.display(description="解析结果")
    def parsed_display(self, obj):
        if not obj.pk:
            return "—"
        if obj.operator:
            value = figure(obj.target_value, PLAIN, empty="?")
            parsed = f"{obj.get_operator_display()} {value}{obj.target_unit}（{obj.get_direction_display()}）"
        else:
            parsed = obj.get_kind_display()
        plan = period_summary(obj)
        return with_last_year(parsed, obj, before=f"分期：{plan}" if plan else "")

    @admin.display(description="解析提示")
    def findings_display(self, obj):
        return render_findings(obj.findings)

    def has_change_permission(self, request, obj=None):
        return goal_is_editable_by(request, obj) and super().has_change_permission(request, obj)

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if self.has_change_permission(request, obj) else without_version(fields)

    def get_readonly_fields(self, request, obj=None):
        return spec_read_only(self.fields, INDICATOR.filled)

    def get_formset(self, request, obj=None, **kwargs):
        framework = (
            targets.framework_for(obj.scope, obj.year) if obj else targets.framework_for(None, None)
        )
        kwargs["form"] = type("GoalIndicatorForm", (self.form,), {"framework": framework})
        return super().get_formset(request, obj, **kwargs)

    @property
    def media(self):
        return super().media + forms.Media(js=["performance/framework.js"])


PERIOD_HELP = (
    "可选：按季度或按半年设置分期目标，监控时按数据月份所在期的目标计算预警（期内按进度折算），"
    "未设置的按全年目标×时间进度。累计口径填截至各期末应达到的值，须逐期不减、最后一期等于全年"
    "目标值；当期口径填各期内应完成的值，合计等于全年目标值；百分比指标只能按累计口径。"
    "例：全年“≥100个”，按季度累计 20/50/80/100，6月完成45个，与50比较（90%，绿灯）；"
    "若为 60/80/90/100，则与80比较（56%，红灯）。"
)


def period_summary(indicator) -> str:
    """An indicator's period plan in one line: "季度累计 20/50/80/100"; "" without one."""
    if not indicator.period_kind:
        return ""
    kind = "季度" if indicator.period_kind == "quarter" else "半年"
    mode = "累计" if indicator.period_mode == "cumulative" else "当期"
    values = [
        figure(getattr(indicator, name), PLAIN)
        for name in INDICATOR.grouped[2:]
        if getattr(indicator, name) is not None
    ]
    return f"{kind}{mode} {'/'.join(values)}"


def spec_read_only(fields, filled) -> list[str]:
    """The shown ``fields`` a row spec does not let the unit fill."""
    return [name for name in fields if name not in (*filled, EXPECTED_VERSION)]


def deleted_row_version(inline_form) -> int:
    """The version a row ticked for deletion was shown with; Django does not validate such rows,
    so a missing one is refused here (a stale row is refused by the service)."""
    version = inline_form.cleaned_data.get(EXPECTED_VERSION)
    if version is None:
        raise ValidationError(MISSING_VERSION, code="version_missing")
    return version


def goal_is_editable_by(request, goal) -> bool:
    """Inline rows of a goal are editable only where the workflow allows this user to edit (a
    new goal's rows are, its add page being for editors)."""
    return goal is None or may_edit(request, goal)


class GoalTaskInline(admin.TabularInline):
    model = GoalTask
    form = VersionedForm
    extra = 0
    fields = ["order", "name", "content", EXPECTED_VERSION]

    def get_readonly_fields(self, request, obj=None):
        return spec_read_only(self.fields, TASK.filled)

    def has_change_permission(self, request, obj=None):
        return goal_is_editable_by(request, obj) and super().has_change_permission(request, obj)

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if self.has_change_permission(request, obj) else without_version(fields)


class GoalAddForm(VersionedForm):
    """新建绩效目标: a project's goal takes its 单位 and 年度 from the project."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("unit", "year"):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = "项目绩效目标：选择项目后自动取项目的单位和年度。"

    def clean(self):
        cleaned = super().clean()
        project, scope = cleaned.get("project"), cleaned.get("scope")
        if project is not None:
            year = cleaned.get("year")
            if year and year != project.year:
                self.add_error("year", f"目标年度 {year} 与项目年度 {project.year} 不一致。")
            cleaned["unit"], cleaned["year"] = project.unit, project.year
            self.instance.unit, self.instance.year = project.unit, project.year
        elif scope == GoalScope.PROJECT:
            if "project" not in self.errors:  # a refused choice already says why
                self.add_error("project", "项目绩效目标必须选择项目。")
        else:
            for name, message in (("unit", "整体绩效目标必须选择单位。"), ("year", "请填写年度。")):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, message)
        return cleaned


class StartFromLastYearForm(forms.Form):
    """从上年目标开始: a 延续 project of this year, or a unit and a year (整体 goal)."""

    project = forms.ModelChoiceField(
        queryset=Project.objects.none(),
        required=False,
        label="延续项目",
        help_text="本年度的延续项目（项目编码与上年相同）；复制上年已批复的项目绩效目标。",
    )
    unit = forms.ModelChoiceField(
        queryset=Unit.objects.none(),
        required=False,
        label="单位（整体目标）",
        help_text="不选项目时：复制该单位上年已批复的整体绩效目标。",
    )
    year = year_form_field(required=False, label="年度（整体目标）")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = visible_units(user)
        self.fields["project"].queryset = (
            Project.objects.filter(unit__in=units, continuity=Continuity.CONTINUING)
            .exclude(goals__year=F("year"))
            .select_related("unit")
            .order_by("-year", "unit__code", "code")
        )
        self.fields["unit"].queryset = units.order_by("code")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if cleaned.get("project") is None and cleaned.get("unit") is None:
            raise ValidationError("请选择延续项目，或选择单位和年度（整体绩效目标）。")
        if cleaned.get("project") is None and cleaned.get("year") is None:
            self.add_error("year", "整体绩效目标须填写年度。")
        return cleaned


@admin.register(PerformanceGoal)
class PerformanceGoalAdmin(
    LibraryPickerAdminMixin, TargetImportExportMixin, GoalWorkflowAdminMixin, ReviewedDocumentAdmin
):
    spec = GOAL
    add_fields = ("scope", "project", "unit", "year")
    # Fits 1366 px: 目标类型 is a filter, 单位 and 版本 sit under the name, 错误/提示 share a cell.
    list_display = ["year", "subject", "status", "indicator_count", "check_badge"]
    list_filter = ["year", "scope", "status", "quality_grade", "unit__parent"]
    search_fields = ["project__code", "project__name", "unit__code", "unit__name", "overall_goal"]
    list_select_related = ["project", "unit"]
    autocomplete_fields = ["project", "unit"]
    inlines = [IndicatorInline, GoalTaskInline]
    actions = ["quality_review_selected"]
    fieldsets = [
        (None, {"fields": ["scope", "project", "unit", "year", "version", "previous", "status"]}),
        (
            "目标",
            {"fields": ["overall_goal", "midterm_goal", "adjustment_reason", EXPECTED_VERSION]},
        ),
        (
            "预算情况（整体目标）",
            {
                "fields": [
                    "budget_total",
                    ("budget_government", "budget_fiscal_special", "budget_unit_funds"),
                    ("budget_basic", "budget_project"),
                ],
                "classes": ["collapse"],
            },
        ),
        (
            "审核",
            {
                "fields": [
                    "last_comment",
                    "quality_grade",
                    "quality_findings_display",
                    "quality_checked_at",
                    "submitted_at",
                    "step_entered_at",
                    "approved_at",
                    "created_by",
                    "lock_version",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        # An aggregate drops Meta.ordering (GROUP BY); the autocomplete pages need an order.
        queryset = super().get_queryset(request).annotate(indicators_total=Count("indicators"))
        return queryset.order_by(*PerformanceGoal._meta.ordering)

    @admin.display(description="项目/单位", ordering="project__name")
    def subject(self, obj):
        name = obj.project.name if obj.project_id else f"{obj.unit.name}（整体）"
        version = f" · v{obj.version}" if obj.version and obj.version > 1 else ""
        unit = f"{obj.unit.code} {obj.unit.name}" if obj.project_id else obj.unit.code
        return with_second_line(f"{name}{version}", unit)

    @admin.display(description="指标数", ordering="indicators_total")
    def indicator_count(self, obj):
        return obj.indicators_total

    @admin.display(description="错误")
    def error_badge(self, obj):
        count = obj.error_count
        return format_html('<b style="color:#ba2121">{}</b>', count) if count else "0"

    @admin.display(description="提示")
    def warning_badge(self, obj):
        return obj.warning_count

    @admin.display(description="审核提示")
    def check_badge(self, obj):
        return format_html("错误 {} · 提示 {}", self.error_badge(obj), obj.warning_count)

    @admin.display(description="智能审核结果")
    def quality_findings_display(self, obj):
        return render_findings(obj.quality_findings)

    def get_urls(self):
        view = self.admin_site.admin_view(self.start_from_last_year_view)
        return [
            path("start-from-last-year/", view, name="performance_performancegoal_start_last_year"),
            *super().get_urls(),
        ]

    def start_from_last_year_view(self, request):
        """从上年目标开始: pick a 延续 project (or a unit and year), copy last year's approved
        goal into this year's draft through the service, open the draft."""
        if not (self.has_add_permission(request) and holds_any_role(request.user, UNIT_EDITORS)):
            raise PermissionDenied
        form = StartFromLastYearForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            values = form.cleaned_data
            try:
                goal = goal_services.goal_start_from_last_year(
                    actor=request.user,
                    project=values["project"],
                    unit=None if values["project"] else values["unit"],
                    year=values["year"],
                )
            except ValidationError as error:
                for field, messages_ in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages_)
            except PermissionDenied as error:
                form.add_error(None, str(error) or "没有权限执行此操作。")
            else:
                self.message_user(
                    request,
                    f"已从上年目标开始：复制了 {goal.indicators.count()} 个指标，"
                    "请按本年度情况修改指标值；每个指标下方显示上年的目标值和实际值。",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:performance_performancegoal_change", args=[goal.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "从上年目标开始",
            "form": form,
        }
        return TemplateResponse(
            request, "admin/performance/performancegoal/start_from_last_year.html", context
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = GoalAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        data = {k: v for k, v in form.cleaned_data.items() if k in GOAL.filled}
        if change:
            goal_services.goal_update(
                goal=obj,
                data=data,
                actor=request.user,
                expected_version=form.cleaned_data.get(EXPECTED_VERSION),
            )
        else:
            saved = goal_services.goal_create(
                scope=obj.scope,
                year=obj.year,
                unit=obj.unit if obj.unit_id else None,
                project=obj.project,
                actor=request.user,
                data=data,
            )
            obj.pk = saved.pk

    def delete_model(self, request, obj):
        goal_services.goal_delete(goal=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        delete_each(queryset, lambda goal: self.delete_model(request, goal))

    def save_formset(self, request, form, formset, change):
        writes = ROW_WRITES.get(formset.model)
        if writes is None:
            super().save_formset(request, form, formset, change)  # refuses a changed row
            return
        name, spec, save, delete = writes
        new, changed, deleted = [], [], []
        for inline_form in formset.deleted_forms:
            if inline_form.instance.pk:
                delete(
                    **{name: inline_form.instance},
                    actor=request.user,
                    expected_version=deleted_row_version(inline_form),
                )
                deleted.append(inline_form.instance)
        for inline_form in formset.forms:
            if not inline_form.has_changed() or inline_form in formset.deleted_forms:
                continue
            data = {
                k: inline_form.cleaned_data[k] for k in spec.filled if k in inline_form.cleaned_data
            }
            existing = inline_form.instance if inline_form.instance.pk else None
            saved = save(
                goal=form.instance,
                data=data,
                actor=request.user,
                **{name: existing},
                expected_version=inline_form.cleaned_data.get(EXPECTED_VERSION),
            )
            changed.append((saved, inline_form.changed_data)) if existing else new.append(saved)
        record_formset_result(formset, new=new, changed=changed, deleted=deleted)


# The goal page's inline rows and the services that write them: (keyword, spec, save, delete).
ROW_WRITES = {
    Indicator: (
        "indicator",
        INDICATOR,
        goal_services.indicator_save,
        goal_services.indicator_delete,
    ),
    GoalTask: ("task", TASK, goal_services.goal_task_save, goal_services.goal_task_delete),
}


@admin.register(Indicator)
class IndicatorAdmin(
    ServiceErrorsAsMessagesMixin,
    TargetImportExportMixin,
    ScopedAdminMixin,
    WritesThroughServices,
    admin.ModelAdmin,
):
    unit_lookup = "goal__unit"
    list_display = [
        "level3",
        "level1",
        "level2",
        "raw_value",
        "operator",
        "target_value",
        "target_unit",
        "kind",
        "weight",
        "findings_display",
        "goal",
    ]
    list_filter = ["category", "kind", "direction", "goal__year", "goal__status"]
    search_fields = ["level3", "raw_value", "goal__project__name", "goal__project__code"]
    list_select_related = ["goal", "goal__project", "goal__unit"]
    # the parsed reading of 指标值 (findings shown as text), never typed
    readonly_fields = [
        *(name if name != "findings" else "findings_display" for name in INDICATOR.computed),
        "lock_version",
    ]
    exclude = ["findings"]
    raw_id_fields = ["goal"]
    form = VersionedForm

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if self.has_change_permission(request, obj) else without_version(fields)

    def get_readonly_fields(self, request, obj=None):
        # An indicator belongs to its goal for good: a new goal means a new indicator there.
        fields = list(super().get_readonly_fields(request, obj))
        return fields if obj is None else [*fields, "goal"]

    @admin.display(description="解析提示")
    def findings_display(self, obj):
        return render_findings(obj.findings)

    def get_fieldsets(self, request, obj=None):
        # the page's own fieldsets (技术信息 for superusers only), the period plan moved to its own
        fieldsets = [
            (
                name,
                {**options, "fields": [f for f in options["fields"] if f not in INDICATOR.grouped]},
            )
            for name, options in super().get_fieldsets(request, obj)
        ]
        return [
            *fieldsets,
            ("分期目标", {"fields": INDICATOR.grouped, "description": PERIOD_HELP}),
        ]

    def save_model(self, request, obj, form, change):
        data = {k: v for k, v in form.cleaned_data.items() if k in INDICATOR.filled}
        # the period plan is written whole (and checked against the annual 指标值)
        plan = {name: form.cleaned_data.get(name) for name in INDICATOR.grouped}
        data[goal_services.PERIOD_INPUT] = {
            "kind": plan.pop("period_kind") or "",
            "mode": plan.pop("period_mode") or "",
            "values": list(plan.values()),
        }
        saved = goal_services.indicator_save(
            goal=obj.goal,
            data=data,
            actor=request.user,
            indicator=obj if change else None,
            expected_version=form.cleaned_data.get(EXPECTED_VERSION) if change else None,
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        goal_services.indicator_delete(indicator=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        delete_each(queryset, lambda indicator: self.delete_model(request, indicator))
