"""Summaries per unit / department / year over the caller's visible units."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects.permissions import visible_units
from projects.selectors import subtree

from ...selectors.summaries import SUMMARY_GROUPS, performance_summary
from ..schema import LIST, responses
from ..serializers.common import year_field
from ..serializers.summaries import SummarySerializer


class SummaryQuerySerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(
        choices=[(g, g) for g in SUMMARY_GROUPS], default="unit", label="汇总口径"
    )
    year = year_field(required=False)
    unit = serializers.CharField(required=False, label="单位编码")
    department = serializers.CharField(required=False, label="主管部门编码")


class SummaryView(APIView):
    @extend_schema(
        summary="汇总统计",
        description=(
            "按单位（unit）、主管部门（department）、年度（year）或合计（total）汇总您可见单位的："
            "绩效目标按状态计数、项目数、预算数、执行数、预算执行率、项目自评数、平均得分、"
            "按等级计数、存在偏差数、监控表按预警灯计数。不填 year 时按年度分行。"
            "结果不分页（每个单位/部门/年度一行）。"
        ),
        parameters=[
            OpenApiParameter(
                "group_by",
                str,
                enum=list(SUMMARY_GROUPS),
                description="汇总口径：unit 按单位、department 按主管部门、year 按年度、total 合计。默认 unit。",
            ),
            OpenApiParameter("year", int, description="年度；不填则按年度分行。"),
            OpenApiParameter("unit", str, description="只汇总该单位（编码）。"),
            OpenApiParameter(
                "department", str, description="只汇总该主管部门（编码）及其下所有单位。"
            ),
        ],
        responses=responses(SummarySerializer(many=True), *LIST),
    )
    def get(self, request: Request) -> Response:
        query = SummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        units = visible_units(request.user)
        if params.get("unit"):
            units = units.filter(code=params["unit"])
        if params.get("department"):
            units = units.filter(subtree(params["department"]))
        rows = performance_summary(
            units=units, year=params.get("year"), group_by=params["group_by"]
        )
        return Response(SummarySerializer(rows, many=True).data)
