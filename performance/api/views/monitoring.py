"""Monitoring rounds and reports (entries, lights) with the review actions."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from ...models import MonitoringReport, MonitoringRound
from ...selectors import scoping
from ...services import monitoring as monitoring_services
from ..filters import FILTER_BACKENDS, ReportFilter
from ..pagination import LargeListCursorPagination, SmallListPagination
from ..schema import CREATE, LIST, READ, WRITE, responses
from ..serializers.monitoring import (
    ReportDetailSerializer,
    ReportSerializer,
    ReportUpdateSerializer,
    RoundCreateSerializer,
    RoundSerializer,
)
from .base import ApiViewSetMixin, history_action, review_actions


@extend_schema_view(
    list=extend_schema(
        summary="监控轮次列表",
        description="财政局开启的绩效运行监控轮次（年度、数据截止月份、截止日期）。",
        responses=responses(RoundSerializer(many=True), *LIST),
    ),
    retrieve=extend_schema(summary="监控轮次详情", responses=responses(RoundSerializer, *READ)),
    create=extend_schema(
        summary="开启监控轮次",
        description=(
            "财政审核人或管理员开启（或补充）一个监控轮次：为该年度目标已批复的每个项目生成"
            "草稿监控表（每个指标一行）。同一年度同一月份重复开启只补充缺少的监控表。"
        ),
        request=RoundCreateSerializer,
        responses=responses(RoundSerializer, *CREATE, status=201, description="已开启"),
    ),
)
class RoundViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Rounds belong to no unit (they hold no unit's figures): every signed-in user sees them."""

    serializer_class = RoundSerializer
    pagination_class = SmallListPagination
    filter_backends = []
    queryset = MonitoringRound.objects.all()

    def create(self, request: Request) -> Response:
        serializer = RoundCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        round_ = monitoring_services.monitoring_round_open(
            actor=request.user, **serializer.validated_data
        )
        return Response(RoundSerializer(round_).data, status=201)


@extend_schema_view(
    list=extend_schema(
        summary="项目绩效监控表列表",
        description=(
            "您可见单位的监控表，含预算执行、时间进度、预警灯和逐指标的完成值、预计值、"
            "偏差原因、能否完成与纠偏措施。游标分页；search 搜索项目名称和编码。"
        ),
        responses=responses(ReportSerializer(many=True), *LIST),
    ),
    retrieve=extend_schema(
        summary="项目绩效监控表详情", responses=responses(ReportDetailSerializer, *READ)
    ),
    partial_update=extend_schema(
        summary="填报监控表",
        description=(
            "填报草稿或已退回的监控表（全年预计执行数、总体完成情况、逐指标数据），"
            "保存后立即重新计算执行率和预警灯；必须提供读取时的 lock_version。"
        ),
        request=ReportUpdateSerializer,
        responses=responses(ReportDetailSerializer, *WRITE),
    ),
)
class ReportViewSet(
    review_actions("监控表", ReportDetailSerializer),
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = ReportSerializer
    detail_serializer_class = ReportDetailSerializer
    pagination_class = LargeListCursorPagination
    filter_backends = FILTER_BACKENDS
    filterset_class = ReportFilter
    search_fields = ["project__name", "project__code"]
    ordering_fields = ["id", "status", "created_at", "updated_at"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[MonitoringReport]:
        return scoping.reports_for(self.request.user)

    def get_serializer_class(self):
        return ReportDetailSerializer if self.action == "retrieve" else ReportSerializer

    def partial_update(self, request: Request, pk=None) -> Response:
        report = self.get_object()
        serializer = ReportUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        expected = values.pop("lock_version")
        entries = [dict(row) for row in values.pop("entries", [])]
        report = monitoring_services.monitoring_report_update(
            report=report,
            actor=request.user,
            data=values,
            entries=entries,
            expected_version=expected,
        )
        return self.detail_response(report)

    history = history_action("监控表")
