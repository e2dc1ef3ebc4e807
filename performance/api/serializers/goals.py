"""Goals with their indicators (parsed targets and findings), tasks, versions and diffs."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...choices import GoalScope, PeriodKind, PeriodMode
from ...field_specs import GOAL_FIELDS, INDICATOR, INDICATOR_FIELDS
from ...models import GoalTask, Indicator, PerformanceGoal
from ...selectors import previous_year
from ...services import workflow
from ...services.imports import indicator_rows
from .common import (
    ProjectBriefSerializer,
    ProjectOrUnitQuerysets,
    UnitBriefSerializer,
    project_or_unit_fields,
    year_field,
)
from .compiled import FastRepresentation, PrefetchedListSerializer, converter


class FindingSerializer(serializers.Serializer):
    code = serializers.CharField(label="提示代码")
    severity = serializers.ChoiceField(
        label="严重程度",
        choices=[("error", "错误"), ("warning", "提示")],
        help_text="error：需要修改后才能提交；warning：提示人工确认。",
    )
    message = serializers.CharField(label="说明")
    field = serializers.CharField(
        label="相关字段", required=False, allow_null=True, allow_blank=True
    )


class QualityFindingSerializer(FindingSerializer):
    indicator_id = serializers.IntegerField(
        label="相关指标ID", required=False, allow_null=True, help_text="与具体指标无关时为 null。"
    )


class TargetSerializer(serializers.Serializer):
    """The reading of a raw 指标值 by ``performance.targets.parse_target``."""

    operator = serializers.CharField(
        label="运算符", help_text=">=、>、=、<、<=；定性或无法解析时为空字符串。"
    )
    value = serializers.DecimalField(
        label="目标值",
        max_digits=24,
        decimal_places=6,
        allow_null=True,
        help_text="按规范单位折算后的数值（金额为万元，比例为 %）；定性或无法解析时为 null。",
    )
    unit = serializers.CharField(label="计量单位")
    kind = serializers.CharField(
        label="指标性质", help_text="quantitative / qualitative / relative"
    )
    direction = serializers.CharField(
        label="指标方向", help_text="positive（正向）/ negative（反向）/ qualitative（定性）"
    )
    relative_to = serializers.CharField(label="参照", help_text="相对上年时为 previous_year。")


@extend_schema_field(TargetSerializer)
class ParsedTargetField(serializers.Field):
    """An indicator's parsed target as :class:`TargetSerializer` shows it.

    The nested serializer's fields are bound once per field, not once per indicator: building a
    serializer deep-copies its fields, which cost most of a goal list's time.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(source="*", read_only=True, **kwargs)
        self._value = converter(TargetSerializer().fields["value"])

    def to_representation(self, indicator: Indicator) -> dict:
        value = indicator.target_value
        texts = [
            None if text is None else str(text)
            for text in (
                indicator.operator,
                indicator.target_unit,
                indicator.kind,
                indicator.direction,
                indicator.relative_to,
            )
        ]
        return {
            "operator": texts[0],
            "value": None if value is None else self._value(value),
            "unit": texts[1],
            "kind": texts[2],
            "direction": texts[3],
            "relative_to": texts[4],
        }


class PeriodTargetsSerializer(serializers.Serializer):
    """An indicator's interim (period) targets: quarters or halves, cumulative or per period."""

    kind = serializers.ChoiceField(
        label="分期方式", choices=PeriodKind.choices, help_text="quarter（按季度）/ half（按半年）"
    )
    mode = serializers.ChoiceField(
        label="分期口径",
        choices=PeriodMode.choices,
        help_text="cumulative（累计：截至各期末应达到的值）/ per_period（当期：各期内应完成的值）",
    )
    values = serializers.ListField(
        label="各期目标值",
        child=serializers.CharField(max_length=100),
        min_length=1,
        max_length=4,
        help_text=(
            "按季度 4 个、按半年 2 个，单位同指标值（可写“20”或“20个”）。累计口径须逐期不减且"
            "最后一期等于全年目标值；当期口径各期之和等于全年目标值；百分比指标只能按累计口径。"
            "错误按列返回：period_kind、period_mode、period_target_1 至 period_target_4。"
        ),
    )


