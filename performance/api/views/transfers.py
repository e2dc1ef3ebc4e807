"""Imports and exports of the official tables, through the excel services."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ...models import Job
from ...services.imports import targets_import_submit
from ..schema import ERROR_DESCRIPTIONS, ErrorSerializer, ImportErrorSerializer, errors
from ..serializers.jobs import ImportResultSerializer, JobSerializer, TargetsUploadSerializer


class TargetsImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]

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
        responses={
            200: OpenApiResponse(ImportResultSerializer, description="已导入（或校验通过）"),
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
        },
    )
    def post(self, request: Request) -> Response:
        upload = TargetsUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        outcome = targets_import_submit(
            actor=request.user,
            file=file,
            filename=file.name,
            dry_run=upload.validated_data["dry_run"],
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
        return Response(ImportResultSerializer(result).data)
