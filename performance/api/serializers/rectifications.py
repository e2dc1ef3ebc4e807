"""整改 (rectification): list and detail rows, and the bodies of raise, answer and change."""

from __future__ import annotations

from rest_framework import serializers

from ...field_specs import RECTIFICATION
from ...models import Rectification
from .common import ProjectBriefSerializer, UnitBriefSerializer, year_field


class RectificationSerializer(serializers.ModelSerializer):
    unit = UnitBriefSerializer(read_only=True)
    project = ProjectBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Rectification
        fields = ["id", *(f for f in RECTIFICATION.fields if f not in ("unit", "project"))]
        fields.insert(1, "unit")
        fields.insert(2, "project")


class RectificationRaiseSerializer(serializers.Serializer):
    unit = serializers.CharField(label="整改单位编码", max_length=50)
    year = year_field()
    project = serializers.IntegerField(label="项目ID", required=False, allow_null=True)
    problem = serializers.CharField(label="存在问题", max_length=5000)
    requirement = serializers.CharField(
        label="整改要求", max_length=5000, required=False, allow_blank=True
    )
    deadline = serializers.DateField(label="整改期限")


class RectificationAnswerSerializer(serializers.Serializer):
    """The unit's answer (整改中 or 退回重新整改): its measures and results."""

    lock_version = serializers.IntegerField(label="修改版本号", min_value=1)
    measures = serializers.CharField(
        label="整改措施", max_length=20000, required=False, allow_blank=True
    )
    result = serializers.CharField(
        label="整改成效", max_length=20000, required=False, allow_blank=True
    )


class RectificationChangeSerializer(serializers.Serializer):
    """The 验收方's changes while the task is open: the requirement and the deadline."""

    lock_version = serializers.IntegerField(label="修改版本号", min_value=1)
    requirement = serializers.CharField(
        label="整改要求", max_length=5000, required=False, allow_blank=True
    )
    deadline = serializers.DateField(label="整改期限", required=False)
