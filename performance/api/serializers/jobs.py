"""Background jobs (imports, exports, recomputes) and the requests that start them."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from projects.models import Unit

from ...models import Job
from .common import UnitBriefSerializer


class JobSerializer(serializers.ModelSerializer):
    unit = UnitBriefSerializer(read_only=True, allow_null=True)
    created_by = serializers.CharField(
        source="created_by.username", default=None, allow_null=True, label="发起人"
    )
    progress = serializers.IntegerField(read_only=True, label="进度（%）", help_text="0–100。")
    download_url = serializers.SerializerMethodField(
        label="结果文件下载地址",
        help_text="任务生成了结果文件（如导出表、错误报告）时的下载地址，否则为 null。",
    )

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "progress",
            "total",
            "processed",
            "params",
            "errors",
            "result",
            "unit",
            "created_by",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "download_url",
        ]

    def get_download_url(self, job: Job) -> str | None:
        if not job.output_file:
            return None
        url = reverse("api:job-download", kwargs={"pk": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class UnitScopedSerializer(serializers.Serializer):
    """A request naming one of the caller's visible units (``units=`` queryset)."""

    def __init__(self, *args, units=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units


class RecomputeSerializer(UnitScopedSerializer):
    year = serializers.IntegerField(label="年度", min_value=2000, max_value=2100)
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.none(),
        label="单位ID",
        required=False,
        allow_null=True,
        help_text=(
            "只重算该单位及其下级单位（需要主管部门审核人、财政审核人或管理员角色）；"
            "不填则重算全部单位（需要财政审核人或管理员）。"
        ),
    )


class TargetsImportSerializer(serializers.Serializer):
    file = serializers.FileField(label="导入文件", help_text="绩效目标导入模板（.xlsx 或 .csv）。")
    year = serializers.IntegerField(
        label="年度", min_value=2000, max_value=2100, required=False, allow_null=True
    )
    unit = serializers.IntegerField(
        label="单位ID",
        required=False,
        allow_null=True,
        help_text="导入到哪个单位（您可见的单位）。",
    )
