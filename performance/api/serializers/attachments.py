"""Evidence files (佐证材料): what a file row shows, and the upload form."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...choices import AttachmentKind
from ...models import Attachment
from .common import UnitBriefSerializer

ANCHOR_FIELDS = ("entry", "report", "score", "evaluation", "spot_check", "objection")


class AnchorSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AttachmentKind.choices, label="附着对象类型")
    id = serializers.IntegerField(label="附着对象 ID")


class AttachmentSerializer(serializers.ModelSerializer):
    anchor = serializers.SerializerMethodField(label="附着对象")
    unit = UnitBriefSerializer(read_only=True)
    uploaded_by = serializers.CharField(
        source="uploaded_by.username", default=None, allow_null=True, label="上传人"
    )
    download = serializers.SerializerMethodField(
        label="下载地址", help_text="经权限校验的下载地址（仅能由可见该对象的用户下载）。"
    )

    class Meta:
        model = Attachment
        fields = [
            "id",
            "kind",
            "anchor",
            "unit",
            "year",
            "name",
            "file_type",
            "content_type",
            "size",
            "sha256",
            "description",
            "uploaded_by",
            "uploaded_at",
            "download",
        ]

    @extend_schema_field(AnchorSerializer)
    def get_anchor(self, attachment: Attachment) -> dict:
        kind, _, pk = attachment.anchor.partition(":")
        return {"kind": kind, "id": int(pk)}

    def get_download(self, attachment: Attachment) -> str:
        return reverse("api:attachment-download", args=[attachment.pk])


class AttachmentListSerializer(serializers.Serializer):
    results = AttachmentSerializer(many=True, label="已上传的文件")


class AttachmentUploadSerializer(serializers.Serializer):
    """multipart/form-data: exactly one of the anchor ids, one or more ``files``."""

    entry = serializers.IntegerField(
        label="监控指标 ID", required=False, min_value=1, help_text="监控表中一个指标行的 ID。"
    )
    report = serializers.IntegerField(
        label="监控表 ID", required=False, min_value=1, help_text="监控表整体的佐证材料。"
    )
    score = serializers.IntegerField(
        label="指标自评 ID", required=False, min_value=1, help_text="自评表中一个指标行的 ID。"
    )
    evaluation = serializers.IntegerField(
        label="绩效自评 ID", required=False, min_value=1, help_text="绩效自评整体的佐证材料。"
    )
    spot_check = serializers.IntegerField(
        label="财政复核 ID（复核依据）",
        required=False,
        min_value=1,
        help_text="财政审核人在复核中或已退回时上传的复核依据。",
    )
    objection = serializers.IntegerField(
        label="财政复核 ID（异议材料）",
        required=False,
        min_value=1,
        help_text="单位已提出异议、尚未裁定时，单位审核人或管理员补充的异议材料。",
    )
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        label="文件",
        allow_empty=False,
        help_text="一个或多个文件（重复 files 字段）。类型按内容判断：PDF、图片、Office 文档、"
        "OFD 或只含这些文件的 ZIP。",
    )
    description = serializers.CharField(
        label="说明", required=False, allow_blank=True, default="", max_length=200
    )

    def validate(self, attrs: dict) -> dict:
        given = [name for name in ANCHOR_FIELDS if attrs.get(name) is not None]
        if len(given) != 1:
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        "请且只能指定一个附着对象：entry、report、score、evaluation、"
                        "spot_check 或 objection。"
                    ]
                }
            )
        attrs["kind"] = given[0]
        attrs["pk"] = attrs[given[0]]
        return attrs
