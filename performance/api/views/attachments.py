"""Evidence files (佐证材料): upload, list, read, download and delete, through the services.

Whoever may see the object may see its files: the queryset is scoped to the caller's units,
so another unit's file is a 404 — for its row, its download and its deletion alike — and a
file is never reachable by a storage URL. Uploads are multipart; their limits and refusals are
the service's (400 per ``files.<i>``), an upload over the streaming cap is a 413.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ...models import Attachment
from ...selectors.attachments import anchor_for, attachments_for
from ...services import attachments as attachment_services
from ...web.downloads import download_response
from ..filters import FILTER_BACKENDS, AttachmentFilter
from ..pagination import LargeListCursorPagination
from ..parsers import FormParser, JSONParser, MultiPartParser
from ..schema import LIST, READ, errors, responses
from ..serializers.attachments import (
    AttachmentListSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
)

ANCHOR_LABELS = {
    "entry": "监控指标",
    "report": "监控表",
    "score": "指标自评",
    "evaluation": "绩效自评",
    "spot_check": "财政复核",
    "objection": "财政复核",
}


def open_for_download(request, attachment: Attachment) -> FileResponse:
    """Open (and audit) the stored file; a file missing from storage is a 404."""
    try:
        stored = attachment_services.attachment_open(actor=request.user, attachment=attachment)
    except FileNotFoundError:
        raise Http404("文件已不存在。") from None
    return download_response(stored, filename=attachment.name, content_type=attachment.content_type)


@extend_schema_view(
    list=extend_schema(
        summary="佐证材料列表",
        description=(
            "您可见单位的佐证材料：文件名、格式（按内容判断）、大小、SHA-256、上传人和时间。"
            "可按附着对象（entry/report/score/evaluation 的 ID）、类型、单位、主管部门和年度筛选；"
            "游标分页。"
        ),
        responses=responses(AttachmentSerializer(many=True), *LIST),
    ),
    retrieve=extend_schema(
        summary="佐证材料详情", responses=responses(AttachmentSerializer, *READ)
    ),
    destroy=extend_schema(
        summary="删除佐证材料",
        description=(
            "所属监控表或自评为草稿或已退回时，单位的填报人、单位审核人或管理员可以删除；"
            "提交审核后不能删除，批复后永久封存（400，code 为 frozen）。"
        ),
        responses={204: OpenApiResponse(description="已删除"), **errors(400, 403, 404)},
    ),
)
class AttachmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    http_method_names = ["get", "post", "delete", "head", "options"]
    serializer_class = AttachmentSerializer
    pagination_class = LargeListCursorPagination
    filter_backends = FILTER_BACKENDS
    filterset_class = AttachmentFilter
    search_fields = ["name", "sha256"]
    ordering_fields = ["id", "uploaded_at", "size", "name"]
    ordering = ["id"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self) -> QuerySet[Attachment]:
        return attachments_for(self.request.user)

    @extend_schema(
        summary="上传佐证材料",
        description=(
            "multipart/form-data：指定一个附着对象（entry 监控指标、report 监控表整体、score 指标自评、"
            "evaluation 自评整体，spot_check 财政复核的复核依据，objection 财政复核的异议材料，"
            "值为其 ID），files 可重复以一次上传多个文件。文件类型按内容判断"
            "（PDF、PNG/JPEG/GIF/WebP/TIFF、Word/Excel/PowerPoint、OFD，或只含这些文件的 ZIP），"
            "扩展名须与内容一致；可执行程序、脚本、含宏或加密的文件、压缩炸弹、空文件、"
            "含路径分隔符或控制字符的文件名均被拒绝（400，errors 中 files.<序号> 说明原因），"
            "任一文件有误则全部不保存。所属监控表或自评须为草稿或已退回，且您是该单位的填报人、"
            "单位审核人或管理员。单个文件、每个对象的文件数和总大小有上限（见配置），"
            "超过上传上限时返回 413。"
        ),
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={
            201: OpenApiResponse(AttachmentListSerializer, description="已上传"),
            **errors(400, 403),
        },
    )
    def create(self, request: Request) -> Response:
        upload = AttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        values = upload.validated_data
        kind = values["kind"]
        obj = anchor_for(user=request.user, kind=kind, pk=values["pk"])
        if obj is None:
            raise serializers.ValidationError(
                {kind: [f"{ANCHOR_LABELS[kind]} {values['pk']} 不存在或无权访问。"]}
            )
        created = attachment_services.attachment_add(
            actor=request.user,
            anchor=attachment_services.Anchor(kind=kind, obj=obj),
            files=values["files"],
            description=values.get("description", ""),
        )
        fresh = self.get_queryset().filter(pk__in=[row.pk for row in created]).order_by("id")
        data = AttachmentSerializer(fresh, many=True, context=self.get_serializer_context()).data
        return Response({"results": data}, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk=None) -> Response:
        attachment = self.get_object()
        attachment_services.attachment_delete(actor=request.user, attachment=attachment)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="下载佐证材料",
        description=(
            "下载文件（Content-Disposition: attachment，文件名为上传时的名称）。"
            "只有可见其所属对象的用户可以下载；每次下载都记入操作记录。"
        ),
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="文件内容（类型为上传时按内容判断的类型）"
            ),
            **errors(404),
        },
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def download(self, request: Request, pk=None) -> FileResponse:
        return open_for_download(request, self.get_object())
