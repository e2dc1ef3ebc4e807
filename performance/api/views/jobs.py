"""Background jobs: status and progress, result downloads, the recompute request; and the
import history (``imports/runs/``)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects.permissions import visible_units

from ...models import ImportRun, Job
from ...selectors.scoping import import_runs_for
from ...services.jobs import RequeueRefused, job_requeue
from ...services.recompute_jobs import recompute_request
from ..exceptions import Conflict, FilesExpired
from ..filters import ImportRunFilter, JobFilter
from ..pagination import SmallListPagination
from ..permissions import scope_jobs
from ..schema import CREATE, LIST, READ, ErrorSerializer, errors, responses
from ..serializers.jobs import ImportRunSerializer, JobSerializer, RecomputeSerializer

FILES_EXPIRED = _(
    "该任务的文件已于 %(date)s 按保留期限（任务结束后 %(days)d 天）清理，请重新发起导出或导入。"
)


@extend_schema_view(
    list=extend_schema(
        summary="后台任务列表",
        description="您发起的，或属于您可见单位的导入、导出和重新计算任务，最新的在前。",
        responses=responses(JobSerializer(many=True), *LIST),
    ),
    retrieve=extend_schema(
        summary="后台任务状态",
        description="任务的状态、进度（processed/total 与百分比）、错误和结果。",
        responses=responses(JobSerializer, *READ),
    ),
)
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = JobSerializer
    pagination_class = SmallListPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = JobFilter

    def get_queryset(self) -> QuerySet[Job]:
        queryset = Job.objects.select_related("unit", "created_by").order_by("-created_at", "-id")
        return scope_jobs(queryset, self.request.user)

    @extend_schema(
        summary="下载任务结果文件",
        description=(
            "下载任务生成的文件（导出的报表、导入的错误报告等）。文件在任务结束后保留 "
            "JOB_FILE_RETENTION_DAYS 天（默认 30 天），之后返回 410（code 为 files_expired）。"
        ),
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="文件内容（类型随文件而定，如 .xlsx）"
            ),
            **errors(404, 410),
        },
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def download(self, request: Request, pk=None) -> FileResponse:
        job = self.get_object()
        if not job.output_file and job.files_expired_at:
            raise FilesExpired(
                FILES_EXPIRED
                % {
                    "date": timezone.localtime(job.files_expired_at).date().isoformat(),
                    "days": settings.JOB_FILE_RETENTION_DAYS,
                }
            )
        if not job.output_file:
            raise Http404
        name = job.output_file.name.rsplit("/", 1)[-1]
        return FileResponse(job.output_file.open("rb"), as_attachment=True, filename=name)

    @extend_schema(
        summary="重新排队停滞的任务",
        description=(
            "排队中或运行中的任务超过 JOB_STALL_SECONDS（默认 15 分钟）没有进展即为已停滞"
            "（status 为 stalled），通常是后台进程已停止。有权发起该类任务的用户可将其重新排队："
            "重新计算只重发尚未完成的各组单位（已完成的不会重复计算），导入从上传的文件重新执行"
            "（文件已清理时不能重新排队）。返回 202 和任务。"
        ),
        request=None,
        responses={
            202: OpenApiResponse(JobSerializer, description="已重新排队"),
            **errors(400, 403, 404),
            409: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "不能重新排队：任务仍在进行（code 为 not_stalled）、已结束（finished）、"
                    "上传的文件已清理（files_expired），或该类任务不支持重新排队"
                    "（not_requeueable）；detail 说明原因。"
                ),
            ),
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def requeue(self, request: Request, pk=None) -> Response:
        job = self.get_object()
        try:
            job = job_requeue(actor=request.user, job_id=job.pk)
        except RequeueRefused as refused:
            raise Conflict(refused.messages[0], code=refused.code) from refused
        return Response(JobSerializer(job, context={"request": request}).data, status=202)


class RecomputeView(APIView):
    @extend_schema(
        summary="请求重新计算",
        description=(
            "在后台重新计算某年度的执行率、指标得分、总分、等级和监控预警灯，返回任务；"
            "用 GET /api/v1/jobs/{id}/ 查看进度。相同的任务尚在排队或运行（且未停滞）时返回该任务；"
            "相同的任务已停滞时新建任务，停滞的任务改为 superseded（已放弃）。"
        ),
        request=RecomputeSerializer,
        responses=responses(JobSerializer, *CREATE, status=202, description="已排队"),
    )
    def post(self, request: Request) -> Response:
        serializer = RecomputeSerializer(data=request.data, units=visible_units(request.user))
        serializer.is_valid(raise_exception=True)
        job = recompute_request(
            actor=request.user,
            year=serializer.validated_data["year"],
            unit=serializer.validated_data.get("unit"),
        )
        return Response(JobSerializer(job, context={"request": request}).data, status=202)


@extend_schema_view(
    list=extend_schema(
        summary="导入记录列表",
        description=(
            "每次导入（管理后台、API、命令、后台任务；含只校验和有错误未导入的）的记录，最新的在前："
            "导入类型、文件名与 sha256 摘要、结果、统计、错误数。您自己的记录，以及您可见单位"
            "人员的记录；可按 kind、status 筛选。"
        ),
        responses=responses(ImportRunSerializer(many=True), *LIST),
    ),
    retrieve=extend_schema(
        summary="导入记录",
        description="一次导入的结果、统计和结果说明。",
        responses=responses(ImportRunSerializer, *READ),
    ),
)
class ImportRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ImportRunSerializer
    pagination_class = SmallListPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ImportRunFilter

    def get_queryset(self) -> QuerySet[ImportRun]:
        return import_runs_for(self.request.user).order_by("-created_at", "-id")
