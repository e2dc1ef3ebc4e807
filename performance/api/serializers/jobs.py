"""Background jobs (imports, exports, recomputes) and the requests that start them."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from projects.models import Unit
from projects.services.execution import ROW_FIELDS

from ...choices import JobStatus
from ...models import ImportRun, Job
from .common import UnitBriefSerializer, year_field


class JobSerializer(serializers.ModelSerializer):
    unit = UnitBriefSerializer(read_only=True, allow_null=True)
    created_by = serializers.CharField(
        source="created_by.username", default=None, allow_null=True, label="发起人"
    )
    status = serializers.ChoiceField(
        source="effective_status",
        choices=JobStatus.choices,
        read_only=True,
        label="状态",
        help_text="stalled（已停滞）：排队中或运行中的任务超过 JOB_STALL_SECONDS（默认 15 分钟）"
        "没有进展，可能是后台进程已停止，可用 POST /api/v1/jobs/{id}/requeue/ 重新排队；"
        "superseded（已放弃）：停滞的重新计算任务已被新的相同请求取代。",
    )
    status_explanation = serializers.CharField(
        read_only=True,
        label="状态说明",
        help_text="已停滞或已放弃的任务为什么不再前进（如“超过 15 分钟没有进展，可能是后台进程已停止；"
        "可重新排队。”），其他状态为空字符串。",
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
            "status_explanation",
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
            "progress_at",
            "finished_at",
            "files_expired_at",
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
    year = year_field()
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


class ImportIssueSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        allow_null=True, label="行号", help_text="表格中的行号（含表头行）；整个文件的问题为 null。"
    )
    column = serializers.CharField(allow_blank=True, label="列名")
    code = serializers.CharField(label="问题代码")
    severity = serializers.ChoiceField(
        choices=[("error", "错误"), ("warning", "提示")], label="严重程度"
    )
    message = serializers.CharField(label="原因")
    text = serializers.CharField(label="完整说明", help_text="如“第3行「三级指标」：不能为空”。")


class ImportCountsSerializer(serializers.Serializer):
    rows = serializers.IntegerField(label="数据行数")
    projects_created = serializers.IntegerField(label="新增项目")
    projects_updated = serializers.IntegerField(label="更新项目")
    projects_unchanged = serializers.IntegerField(label="未变化项目")
    goals_created = serializers.IntegerField(label="新增绩效目标")
    indicators_created = serializers.IntegerField(label="新增指标")
    indicators_updated = serializers.IntegerField(label="更新指标")
    indicators_unchanged = serializers.IntegerField(label="未变化指标")


class NewProjectSerializer(serializers.Serializer):
    code = serializers.CharField(label="项目编码")
    name = serializers.CharField(label="项目名称")


class ImportResultSerializer(serializers.Serializer):
    kind = serializers.CharField(label="导入类型", help_text="如 targets。")
    filename = serializers.CharField(label="文件名")
    dry_run = serializers.BooleanField(label="仅校验")
    ok = serializers.BooleanField(label="无错误")
    committed = serializers.BooleanField(label="已写入", help_text="仅当数据已保存时为 true。")
    changed = serializers.BooleanField(
        label="有变化",
        help_text="false：文件与系统中的数据一致，没有任何变化（重复导入同一文件时如此）。",
    )
    summary = serializers.CharField(label="结果摘要")
    counts = ImportCountsSerializer(label="计数")
    error_count = serializers.IntegerField(label="错误数")
    warning_count = serializers.IntegerField(label="提示数")
    errors = ImportIssueSerializer(many=True, label="错误", help_text="最多列出 1000 条。")
    warnings = ImportIssueSerializer(many=True, label="提示")
    notices = serializers.ListField(child=serializers.CharField(), label="说明")
    job_id = serializers.IntegerField(allow_null=True, label="任务ID")
    run_id = serializers.IntegerField(
        allow_null=True,
        label="导入记录ID",
        help_text="本次导入的导入记录（/api/v1/imports/runs/）。",
    )
    new_projects = NewProjectSerializer(
        many=True,
        label="将新建的项目",
        help_text="文件中系统尚无的项目编码（校验时即列出，便于发现输错的编码）。",
    )


class GenericImportResultSerializer(ImportResultSerializer):
    """An import kind other than targets: its counts are the kind's declared keys."""

    counts = serializers.DictField(
        child=serializers.IntegerField(), label="计数", help_text="键随导入类型而定。"
    )


class TargetsUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        label="导入文件", help_text="绩效目标导入模板（.xlsx 或 .csv，UTF-8 / GB18030）。"
    )
    dry_run = serializers.BooleanField(
        label="仅校验", required=False, default=False, help_text="true：只校验并报告，不写入。"
    )


class MasterDataUploadSerializer(TargetsUploadSerializer):
    """The upload of a master-data kind (units, people): the file and the complete-import
    options (``complete``, ``root`` and the guard ``expected_deactivations`` /
    ``expected_revocations``), and for people ``send_invites``."""

    complete = serializers.BooleanField(
        label="完整导入",
        required=False,
        default=False,
        help_text="true：文件列出了根单位下的全部单位，未列出的单位将停用（不删除）。",
    )
    root = serializers.CharField(
        label="根单位编码",
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="完整导入的根单位；只管理一个单位的管理员可省略。",
    )
    expected_deactivations = serializers.IntegerField(
        label="确认停用数",
        required=False,
        min_value=0,
        help_text="完整导入将停用的单位数（先 dry_run 查看）；与实际不符时不导入。",
    )
    send_invites = serializers.BooleanField(
        label="发送设置密码邮件",
        required=False,
        default=True,
        help_text="人员导入：为新用户发送设置密码邮件；只有系统管理员可以设为 false。",
    )

    OPTIONS = ("complete", "root", "expected_deactivations", "send_invites")


class ImportRunSerializer(serializers.ModelSerializer):
    """One import run of the history (``/api/v1/imports/runs/``)."""

    created_by = serializers.CharField(
        source="created_by.username", default=None, allow_null=True, label="发起人"
    )
    counts = serializers.DictField(
        child=serializers.IntegerField(), label="统计", help_text="键随导入类型而定。"
    )
    options = serializers.DictField(label="选项")

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "kind",
            "filename",
            "file_digest",
            "status",
            "dry_run",
            "changed",
            "options",
            "counts",
            "error_count",
            "warning_count",
            "summary",
            "job",
            "created_by",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


# --- execution feed as JSON (issue 18) ---------------------------------------------------------

EXECUTION_ROW_KEYS = ROW_FIELDS  # a JSON row's keys: the staged row's fields


class ExecutionRowsSerializer(serializers.Serializer):
    """The execution feed as a JSON body: one batch and its rows, each row an object with the
    columns' keys; cells are text or numbers and are cleaned exactly as a file's."""

    source = serializers.CharField(
        label="来源系统", required=False, allow_blank=True, max_length=50, default=""
    )
    batch = serializers.CharField(label="批次号", max_length=64)
    dry_run = serializers.BooleanField(
        label="仅校验", required=False, default=False, help_text="true：只校验并报告，不写入。"
    )
    rows = serializers.ListField(
        label="支出行",
        child=serializers.DictField(),
        allow_empty=False,
        help_text="每行一个对象，键："
        + "、".join(EXECUTION_ROW_KEYS)
        + "（fund_source、note、reverses 可省略）；错误按文件的行号报告：rows 的第 1 个是第 2 行"
        "（第 1 行是表头）。",
    )

    def validate_rows(self, rows: list[dict]) -> list[dict]:
        problems = []
        for position, row in enumerate(rows, start=1):
            unknown = sorted(set(row) - set(EXECUTION_ROW_KEYS))
            if unknown:
                problems.append(f"第 {position} 个支出行有未知的键：{'、'.join(unknown)}。")
            odd = [k for k, v in row.items() if not isinstance(v, (str, int, float, type(None)))]
            if odd or any(isinstance(v, bool) for v in row.values()):
                problems.append(f"第 {position} 个支出行的值应为文字或数字。")
            if len(problems) >= 20:
                break
        if problems:
            raise serializers.ValidationError(problems)
        return rows
