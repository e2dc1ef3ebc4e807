"""Units and projects with their budget figures."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from projects.models import Project, ProjectBudget, Unit

from .common import UnitBriefSerializer


class UnitSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(
        source="parent.code", default=None, allow_null=True, label="上级单位编码"
    )

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "kind", "parent", "parent_code", "path", "is_active"]


class ProjectBudgetSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectBudget
        fields = ["fund_source", "amount", "adjusted_amount"]


AMOUNT = {"max_digits": 20, "decimal_places": 6, "read_only": True}


class ExecutionRateField(serializers.DecimalField):
    """A project's 执行率 from its annotated figures, rounded by the scheme of its unit in its
    year.

    The view puts ``execution_rate(project, budget, executed)`` in the serializer context (one
    scheme lookup per request, not per row).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(max_digits=None, decimal_places=None, source="*", read_only=True, **kwargs)

    def to_representation(self, project: Project) -> str:
        rate_of = self.context["execution_rate"]
        rate: Decimal = rate_of(project, project.budget_adjusted, project.executed)
        return super().to_representation(rate)


class ProjectSerializer(serializers.ModelSerializer):
    unit = UnitBriefSerializer(read_only=True)
    budget_initial = serializers.DecimalField(label="年初预算合计（万元）", **AMOUNT)
    budget_adjusted = serializers.DecimalField(
        label="调整后预算合计（万元）", help_text="全年预算数：各资金来源调整后预算之和。", **AMOUNT
    )
    executed = serializers.DecimalField(
        label="执行数（万元）", help_text="截至目前登记的支出合计。", **AMOUNT
    )
    execution_rate = ExecutionRateField(
        label="预算执行率（%）",
        help_text="执行数 / 调整后预算 × 100，按本单位评分方案的舍入方式；预算为 0 时为 0。",
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "code",
            "name",
            "year",
            "unit",
            "category",
            "continuity",
            "period_start",
            "period_end",
            "leader",
            "phone",
            "managing_office",
            "budget_initial",
            "budget_adjusted",
            "executed",
            "execution_rate",
            "lock_version",
            "created_at",
            "updated_at",
        ]


class ProjectDetailSerializer(ProjectSerializer):
    budgets = ProjectBudgetSerializer(many=True, read_only=True)

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "overview", "basis", "budgets"]
