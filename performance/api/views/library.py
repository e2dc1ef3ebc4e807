"""The indicator library (指标库): ``/api/v1/library/entries/`` and its review actions."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from projects.permissions import visible_units

from ...models import LibraryEntry
from ...selectors import library as library_selectors
from ...services import library as library_services
from ...services.exports.library import library_export
from ...services.imports.library import library_import
from ..filters import FILTER_BACKENDS, LibraryEntryFilter
from ..pagination import LargeListCursorPagination
from ..parsers import FormParser, MultiPartParser
from ..schema import (
    CREATE,
    ERROR_DESCRIPTIONS,
    LIST,
    READ,
    WRITE,
    ErrorSerializer,
    ImportErrorSerializer,
    errors,
    responses,
)
from ..serializers.common import ApproveSerializer, ReturnSerializer, SubmitSerializer
from ..serializers.library import (
    LibraryEntryCreateSerializer,
    LibraryEntryDetailSerializer,
    LibraryEntrySerializer,
    LibraryEntryUpdateSerializer,
    LibraryImportResultSerializer,
    LibraryRetireSerializer,
    LibraryReviseSerializer,
    LibraryUploadSerializer,
)
from .base import ApiViewSetMixin, history_action

UNKNOWN_OWNER = _("归口单位不存在。")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIELDS = tuple(
    name for name in LibraryReviseSerializer().fields if name not in ("reason", "lock_version")
)


def _data(values: dict) -> dict:
    return {name: values[name] for name in FIELDS if name in values}


@extend_schema_view(
    list=extend_schema(
        summary="指标库指标列表",
        description=(
            "您所在财政局的指标库：已确认、已取代和已停用的指标所有成员可见；草稿、待确认和已退回的"
            "指标仅归口单位（主管部门）及财政局可见。可按一级、二级、状态、共性/个性、归口单位、"
            "适用目标、支出功能分类筛选；search 搜索编码和一、二、三级指标名称。游标分页。"
        ),
        responses=responses(LibraryEntrySerializer(many=True), *LIST),
    ),
    retrieve=extend_schema(
        summary="指标库指标详情",
        description="含全部版本、是否冻结，以及当前用户可执行的操作。",
        responses=responses(LibraryEntryDetailSerializer, *READ),
    ),
    create=extend_schema(
        summary="新建指标库指标",
        description=(
            "新建指标（第 1 版，草稿）。归口单位为主管部门的是个性指标（该部门的人员或财政审核人"
            "维护），为财政局的是共性指标。propose=true 创建后提交财政确认；confirm=true（财政审核人）"
            "创建并确认。编码自动生成：共性 GX-0001，个性“部门编码-0001”。"
        ),
        request=LibraryEntryCreateSerializer,
        responses=responses(
            LibraryEntryDetailSerializer, *CREATE, status=201, description="已创建"
        ),
    ),
    partial_update=extend_schema(
        summary="修改指标库指标",
        description=(
            "草稿或已退回的指标由归口单位修改；已确认的指标只能由财政审核人直接更正（须填写 reason），"
            "被已批复目标引用后名称、度量单位和指标性质冻结（400，code=library_frozen），"
            "请用“修订”生成新版本。必须提供读取时的 lock_version。指标不能删除，只能停用。"
        ),
        request=LibraryEntryUpdateSerializer,
        responses=responses(LibraryEntryDetailSerializer, *WRITE),
    ),
)
class LibraryEntryViewSet(
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = LibraryEntrySerializer
    detail_serializer_class = LibraryEntryDetailSerializer
    pagination_class = LargeListCursorPagination
    filter_backends = FILTER_BACKENDS
    filterset_class = LibraryEntryFilter
    search_fields = ["code", "level1", "level2", "level3"]
    ordering_fields = ["id", "code", "version", "status", "updated_at"]
    ordering = ["code", "version"]

    def get_queryset(self) -> QuerySet[LibraryEntry]:
        return library_selectors.entries_for(self.request.user)

    def get_serializer_class(self):
        return LibraryEntryDetailSerializer if self.action == "retrieve" else LibraryEntrySerializer

    def create(self, request: Request) -> Response:
        serializer = LibraryEntryCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        owner = visible_units(request.user).filter(code=values["owner"]).first()
        if owner is None:
            raise serializers.ValidationError({"owner": [UNKNOWN_OWNER]})
        data = _data(values)
        if "is_common" in values:
            data["is_common"] = values["is_common"]
        entry = library_services.library_entry_create(
            actor=request.user,
            owner=owner,
            data=data,
            propose=values["propose"],
            confirm=values["confirm"],
        )
        return self.detail_response(entry, status=201)

    def partial_update(self, request: Request, pk=None) -> Response:
        entry = self.get_object()
        serializer = LibraryEntryUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        entry = library_services.library_entry_update(
            entry=entry,
            actor=request.user,
            data=_data(values),
            reason=values.get("reason", ""),
            expected_version=values["lock_version"],
        )
        return self.detail_response(entry)

    def _step(self, request: Request, service, serializer_class, **names) -> Response:
        entry = self.get_object()
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        expected = values.pop("lock_version", None)
        entry = service(entry=entry, actor=request.user, expected_version=expected, **values)
        return self.detail_response(entry)

    @extend_schema(
        summary="提交确认",
        description="草稿或已退回的个性指标由归口单位提交财政确认；财政审核人会收到通知。",
        request=SubmitSerializer,
        responses=responses(LibraryEntryDetailSerializer, *WRITE),
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def propose(self, request: Request, pk=None) -> Response:
        return self._step(request, library_services.library_entry_propose, SubmitSerializer)

    @extend_schema(
        summary="确认指标",
        description="财政审核人确认待确认的指标；同一编码的上一确认版本随之变为“已由新版本取代”。",
        request=ApproveSerializer,
        responses=responses(LibraryEntryDetailSerializer, *WRITE),
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def confirm(self, request: Request, pk=None) -> Response:
        return self._step(request, library_services.library_entry_confirm, ApproveSerializer)

    @extend_schema(
        summary="退回指标",
        description="财政审核人退回待确认的指标，必须填写退回意见；归口单位会收到通知。",
        request=ReturnSerializer,
        responses=responses(LibraryEntryDetailSerializer, *WRITE),
    )
    @action(detail=True, methods=["post"], url_path="return", filter_backends=[])
    def return_(self, request: Request, pk=None) -> Response:
        return self._step(request, library_services.library_entry_return, ReturnSerializer)

    @extend_schema(
        summary="停用指标",
        description=(
            "财政审核人停用已确认的指标，或归口单位撤销草稿/已退回的指标，必须填写原因。"
            "指标从不删除：引用它的目标保留原版本。"
        ),
        request=LibraryRetireSerializer,
        responses=responses(LibraryEntryDetailSerializer, *WRITE),
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def retire(self, request: Request, pk=None) -> Response:
        return self._step(request, library_services.library_entry_retire, LibraryRetireSerializer)

    @extend_schema(
        summary="修订指标（生成新版本）",
        description=(
            "已确认的指标需要变更时生成新版本（草稿，版本号 +1），修改后重新提交确认；新版本确认前"
            "原版本仍可引用，引用它的目标保留原版本。须填写修订原因。返回新版本。"
        ),
        request=LibraryReviseSerializer,
        responses=responses(LibraryEntryDetailSerializer, *WRITE, status=201, description="新版本"),
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def revise(self, request: Request, pk=None) -> Response:
        entry = self.get_object()
        serializer = LibraryReviseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        new = library_services.library_entry_revise(
            entry=entry,
            actor=request.user,
            data=_data(values),
            reason=values["reason"],
            expected_version=values.get("lock_version"),
        )
        return self.detail_response(new, status=201)

    history = history_action("指标库指标")

    @extend_schema(
        summary="导入指标库（Excel）",
        description=(
            "上传 101号 核心指标表（multipart/form-data，字段 file；dry_run=true 只校验；"
            "submit=true 导入后提交财政确认）。先校验全部行并一次报告所有问题（行号、列名、原因），"
            "没有错误时才一次性写入：有指标编码的行修改该指标的草稿（未变化的行不写入），没有编码的"
            "行新建归口单位的指标（归口单位编码列，或您唯一可维护的单位）。"
        ),
        request={"multipart/form-data": LibraryUploadSerializer},
        responses={
            200: OpenApiResponse(LibraryImportResultSerializer, description="已导入（或校验通过）"),
            400: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="LibraryImportFailure",
                    serializers=[ErrorSerializer, ImportErrorSerializer],
                    resource_type_field_name=None,
                ),
                description=ERROR_DESCRIPTIONS[400] + " 文件有错误时未写入任何数据。",
            ),
            **errors(403),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        filter_backends=[],
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_(self, request: Request) -> Response:
        upload = LibraryUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        outcome = library_import(
            actor=request.user,
            file=file,
            filename=file.name,
            dry_run=upload.validated_data["dry_run"],
            submit=upload.validated_data["submit"],
        )
        result = outcome.as_dict()
        if not outcome.ok:
            body = {
                "code": "import_errors",
                "detail": result["summary"],
                "errors": {"file": [issue["text"] for issue in result["errors"]]},
                "result": result,
            }
            return Response(body, status=400)
        return Response(LibraryImportResultSerializer(result).data)

    @extend_schema(
        summary="导出指标库（Excel）",
        description=(
            "按列表的筛选条件导出您可见的指标（101号 核心指标表的列在前，另有编码、版本、归口单位、"
            "适用范围和状态），导出的文件可修改后重新导入。"
        ),
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="xlsx 文件"),
            **errors(400),
        },
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request: Request) -> HttpResponse:
        entries = self.filter_queryset(self.get_queryset())
        response = HttpResponse(library_export(entries=entries.iterator()), content_type=XLSX)
        response["Content-Disposition"] = (
            "attachment; filename*=UTF-8''%E6%8C%87%E6%A0%87%E5%BA%93.xlsx"
        )
        return response
