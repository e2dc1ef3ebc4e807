"""财政复核 (spot checks): list, read, draw, re-score, review (submit / approve / return),
object and decide — each a call to ``services.spot_checks`` or ``services.workflow``.

The queryset is ``selectors.spot_checks.spot_checks_for``: a finance bureau's 财政审核人 sees
every spot check in scope, everyone else only published ones, so a draft is a 404 for the unit.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from projects.models import Unit
from projects.permissions import may_spot_check, visible_units
from projects.years import is_budget_year, year_out_of_range_message

from ...models import SpotCheck
from ...selectors.spot_checks import review_difference_distribution, spot_checks_for
from ...services import spot_checks as spot_check_services
from ..filters import FILTER_BACKENDS, SpotCheckFilter
from ..pagination import LargeListCursorPagination
from ..parsers import FormParser, JSONParser, MultiPartParser
from ..schema import CREATE, LIST, READ, WRITE, responses
from ..serializers.spot_checks import (
    DecideSerializer,
    DistributionSerializer,
    DrawResultSerializer,
    DrawSerializer,
    ObjectSerializer,
    RescoreSerializer,
    SpotCheckDetailSerializer,
    SpotCheckSerializer,
)
from .base import ApiViewSetMixin, review_actions


def _unit_or_refuse(user, code: str) -> Unit | None:
    if not code:
        return None
    unit = visible_units(user).filter(code=code).first()
    if unit is None:
        raise serializers.ValidationError({"unit": [f"单位“{code}”不存在或不在您的管辖范围内。"]})
    return unit


@extend_schema_view(
    list=extend_schema(
        summary="财政复核列表",
        description=(
            "财政审核人：管辖范围内的全部财政复核；其他用户：本单位（或下属单位）已公开的复核结果。"
            "含自评、复核、最终得分与等级及差异（自评−复核）。游标分页。"
        ),
        responses=responses(SpotCheckSerializer(many=True), *LIST),
    ),
    retrieve=extend_schema(
        summary="财政复核详情",
        description="逐指标的单位得分、复核得分及理由、裁定得分，以及异议与裁定。",
        responses=responses(SpotCheckDetailSerializer, *READ),
    ),
)
class SpotCheckViewSet(
    review_actions("财政复核", SpotCheckDetailSerializer, bulk=False),
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    http_method_names = ["get", "post", "head", "options"]
    serializer_class = SpotCheckSerializer
    detail_serializer_class = SpotCheckDetailSerializer
    pagination_class = LargeListCursorPagination
    filter_backends = FILTER_BACKENDS
    filterset_class = SpotCheckFilter
    search_fields = ["project__name", "project__code"]
    ordering_fields = ["id", "year", "difference", "review_total", "status"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[SpotCheck]:
        rows = spot_checks_for(self.request.user)
        if self.action != "list":
            rows = rows.select_related("evaluation", "scheme")
        return rows

    def get_serializer_class(self):
        return SpotCheckSerializer if self.action == "list" else SpotCheckDetailSerializer

    @extend_schema(
        summary="抽取财政复核样本",
        description=(
            "财政审核人按年度抽取已批复的绩效自评：random 随机（记录种子，相同种子抽取相同样本，"
            "填写 count 或 rate）、risk 按风险规则（高分低执行、多处调整得分、存在偏差、上年自评为差）、"
            "manual 人工指定（evaluations 与说明必填）。每项自评只会被抽查一次；已抽过的计入 skipped。"
        ),
        request=DrawSerializer,
        responses=responses(DrawResultSerializer, *CREATE, status=201, description="已抽取"),
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def draw(self, request: Request) -> Response:
        if not may_spot_check(request.user):
            raise PermissionDenied("只有财政部门的财政审核人可以抽取财政复核样本。")
        serializer = DrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        unit = _unit_or_refuse(request.user, values.pop("unit", ""))
        rules = [dict(rule) for rule in values.pop("rules", [])]
        result = spot_check_services.spot_check_draw(
            actor=request.user,
            year=values["year"],
            method=values["method"],
            unit=unit,
            count=values.get("count"),
            rate=values.get("rate"),
            seed=values.get("seed"),
            rules=rules,
            evaluation_ids=values.get("evaluations", []),
            scopes=values.get("scopes") or ("project", "unit"),
            note=values.get("note", ""),
        )
        data = {
            "draw": result.draw,
            "created": len(result.created),
            "skipped": result.skipped,
            "spot_checks": result.created,
        }
        return Response(DrawResultSerializer(data).data, status=201)

    @extend_schema(
        summary="复核评分",
        description=(
            "财政审核人在复核中或退回状态下逐指标复核：得分在 0 到该指标分值之间（最多两位小数），"
            "调整的每一项须写复核理由；复核得分为 null 或等于单位得分时撤销该项复核。"
            "保存后按该自评的评分方案重新计算复核得分与等级。"
        ),
        request=RescoreSerializer,
        responses=responses(SpotCheckDetailSerializer, *WRITE),
    )
    @action(detail=True, methods=["post"], url_path="re-score", filter_backends=[])
    def re_score(self, request: Request, pk=None) -> Response:
        spot_check = self.get_object()
        serializer = RescoreSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        spot_check = spot_check_services.spot_check_rescore(
            actor=request.user,
            spot_check=spot_check,
            scores=[dict(row) for row in values["scores"]],
            summary=values.get("summary"),
            expected_version=values["lock_version"],
        )
        return self.detail_response(spot_check)

    @extend_schema(
        summary="对复核结果提出异议",
        description=(
            "单位审核人或管理员在异议截止日期前对已公开的复核结果提出异议，须填写理由；"
            "每项复核结果只能提出一次异议。以 multipart/form-data 提交时可附异议材料（files，"
            "可重复），文件类型按内容判断；任一文件被拒绝则异议和文件都不保存。"
            "异议材料在裁定前可经 /api/v1/attachments/（objection）补充，裁定后封存。"
        ),
        request={
            "application/json": ObjectSerializer,
            "multipart/form-data": ObjectSerializer,
        },
        responses=responses(SpotCheckDetailSerializer, *WRITE),
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="object",
        filter_backends=[],
        parser_classes=[JSONParser, MultiPartParser, FormParser],
    )
    def object_(self, request: Request, pk=None) -> Response:
        spot_check = self.get_object()
        serializer = ObjectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        spot_check = spot_check_services.spot_check_object(
            actor=request.user,
            spot_check=spot_check,
            reason=values["reason"],
            files=values.get("files") or [],
            expected_version=values["lock_version"],
        )
        return self.detail_response(spot_check)

    @extend_schema(
        summary="裁定复核异议",
        description=(
            "提交复核结果以外的财政审核人裁定异议：upheld 维持复核结论、accepted 采纳异议（以单位得分为准）、"
            "revised 裁定调整（逐指标裁定得分及理由，重新计算）。裁定意见必填，裁定为最终结论。"
        ),
        request=DecideSerializer,
        responses=responses(SpotCheckDetailSerializer, *WRITE),
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def decide(self, request: Request, pk=None) -> Response:
        spot_check = self.get_object()
        serializer = DecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        spot_check = spot_check_services.spot_check_decide(
            actor=request.user,
            spot_check=spot_check,
            decision=values["decision"],
            comment=values["comment"],
            scores=[dict(row) for row in values.get("scores", [])],
            expected_version=values["lock_version"],
        )
        return self.detail_response(spot_check)

    @extend_schema(
        summary="自评与复核得分差异分布",
        description=(
            "按主管部门统计自评得分减复核得分的分布（<0、0–<5、5–<阈值、≥阈值）、抽查数、"
            "平均差异和最大差异；非财政用户只统计已公开的复核结果。"
        ),
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, description="年度（可选）。")],
        responses=responses(DistributionSerializer(many=True), *LIST),
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def distribution(self, request: Request) -> Response:
        year = request.query_params.get("year") or None
        if year is not None:
            try:
                year = int(year)
            except ValueError:
                year = str(year)[:20]
            if not is_budget_year(year):
                raise serializers.ValidationError({"year": [year_out_of_range_message(year)]})
        rows = review_difference_distribution(
            user=request.user, year=year, threshold=settings.SPOT_CHECK_DIFFERENCE_THRESHOLD
        )
        return Response(DistributionSerializer(rows, many=True).data)
