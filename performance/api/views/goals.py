"""Goals (with nested indicators, versions and diffs) and indicators."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from projects.models import Project
from projects.permissions import visible_units

from ... import field_specs
from ...choices import GoalScope
from ...models import Indicator, PerformanceGoal
from ...selectors import api_lists, scoping
from ...services import goals as goal_services
from ...services import workflow
from ..filters import FILTER_BACKENDS, GoalFilter, IndicatorFilter
from ..pagination import LargeListCursorPagination
from ..permissions import scope
from ..schema import CREATE, LIST, READ, WRITE, responses
from ..serializers.common import AdjustSerializer, GoalApproveSerializer
from ..serializers.goals import (
    GoalCreateSerializer,
    GoalDetailSerializer,
    GoalDiffSerializer,
    GoalSerializer,
    GoalUpdateSerializer,
    GoalVersionSerializer,
    IndicatorCreateSerializer,
    IndicatorDetailSerializer,
    IndicatorSerializer,
    IndicatorUpdateSerializer,
    StartFromLastYearSerializer,
)
from .base import ApiViewSetMixin, history_action, review_actions

NO_PREVIOUS = _("该目标没有调整前的版本，请用 against 参数指定要比较的版本。")
OTHER_LINEAGE = _("只能比较同一项目（或同一单位整体目标）同一年度的不同版本。")

GOAL_SEARCH = "项目名称、项目编码、单位名称、单位编码、年度总体目标"
INDICATOR_SEARCH = "一级、二级、三级指标名称和指标值"


@extend_schema_view(
    list=extend_schema(
        summary="绩效目标列表",
        description=(
            "您可见单位的绩效目标（各版本），每个目标含其指标（原始指标值、解析结果、解析提示）"
            f"和年度主要任务。游标分页；search 搜索{GOAL_SEARCH}。"
        ),
        responses=responses(GoalSerializer(many=True), *LIST),
    ),
    retrieve=extend_schema(
        summary="绩效目标详情",
        description="含指标、解析结果与提示、智能审核结果，以及当前用户可执行的操作。",
        responses=responses(GoalDetailSerializer, *READ),
    ),
    create=extend_schema(
        summary="新建绩效目标",
        description=(
            "新建项目（scope=project）或单位整体（scope=unit）绩效目标的第 1 版（草稿），"
            "可同时提交指标和年度主要任务；指标值在保存时自动解析。"
            "需要填报人、单位审核人或管理员角色。"
        ),
        request=GoalCreateSerializer,
        responses=responses(GoalDetailSerializer, *CREATE, status=201, description="已创建"),
    ),
    partial_update=extend_schema(
        summary="修改绩效目标",
        description="修改草稿或已退回目标的文字与预算字段；必须提供读取时的 lock_version。",
        request=GoalUpdateSerializer,
        responses=responses(GoalDetailSerializer, *WRITE),
    ),
)
class GoalViewSet(
    review_actions("绩效目标", GoalDetailSerializer, GoalApproveSerializer),
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = GoalSerializer
    detail_serializer_class = GoalDetailSerializer
    pagination_class = LargeListCursorPagination
    filter_backends = FILTER_BACKENDS
    filterset_class = GoalFilter
    search_fields = ["project__name", "project__code", "unit__name", "unit__code", "overall_goal"]
    ordering_fields = ["id", "year", "version", "status", "created_at", "updated_at"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[PerformanceGoal]:
        if self.action == "list":
            return api_lists.goal_list_for(self.request.user)
        if self.action == "retrieve":
            return api_lists.goal_detail_for(self.request.user)
        return scoping.goals_for(self.request.user)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if self.action == "list":
            api_lists.attach_goal_rows(page if page is not None else queryset)
        return page

    def get_serializer_class(self):
        return GoalDetailSerializer if self.action == "retrieve" else GoalSerializer

    def create(self, request: Request) -> Response:
        user = request.user
        serializer = GoalCreateSerializer(
            data=request.data,
            projects=scope(Project.objects.all(), user),
            units=visible_units(user),
        )
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        goal = goal_services.goal_create(
            scope=values["scope"],
            year=values["year"],
            unit=values.get("unit") if values["scope"] == GoalScope.UNIT else None,
            project=values.get("project") if values["scope"] == GoalScope.PROJECT else None,
            actor=user,
            data={key: values[key] for key in field_specs.GOAL_FIELDS if key in values},
            indicators=[dict(row) for row in values.get("indicators", [])],
            tasks=[dict(row) for row in values.get("tasks", [])],
        )
        return self.detail_response(goal, status=201)

    def partial_update(self, request: Request, pk=None) -> Response:
        goal = self.get_object()
        serializer = GoalUpdateSerializer(data=request.data, partial=False)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        expected = values.pop("lock_version")
        goal = goal_services.goal_update(
            goal=goal, data=values, actor=request.user, expected_version=expected
        )
        return self.detail_response(goal)

    @extend_schema(
        summary="调整已批复的绩效目标",
        description=(
            "财政批复后的目标需要变更时，生成新版本（草稿，版本号 +1，复制指标与任务），"
            "新版本重新报审；原批复版本在新版本批复前保持有效、可读。返回新版本。"
        ),
        request=AdjustSerializer,
        responses=responses(GoalDetailSerializer, 400, 403, 404, status=201, description="新版本"),
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def adjust(self, request: Request, pk=None) -> Response:
        goal = self.get_object()
        serializer = AdjustSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        new = workflow.goal_adjust(
            goal=goal, actor=request.user, reason=serializer.validated_data["reason"]
        )
        return self.detail_response(new, status=201)

    @extend_schema(
        summary="从上年目标开始",
        description=(
            "为延续项目（project）或单位整体目标（unit + year）新建本年度第 1 版草稿，"
            "复制上年已批复目标的文字、指标（名称、指标值、分值、说明、指标库引用）和年度主要任务；"
            "上年项目按同一单位、同一项目编码匹配。预算不复制。新增项目、本年已有目标、"
            "上年没有已批复目标时拒绝（400）。需要填报人、单位审核人或管理员角色。"
            "目标详情的每个指标带 last_year：上年同一指标的目标值和实际值。"
        ),
        request=StartFromLastYearSerializer,
        responses=responses(GoalDetailSerializer, *CREATE, status=201, description="已创建"),
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="start-from-last-year",
        filter_backends=[],
        pagination_class=None,
    )
    def start_from_last_year(self, request: Request) -> Response:
        user = request.user
        serializer = StartFromLastYearSerializer(
            data=request.data,
            projects=scope(Project.objects.all(), user),
            units=visible_units(user),
        )
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        goal = goal_services.goal_start_from_last_year(
            actor=user,
            project=values.get("project"),
            unit=None if values.get("project") else values.get("unit"),
            year=values.get("year"),
        )
        return self.detail_response(goal, status=201)

    def _lineage(self, goal: PerformanceGoal) -> QuerySet[PerformanceGoal]:
        return scope(workflow.same_scope(goal), self.request.user)

    @extend_schema(
        summary="绩效目标的所有版本",
        description="同一项目（或单位整体目标）同一年度的全部版本，按版本号排序。",
        responses=responses(GoalVersionSerializer(many=True), *READ),
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def versions(self, request: Request, pk=None) -> Response:
        goal = self.get_object()
        versions = self._lineage(goal).order_by("version")
        return Response(GoalVersionSerializer(versions, many=True).data)

    @extend_schema(
        summary="比较两个版本",
        description=(
            "逐字段比较本版本与另一版本（默认：调整前版本）：目标字段、指标（新增、删除、修改）"
            "和任务。old 为 against 指定（或调整前）的版本，new 为本版本。"
        ),
        parameters=[
            OpenApiParameter(
                "against",
                OpenApiTypes.INT,
                description="与之比较的版本（目标ID），须为同一项目同一年度的目标；不填则为调整前版本。",
            )
        ],
        responses=responses(GoalDiffSerializer, 400, 404),
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def diff(self, request: Request, pk=None) -> Response:
        new = self.get_object()
        against = request.query_params.get("against")
        if against:
            field = serializers.IntegerField(min_value=1)
            try:
                against_id = field.run_validation(against)
            except serializers.ValidationError as error:
                raise serializers.ValidationError({"against": error.detail}) from error
            old = get_object_or_404(self.get_queryset(), pk=against_id)
            if not self._lineage(new).filter(pk=old.pk).exists():
                raise serializers.ValidationError({"against": [OTHER_LINEAGE]})
        elif new.previous_id:
            old = self.get_queryset().get(pk=new.previous_id)
        else:
            raise serializers.ValidationError({"against": [NO_PREVIOUS]})
        diff = workflow.goal_diff(old, new)
        return Response(
            {
                "old": old.pk,
                "new": new.pk,
                "old_version": old.version,
                "new_version": new.version,
                **diff,
            }
        )

    history = history_action("绩效目标")


@extend_schema_view(
    list=extend_schema(
        summary="绩效指标列表",
        description=f"您可见单位的绩效指标（含解析结果与提示）。游标分页；search 搜索{INDICATOR_SEARCH}。",
        responses=responses(IndicatorSerializer(many=True), *LIST),
    ),
    retrieve=extend_schema(
        summary="绩效指标详情", responses=responses(IndicatorDetailSerializer, *READ)
    ),
    create=extend_schema(
        summary="新增绩效指标",
        description="在草稿或已退回的目标下新增指标；指标值保存时自动解析。",
        request=IndicatorCreateSerializer,
        responses=responses(IndicatorDetailSerializer, *CREATE, status=201, description="已创建"),
    ),
    partial_update=extend_schema(
        summary="修改绩效指标",
        description="修改草稿或已退回目标下的指标；必须提供读取时的 lock_version。",
        request=IndicatorUpdateSerializer,
        responses=responses(IndicatorDetailSerializer, *WRITE),
    ),
    destroy=extend_schema(
        summary="删除绩效指标",
        description="删除草稿或已退回目标下的指标（记入目标的操作记录）。",
        responses=responses(None, 403, 404, 400, status=204, description="已删除"),
    ),
)
class IndicatorViewSet(
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    serializer_class = IndicatorSerializer
    detail_serializer_class = IndicatorDetailSerializer
    pagination_class = LargeListCursorPagination
    filter_backends = FILTER_BACKENDS
    filterset_class = IndicatorFilter
    search_fields = ["level1", "level2", "level3", "raw_value"]
    ordering_fields = ["id", "order", "updated_at"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Indicator]:
        return scope(Indicator.objects.select_related("goal"), self.request.user, "goal__unit")

    def get_serializer_class(self):
        return IndicatorDetailSerializer if self.action == "retrieve" else IndicatorSerializer

    def create(self, request: Request) -> Response:
        serializer = IndicatorCreateSerializer(
            data=request.data,
            goals=scope(PerformanceGoal.objects.select_related("unit"), request.user),
        )
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        goal = values.pop("goal")
        indicator = goal_services.indicator_save(goal=goal, data=values, actor=request.user)
        return self.detail_response(indicator, status=201)

    def partial_update(self, request: Request, pk=None) -> Response:
        indicator = self.get_object()
        serializer = IndicatorUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        expected = values.pop("lock_version")
        if values.pop("goal", indicator.goal_id) != indicator.goal_id:
            # the same answer for any other id: it tells nothing about that goal
            raise serializers.ValidationError({"goal": [goal_services.GOAL_IS_FIXED]})
        indicator = goal_services.indicator_save(
            goal=indicator.goal,
            data=values,
            actor=request.user,
            indicator=indicator,
            expected_version=expected,
        )
        return self.detail_response(indicator)

    def destroy(self, request: Request, pk=None) -> Response:
        indicator = self.get_object()
        goal_services.indicator_delete(indicator=indicator, actor=request.user)
        return Response(status=204)
