"""Shared view parts: the review actions (submit / approve / return) and an object's history."""

from __future__ import annotations

from django.db.models import Model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from projects import audit

from ...services import workflow
from ..pagination import MAX_PAGE_SIZE, HistoryCursorPagination
from ..schema import READ, WRITE, responses
from ..serializers.common import (
    ApproveSerializer,
    BulkResultSerializer,
    BulkReviewSerializer,
    HistoryEntrySerializer,
    ReturnSerializer,
    SubmitSerializer,
)

PAGE_PARAMETERS = [
    OpenApiParameter(
        "cursor", OpenApiTypes.STR, description="分页游标：取自上一次响应的 next / previous 链接。"
    ),
    OpenApiParameter(
        "page_size", OpenApiTypes.INT, description=f"每页条数（默认 50，最多 {MAX_PAGE_SIZE}）。"
    ),
]

HistoryPageSerializer = inline_serializer(
    "HistoryPage",
    fields={
        "next": serializers.URLField(allow_null=True, label="下一页"),
        "previous": serializers.URLField(allow_null=True, label="上一页"),
        "results": HistoryEntrySerializer(many=True),
    },
)


class ApiViewSetMixin:
    """Viewsets whose ``get_queryset`` is a scoped selector; writes answer with the detail."""

    detail_serializer_class: type[serializers.Serializer] | None = None

    def detail_response(self, obj: Model, status: int = 200) -> Response:
        """Re-read ``obj`` through the scoped queryset, with everything the detail shows."""
        fresh = self.get_queryset().get(pk=obj.pk)
        serializer = self.detail_serializer_class(fresh, context=self.get_serializer_context())
        return Response(serializer.data, status=status)


def history_action(noun: str):
    """``GET …/{id}/history/``: the object's audit rows, newest first, cursor-paginated."""

    @extend_schema(
        summary=f"{noun}的操作记录",
        description=f"{noun}的修改、流转（提交/审核/退回）与计算记录，按时间倒序，游标分页。",
        parameters=PAGE_PARAMETERS,
        responses=responses(HistoryPageSerializer, 400, *READ),
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request: Request, pk=None) -> Response:
        obj = self.get_object()
        paginator = HistoryCursorPagination()
        page = paginator.paginate_queryset(audit.history(obj), request, view=None)
        data = HistoryEntrySerializer(page, many=True).data
        return paginator.get_paginated_response(data)

    return history


