"""财政复核 (spot checks): list rows, the detail with its indicators, and the action bodies."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...choices import DrawMethod, GoalScope, RiskRule, SpotCheckOutcome
from ...models import SpotCheck, SpotCheckDraw
from .common import ProjectBriefSerializer, UnitBriefSerializer, year_field

SCORE = {"max_digits": 9, "decimal_places": 4, "coerce_to_string": True}
DECISIONS = [
    (v, label) for v, label in SpotCheckOutcome.choices if v in ("upheld", "accepted", "revised")
]


class SpotCheckDrawSerializer(serializers.ModelSerializer):
    class Meta:
        model = SpotCheckDraw
        fields = [
            "id",
            "year",
            "method",
            "scope_unit",
            "seed",
            "count",
            "rate",
            "rules",
            "scopes",
            "note",
            "population",
            "population_digest",
            "sample_digest",
            "drawn",
            "skipped",
            "created_at",
        ]

    # Seeds go up to 2^62: a string, so JavaScript clients do not lose digits.
    seed = serializers.CharField(label="随机种子", allow_null=True, read_only=True)


class SpotCheckSerializer(serializers.ModelSerializer):
    unit = UnitBriefSerializer(read_only=True)
    project = ProjectBriefSerializer(read_only=True, allow_null=True)
    method = serializers.CharField(source="draw.method", label="抽取方式", read_only=True)

    class Meta:
        model = SpotCheck
        fields = [
            "id",
            "year",
            "unit",
            "project",
            "evaluation",
            "draw",
            "method",
            "reasons",
            "status",
            "outcome",
            "lock_version",
            "self_total",
            "self_grade",
            "review_total",
            "review_grade",
            "difference",
            "final_total",
            "final_grade",
            "final_difference",
            "published_at",
            "objection_deadline",
        ]


class SpotCheckIndicatorSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(label="指标ID")
    level1 = serializers.CharField(label="一级指标")
    level2 = serializers.CharField(label="二级指标")
    level3 = serializers.CharField(label="三级指标")
    weight = serializers.DecimalField(label="分值", allow_null=True, **SCORE)
    self_score = serializers.DecimalField(label="单位得分", allow_null=True, **SCORE)
    review_score = serializers.DecimalField(label="复核得分", allow_null=True, **SCORE)
    reason = serializers.CharField(label="复核理由", allow_blank=True)
    decided_score = serializers.DecimalField(label="裁定得分", allow_null=True, **SCORE)
    decided_reason = serializers.CharField(label="裁定理由", allow_blank=True)


class SpotCheckDetailSerializer(SpotCheckSerializer):
    indicators = serializers.SerializerMethodField(label="逐指标得分")

    class Meta(SpotCheckSerializer.Meta):
        fields = [
            *SpotCheckSerializer.Meta.fields,
            "review_category_rates",
            "summary",
            "objection_reason",
            "objected_at",
            "decision_comment",
            "decided_at",
        ]
        fields.append("indicators")

    @extend_schema_field(SpotCheckIndicatorSerializer(many=True))
    def get_indicators(self, spot_check: SpotCheck) -> list[dict]:
        reviews = {row.score_id: row for row in spot_check.scores.all()}
        rows = []
        for score in spot_check.evaluation.scores.select_related("indicator").order_by(
            "indicator__order", "indicator_id"
        ):
            review = reviews.get(score.pk)
            indicator = score.indicator
            rows.append(
                {
                    "indicator": indicator.pk,
                    "level1": indicator.level1,
                    "level2": indicator.level2,
                    "level3": indicator.level3,
                    "weight": indicator.weight,
                    "self_score": score.final_score,
                    "review_score": review.review_score if review else None,
                    "reason": review.reason if review else "",
                    "decided_score": review.decided_score if review else None,
                    "decided_reason": review.decided_reason if review else "",
                }
            )
        return SpotCheckIndicatorSerializer(rows, many=True).data


class RuleSerializer(serializers.Serializer):
    rule = serializers.ChoiceField(label="风险规则", choices=RiskRule.choices)
    min_total = serializers.DecimalField(
        label="最低自评得分", max_digits=6, decimal_places=2, required=False, min_value=Decimal(0)
    )
    max_execution_rate = serializers.DecimalField(
        label="执行率低于（%）",
        max_digits=6,
        decimal_places=2,
        required=False,
        min_value=Decimal(0),
    )
    min_overrides = serializers.IntegerField(
        label="调整得分指标数不少于", required=False, min_value=1, max_value=1000
    )


class DrawSerializer(serializers.Serializer):
    year = year_field()
    method = serializers.ChoiceField(label="抽取方式", choices=DrawMethod.choices)
    unit = serializers.CharField(
        label="抽取范围",
        required=False,
        allow_blank=True,
        help_text="单位或主管部门编码；空为全部。",
    )
    count = serializers.IntegerField(
        label="抽取数量", required=False, min_value=1, max_value=1000000
    )
    rate = serializers.DecimalField(
        label="抽取比例（%）",
        max_digits=5,
        decimal_places=2,
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
    )
    seed = serializers.IntegerField(
        label="随机种子",
        required=False,
        min_value=0,
        max_value=2**63 - 1,
        help_text="随机抽取的种子；不填则自动生成并记录。相同种子抽取相同样本。",
    )
    rules = RuleSerializer(many=True, required=False, label="风险规则")
    evaluations = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, label="人工指定的绩效自评ID"
    )
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=GoalScope.choices), required=False, label="自评类型"
    )
    note = serializers.CharField(label="说明", required=False, allow_blank=True, max_length=2000)


class DrawResultSerializer(serializers.Serializer):
    draw = SpotCheckDrawSerializer()
    created = serializers.IntegerField(label="新增抽查数")
    skipped = serializers.IntegerField(label="已在其他抽查中")
    spot_checks = serializers.ListField(child=serializers.IntegerField(), label="新增的财政复核ID")


class RescoreRowSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(label="指标ID", min_value=1)
    review_score = serializers.DecimalField(
        label="复核得分",
        max_digits=9,
        decimal_places=4,
        allow_null=True,
        help_text="null 或等于单位得分时撤销该指标的复核。",
    )
    reason = serializers.CharField(label="复核理由", required=False, allow_blank=True, default="")


class RescoreSerializer(serializers.Serializer):
    lock_version = serializers.IntegerField(label="版本号", min_value=1)
    summary = serializers.CharField(label="复核意见", required=False, allow_blank=True)
    scores = RescoreRowSerializer(many=True, label="复核得分", max_length=500)


class ObjectSerializer(serializers.Serializer):
    lock_version = serializers.IntegerField(label="版本号", min_value=1)
    reason = serializers.CharField(label="异议理由", allow_blank=True, max_length=5000)
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        label="异议材料",
        required=False,
        default=list,
        help_text="multipart/form-data 时可附一个或多个文件（重复 files 字段），与异议一并保存；"
        "任一文件被拒绝则异议也不保存。",
    )


class DecidedRowSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(label="指标ID", min_value=1)
    decided_score = serializers.DecimalField(label="裁定得分", max_digits=9, decimal_places=4)
    reason = serializers.CharField(label="裁定理由", required=False, allow_blank=True, default="")


class DecideSerializer(serializers.Serializer):
    lock_version = serializers.IntegerField(label="版本号", min_value=1)
    decision = serializers.ChoiceField(label="裁定结论", choices=DECISIONS)
    comment = serializers.CharField(label="裁定意见", allow_blank=True, max_length=5000)
    scores = DecidedRowSerializer(many=True, required=False, label="裁定得分", max_length=500)


class DistributionSerializer(serializers.Serializer):
    department = UnitBriefSerializer()
    count = serializers.IntegerField(label="抽查数")
    mean = serializers.DecimalField(label="平均差异", allow_null=True, **SCORE)
    max = serializers.DecimalField(label="最大差异", allow_null=True, **SCORE)
    bands = serializers.DictField(child=serializers.IntegerField(), label="差异分布")
