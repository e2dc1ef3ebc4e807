"""Filters of the list endpoints: year, unit, department, status, type, grade, light, search.

Units and departments are given by code (``unit=027001``, ``department=027``): ``department``
matches every unit at or below that unit through the materialised path (the unit's path, read
with one small query, as an indexed prefix: ``projects.selectors.subtree``) and reveals nothing
about units outside the caller's scope (the queryset is scoped first). Several values of a
choice filter are given by repeating it (``status=a&status=b``).
"""

from __future__ import annotations

import django_filters as df
from django import forms
from django.db.models import QuerySet
from rest_framework.filters import OrderingFilter, SearchFilter

from projects.choices import Continuity, ProjectCategory, UnitKind
from projects.models import Project, Unit
from projects.selectors import subtree

from ..choices import (
    AttachmentKind,
    Category,
    Direction,
    DrawMethod,
    GoalScope,
    Grade,
    ImportRunStatus,
    JobKind,
    JobStatus,
    LibraryGoalScope,
    LibraryStatus,
    Light,
    RectificationCause,
    SpotCheckOutcome,
    Status,
    TargetKind,
)
from ..models import (
    Attachment,
    ImportRun,
    Indicator,
    Job,
    LibraryEntry,
    MonitoringReport,
    PerformanceGoal,
    Rectification,
    SelfEvaluation,
    SpotCheck,
)


class ApiSearchFilter(SearchFilter):
    search_description = "全文搜索（包含匹配，不区分大小写），搜索的字段见接口说明。"


class ApiOrderingFilter(OrderingFilter):
    ordering_description = "排序字段，逗号分隔；字段前加 - 表示倒序（如 -year,id）。"


FILTER_BACKENDS = [df.rest_framework.DjangoFilterBackend, ApiSearchFilter, ApiOrderingFilter]


class IdFilter(df.NumberFilter):
    """A whole-number filter; ids go through ``<fk>__id`` so the schema documents an integer."""

    field_class = forms.IntegerField


DEPARTMENT_IDS_MAX = 5000  # above this many units or rows, filter inside the one query


def _department(queryset: QuerySet, prefix: str, code: str) -> QuerySet:
    """Rows of units at or below ``code``.

    Other models' rows are found through the subtree's unit ids and then their own ids, read
    first with small queries (the scoped queryset still decides what is visible). A
    condition on a joined unit's path leaves the planner guessing how many rows match; a
    cursor page ordered by id then walks the primary key from the table's first row until it
    meets the department (75 ms in a province of 100,000 goals), where a list of ids is
    probed in order (under 1 ms). Very large subtrees keep the single query.
    """
    if not prefix:
        return queryset.filter(subtree(code))
    units = list(
        Unit.objects.filter(subtree(code))
        .order_by()
        .values_list("pk", flat=True)[: DEPARTMENT_IDS_MAX + 1]
    )
    if len(units) > DEPARTMENT_IDS_MAX:
        return queryset.filter(subtree(code, prefix))
    rows = queryset.model._default_manager.filter(**{f"{prefix}in": units}).order_by()
    ids = list(rows.values_list("pk", flat=True)[: DEPARTMENT_IDS_MAX + 1])
    if len(ids) > DEPARTMENT_IDS_MAX:
        return queryset.filter(**{f"{prefix}in": units})
    return queryset.filter(pk__in=ids)


