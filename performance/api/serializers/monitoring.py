"""Monitoring rounds and reports with their per-indicator entries and lights."""

from __future__ import annotations

from rest_framework import serializers

from ...field_specs import MONITORING_REPORT
from ...models import Indicator, MonitoringEntry, MonitoringReport, MonitoringRound
from ...services import workflow
from .common import ProjectBriefSerializer, UnitBriefSerializer
from .goals import (
    FindingSerializer,
    ParsedTargetField,
    attach_last_year_to_rows,
    last_year_field,
)


class IndicatorBriefSerializer(serializers.ModelSerializer):
    target = ParsedTargetField(label="解析结果")

    class Meta:
        model = Indicator
        fields = ["id", "level1", "level2", "level3", "category", "raw_value", "target", "weight"]


class RoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = MonitoringRound
        fields = [
            "id",
            "year",
            "data_month",
            "title",
            "opens_on",
            "deadline",
            "status",
            "created_at",
        ]


class RoundBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = MonitoringRound
        fields = ["id", "year", "data_month", "title"]


class RoundCreateSerializer(serializers.ModelSerializer):
    class Meta:
        model = MonitoringRound
        fields = ["year", "data_month", "opens_on", "deadline", "title"]
        extra_kwargs = {"title": {"required": False, "allow_blank": True}}
        validators: list = []


class EntrySerializer(serializers.ModelSerializer):
    indicator = IndicatorBriefSerializer(read_only=True)
    findings = FindingSerializer(many=True, read_only=True, label="解析提示")

    class Meta:
        model = MonitoringEntry
        fields = [
            "id",
            "indicator",
            "value_raw",
            "value",
            "forecast_raw",
            "forecast_value",
            "band",
            "deviation_cause",
            "deviation_note",
            "likelihood",
            "measures",
            "light",
            "findings",
            "expected_value",
            "expected_basis",
            "expected_period",
        ]
        extra_kwargs = {
            "expected_value": {
                "help_text": "预警所比较的值：设有分期目标的为数据月份所在期的目标（期内按进度折算），"
                "否则为全年目标×时间进度（比率类指标和反向指标为全年目标）。"
            },
            "expected_basis": {
                "help_text": "period（分期目标）/ prorated（全年目标按时间进度）/ annual（全年目标）"
            },
            "expected_period": {
                "help_text": "数据月份所在的期（第几季度或第几个半年）；无分期目标时为 null。"
            },
        }


class ReportSerializer(serializers.ModelSerializer):
    round = RoundBriefSerializer(read_only=True)
    project = ProjectBriefSerializer(read_only=True)
    unit = UnitBriefSerializer(read_only=True)
    entries = EntrySerializer(many=True, read_only=True, label="监控指标")

    class Meta:
        model = MonitoringReport
        fields = [
            "id",
            "round",
            "project",
            "goal",
            "unit",
            "budget",
            "executed",
            "execution_rate",
            "time_progress",
            "forecast_executed",
            "budget_light",
            "light",
            "summary",
            "status",
            "last_comment",
            "submitted_at",
            "step_entered_at",
            "computed_at",
            "lock_version",
            "created_at",
            "updated_at",
            "entries",
        ]


class EntryDetailSerializer(EntrySerializer):
    """A row in the detail: with last year's target and actual of its indicator beside it."""

    last_year = last_year_field()

    class Meta(EntrySerializer.Meta):
        fields = [*EntrySerializer.Meta.fields, "last_year"]


class ReportDetailSerializer(ReportSerializer):
    entries = EntryDetailSerializer(many=True, read_only=True, label="监控指标")
    allowed_actions = serializers.SerializerMethodField(
        label="可执行操作", help_text="当前用户可执行的操作：edit、submit、approve、return 的子集。"
    )

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "allowed_actions"]

    def to_representation(self, report):
        attach_last_year_to_rows(list(report.entries.all()), report.goal)
        return super().to_representation(report)

    def get_allowed_actions(self, report: MonitoringReport) -> list[str]:
        return sorted(workflow.allowed_actions(report, self.context["request"].user))


# --- writes: what the unit fills (``field_specs.MONITORING_REPORT``) -----------------------


class EntryInputSerializer(serializers.ModelSerializer):
    indicator = serializers.IntegerField(label="指标ID", help_text="本监控表中指标的ID。")

    class Meta:
        model = MonitoringEntry
        fields = ["indicator", *MONITORING_REPORT.row.filled]
        extra_kwargs = {name: {"required": False} for name in MONITORING_REPORT.row.filled}


class ReportUpdateSerializer(serializers.ModelSerializer):
    lock_version = serializers.IntegerField(
        label="版本号",
        min_value=1,
        help_text="读取监控表时的 lock_version；已被他人修改时返回 409。",
    )
    entries = EntryInputSerializer(many=True, required=False, label="监控指标")

    class Meta:
        model = MonitoringReport
        fields = ["lock_version", *MONITORING_REPORT.input_names, MONITORING_REPORT.row.name]
        extra_kwargs = {name: {"required": False} for name in MONITORING_REPORT.input_names}
