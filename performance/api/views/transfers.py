"""Imports and exports of the official tables, through the excel services."""

from __future__ import annotations

import csv
import io
import tempfile

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects.permissions import visible_units

from ...csv_cells import formula_safe
from ...models import Job
from ...services.exports import EXPORT_KINDS, export_table
from ...services.imports import KINDS, import_submit
from ..parsers import FormParser, JSONParser, MultiPartParser
from ..schema import ERROR_DESCRIPTIONS, ErrorSerializer, ImportErrorSerializer, errors
from ..serializers.common import year_field
from ..serializers.jobs import (
    ExecutionRowsSerializer,
    GenericImportResultSerializer,
    ImportResultSerializer,
    JobSerializer,
    MasterDataUploadSerializer,
    TargetsUploadSerializer,
)

MASTER_DATA_KINDS = frozenset({"units", "people"})  # uploads with the complete-import options


class ImportView(APIView):
    """``POST /api/v1/imports/<kind>/``: the same upload contract for every registered kind."""

    parser_classes = [MultiPartParser, FormParser]
    kind = "targets"
    result_serializer = ImportResultSerializer
    upload_serializer = TargetsUploadSerializer

    def post(self, request: Request) -> Response:
        upload = self.upload_serializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        options = {
            key: upload.validated_data[key]
            for key in getattr(self.upload_serializer, "OPTIONS", ())
            if key in upload.validated_data
        }
        return self.respond(
            request,
            data=file,
            filename=file.name,
            dry_run=upload.validated_data["dry_run"],
            options=options,
        )

    def respond(self, request: Request, *, data, filename: str, dry_run: bool, options: dict):
        """Import (or queue) ``data`` and answer: the result, a 202 job, or 400 with every
        problem."""
        outcome = import_submit(
            kind=self.kind,
            actor=request.user,
            file=data,
            filename=filename,
            dry_run=dry_run,
            options=options,
        )
        if isinstance(outcome, Job):
            return Response(JobSerializer(outcome, context={"request": request}).data, status=202)
        result = outcome.as_dict()
        if not outcome.ok:
            issues = [issue["text"] for issue in result["errors"]]
            body = {
                "code": "import_errors",
                "detail": result["summary"],
                "errors": {"file": issues},
                "result": result,
            }
            return Response(body, status=400)
        return Response(self.result_serializer(result).data)


def _import_responses(result_serializer) -> dict:
    return {
        200: OpenApiResponse(
            result_serializer,
            description="已导入（或校验通过）；重复导入同一文件时 changed=false，摘要说明没有任何变化",
        ),
        202: OpenApiResponse(JobSerializer, description="文件较大，已转为后台任务"),
        400: OpenApiResponse(
            PolymorphicProxySerializer(
                component_name="ImportFailure",
                serializers=[ErrorSerializer, ImportErrorSerializer],
                resource_type_field_name=None,
            ),
            description=ERROR_DESCRIPTIONS[400]
            + " 文件有错误时未写入任何数据，result 列出全部问题。",
        ),
        **errors(403),
    }


def import_view(kind: str) -> type[ImportView]:
    """The view class of one registered kind (its own OpenAPI summary and counts)."""
    if kind == "targets":
        return TargetsImportView
    declared = KINDS[kind]
    upload = MasterDataUploadSerializer if kind in MASTER_DATA_KINDS else TargetsUploadSerializer

    class KindImportView(ImportView):
        result_serializer = GenericImportResultSerializer
        upload_serializer = upload

        @extend_schema(
            summary=f"导入{declared.title}",
            description=(
                f"上传{declared.title}文件（multipart/form-data，字段 file；dry_run=true 只校验）。"
                "先校验全部行并一次报告所有问题（行号、列名、原因），没有错误时才一次性写入；"
                "行数较多的文件转为后台任务（202）。列："
                + "、".join(column.header for column in declared.columns)
                + "。"
            ),
            request={"multipart/form-data": upload},
            responses=_import_responses(GenericImportResultSerializer),
        )
        def post(self, request: Request) -> Response:
            return super().post(request)

    KindImportView.kind = kind
    KindImportView.__name__ = KindImportView.__qualname__ = f"{kind.title()}ImportView"
    if kind == "execution":
        return _execution_view(KindImportView)
    return KindImportView