@extend_schema_field(PeriodTargetsSerializer(allow_null=True))
class PeriodTargetsField(serializers.Field):
    """An indicator's period plan as :class:`PeriodTargetsSerializer` shows it, or null."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="*", read_only=True, **kwargs)
        self._value = converter(TargetSerializer().fields["value"])

    def to_representation(self, indicator: Indicator) -> dict | None:
        if not indicator.period_kind:
            return None
        values = [
            getattr(indicator, name)
            for name in ("period_target_1", "period_target_2", "period_target_3", "period_target_4")
        ]
        return {
            "kind": str(indicator.period_kind),
            "mode": str(indicator.period_mode),
            "values": [self._value(value) for value in values if value is not None],
        }


class IndicatorSerializer(FastRepresentation, serializers.ModelSerializer):
    shared_plan = True
    target = ParsedTargetField(
        label="解析结果", help_text="指标值的解析：运算符、数值、单位、方向。"
    )
    findings = FindingSerializer(many=True, read_only=True, label="解析提示")
    needs_attention = serializers.BooleanField(
        read_only=True, label="需要人工处理", help_text="解析提示中有错误（error）时为 true。"
    )

    class Meta:
        model = Indicator
        fields = [
            "id",
            "goal",
            "order",
            "level1",
            "level2",
            "level3",
            "category",
            "raw_value",
            "target",
            "weight",
            "explanation",
            "findings",
            "needs_attention",
            "library_code",
            "library_entry",
            "lock_version",
            "updated_at",
        ]
        read_only_fields = ["library_code", "library_entry"]
        list_serializer_class = PrefetchedListSerializer


class IndicatorDetailSerializer(IndicatorSerializer):
    """An indicator as detail responses show it: with its period plan (lists keep their payload,
    the figures feed and the list floor theirs)."""

    period_targets = PeriodTargetsField(
        label="分期目标",
        help_text="按季度或按半年的分期目标；监控按数据月份所在期的目标计算预警。未设置时为 null。",
    )

    class Meta(IndicatorSerializer.Meta):
        fields = [*IndicatorSerializer.Meta.fields, "period_targets"]


class GoalTaskSerializer(FastRepresentation, serializers.ModelSerializer):
    shared_plan = True

    class Meta:
        model = GoalTask
        fields = ["id", "order", "name", "content"]
        list_serializer_class = PrefetchedListSerializer


class GoalSerializer(FastRepresentation, serializers.ModelSerializer):
    shared_plan = True
    unit = UnitBriefSerializer(read_only=True)
    project = ProjectBriefSerializer(read_only=True, allow_null=True)
    quality_findings = QualityFindingSerializer(many=True, read_only=True, label="智能审核结果")
    indicators = IndicatorSerializer(many=True, read_only=True, label="绩效指标")
    tasks = GoalTaskSerializer(many=True, read_only=True, label="年度主要任务")
    error_count = serializers.IntegerField(read_only=True, label="错误数")
    warning_count = serializers.IntegerField(read_only=True, label="提示数")

    class Meta:
        model = PerformanceGoal
        fields = [
            "id",
            "scope",
            "year",
            "version",
            "previous",
            "status",
            "project",
            "unit",
            *GOAL_FIELDS,
            "quality_findings",
            "quality_checked_at",
            "quality_grade",
            "error_count",
            "warning_count",
            "last_comment",
            "submitted_at",
            "step_entered_at",
            "approved_at",
            "lock_version",
            "created_at",
            "updated_at",
            "indicators",
            "tasks",
        ]


LAST_YEAR_HELP = (
    "延续项目和整体目标：上年已批复目标中同一指标（同一指标库编码，否则同一一级/二级/三级名称）"
    "的目标值和实际值；没有时为 null。"
)


class LastYearSerializer(serializers.Serializer):
    """Last year's target and actual of the same indicator (``selectors.previous_year.LastYear``)."""

    year = serializers.IntegerField(label="上年年度")
    target_raw = serializers.CharField(label="上年指标值")
    actual_raw = serializers.CharField(label="上年实际完成值", help_text="没有时为空字符串。")
    actual_value = serializers.DecimalField(
        max_digits=24, decimal_places=6, allow_null=True, coerce_to_string=True, label="上年实际值"
    )
    actual_source = serializers.ChoiceField(
        choices=[("evaluation", "自评"), ("monitoring", "监控"), ("", "尚无")],
        label="实际值来源",
        help_text="evaluation：上年自评的实际完成值；monitoring：上年尚未自评时最近一次监控的完成值；"
        "空：尚无实际值。",
    )
    actual_month = serializers.IntegerField(
        allow_null=True,
        label="监控数据月份",
        help_text="actual_source 为 monitoring 时：1-N月的 N。",
    )
    matched_by = serializers.ChoiceField(
        choices=[("library", "指标库编码"), ("name", "指标名称")],
        label="匹配方式",
        help_text="library：同一指标库编码（任何版本）；name：同一一级/二级/三级名称，或同一三级名称。",
    )


