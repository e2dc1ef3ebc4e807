"""Self-evaluations: scheme, per-indicator scores with overrides, total and grade."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ...field_specs import SELF_EVALUATION
from ...models import IndicatorEvaluation, ScoringScheme, SelfEvaluation
from ...services import workflow
from .common import (
    ProjectBriefSerializer,
    ProjectOrUnitQuerysets,
    UnitBriefSerializer,
    project_or_unit_fields,
    year_field,
)
from .goals import attach_last_year_to_rows, last_year_field
from .monitoring import IndicatorBriefSerializer


class SchemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScoringScheme
        fields = [
            "id",
            "code",
            "name",
            "description",
            "is_default",
            "execution_weight",
            "weight_fund_management",
            "weight_cost",
            "weight_output",
            "weight_benefit",
            "weight_satisfaction",
            "cost_required",
            "rate_rounding",
            "rate_places",
            "score_rounding",
            "score_places",
            "total_rounding",
            "total_places",
            "grade_excellent_min",
            "grade_good_min",
            "grade_fair_min",
            "over_achievement_ratio",
            "light_red_below",
            "light_yellow_below",
            "light_blue_from",
        ]


class ScoreSerializer(serializers.ModelSerializer):
    indicator = IndicatorBriefSerializer(read_only=True)

    class Meta:
        model = IndicatorEvaluation
        fields = [
            "id",
            "indicator",
            "actual_raw",
            "actual_value",
            "band",
            "band_score",
            "computed_score",
            "override_score",
            "override_reason",
            "final_score",
            "over_achieved",
            "deviation_reason",
            "notes",
        ]


class EvaluationSerializer(serializers.ModelSerializer):
    project = ProjectBriefSerializer(read_only=True, allow_null=True)
    unit = UnitBriefSerializer(read_only=True)
    scheme = SchemeSerializer(read_only=True)
    scores = ScoreSerializer(many=True, read_only=True, label="指标得分")

    class Meta:
        model = SelfEvaluation
        fields = [
            "id",
            "scope",
            "project",
            "unit",
            "year",
            "goal",
            "scheme",
            "budget",
            "executed",
            "execution_rate",
            "execution_score",
            "category_rates",
            "total_score",
            "grade",
            "has_deviation",
            "deviation_declared",
            "deviation_analysis",
            "measures",
            "status",
            "last_comment",
            "computed_at",
            "submitted_at",
            "step_entered_at",
            "lock_version",
            "created_at",
            "updated_at",
            "scores",
        ]


class ScoreDetailSerializer(ScoreSerializer):
    """A row in the detail: with last year's target and actual of its indicator beside it."""

    last_year = last_year_field()

    class Meta(ScoreSerializer.Meta):
        fields = [*ScoreSerializer.Meta.fields, "last_year"]


class EvaluationDetailSerializer(EvaluationSerializer):
    scores = ScoreDetailSerializer(many=True, read_only=True, label="指标得分")
    allowed_actions = serializers.SerializerMethodField(
        label="可执行操作", help_text="当前用户可执行的操作：edit、submit、approve、return 的子集。"
    )

    class Meta(EvaluationSerializer.Meta):
        fields = [*EvaluationSerializer.Meta.fields, "allowed_actions"]

    def to_representation(self, evaluation):
        attach_last_year_to_rows(list(evaluation.scores.all()), evaluation.goal)
        return super().to_representation(evaluation)

    def get_allowed_actions(self, evaluation: SelfEvaluation) -> list[str]:
        return sorted(workflow.allowed_actions(evaluation, self.context["request"].user))


ONE_OF = _("项目和单位必须且只能填写其中一个。")


class EvaluationCreateSerializer(ProjectOrUnitQuerysets, serializers.Serializer):
    year = year_field()
    project, unit = project_or_unit_fields(
        project_help="项目自评时填写项目ID；与 unit 二选一。",
        unit_help="单位整体自评时填写单位ID；与 project 二选一。",
    )

    def validate(self, attrs: dict) -> dict:
        if bool(attrs.get("project")) == bool(attrs.get("unit")):
            raise serializers.ValidationError({"project": [ONE_OF], "unit": [ONE_OF]})
        return attrs


# --- writes: what the unit fills (``field_specs.SELF_EVALUATION``) ------------------------


class ScoreInputSerializer(serializers.ModelSerializer):
    indicator = serializers.IntegerField(label="指标ID", help_text="本自评所评价目标中的指标ID。")

    class Meta:
        model = IndicatorEvaluation
        fields = ["indicator", *SELF_EVALUATION.row.filled]
        extra_kwargs = {name: {"required": False} for name in SELF_EVALUATION.row.filled}


class EvaluationUpdateSerializer(serializers.ModelSerializer):
    lock_version = serializers.IntegerField(
        label="版本号", min_value=1, help_text="读取自评时的 lock_version；已被他人修改时返回 409。"
    )
    scores = ScoreInputSerializer(many=True, required=False, label="指标得分")

    class Meta:
        model = SelfEvaluation
        # has_deviation: the API's name of deviation_declared (``SELF_EVALUATION.aliases``)
        fields = ["lock_version", *SELF_EVALUATION.input_names, SELF_EVALUATION.row.name]
        extra_kwargs = {
            **{name: {"required": False} for name in SELF_EVALUATION.input_names},
            "has_deviation": {
                "required": False,
                "help_text": "单位认定存在偏差（指标均已达标时也可勾选）。",
            },
        }