class ScopedUnitFilterSet(df.FilterSet):
    """``unit`` (exact code) and ``department`` (code, whole subtree) through ``unit_prefix``."""

    unit_prefix = "unit__"

    unit = df.CharFilter(
        label="单位编码", method="filter_unit", help_text="单位编码（精确匹配），如 027001。"
    )
    department = df.CharFilter(
        label="主管部门编码",
        method="filter_department",
        help_text="主管部门（或任一上级单位）编码，如 027：包含其下所有单位。",
    )

    def filter_unit(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**{f"{self.unit_prefix}code": value})

    def filter_department(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _department(queryset, self.unit_prefix, value)


class UnitFilter(df.FilterSet):
    kind = df.ChoiceFilter(label="单位类型", choices=UnitKind.choices)
    department = df.CharFilter(
        label="主管部门编码", method="filter_department", help_text="该单位及其下所有单位。"
    )
    is_active = df.BooleanFilter(label="启用")

    class Meta:
        model = Unit
        fields = ["kind", "department", "is_active"]

    def filter_department(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _department(queryset, "", value)


class ProjectFilter(ScopedUnitFilterSet):
    year = IdFilter(label="预算年度")
    type = df.MultipleChoiceFilter(
        field_name="category", label="项目类型", choices=ProjectCategory.choices
    )
    continuity = df.ChoiceFilter(label="新增/延续", choices=Continuity.choices)

    class Meta:
        model = Project
        fields = ["year", "unit", "department", "type", "continuity"]


class GoalFilter(ScopedUnitFilterSet):
    year = IdFilter(label="年度")
    scope = df.ChoiceFilter(label="目标类型", choices=GoalScope.choices)
    status = df.MultipleChoiceFilter(label="状态", choices=Status.choices)
    type = df.MultipleChoiceFilter(
        field_name="project__category", label="项目类型", choices=ProjectCategory.choices
    )
    grade = df.MultipleChoiceFilter(
        field_name="quality_grade", label="目标质量等级", choices=Grade.choices
    )
    project = IdFilter(field_name="project__id", label="项目ID")
    current = df.BooleanFilter(
        label="只看当前版本",
        method="filter_current",
        help_text="true：不含已被调整替代（superseded）的历史版本。",
    )

    class Meta:
        model = PerformanceGoal
        fields = ["year", "unit", "department", "scope", "status", "type", "grade", "project"]

    def filter_current(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        if value:
            return queryset.exclude(status=Status.SUPERSEDED)
        return queryset


class IndicatorFilter(ScopedUnitFilterSet):
    unit_prefix = "goal__unit__"

    goal = IdFilter(field_name="goal__id", label="绩效目标ID")
    year = IdFilter(field_name="goal__year", label="年度")
    status = df.MultipleChoiceFilter(
        field_name="goal__status", label="目标状态", choices=Status.choices
    )
    type = df.MultipleChoiceFilter(
        field_name="goal__project__category", label="项目类型", choices=ProjectCategory.choices
    )
    category = df.MultipleChoiceFilter(label="指标类别", choices=Category.choices)
    kind = df.ChoiceFilter(label="指标性质", choices=TargetKind.choices)
    direction = df.ChoiceFilter(label="指标方向", choices=Direction.choices)

    class Meta:
        model = Indicator
        fields = ["goal", "year", "unit", "department", "status", "type", "category", "kind"]


class ReportFilter(ScopedUnitFilterSet):
    round = IdFilter(field_name="round__id", label="监控轮次ID")
    year = IdFilter(field_name="round__year", label="年度")
    status = df.MultipleChoiceFilter(label="状态", choices=Status.choices)
    light = df.MultipleChoiceFilter(label="综合预警灯", choices=Light.choices)
    budget_light = df.MultipleChoiceFilter(label="预算执行预警灯", choices=Light.choices)
    type = df.MultipleChoiceFilter(
        field_name="project__category", label="项目类型", choices=ProjectCategory.choices
    )
    project = IdFilter(field_name="project__id", label="项目ID")

    class Meta:
        model = MonitoringReport
        fields = ["round", "year", "unit", "department", "status", "light", "type", "project"]


class EvaluationFilter(ScopedUnitFilterSet):
    year = IdFilter(label="年度")
    scope = df.ChoiceFilter(label="自评类型", choices=GoalScope.choices)
    status = df.MultipleChoiceFilter(label="状态", choices=Status.choices)
    grade = df.MultipleChoiceFilter(label="自评等级", choices=Grade.choices)
    type = df.MultipleChoiceFilter(
        field_name="project__category", label="项目类型", choices=ProjectCategory.choices
    )
    has_deviation = df.BooleanFilter(label="存在偏差")
    project = IdFilter(field_name="project__id", label="项目ID")

    class Meta:
        model = SelfEvaluation
        fields = ["year", "unit", "department", "scope", "status", "grade", "type", "project"]


class JobFilter(df.FilterSet):
    kind = df.ChoiceFilter(label="任务类型", choices=JobKind.choices)
    status = df.MultipleChoiceFilter(
        label="状态",
        choices=JobStatus.choices,
        method="filter_status",
        help_text="按显示的状态筛选：stalled 包括已超过 JOB_STALL_SECONDS 没有进展、"
        "尚未被定时检查标记的排队中或运行中任务。",
    )

    class Meta:
        model = Job
        fields = ["kind", "status"]

    def filter_status(self, queryset, name, value):
        return queryset.with_status(value) if value else queryset


class AttachmentFilter(ScopedUnitFilterSet):
    year = IdFilter(label="年度")
    kind = df.MultipleChoiceFilter(label="附着对象类型", choices=AttachmentKind.choices)
    entry = IdFilter(field_name="entry__id", label="监控指标 ID")
    report = IdFilter(field_name="report__id", label="监控表 ID")
    score = IdFilter(field_name="score__id", label="指标自评 ID")
    evaluation = IdFilter(field_name="evaluation__id", label="绩效自评 ID")
    spot_check = IdFilter(field_name="spot_check__id", label="财政复核 ID")

    class Meta:
        model = Attachment
        fields = [
            *("year", "kind", "entry", "report", "score", "evaluation", "spot_check"),
            *("unit", "department"),
        ]


class SpotCheckFilter(ScopedUnitFilterSet):
    """财政复核: by year, unit, department, state, outcome, draw method, draw, difference."""

    year = IdFilter(label="年度")
    status = df.MultipleChoiceFilter(label="状态", choices=Status.choices)
    outcome = df.MultipleChoiceFilter(label="结论", choices=SpotCheckOutcome.choices)
    method = df.ChoiceFilter(
        field_name="draw__method", label="抽取方式", choices=DrawMethod.choices
    )
    draw = IdFilter(field_name="draw__id", label="抽查记录ID")
    min_difference = df.NumberFilter(
        field_name="difference", lookup_expr="gte", label="最小差异（自评−复核）"
    )

    class Meta:
        model = SpotCheck
        fields = ["year", "unit", "department", "status", "outcome", "method", "draw"]


class LibraryEntryFilter(df.FilterSet):
    """The indicator library's list: by level, state, 共性/个性, owner and applicability."""

    level1 = df.CharFilter(label="一级指标")
    level2 = df.CharFilter(label="二级指标")
    code = df.CharFilter(label="指标编码")
    status = df.MultipleChoiceFilter(label="状态", choices=LibraryStatus.choices)
    is_common = df.BooleanFilter(label="共性指标")
    goal_scope = df.ChoiceFilter(label="适用目标", choices=LibraryGoalScope.choices)
    owner = df.CharFilter(field_name="unit__code", label="归口单位编码")
    function_class = df.CharFilter(
        field_name="function_class", lookup_expr="startswith", label="支出功能分类（前缀）"
    )

    class Meta:
        model = LibraryEntry
        fields: list[str] = []


class ImportRunFilter(df.FilterSet):
    kind = df.CharFilter(label="导入类型", help_text="如 targets。")
    status = df.ChoiceFilter(label="结果", choices=ImportRunStatus.choices)

    class Meta:
        model = ImportRun
        fields = ["kind", "status"]


class RectificationFilter(ScopedUnitFilterSet):
    """整改: by year, unit, department, state, cause, and those past their deadline."""

    year = IdFilter(label="年度")
    status = df.MultipleChoiceFilter(label="状态", choices=Status.choices)
    cause = df.MultipleChoiceFilter(label="整改原因", choices=RectificationCause.choices)
    deadline_before = df.DateFilter(field_name="deadline", lookup_expr="lt", label="整改期限早于")

    class Meta:
        model = Rectification
        fields = ["year", "unit", "department", "status", "cause"]
