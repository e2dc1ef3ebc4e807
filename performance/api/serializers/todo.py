"""The to-do list (待办) in the API: the query and the page of lines."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from projects.models import Unit
from projects.permissions import visible_units

from ...selectors.todo import GROUP_CODES, GROUP_LABELS, KINDS, SOURCES
from ..pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

GROUPS = {code: group for group, code in GROUP_CODES.items()}


class TodoQuerySerializer(serializers.Serializer):
    """``kind`` (repeatable), ``group``, ``unit`` (code), ``page``, ``page_size``."""

    kind = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, label="待办类型"
    )
    group = serializers.CharField(required=False, max_length=20, label="分组")
    unit = serializers.CharField(required=False, max_length=20, label="单位编码")
    page = serializers.IntegerField(required=False, min_value=1, max_value=100000, default=1)
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE
    )

    def validate_kind(self, value: list[str]) -> list[str]:
        unknown = [kind for kind in value if kind not in KINDS]
        if unknown:
            raise serializers.ValidationError(
                _("未知的待办类型：%(kind)s。可用的类型：%(kinds)s。")
                % {"kind": unknown[0], "kinds": "、".join(KINDS)}
            )
        return value

    def validate_group(self, value: str) -> str:
        if value not in GROUPS:
            raise serializers.ValidationError(
                _("未知的待办分组：%(group)s。可用的分组：%(groups)s。")
                % {"group": value, "groups": "、".join(GROUPS)}
            )
        return value

    def validate_unit(self, value: str) -> Unit:
        """A unit the caller may see; a foreign code reads exactly like a missing one."""
        unit = visible_units(self.context["request"].user).filter(code=value).first()
        if unit is None:
            raise serializers.ValidationError(
                _("单位“%(code)s”不存在或不在您的管辖范围内。") % {"code": value}
            )
        return unit

    def kinds(self) -> list[str] | None:
        """The kinds asked for: ``kind`` values, narrowed to ``group`` when both are given."""
        kinds = self.validated_data.get("kind") or None
        group = self.validated_data.get("group")
        if group is None:
            return kinds
        in_group = [s.kind for s in SOURCES if s.group == GROUPS[group]]
        return [k for k in (kinds or in_group) if k in in_group]


class TodoObjectSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["goal", "report", "evaluation", "project", "unit", "rectification"],
        source="object_type",
        label="对象类型",
    )
    id = serializers.IntegerField(source="object_id", label="对象ID")
    url = serializers.CharField(source="api_url", label="对象的 API 地址")


class TodoUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="unit_id")
    code = serializers.CharField(source="unit_code", label="单位编码")
    name = serializers.CharField(source="unit_name", label="单位名称")


class TodoItemSerializer(serializers.Serializer):
    key = serializers.CharField(label="待办键", help_text="类型:对象ID，同一事项不变。")
    kind = serializers.ChoiceField(choices=list(KINDS), label="待办类型")
    kind_label = serializers.CharField(label="类型名称")
    group = serializers.ChoiceField(choices=list(GROUPS), source="group_code", label="分组")
    group_label = serializers.CharField(label="分组名称")
    object = TodoObjectSerializer(source="*", label="对象")
    unit = TodoUnitSerializer(source="*", label="单位")
    year = serializers.IntegerField(allow_null=True, label="年度")
    title = serializers.CharField(label="事项")
    status = serializers.CharField(
        label="状态", help_text="单据状态；逾期单位行为填报类型（goal_set、monitoring…）。"
    )
    status_label = serializers.CharField(label="状态名称")
    since = serializers.DateTimeField(
        allow_null=True, label="进入当前环节时间", help_text="审核、退回：到达当前状态的时间。"
    )
    waited_working_days = serializers.IntegerField(
        allow_null=True, label="已等待工作日", help_text="待审核事项：已等待的工作日数。"
    )
    due = serializers.DateField(
        allow_null=True,
        label="期限",
        help_text="待审核：审核期限（到达后 5 个工作日）；其他：填报窗口或监控轮次的截止日期。",
    )
    overdue = serializers.BooleanField(label="已超期")
    overdue_days = serializers.IntegerField(label="超期天数")
    count = serializers.IntegerField(label="事项数", help_text="逾期单位行：仍未完成的事项数。")
    note = serializers.CharField(label="审核意见", help_text="被退回事项的退回意见。")
    actor = serializers.CharField(label="经办人", help_text="被退回事项：退回人。")
    actions = serializers.ListField(
        child=serializers.ChoiceField(
            choices=["approve", "return", "edit", "submit", "start", "adjust", "open"]
        ),
        label="可执行的操作",
    )
    link = serializers.CharField(label="后台链接", help_text="后台中该对象及其操作的地址。")


class TodoPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(label="总数", help_text="符合条件的待办总数（各页合计）。")
    counts = serializers.DictField(
        child=serializers.IntegerField(), label="按类型计数", help_text="待办类型 → 数量。"
    )
    next = serializers.URLField(allow_null=True, label="下一页")
    previous = serializers.URLField(allow_null=True, label="上一页")
    results = TodoItemSerializer(many=True)


__all__ = ["GROUP_LABELS", "TodoItemSerializer", "TodoPageSerializer", "TodoQuerySerializer"]
