"""Self-evaluations (scheme, indicator scores, overrides, total, grade) and scoring schemes."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from projects.permissions import visible_units
from projects.selectors import projects_for

from ...models import ScoringScheme, SelfEvaluation
from ...selectors import scoping
from ...services import evaluation as evaluation_services
from ..filters import FILTER_BACKENDS, EvaluationFilter
from ..pagination import LargeListCursorPagination, SmallListPagination
from ..schema import CREATE, LIST, READ, WRITE, responses
from ..serializers.evaluations import (
    EvaluationCreateSerializer,
    EvaluationDetailSerializer,
    EvaluationSerializer,
    EvaluationUpdateSerializer,
    SchemeSerializer,
)
from .base import ApiViewSetMixin, history_action, review_actions


@extend_schema_view(
    list=extend_schema(
        summary="绩效自评列表",
        description=(
            "您可见单位的项目自评和单位整体自评：评分方案、预算执行率及得分、各类指标得分率、"
            "逐指标得分（计算得分、调整后得分及理由）、总分和等级。游标分页；"
            "search 搜索项目名称和编码。"
        ),
        responses=responses(EvaluationSerializer(many=True), *LIST),
    ),
    retrieve=extend_schema(
        summary="绩效自评详情", responses=responses(EvaluationDetailSerializer, *READ)
    ),
    create=extend_schema(
        summary="开展绩效自评",
        description=(
            "依据已批复的绩效目标开展项目（project）或单位整体（unit）自评：每个指标一行，"
            "立即计算。已存在时返回已有的自评（200）。需要填报人、单位审核人或管理员角色。"
        ),
        request=EvaluationCreateSerializer,
        responses={
            **responses(EvaluationDetailSerializer, *CREATE, status=201, description="已创建"),
            **responses(EvaluationDetailSerializer, description="已存在，返回已有自评"),
        },
    ),
    partial_update=extend_schema(
        summary="填报绩效自评",
        description=(
            "填报草稿或已退回的自评：偏差分析、改进措施、是否认定偏差和逐指标的实际完成值、"
            "定性档次与评分、调整后得分（须写理由）、偏差原因；保存后立即重新计算。"
            "必须提供读取时的 lock_version。"
        ),
        request=EvaluationUpdateSerializer,
        responses=responses(EvaluationDetailSerializer, *WRITE),
    ),
)
class EvaluationViewSet(
    review_actions("绩效自评", EvaluationDetailSerializer),
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = EvaluationSerializer
    detail_serializer_class = EvaluationDetailSerializer
    pagination_class = LargeListCursorPagination
    filter_backends = FILTER_BACKENDS
    filterset_class = EvaluationFilter
    search_fields = ["project__name", "project__code"]
    ordering_fields = ["id", "year", "status", "created_at", "updated_at"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[SelfEvaluation]:
        return scoping.evaluations_for(self.request.user)

    def get_serializer_class(self):
        return EvaluationDetailSerializer if self.action == "retrieve" else EvaluationSerializer

    def create(self, request: Request) -> Response:
        user = request.user
        serializer = EvaluationCreateSerializer(
            data=request.data, projects=projects_for(user), units=visible_units(user)
        )
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        subject = {"year": values["year"], "project": values.get("project")}
        if subject["project"] is None:
            subject["unit"] = values["unit"]
        existed = SelfEvaluation.objects.filter(**subject).only("pk").exists()
        evaluation = evaluation_services.evaluation_start(actor=user, **subject)
        return self.detail_response(evaluation, status=200 if existed else 201)

    def partial_update(self, request: Request, pk=None) -> Response:
        evaluation = self.get_object()
        serializer = EvaluationUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        expected = values.pop("lock_version")
        scores = [dict(row) for row in values.pop("scores", [])]
        evaluation = evaluation_services.evaluation_update(
            evaluation=evaluation,
            actor=request.user,
            data=values,
            scores=scores,
            expected_version=expected,
        )
        return self.detail_response(evaluation)

    history = history_action("绩效自评")


@extend_schema_view(
    list=extend_schema(
        summary="评分方案列表",
        description="自评使用的评分方案：各类分值、舍入方式、等级分数线和预警阈值。",
        responses=responses(SchemeSerializer(many=True), *LIST),
    ),
    retrieve=extend_schema(summary="评分方案详情", responses=responses(SchemeSerializer, *READ)),
)
class SchemeViewSet(viewsets.ReadOnlyModelViewSet):
    """Schemes are shared rules, not unit data: every signed-in user may read them."""

    serializer_class = SchemeSerializer
    pagination_class = SmallListPagination
    filter_backends = []
    queryset = ScoringScheme.objects.all()