def _execution_csv(body: dict) -> bytes:
    """The JSON batch as the csv file it stands for (header + one line per row), so that it
    takes the file's path and gets the file's errors; formula-looking text is escaped the way
    the import's csv reader undoes."""
    columns = KINDS["execution"].columns
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([column.header for column in columns])
    for row in body["rows"]:
        cells = {"source": body.get("source", ""), "batch_id": body["batch"], **row}
        writer.writerow(
            [
                formula_safe(repr(value) if isinstance(value, float) else value)
                for value in (cells.get(column.key) for column in columns)
            ]
        )
    return buffer.getvalue().encode("utf-8")


def _execution_view(file_view: type[ImportView]) -> type[ImportView]:
    """``POST /api/v1/imports/execution/``: a file (multipart) or a JSON batch."""

    class ExecutionImportView(file_view):
        parser_classes = [JSONParser, MultiPartParser, FormParser]

        @extend_schema(
            summary="导入支出执行",
            description=(
                "上传支出执行文件（multipart/form-data，字段 file），或以 JSON 发送一个批次："
                '{"source": …, "batch": …, "rows": [{"row_id": …, "year": …, "unit_code": …, '
                '"project_code": …, "date": …, "amount": …, "note": …, "reverses": …}]}。'
                "两种方式的校验和错误相同（行号按文件计：rows 的第 1 个是第 2 行）；"
                "dry_run=true 只校验；同一批次重复发送不写入任何数据。"
            ),
            request={
                "multipart/form-data": file_view.upload_serializer,
                "application/json": ExecutionRowsSerializer,
            },
            responses=_import_responses(GenericImportResultSerializer),
        )
        def post(self, request: Request) -> Response:
            if not (request.content_type or "").startswith("application/json"):
                return super().post(request)
            body = ExecutionRowsSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            return self.respond(
                request,
                data=_execution_csv(body.validated_data),
                filename=f"{body.validated_data['batch']}.json",
                dry_run=body.validated_data["dry_run"],
                options={},
            )

    ExecutionImportView.kind = "execution"
    return ExecutionImportView


class TargetsImportView(ImportView):
    kind = "targets"

    @extend_schema(
        summary="导入绩效目标",
        description=(
            "上传绩效目标导入模板（multipart/form-data，字段 file；dry_run=true 只校验）。"
            "先校验全部行并一次报告所有问题（行号、列名、原因），没有错误时才一次性写入"
            "（按年度、项目编码、一级、二级、三级指标新增或更新）。行数较多的文件转为后台任务，"
            "返回 202 和任务，用 GET /api/v1/jobs/{id}/ 查看进度与结果。"
            "需要填报人、单位审核人或管理员角色，且只能导入有权限的单位。"
        ),
        request={"multipart/form-data": TargetsUploadSerializer},
        responses=_import_responses(ImportResultSerializer),
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class ExportQuerySerializer(serializers.Serializer):
    unit = serializers.CharField(label="单位编码")
    year = year_field()
    data_month = serializers.IntegerField(
        label="数据截至月份", required=False, min_value=1, max_value=12
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPOOL_BYTES = 16 * 1024 * 1024


class ExportView(APIView):
    @extend_schema(
        summary="导出正式表样",
        description=(
            "按正式表样导出 .xlsx（合并表头，金额单位万元），范围为该单位及其下您可见的单位："
            + "；".join(f"{kind}：{title}" for kind, title in EXPORT_KINDS.items())
            + "。targets_flat 为导入模板，可修改后重新导入。"
        ),
        parameters=[
            OpenApiParameter(
                "kind",
                str,
                OpenApiParameter.PATH,
                enum=list(EXPORT_KINDS),
                description="报表类型。",
            ),
            OpenApiParameter(
                "unit", str, required=True, description="单位编码（如 027001；主管部门如 027）。"
            ),
            OpenApiParameter("year", int, required=True, description="年度。"),
            OpenApiParameter(
                "data_month",
                int,
                description="仅监控表：数据截至月份，选择监控轮次（默认该年度最近一轮）。",
            ),
        ],
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="xlsx 文件"),
            **errors(400, 404),
        },
    )
    def get(self, request: Request, kind: str) -> FileResponse:
        query = ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        unit = visible_units(request.user).filter(code=params["unit"]).first()
        if unit is None:
            raise NotFound()
        # FileResponse closes the file once it is sent; large workbooks spill to disk.
        stream = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        try:
            result = export_table(
                actor=request.user,
                kind=kind,
                unit=unit,
                year=params["year"],
                data_month=params.get("data_month"),
                stream=stream,
            )
        except Exception:
            stream.close()
            raise
        stream.seek(0)
        return FileResponse(
            stream, as_attachment=True, filename=result.filename, content_type=result.content_type
        )
