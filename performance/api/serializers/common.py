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


def project_or_unit_fields(
    *, project_help: str, unit_help: str
) -> tuple[serializers.PrimaryKeyRelatedField, serializers.PrimaryKeyRelatedField]:
    """The optional ``project`` and ``unit`` id fields of a write naming a project or a unit (+
    year); ``ProjectOrUnitQuerysets`` scopes them to what the caller sees."""
    fields = ((Project, "项目", project_help), (Unit, "单位", unit_help))
    project, unit = (
        serializers.PrimaryKeyRelatedField(
            queryset=model.objects.none(),
            required=False,
            allow_null=True,
            label=label,
            help_text=help_text,
        )
        for model, label, help_text in fields
    )
    return project, unit


# Takes ``projects=``/``units=`` (the caller's visible rows) as the querysets of the
# ``project_or_unit_fields`` pair, so another unit's id is "does not exist". A comment, not a
# docstring: drf-spectacular would inherit a docstring as each serializer's description.
class ProjectOrUnitQuerysets:
    def __init__(self, *args, projects=None, units=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if projects is not None:
            self.fields["project"].queryset = projects
        if units is not None:
            self.fields["unit"].queryset = units


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


class BulkItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(label="编号", min_value=1)
    lock_version = serializers.IntegerField(
        label="版本号",
        required=False,
        min_value=1,
        help_text="读取该项时的 lock_version；填写后若该项已被他人修改，则该项失败（code=stale）。",
    )


class BulkReviewSerializer(serializers.Serializer):
    items = BulkItemSerializer(many=True, label="审核项", help_text="要审核的各项（最多 500 项）。")
    comment = serializers.CharField(
        label="意见",
        required=False,
        allow_blank=True,
        default="",
        help_text="对所选各项相同的审核意见；批量退回时必填。",
    )


class BulkSucceededSerializer(serializers.Serializer):
    id = serializers.IntegerField(label="编号")
    status = serializers.CharField(label="审核后状态")
    lock_version = serializers.IntegerField(label="审核后版本号")


class BulkFailedSerializer(serializers.Serializer):
    id = serializers.IntegerField(label="编号")
    code = serializers.CharField(
        label="原因代码",
        help_text="not_found（不存在或无权访问）、invalid_transition（当前状态不能执行）、"
        "permission_denied（角色无权）、stale（已被他人修改）等。",
    )
    detail = serializers.CharField(label="原因")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), label="按字段的原因"
    )


class BulkResultSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["approve", "return"], label="操作")
    succeeded = BulkSucceededSerializer(many=True, label="成功的项")
    failed = BulkFailedSerializer(many=True, label="失败的项及原因")


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
