"""Units (with their summary) and projects (with budgets, executed and execution rate)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from projects.models import Project
from projects.permissions import visible_units
from projects.selectors import projects_for

from ...choices import Grade
from ...selectors.summaries import (
    execution_rate_lookup,
    performance_summary,
    unit_evaluation_summary,
)
from ..filters import FILTER_BACKENDS, ProjectFilter, UnitFilter
from ..pagination import SmallListPagination
from ..schema import LIST, READ, responses
from ..serializers.common import year_field
from ..serializers.projects import ProjectDetailSerializer, ProjectSerializer, UnitSerializer
from ..serializers.summaries import UnitSummarySerializer
from .base import history_action

YEAR_PARAMETER = OpenApiParameter(
    "year", OpenApiTypes.INT, description="年度；不填则汇总所有年度。"
)


class SummaryQuerySerializer(serializers.Serializer):
    year = year_field(required=False)


@extend_schema_view(
    list=extend_schema(
        summary="单位列表",
        description="您可见的单位（财政局、主管部门、预算单位）。search 搜索单位编码和名称。",
        responses=responses(UnitSerializer(many=True), *LIST),
    ),
    retrieve=extend_schema(summary="单位详情", responses=responses(UnitSerializer, *READ)),
)
class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = UnitSerializer
    pagination_class = SmallListPagination
    filter_backends = FILTER_BACKENDS
    filterset_class = UnitFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "path"]
    ordering = ["path"]

    def get_queryset(self) -> QuerySet:
        return visible_units(self.request.user).select_related("parent")

    @extend_schema(
        summary="单位汇总",
        description=(
            "该单位及其下级单位的汇总：绩效目标按状态计数，项目数，预算数、执行数与执行率，"
            "项目自评数、平均得分、按等级计数、存在偏差数，监控表按预警灯计数；"
            "指定 year 时另给出本单位自身的项目自评汇总和决算公开的表述（self_evaluation）。"
        ),
        parameters=[YEAR_PARAMETER],
        responses=responses(UnitSummarySerializer, 400, 404),
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def summary(self, request: Request, pk=None) -> Response:
        unit = self.get_object()
        query = SummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data.get("year")
        subtree = self.get_queryset().filter(path__startswith=unit.path)
        (row,) = performance_summary(units=subtree, year=year, group_by="total")
        row["unit"] = unit
        row["self_evaluation"] = None
        if year is not None:
            own = unit_evaluation_summary(unit=unit, year=year)
            row["self_evaluation"] = {
                "to_evaluate": own["to_evaluate"],
                "evaluated": own["evaluated"],
                "by_grade": {grade: own[grade] for grade in Grade.values},
                "with_deviation": own["with_deviation"],
                "text": own["text"],
            }
        return Response(UnitSummarySerializer(row).data)


@extend_schema_view(
    list=extend_schema(
        summary="预算项目列表",
        description=(
            "您可见单位的预算项目，含年初预算、调整后预算、执行数和预算执行率。"
            "search 搜索项目编码和名称。"
        ),
        responses=responses(ProjectSerializer(many=True), *LIST),
    ),
    retrieve=extend_schema(
        summary="预算项目详情",
        description="含项目概况、立项依据和按资金来源的预算。",
        responses=responses(ProjectDetailSerializer, 400, *READ),
    ),
)
class ProjectViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ProjectSerializer
    pagination_class = SmallListPagination
    filter_backends = FILTER_BACKENDS
    filterset_class = ProjectFilter
    search_fields = ["code", "name"]
    ordering_fields = ["id", "code", "year", "name"]
    ordering = ["unit__code", "year", "code"]

    def get_queryset(self) -> QuerySet[Project]:
        queryset = projects_for(self.request.user)
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("budgets")
        return queryset

    def get_serializer_class(self):
        return ProjectDetailSerializer if self.action == "retrieve" else ProjectSerializer

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if self.action in ("list", "retrieve"):
            rate = execution_rate_lookup()
            context["execution_rate"] = lambda project, budget, executed: rate(
                project.unit.path, project.year, budget, executed
            )
        return context

    history = history_action("预算项目")