def review_actions(
    noun: str,
    detail_serializer: type[serializers.Serializer],
    approve_serializer: type[serializers.Serializer] = ApproveSerializer,
    *,
    bulk: bool = True,
) -> type:
    """A mixin with ``submit``, ``approve`` and ``return`` calling ``services.workflow``, and
    (``bulk``) ``bulk-approve`` / ``bulk-return`` calling ``workflow.review_many``.

    The object is looked up in the scoped queryset (another unit's object is a 404); the
    service checks role, scope and state (403 with its reason, 400 ``invalid_transition``).
    """

    class ReviewActions:
        def _transition(self, request: Request, name: str, serializer_class) -> Response:
            obj = self.get_object()
            serializer = serializer_class(data=request.data)
            serializer.is_valid(raise_exception=True)
            values = dict(serializer.validated_data)
            expected = values.pop("lock_version", None)
            transition = getattr(workflow, name)
            obj = transition(obj=obj, actor=request.user, expected_version=expected, **values)
            return self.detail_response(obj)

        @extend_schema(
            summary=f"提交{noun}",
            description=(
                f"草稿或已退回的{noun}提交审核（填报人、单位审核人或管理员）。"
                "绩效目标提交前先做智能审核，有错误（error）时不能提交（400，code=quality_errors）。"
            ),
            request=SubmitSerializer,
            responses=responses(detail_serializer, *WRITE),
        )
        @action(detail=True, methods=["post"], filter_backends=[])
        def submit(self, request: Request, pk=None) -> Response:
            return self._transition(request, "submit", SubmitSerializer)

        @extend_schema(
            summary=f"审核通过{noun}",
            description=(
                f"已提交的{noun}由主管部门审核人审核通过（→ 主管部门审核通过），"
                "再由财政审核人批复（→ 财政批复）。"
            ),
            request=approve_serializer,
            responses=responses(detail_serializer, *WRITE),
        )
        @action(detail=True, methods=["post"], filter_backends=[])
        def approve(self, request: Request, pk=None) -> Response:
            return self._transition(request, "approve", approve_serializer)

        @extend_schema(
            summary=f"退回{noun}",
            description=(
                f"主管部门审核人（已提交的）或财政审核人（主管部门审核通过的）退回{noun}，"
                "必须填写退回意见；单位的填报人和单位审核人会收到通知。"
            ),
            request=ReturnSerializer,
            responses=responses(detail_serializer, *WRITE),
        )
        @action(detail=True, methods=["post"], url_path="return", filter_backends=[])
        def return_(self, request: Request, pk=None) -> Response:
            return self._transition(request, "return_", ReturnSerializer)

    class BulkReviewActions:
        def _bulk(self, request: Request, name: str) -> Response:
            serializer = BulkReviewSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            result = workflow.review_many(
                model=self.get_queryset().model,
                action=name,
                items=[workflow.BulkItem(i["id"], i.get("lock_version")) for i in data["items"]],
                actor=request.user,
                comment=data["comment"],
            )
            if not result.succeeded:
                # Nothing changed: a refusal like the single actions', each item's reason
                # under ``items.<position>``.
                position = {item["id"]: n for n, item in enumerate(data["items"])}
                errors = {
                    f"items.{position[f.id]}": [f"编号 {f.id}：{f.detail}"] for f in result.failed
                }
                return Response(
                    {
                        "code": "nothing_reviewed",
                        "detail": result.failed[0].detail,
                        "errors": errors,
                    },
                    status=400,
                )
            body = {
                "action": result.action,
                "succeeded": [
                    {"id": o.pk, "status": o.status, "lock_version": o.lock_version}
                    for o in result.succeeded
                ],
                "failed": [
                    {"id": f.id, "code": f.code, "detail": f.detail, "errors": f.errors}
                    for f in result.failed
                ],
            }
            return Response(BulkResultSerializer(body).data)

        @extend_schema(
            summary=f"批量审核通过{noun}",
            description=(
                f"一次审核通过多个{noun}（最多 500 项）：每一项分别检查范围、状态、角色和"
                "版本号，各自独立生效、各记一条操作记录；一项失败不影响其他项。"
                "响应（200）列出成功的项，以及每个失败项的原因（code、detail）。"
                "列表为空、超过上限或有重复项时整体拒绝（400），不做任何修改；"
                "所有项都失败时也是 400（code=nothing_reviewed），各项原因在 errors 的 items.<序号> 下。"
            ),
            request=BulkReviewSerializer,
            responses=responses(BulkResultSerializer, 400, 403),
        )
        @action(detail=False, methods=["post"], url_path="bulk-approve", filter_backends=[])
        def bulk_approve(self, request: Request) -> Response:
            return self._bulk(request, workflow.APPROVE)

        @extend_schema(
            summary=f"批量退回{noun}",
            description=(
                f"一次退回多个{noun}（最多 500 项），使用同一条退回意见（必填，"
                "缺少时整体拒绝，code=comment_required）：每一项分别检查范围、状态、角色和"
                "版本号，各自独立生效；每项单位的填报人和单位审核人都会收到通知。"
                "响应（200）列出成功的项，以及每个失败项的原因；所有项都失败时为 400"
                "（code=nothing_reviewed），各项原因在 errors 的 items.<序号> 下。"
            ),
            request=BulkReviewSerializer,
            responses=responses(BulkResultSerializer, 400, 403),
        )
        @action(detail=False, methods=["post"], url_path="bulk-return", filter_backends=[])
        def bulk_return(self, request: Request) -> Response:
            return self._bulk(request, workflow.RETURN)

    if not bulk:
        return ReviewActions
    return type("ReviewActions", (ReviewActions, BulkReviewActions), {})
