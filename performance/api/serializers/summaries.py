"""Summaries per unit / department / year: counts, budget, execution, scores, grades, lights."""

from __future__ import annotations

from rest_framework import serializers

from ...choices import Grade, Light, Status
from .common import UnitBriefSerializer

AMOUNT = {"max_digits": 24, "decimal_places": 6}


def _counts(name: str, labels: dict[str, str], doc: str) -> type[serializers.Serializer]:
    fields = {
        key: serializers.IntegerField(label=str(label), min_value=0)
        for key, label in labels.items()
    }
    return type(name, (serializers.Serializer,), {**fields, "__doc__": doc})


StatusCountsSerializer = _counts("StatusCountsSerializer", dict(Status.choices), "各状态的数量。")
GradeCountsSerializer = _counts("GradeCountsSerializer", dict(Grade.choices), "各等级的数量。")
LightCountsSerializer = _counts(
    "LightCountsSerializer", {**dict(Light.choices), "none": "未计算"}, "各预警灯的数量。"
)


class GoalCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(
        label="绩效目标数", help_text="含项目目标和整体目标的所有版本。"
    )
    by_status = StatusCountsSerializer(label="按状态")


class EvaluationCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(label="项目自评数")
    scored = serializers.IntegerField(label="已计算得分的自评数")
    average_score = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        allow_null=True,
        label="平均得分",
        help_text="无得分时为 null。",
    )
    with_deviation = serializers.IntegerField(label="存在偏差的自评数")
    by_grade = GradeCountsSerializer(label="按等级")


class MonitoringCountsSerializer(serializers.Serializer):
    reports = serializers.IntegerField(label="监控表数")
    by_light = LightCountsSerializer(label="按综合预警灯")


class DepartmentBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(label="主管部门编码")
    name = serializers.CharField(label="主管部门名称")


class SummarySerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(
        choices=[
            ("unit", "按单位"),
            ("department", "按主管部门"),
            ("year", "按年度"),
            ("total", "合计"),
        ],
        label="汇总口径",
    )
    unit = UnitBriefSerializer(
        allow_null=True, label="单位", help_text="按单位汇总时的单位，否则为 null。"
    )
    department = DepartmentBriefSerializer(
        allow_null=True, label="主管部门", help_text="按主管部门汇总时的主管部门，否则为 null。"
    )
    year = serializers.IntegerField(
        allow_null=True, label="年度", help_text="跨年度合计时为 null。"
    )
    goals = GoalCountsSerializer(label="绩效目标")
    projects = serializers.IntegerField(label="项目数")
    budget = serializers.DecimalField(
        label="预算数（万元）", help_text="调整后预算合计。", **AMOUNT
    )
    executed = serializers.DecimalField(label="执行数（万元）", **AMOUNT)
    execution_rate = serializers.DecimalField(
        max_digits=12,
        decimal_places=None,
        label="预算执行率（%）",
        help_text="执行数 / 预算数 × 100，按评分方案舍入；预算为 0 时为 0。",
    )
    evaluations = EvaluationCountsSerializer(label="项目绩效自评")
    monitoring = MonitoringCountsSerializer(label="绩效监控")


class UnitSelfEvaluationSerializer(serializers.Serializer):
    """The unit's own project self-evaluations of one year, as its 决算 publishes them."""

    to_evaluate = serializers.IntegerField(
        label="需自评项目数", help_text="本单位该年度绩效目标已批复的项目数。"
    )
    evaluated = serializers.IntegerField(label="实际自评项目数", help_text="已计算等级的项目自评。")
    by_grade = GradeCountsSerializer(label="按等级")
    with_deviation = serializers.IntegerField(label="存在偏差的项目数")
    text = serializers.CharField(
        label="公开表述",
        help_text="决算公开的表述，如“本单位需绩效自评项目 5 个，实际自评 5 个，4 个项目自评等级为优，"
        "1 个项目自评为良，0 个项目自评为中”。",
    )


class UnitSummarySerializer(SummarySerializer):
    self_evaluation = UnitSelfEvaluationSerializer(
        allow_null=True,
        label="本单位项目自评",
        help_text="指定 year 时为本单位自身（不含下级单位）的项目自评汇总和公开表述，否则为 null。",
    )
