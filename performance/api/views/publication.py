"""绩效公开 (publication): one unit's published workbook, and a department's package as a job.

``GET /api/v1/publications/?unit=&year=`` streams the unit's 绩效公开 workbook (approved targets
and self-evaluations in the official layouts); ``POST /api/v1/publications/`` queues a
department's package (one workbook per unit, zipped) and answers 202 with the job. A unit the
caller does not see is a 404; nothing approved yet or a year out of range is a 400 in Chinese.
"""

from __future__ import annotations

import tempfile

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects.models import Unit

from ...services import publication
from ..schema import CREATE, errors, responses
from ..serializers.common import year_field
from ..serializers.jobs import JobSerializer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPOOL_BYTES = 16 * 1024 * 1024


class PublicationSerializer(serializers.Serializer):
    unit = serializers.CharField(
        label="单位编码", max_length=50, help_text="GET：预算单位编码；POST：主管部门编码。"
    )
    year = year_field()


class PublicationView(APIView):
    @extend_schema(
        summary="下载单位绩效公开文件",
        description=(
            "一个单位某年度公开的内容（一个 .xlsx，每张表一个工作表）：已批复的项目绩效目标表、"
            "已批复的部门(单位)整体绩效目标表、已审核通过的单位项目绩效自评表（正式表样）。"
            "调整中的目标、未审核的自评和财政复核结果不在其中。每次下载记入操作记录。"
            "尚无已批复内容时返回 400；无权查看的单位返回 404。"
        ),
        parameters=[
            OpenApiParameter("unit", str, required=True, description="预算单位编码（如 305004）。"),
            OpenApiParameter("year", int, required=True, description="年度。"),
        ],
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="xlsx 文件"),
            **errors(400, 404),
        },
    )
    def get(self, request: Request) -> FileResponse:
        query = PublicationSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        # FileResponse closes the file once it is sent; large workbooks spill to disk.
        stream = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        try:
            result = publication.publication_download(
                actor=request.user,
                unit=query.validated_data["unit"],
                year=query.validated_data["year"],
                stream=stream,
            )
        except Unit.DoesNotExist:
            stream.close()
            raise NotFound() from None
        except Exception:
            stream.close()
            raise
        stream.seek(0)
        return FileResponse(stream, as_attachment=True, filename=result.filename, content_type=XLSX)

    @extend_schema(
        summary="打包下载主管部门各单位绩效公开文件",
        description=(
            "在后台为主管部门下您可查看的每个预算单位生成绩效公开文件，打包为一个 zip；"
            "返回任务（202），用 GET /api/v1/jobs/{id}/ 查看进度（按单位计），完成后从 "
            "/api/v1/jobs/{id}/download/ 下载。没有已批复内容的单位不生成文件（列于结果 skipped）。"
        ),
        request=PublicationSerializer,
        responses=responses(JobSerializer, *CREATE, 404, status=202, description="已排队"),
    )
    def post(self, request: Request) -> Response:
        body = PublicationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            job = publication.publication_request(
                actor=request.user,
                unit=body.validated_data["unit"],
                year=body.validated_data["year"],
            )
        except Unit.DoesNotExist:
            raise NotFound() from None
        job.refresh_from_db()
        return Response(JobSerializer(job, context={"request": request}).data, status=202)
