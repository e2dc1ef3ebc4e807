"""结果应用: ``GET /api/v1/results/?unit=…&year=…`` — one unit's year (``selectors.results``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects.permissions import visible_units

from ...selectors.results import unit_results
from ..schema import LIST, responses
from ..serializers.results import ResultsQuerySerializer, UnitResultsSerializer


class ResultsView(APIView):
    @extend_schema(
        summary="结果应用（单位年度）",
        description=(
            "一个单位一个年度的绩效结果：各项自评的得分、等级、执行率与偏差，财政复核的复核与最终得分、"
            "等级及差异（财政审核人可见全部，其他用户仅已公开的），以及整改任务（未销号与已销号）"
            "及其操作记录；附汇总（等级计数、抽查数、平均差异、整改未销号/已销号/逾期数）。"
        ),
        parameters=[
            OpenApiParameter("unit", str, required=True, description="单位编码，如 027001。"),
            OpenApiParameter("year", int, required=True, description="年度。"),
        ],
        responses=responses(UnitResultsSerializer, *LIST),
    )
    def get(self, request: Request) -> Response:
        query = ResultsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        unit = visible_units(request.user).filter(code=params["unit"]).first()
        if unit is None:
            raise serializers.ValidationError(
                {"unit": [f"单位“{params['unit']}”不存在或不在您的管辖范围内。"]}
            )
        data = unit_results(user=request.user, unit=unit, year=params["year"])
        return Response(UnitResultsSerializer(data).data)