def last_year_field() -> LastYearSerializer:
    """``last_year`` of a detail row (a goal's indicator, a monitoring entry, an evaluation
    score): read from ``last_year_row``, set for the whole page by :func:`attach_last_year`."""
    return LastYearSerializer(
        source="last_year_row",
        read_only=True,
        allow_null=True,
        label="上年对比",
        help_text=LAST_YEAR_HELP,
    )


class GoalIndicatorSerializer(IndicatorDetailSerializer):
    """An indicator in a goal's detail: its period plan, and last year's target and actual
    beside it (read for the whole goal at once, :func:`attach_last_year`)."""

    shared_plan = True
    last_year = last_year_field()

    class Meta(IndicatorDetailSerializer.Meta):
        fields = [*IndicatorDetailSerializer.Meta.fields, "last_year"]


def attach_last_year(indicators) -> None:
    """Set ``last_year_row`` (a ``LastYear`` or None) on each indicator: three queries."""
    rows = previous_year.last_year_for(indicators)
    for indicator in indicators:
        indicator.last_year_row = rows.get(indicator.pk)


def attach_last_year_to_rows(rows, goal: PerformanceGoal) -> None:
    """The same on a filled document's rows (monitoring entries, evaluation scores), each
    carrying its ``indicator`` of ``goal``: three queries for all rows."""
    indicators = [row.indicator for row in rows]
    for indicator in indicators:
        indicator.goal = goal
    found = previous_year.last_year_for(indicators)
    for row in rows:
        row.last_year_row = found.get(row.indicator_id)


class GoalDetailSerializer(GoalSerializer):
    shared_plan = True
    request_fields = ("allowed_actions",)  # depends on the request's user
    indicators = GoalIndicatorSerializer(many=True, read_only=True, label="绩效指标")
    allowed_actions = serializers.SerializerMethodField(
        label="可执行操作",
        help_text="当前用户对该目标可执行的操作：edit、submit、approve、return、adjust 的子集。",
    )

    class Meta(GoalSerializer.Meta):
        fields = [*GoalSerializer.Meta.fields, "allowed_actions"]

    def get_allowed_actions(self, goal: PerformanceGoal) -> list[str]:
        return sorted(workflow.allowed_actions(goal, self.context["request"].user))

    def to_representation(self, goal: PerformanceGoal):
        indicators = list(goal.indicators.all())
        for indicator in indicators:
            indicator.goal = goal  # the resolver reads the goal and its project
        attach_last_year(indicators)
        return super().to_representation(goal)


class GoalVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PerformanceGoal
        fields = [
            "id",
            "version",
            "status",
            "adjustment_reason",
            "submitted_at",
            "approved_at",
            "updated_at",
        ]


class IndicatorDiffSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.JSONField(), label="新增指标")
    removed = serializers.ListField(child=serializers.JSONField(), label="删除指标")
    changed = serializers.ListField(
        child=serializers.JSONField(),
        label="修改指标",
        help_text="每项为 {key, changes: {字段: [旧值, 新值]}}。",
    )


class GoalDiffSerializer(serializers.Serializer):
    old = serializers.IntegerField(label="旧版本目标ID")
    new = serializers.IntegerField(label="新版本目标ID")
    old_version = serializers.IntegerField(label="旧版本号")
    new_version = serializers.IntegerField(label="新版本号")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(allow_null=True)),
        label="字段变化",
        help_text="字段名 → [旧值, 新值]。",
    )
    indicators = IndicatorDiffSerializer(label="指标变化")
    tasks = serializers.JSONField(label="任务变化", help_text="与 indicators 结构相同。")


# --- writes: validate input, then the services decide -----------------------------------


class IndicatorInputSerializer(serializers.ModelSerializer):
    period_targets = PeriodTargetsSerializer(
        required=False,
        allow_null=True,
        label="分期目标",
        help_text="按季度或按半年的分期目标（可选）；null 清除。",
    )

    class Meta:
        model = Indicator
        fields = [*INDICATOR_FIELDS, *INDICATOR.groups]
        extra_kwargs = {
            "order": {"required": False},
            "raw_value": {"help_text": "指标值原文，如 “≥90%”“≤14.48万元”“及时”，系统自动解析。"},
        }


class TaskInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = GoalTask
        fields = ["name", "content"]


# indicator_rows.BLANK_MESSAGES, translatable for the API's Accept-Language: en
BLANK_MESSAGES = {
    "level3": _("三级指标不能为空。"),
    "raw_value": _("指标值不能为空（如“≥90%”“及时”）。"),
}


class GoalCreateSerializer(ProjectOrUnitQuerysets, serializers.ModelSerializer):
    project, unit = project_or_unit_fields(
        project_help="项目绩效目标（scope=project）必填：您可见单位的项目ID。",
        unit_help="整体绩效目标（scope=unit）必填：您可见的单位ID。",
    )
    indicators = IndicatorInputSerializer(many=True, required=False, label="绩效指标")
    tasks = TaskInputSerializer(many=True, required=False, label="年度主要任务")

    class Meta:
        model = PerformanceGoal
        fields = ["scope", "year", "project", "unit", *GOAL_FIELDS, "indicators", "tasks"]
        validators: list = []

    def validate(self, attrs: dict) -> dict:
        if attrs["scope"] == GoalScope.PROJECT and not attrs.get("project"):
            raise serializers.ValidationError(
                {"project": self.fields["project"].error_messages["required"]}
            )
        if attrs["scope"] == GoalScope.UNIT and not attrs.get("unit"):
            raise serializers.ValidationError(
                {"unit": self.fields["unit"].error_messages["required"]}
            )
        return attrs

    def validate_indicators(self, value: list) -> list:
        """An empty 三级 or 指标值 is refused as the import refuses it (one rule, issue 18)."""
        problems = [
            {name: BLANK_MESSAGES[name] for name in indicator_rows.blank_problems(item)}
            for item in value
        ]
        if any(problems):
            raise serializers.ValidationError(problems)
        return value


class GoalUpdateSerializer(serializers.ModelSerializer):
    lock_version = serializers.IntegerField(
        label="版本号", min_value=1, help_text="读取目标时的 lock_version；已被他人修改时返回 409。"
    )

    class Meta:
        model = PerformanceGoal
        fields = ["lock_version", *GOAL_FIELDS]
        extra_kwargs = {name: {"required": False} for name in GOAL_FIELDS}


class IndicatorCreateSerializer(IndicatorInputSerializer):
    goal = serializers.PrimaryKeyRelatedField(
        queryset=PerformanceGoal.objects.none(), label="绩效目标", help_text="所属绩效目标ID。"
    )

    class Meta(IndicatorInputSerializer.Meta):
        fields = ["goal", *INDICATOR_FIELDS, *INDICATOR.groups]

    def __init__(self, *args, goals=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if goals is not None:
            self.fields["goal"].queryset = goals


class IndicatorUpdateSerializer(IndicatorInputSerializer):
    lock_version = serializers.IntegerField(
        label="版本号", min_value=1, help_text="读取指标时的 lock_version；已被他人修改时返回 409。"
    )
    goal = serializers.IntegerField(
        label="绩效目标",
        required=False,
        help_text="所属绩效目标ID：指标创建后不能改挂到其他目标，提供时须与当前相同，否则 400。",
    )

    class Meta(IndicatorInputSerializer.Meta):
        fields = ["lock_version", "goal", *INDICATOR_FIELDS, *INDICATOR.groups]
        extra_kwargs = {name: {"required": False} for name in INDICATOR_FIELDS}


class StartFromLastYearSerializer(ProjectOrUnitQuerysets, serializers.Serializer):
    project, unit = project_or_unit_fields(
        project_help="延续项目：您可见单位的项目ID（本年度项目，编码与上年相同）。",
        unit_help="整体绩效目标：您可见的单位ID（与 year 一起填写，不填 project）。",
    )
    year = year_field(required=False, help_text="整体绩效目标必填。")

    def validate(self, attrs: dict) -> dict:
        if attrs.get("project"):
            return attrs
        if not attrs.get("unit"):
            raise serializers.ValidationError(
                {"project": _("请选择项目，或选择单位和年度（整体绩效目标）。")}
            )
        if attrs.get("year") is None:
            raise serializers.ValidationError(
                {"year": self.fields["year"].error_messages["required"]}
            )
        return attrs
