"""整改 (rectification): list, read, raise by hand, the unit's answer, the 验收方's changes, and
the review (submit / approve = 验收销号 / return) — each a call to ``services.rectifications``
or ``services.workflow``. The queryset is ``selectors.rectifications.rectifications_for``."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from projects.permissions import visible_units

from ...models import Rectification
from ...selectors.rectifications import rectifications_for
from ...services import rectifications as rectification_services
from ..filters import FILTER_BACKENDS, RectificationFilter
from ..pagination import LargeListCursorPagination
from ..schema import CREATE, LIST, READ, WRITE, responses
from ..serializers.rectifications import (
    RectificationAnswerSerializer,
    RectificationChangeSerializer,
    RectificationRaiseSerializer,
    RectificationSerializer,
)
from .base import ApiViewSetMixin, history_action, review_actions


@extend_schema_view(
    list=extend_schema(
        summary="整改任务列表",
        description=(
            "管辖范围内的整改任务（本单位、主管部门下属单位或财政全部）：整改原因、存在问题、整改期限、"
            "单位填写的整改措施与成效、状态（草稿=整改中，已提交=待验收，财政批复=已销号，已退回=退回重新整改）。"
            "游标分页。"
        ),
        responses=responses(RectificationSerializer(many=True), *LIST),
    ),
    retrieve=extend_schema(
        summary="整改任务详情", responses=responses(RectificationSerializer, *READ)
    ),
)
class RectificationViewSet(
    review_actions("整改任务", RectificationSerializer, bulk=False),
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = RectificationSerializer
    detail_serializer_class = RectificationSerializer
    pagination_class = LargeListCursorPagination
    filter_backends = FILTER_BACKENDS
    filterset_class = RectificationFilter
    search_fields = ["problem", "project__name", "project__code"]
    ordering_fields = ["id", "year", "deadline", "status"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Rectification]:
        return rectifications_for(self.request.user)

    @extend_schema(
        summary="人工发起整改任务",
        description=(
            "主管部门审核人（本部门下属单位）或财政审核人发起整改任务：存在问题与整改期限必填，"
            "期限不能早于今天。主管部门审核人发起的由主管部门验收，财政审核人发起的由财政验收。"
        ),
        request=RectificationRaiseSerializer,
        responses=responses(RectificationSerializer, *CREATE, status=201, description="已发起"),
    )
    def create(self, request: Request) -> Response:
        serializer = RectificationRaiseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        unit = visible_units(request.user).filter(code=values.pop("unit")).first()
        if unit is None:
            raise serializers.ValidationError({"unit": ["单位不存在或不在您的管辖范围内。"]})
        project = None
        project_id = values.pop("project", None)
        if project_id is not None:
            project = unit.projects.filter(pk=project_id).first()
            if project is None:
                raise serializers.ValidationError({"project": ["项目不存在或不属于该单位。"]})
        task = rectification_services.rectification_raise(
            actor=request.user, unit=unit, project=project, **values
        )
        return self.detail_response(task, status=201)

    @extend_schema(
        summary="填写整改情况",
        description=(
            "单位的填报人、单位审核人或管理员在整改中或退回重新整改时填写整改措施与整改成效，"
            "然后提交验收（submit）。"
        ),
        request=RectificationAnswerSerializer,
        responses=responses(RectificationSerializer, *WRITE),
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def answer(self, request: Request, pk=None) -> Response:
        return self._update(request, RectificationAnswerSerializer)

    @extend_schema(
        summary="修改整改要求或期限",
        description="验收方（主管部门审核人或财政审核人）在任务销号前修改整改要求或整改期限，留痕。",
        request=RectificationChangeSerializer,
        responses=responses(RectificationSerializer, *WRITE),
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        return self._update(request, RectificationChangeSerializer)

    def _update(self, request: Request, serializer_class) -> Response:
        task = self.get_object()
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        expected = values.pop("lock_version")
        task = rectification_services.rectification_update(
            actor=request.user, rectification=task, data=values, expected_version=expected
        )
        return self.detail_response(task)

    history = history_action("整改任务")
