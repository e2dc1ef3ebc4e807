"""The indicator library (指标库): entries out, entry writes and review actions in."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ...choices import LibraryGoalScope
from ...models import LibraryEntry
from ...services import workflow
from .common import UnitBriefSerializer
from .goals import IndicatorSerializer
from .jobs import ImportIssueSerializer


class LibraryEntrySerializer(serializers.ModelSerializer):
    owner = UnitBriefSerializer(source="unit", read_only=True, label="归口单位")
    project_categories = serializers.ListField(
        source="project_category_codes",
        child=serializers.CharField(),
        read_only=True,
        label="适用项目类型",
        help_text="personnel / operating / special；空列表表示全部类型。",
    )
    frozen = serializers.SerializerMethodField(
        label="已冻结", help_text="已被批复的绩效目标引用：名称、度量单位和指标性质不再修改。"
    )

    class Meta:
        model = LibraryEntry
        fields = [
            "id",
            "code",
            "version",
            "previous",
            "status",
            "owner",
            "is_common",
            "is_required",
            "goal_scope",
            "level1",
            "level2",
            "level3",
            "category",
            "nature",
            "direction",
            "measure_unit",
            "reference_value",
            "reference_weight",
            "explanation",
            "basis",
            "scoring_standard",
            "project_categories",
            "function_class",
            "frozen",
            "frozen_at",
            "retire_reason",
            "last_comment",
            "submitted_at",
            "lock_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_frozen(self, entry: LibraryEntry) -> bool:
        return entry.frozen_at is not None


class LibraryVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = LibraryEntry
        fields = ["id", "version", "status", "level3", "measure_unit", "nature", "updated_at"]
        read_only_fields = fields


class LibraryEntryDetailSerializer(LibraryEntrySerializer):
    allowed_actions = serializers.SerializerMethodField(
        label="可执行的操作",
        help_text="edit / submit / approve / return / retire / revise 的子集。",
    )
    versions = serializers.SerializerMethodField(label="全部版本")

    class Meta(LibraryEntrySerializer.Meta):
        fields = [*LibraryEntrySerializer.Meta.fields, "allowed_actions", "versions"]
        read_only_fields = fields

    def get_allowed_actions(self, entry: LibraryEntry) -> list[str]:
        return sorted(workflow.allowed_actions(entry, self.context["request"].user))

    def get_versions(self, entry: LibraryEntry) -> list[dict]:
        rows = LibraryEntry.objects.filter(code=entry.code).order_by("version")
        return LibraryVersionSerializer(rows, many=True).data


class LibraryEntryFieldsSerializer(serializers.Serializer):
    """The fields a caller writes (all optional here; the service says what is missing)."""

    level1 = serializers.CharField(label="一级指标", max_length=50, required=False)
    level2 = serializers.CharField(label="二级指标", max_length=50, required=False)
    level3 = serializers.CharField(label="三级指标", max_length=300, required=False)
    nature = serializers.CharField(
        label="指标性质",
        max_length=12,
        required=False,
        help_text="≥、≤、＝ 或 定性（也接受 >=、<=、=）。",
    )
    measure_unit = serializers.CharField(
        label="度量单位", max_length=20, required=False, allow_blank=True
    )
    reference_value = serializers.CharField(
        label="参考值", max_length=100, required=False, allow_blank=True
    )
    reference_weight = serializers.DecimalField(
        label="参考分值",
        max_digits=7,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        allow_null=True,
    )
    explanation = serializers.CharField(
        label="指标解释", max_length=2000, required=False, allow_blank=True
    )
    basis = serializers.CharField(
        label="指标值设定依据及数据来源", max_length=2000, required=False, allow_blank=True
    )
    scoring_standard = serializers.CharField(
        label="评(扣)分标准", max_length=2000, required=False, allow_blank=True
    )
    goal_scope = serializers.ChoiceField(
        label="适用目标", choices=LibraryGoalScope.choices, required=False
    )
    project_categories = serializers.ListField(
        label="适用项目类型",
        child=serializers.ChoiceField(choices=["personnel", "operating", "special"]),
        required=False,
        max_length=3,
    )
    function_class = serializers.RegexField(
        r"^[0-9]{3}([0-9]{2}){0,2}$",
        label="适用支出功能分类",
        required=False,
        allow_blank=True,
        max_length=7,
    )
    is_required = serializers.BooleanField(label="必选", required=False)


class LibraryEntryCreateSerializer(LibraryEntryFieldsSerializer):
    owner = serializers.CharField(
        label="归口单位编码",
        max_length=20,
        help_text="财政局（共性指标）或主管部门（个性指标）的单位编码。",
    )
    is_common = serializers.BooleanField(label="共性指标", required=False)
    propose = serializers.BooleanField(
        label="提交确认", required=False, default=False, help_text="创建后立即提交财政确认。"
    )
    confirm = serializers.BooleanField(
        label="同时确认",
        required=False,
        default=False,
        help_text="财政审核人创建并确认（两步各记一条操作记录）。",
    )


class LibraryEntryUpdateSerializer(LibraryEntryFieldsSerializer):
    lock_version = serializers.IntegerField(label="版本号", min_value=1)
    reason = serializers.CharField(
        label="修改原因",
        max_length=500,
        required=False,
        allow_blank=True,
        help_text="财政审核人直接修改已确认的指标时必填。",
    )


class LibraryReviseSerializer(LibraryEntryFieldsSerializer):
    reason = serializers.CharField(label="修订原因", max_length=500)
    lock_version = serializers.IntegerField(label="版本号", min_value=1, required=False)


class LibraryRetireSerializer(serializers.Serializer):
    reason = serializers.CharField(label="停用原因", max_length=500)
    lock_version = serializers.IntegerField(label="版本号", min_value=1, required=False)


class LibraryImportCountsSerializer(serializers.Serializer):
    rows = serializers.IntegerField(label="数据行数")
    created = serializers.IntegerField(label="新增指标")
    updated = serializers.IntegerField(label="更新指标")
    unchanged = serializers.IntegerField(label="未变化指标")


class LibraryImportResultSerializer(serializers.Serializer):
    filename = serializers.CharField(label="文件名")
    dry_run = serializers.BooleanField(label="仅校验")
    ok = serializers.BooleanField(label="无错误")
    committed = serializers.BooleanField(label="已写入", help_text="仅当数据已保存时为 true。")
    summary = serializers.CharField(label="结果摘要")
    counts = LibraryImportCountsSerializer(label="计数")
    error_count = serializers.IntegerField(label="错误数")
    warning_count = serializers.IntegerField(label="提示数")
    errors = ImportIssueSerializer(many=True, label="错误", help_text="最多列出 1000 条。")
    warnings = ImportIssueSerializer(many=True, label="提示")
    notices = serializers.ListField(child=serializers.CharField(), label="说明")
    job_id = serializers.IntegerField(allow_null=True, label="任务ID")


class LibraryUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        label="导入文件",
        help_text="101号 核心指标表（.xlsx 或 .csv）：一级指标、二级指标、三级指标、指标性质、指标值、"
        "度量单位、权重、指标值设定依据及数据来源、评(扣)分标准。",
    )
    dry_run = serializers.BooleanField(
        label="仅校验", required=False, default=False, help_text="true：只校验并报告，不写入。"
    )
    submit = serializers.BooleanField(label="导入后提交财政确认", required=False, default=False)


# --- search, suggestions, 引用 ----------------------------------------------------------------


class LibraryFiltersSerializer(serializers.Serializer):
    """Filters of search (and the picker): 一级, 二级, 行业 (支出功能分类 prefix), project type,
    共性/个性."""

    level1 = serializers.CharField(
        label="一级指标", max_length=50, required=False, help_text="只看该一级指标下的指标。"
    )
    level2 = serializers.CharField(
        label="二级指标", max_length=50, required=False, help_text="只看该二级指标下的指标。"
    )
    function_class = serializers.RegexField(
        r"^[0-9]{3}([0-9]{2}){0,2}$",
        label="行业（支出功能分类前缀）",
        required=False,
        help_text="支出功能分类的类、款或项编码前缀，如 208（社会保障和就业）。",
        error_messages={"invalid": _("支出功能分类应为 3、5 或 7 位数字，如 208。")},
    )
    project_category = serializers.ChoiceField(
        label="适用项目类型",
        choices=["personnel", "operating", "special"],
        required=False,
        help_text="只看适用于该项目类型的指标（含适用全部类型的）。",
    )
    is_common = serializers.BooleanField(
        label="共性指标",
        required=False,
        allow_null=True,
        help_text="true 只看共性，false 只看个性。",
    )


class LibrarySearchQuerySerializer(LibraryFiltersSerializer):
    q = serializers.CharField(
        label="检索词",
        max_length=50,
        help_text="1–50 个字符；空格分隔最多 5 个词，每个词都须出现在编码或一、二、三级指标中。",
    )
    goal = serializers.IntegerField(
        label="绩效目标ID", required=False, help_text="给出时只返回该目标可以引用、尚未引用的指标。"
    )
    limit = serializers.IntegerField(
        label="条数", min_value=1, max_value=50, default=20, help_text="每页条数，1–50。"
    )
    offset = serializers.IntegerField(
        label="起始位置", min_value=0, max_value=200, default=0, help_text="跳过的条数，0–200。"
    )


class LibrarySearchHitSerializer(serializers.Serializer):
    entry = LibraryEntrySerializer(label="指标库指标")
    tier = serializers.IntegerField(
        label="匹配层级",
        help_text="0 三级指标与检索词相同，1 以其开头，2 包含，3 其他（各词分别出现）。",
    )
    similarity = serializers.FloatField(
        label="名称相似度", help_text="三级指标与检索词的三元组相似度（0–1）。"
    )


class LibrarySearchSerializer(serializers.Serializer):
    results = LibrarySearchHitSerializer(many=True, label="结果")
    next_offset = serializers.IntegerField(
        label="下一页起始位置", allow_null=True, help_text="没有更多结果时为 null。"
    )


class LibrarySuggestionQuerySerializer(serializers.Serializer):
    project = serializers.IntegerField(
        label="项目ID", required=False, help_text="为该项目推荐（与 goal 二选一）。"
    )
    goal = serializers.IntegerField(
        label="绩效目标ID",
        required=False,
        help_text="为该项目绩效目标推荐，不含已引用的指标（与 project 二选一）。",
    )
    limit = serializers.IntegerField(
        label="条数", min_value=1, max_value=50, default=20, help_text="最多返回条数，1–50。"
    )

    def validate(self, attrs):
        if ("project" in attrs) == ("goal" in attrs):
            raise serializers.ValidationError({"project": _("请给出 project 或 goal 其中之一。")})
        return attrs


class LibrarySuggestionRowSerializer(serializers.Serializer):
    entry = LibraryEntrySerializer(label="指标库指标")
    n = serializers.IntegerField(label="同类项目引用数")
    n_department = serializers.IntegerField(label="其中本部门")
    n_similar_name = serializers.IntegerField(label="其中名称相近")
    reason = serializers.CharField(
        label="推荐理由", help_text="如“同类项目 12 个使用（本部门 9 个、名称相近 5 个）”。"
    )


class LibrarySuggestionsSerializer(serializers.Serializer):
    project = serializers.IntegerField(label="项目ID")
    reference_year = serializers.IntegerField(label="参照年度", help_text="项目年度的上一年。")
    results = LibrarySuggestionRowSerializer(many=True, label="推荐指标")


class LibraryPickSerializer(serializers.Serializer):
    entry = serializers.IntegerField(label="指标库指标ID")
    raw_value = serializers.CharField(
        label="指标值", max_length=300, required=False, allow_blank=True, default=""
    )
    weight = serializers.DecimalField(
        label="分值",
        max_digits=7,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        default=None,
    )
    use_reference = serializers.BooleanField(
        label="采用参考值",
        required=False,
        default=False,
        help_text="指标值留空时以指标库参考值作为指标值。",
    )


class LibraryAddToGoalSerializer(serializers.Serializer):
    goal = serializers.IntegerField(label="绩效目标ID")
    entries = LibraryPickSerializer(many=True, label="引用的指标", min_length=1, max_length=50)


class LibraryAddedSerializer(serializers.Serializer):
    goal = serializers.IntegerField(label="绩效目标ID")
    indicators = IndicatorSerializer(many=True, label="新增的指标")
    warnings = serializers.ListField(child=serializers.CharField(), label="提示")
