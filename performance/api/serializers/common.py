"""Serializers shared by several resources: brief references, review actions, history."""

from __future__ import annotations

from rest_framework import serializers

from projects.models import AuditEntry, Project, Unit
from projects.years import FIRST_YEAR, LAST_YEAR

from ...choices import Grade
from .compiled import FastRepresentation


class UnitBriefSerializer(FastRepresentation, serializers.ModelSerializer):
    shared_plan = True  # get_department_code reads the row only
    department_code = serializers.SerializerMethodField(
        label="所属主管部门编码", help_text="单位层级路径中的主管部门编码；财政局为 null。"
    )

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "kind", "department_code"]

    def get_department_code(self, unit: Unit | dict) -> str | None:
        path = unit["path"] if isinstance(unit, dict) else unit.path
        codes = [code for code in path.split("/") if code]
        return codes[1] if len(codes) > 1 else None


class ProjectBriefSerializer(FastRepresentation, serializers.ModelSerializer):
    shared_plan = True

    class Meta:
        model = Project
        fields = ["id", "code", "name", "year", "category"]


class SubmitSerializer(serializers.Serializer):
    comment = serializers.CharField(
        label="说明", required=False, allow_blank=True, default="", help_text="提交说明（可选）。"
    )
    lock_version = serializers.IntegerField(
        label="版本号",
        required=False,
        min_value=1,
        help_text="读取对象时的 lock_version；填写后若对象已被他人修改则返回 409。",
    )


class ApproveSerializer(SubmitSerializer):
    comment = serializers.CharField(
        label="审核意见",
        required=False,
        allow_blank=True,
        default="",
        help_text="审核意见（可选）。",
    )


class GoalApproveSerializer(ApproveSerializer):
    quality_grade = serializers.ChoiceField(
        label="目标质量等级",
        choices=Grade.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="审核时评定的目标质量等级：优（通过）、良（协商修改）、中（修改后重报）、差（不予通过）。",
    )


class ReturnSerializer(SubmitSerializer):
    comment = serializers.CharField(
        label="退回意见", help_text="退回原因（必填），会通知单位的填报人与单位审核人。"
    )


class AdjustSerializer(serializers.Serializer):
    reason = serializers.CharField(
        label="调整原因", help_text="调整已批复目标的原因（必填），将生成新版本重新报审。"
    )


class HistoryEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor.username", default=None, allow_null=True, label="操作人"
    )
    actor_name = serializers.SerializerMethodField(label="操作人姓名")

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "action",
            "transition",
            "actor",
            "actor_name",
            "changes",
            "comment",
        ]

    def get_actor_name(self, entry: AuditEntry) -> str | None:
        if entry.actor is None:
            return None
        return entry.actor.get_full_name() or entry.actor.username


def year_field(**kwargs) -> serializers.IntegerField:
    """An API field for a budget year, with the range every other entry point accepts."""
    kwargs.setdefault("label", "年度")
    return serializers.IntegerField(min_value=FIRST_YEAR, max_value=LAST_YEAR, **kwargs)
