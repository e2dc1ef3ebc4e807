"""结果应用: one unit's year — grades, 复核 differences and 整改 with their history."""

from __future__ import annotations

from rest_framework import serializers

from .common import ProjectBriefSerializer, UnitBriefSerializer, year_field
from .rectifications import RectificationSerializer

SCORE = {"max_digits": 9, "decimal_places": 4, "coerce_to_string": True, "allow_null": True}


class ResultsQuerySerializer(serializers.Serializer):
    unit = serializers.CharField(label="单位编码", max_length=50)
    year = year_field()


class ResultEvaluationSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="evaluation.pk", label="自评ID")
    scope = serializers.CharField(source="evaluation.scope", label="自评类型")
    project = ProjectBriefSerializer(source="evaluation.project", allow_null=True, label="项目")
    status = serializers.CharField(source="evaluation.status", label="自评状态")
    execution_rate = serializers.DecimalField(
        source="evaluation.execution_rate", label="预算执行率（%）", **SCORE
    )
    self_total = serializers.DecimalField(
        source="evaluation.total_score", label="自评得分", **SCORE
    )
    self_grade = serializers.CharField(source="evaluation.grade", label="自评等级")
    has_deviation = serializers.BooleanField(source="evaluation.has_deviation", label="是否有偏差")
    spot_check = serializers.SerializerMethodField(label="财政复核（可见时）")

    def get_spot_check(self, row) -> dict | None:
        spot_check = row["spot_check"]
        if spot_check is None:
            return None
        return ResultSpotCheckSerializer(spot_check).data


class ResultSpotCheckSerializer(serializers.Serializer):
    id = serializers.IntegerField(label="复核ID")
    status = serializers.CharField(label="状态")
    outcome = serializers.CharField(label="结论")
    review_total = serializers.DecimalField(label="复核得分", **SCORE)
    review_grade = serializers.CharField(label="复核等级")
    difference = serializers.DecimalField(label="差异（自评−复核）", **SCORE)
    final_total = serializers.DecimalField(label="最终得分", **SCORE)
    final_grade = serializers.CharField(label="最终等级")
    final_difference = serializers.DecimalField(label="最终差异", **SCORE)


class ResultHistorySerializer(serializers.Serializer):
    created_at = serializers.DateTimeField(label="时间")
    actor = serializers.CharField(
        source="actor.username", allow_null=True, default=None, label="操作人"
    )
    action = serializers.CharField(label="操作")
    transition = serializers.CharField(label="流转")
    comment = serializers.CharField(label="意见")


class ResultRectificationSerializer(RectificationSerializer):
    overdue_days = serializers.IntegerField(label="逾期天数")
    history = ResultHistorySerializer(many=True, label="操作记录")

    class Meta(RectificationSerializer.Meta):
        fields = [*RectificationSerializer.Meta.fields, "overdue_days", "history"]


class ResultSummarySerializer(serializers.Serializer):
    evaluations = serializers.IntegerField(label="自评数")
    grades = serializers.DictField(child=serializers.IntegerField(), label="自评等级计数")
    final_grades = serializers.DictField(child=serializers.IntegerField(), label="复核最终等级计数")
    spot_checked = serializers.IntegerField(label="抽查数")
    mean_difference = serializers.DecimalField(label="平均差异", **SCORE)
    rectifications_open = serializers.IntegerField(label="未销号整改")
    rectifications_closed = serializers.IntegerField(label="已销号整改")
    rectifications_overdue = serializers.IntegerField(label="逾期整改")


class UnitResultsSerializer(serializers.Serializer):
    unit = UnitBriefSerializer(label="单位")
    year = serializers.IntegerField(label="年度")
    summary = ResultSummarySerializer(label="汇总")
    evaluations = ResultEvaluationSerializer(many=True, label="自评与复核")
    rectifications = ResultRectificationSerializer(many=True, label="整改任务")
