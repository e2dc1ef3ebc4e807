"""The figures feed (``GET /api/v1/exports/figures/``): a year's goals, monitoring reports and
self-evaluations in bulk, streamed (``performance.selectors.figures_feed``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.cache import cache
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from ...selectors.figures_feed import (
    CSV,
    FEED_SECTIONS,
    NDJSON,
    FeedInputError,
    figures_feed,
)
from ..renderers import JSONRenderer
from ..schema import errors
from ..serializers.common import year_field

logger = logging.getLogger(__name__)

SLOT_SECONDS = 3600  # a slot left behind by a dead process is freed after this long
INPUT_MESSAGES = {
    "resume_malformed": _("续传标记应为“分段:单位编码”，如 goals:027001。"),
    "resume_section": _("续传标记中的分段须是本次导出的分段之一。"),
}
UNIT_CODE = r"^[0-9A-Za-z]{1,20}$"
UNIT_CODE_MESSAGE = _("单位编码只能由字母和数字组成（至多 20 位）。")
MEDIA_TYPES = {NDJSON: "application/x-ndjson", CSV: "text/csv"}


class TooManyFeeds(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("您同时进行的数据导出已达上限，请等待之前的导出完成后再试。")
    default_code = "too_many_feeds"


class FeedQuerySerializer(serializers.Serializer):
    year = year_field(help_text="必填：导出该年度的数据，如 2022。")
    format = serializers.ChoiceField(
        label="格式",
        choices=[(NDJSON, "NDJSON"), (CSV, "CSV")],
        default=NDJSON,
        help_text="ndjson（默认）：每行一个 JSON 对象，可含全部分段；csv：一个分段，"
        "一行一个指标（goals）、监控指标（monitoring）或指标得分（evaluations）。",
    )
    section = serializers.ChoiceField(
        label="分段",
        choices=[(name, section.title) for name, section in FEED_SECTIONS.items()],
        required=False,
        help_text="goals：绩效目标（含指标、任务）；monitoring：监控表（含逐指标完成值与预警灯）；"
        "evaluations：自评（含评分方案、逐指标得分、总分与等级）。ndjson 不填为全部分段，"
        "csv 不填为 goals。",
    )
    unit = serializers.RegexField(
        UNIT_CODE,
        label="单位编码",
        required=False,
        error_messages={"invalid": UNIT_CODE_MESSAGE},
        help_text="只导出该单位（精确匹配）。不在您可见范围内的单位与不存在的单位一样：没有记录。",
    )
    department = serializers.RegexField(
        UNIT_CODE,
        label="主管部门编码",
        required=False,
        error_messages={"invalid": UNIT_CODE_MESSAGE},
        help_text="只导出该单位及其下所有单位（如 027），同样限于您可见的单位。",
    )
    current = serializers.BooleanField(
        label="只含当前版本",
        required=False,
        default=False,
        help_text="true：绩效目标不含已被调整替代（superseded）的历史版本。",
    )
    resume = serializers.CharField(
        label="续传标记",
        required=False,
        max_length=64,
        help_text="“分段:单位编码”，如 goals:027001：从该分段中该单位之后继续（其后的分段照常导出）。"
        "取自中断前最后一行 unit_end 的 resume；续传时其他参数须与原请求相同。",
    )


class JSONErrorsOnly(BaseContentNegotiation):
    """The feed's own answer is a stream in the format its ``format`` parameter names; DRF's
    use of that parameter (``URL_FORMAT_OVERRIDE``: pick a renderer, or 404) is not wanted, and
    errors are always the API's JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _Stream:
    """The feed's chunks for ``StreamingHttpResponse``; frees the caller's slot when the
    response is closed (or dropped unread), and logs a failure that cuts the stream short (the
    client then sees no ``end`` line: the connection is aborted)."""

    def __init__(self, chunks: Iterator[bytes], release: Callable[[], None]) -> None:
        self._chunks = chunks
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> _Stream:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except StopIteration:
            self.close()
            raise
        except Exception:
            logger.exception("figures feed aborted")
            self.close()
            raise

    def close(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            try:
                self._chunks.close()
            finally:
                release()

    def __del__(self) -> None:
        self.close()


def _accepts_only_csv(accept: str) -> bool:
    """Whether an ``Accept`` header asks for CSV rather than NDJSON (``text/csv`` listed, the
    NDJSON type not): the default stays NDJSON for ``*/*`` and for no header."""
    types = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    return MEDIA_TYPES[CSV] in types and MEDIA_TYPES[NDJSON] not in types


def _take_slot(user) -> Callable[[], None] | None:
    """One of the user's ``FEED_MAX_CONCURRENT_PER_USER`` concurrent feeds, or ``None``."""
    limit = getattr(settings, "FEED_MAX_CONCURRENT_PER_USER", 2)
    if limit <= 0:
        return lambda: None
    key = f"figures-feed:{user.pk}"
    cache.add(key, 0, timeout=SLOT_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired in between
        cache.set(key, 1, timeout=SLOT_SECONDS)
        count = 1
    if count > limit:
        _decrement(key)
        return None
    return lambda: _decrement(key)


def _decrement(key: str) -> None:
    try:
        if cache.decr(key) < 0:
            cache.set(key, 0, timeout=SLOT_SECONDS)
    except ValueError:  # expired: nothing to give back
        pass


class FiguresFeedView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONErrorsOnly

    @extend_schema(
        summary="年度绩效数据批量导出（流式）",
        description=(
            "一次导出一个年度您可见单位的全部绩效数据，供财政部门自有系统使用：绩效目标（含指标和任务）、"
            "监控表（含逐指标完成值和预警灯）、自评（含评分方案、逐指标得分、总分和等级）。"
            "每条记录与对应列表接口（/goals/、/monitoring-reports/、/evaluations/）的字段名和值相同。"
            "流式输出，服务器内存占用不随数据量增长。\n\n"
            "**ndjson**：每行一个 JSON 对象。记录行即列表接口的对象；带 type 的是导出自身的标记行："
            '`{"type":"section","section":"goals"}` 在每个分段之前；'
            '`{"type":"unit_end","section":"goals","unit":"027001","records":37,'
            '"resume":"goals:027001"}` 在每个有记录的单位之后；'
            '`{"type":"end","year":2022,"units":12,"records":1234}` 为最后一行'
            "（units 为范围内单位数，records 为本次输出的记录数）。没有 end 行说明传输中断，"
            "用最后一行 unit_end 的 resume 续传。顺序：分段，单位编码，记录ID。\n\n"
            "**csv**：一个分段，UTF-8（带 BOM，Excel/WPS 可直接打开），每行一个指标（goals）、"
            "监控指标（monitoring）或指标得分（evaluations），列名为记录字段的点号路径"
            "（如 unit.code、indicators.target.value）；没有明细的记录占一行。以 = + - @ 开头的文字"
            "前加单引号。续传：用最后出现的单位之前一个单位的编码，并丢弃最后一个单位的行。\n\n"
            "格式由 format 参数指定；未指定时按 Accept 请求头：只接受 text/csv 时为 csv，否则为 ndjson。"
            "响应头 X-Feed-Units 为范围内单位数。每个用户同时进行的导出数有上限（429）。"
        ),
        parameters=[FeedQuerySerializer],
        responses={
            (200, MEDIA_TYPES[NDJSON]): OpenApiResponse(
                OpenApiTypes.BINARY, description="NDJSON，每行一个 JSON 对象"
            ),
            (200, MEDIA_TYPES[CSV]): OpenApiResponse(
                OpenApiTypes.BINARY, description="CSV（UTF-8，带 BOM）"
            ),
            **errors(400, 429),
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        data = request.query_params.copy()
        if "format" not in data and _accepts_only_csv(request.headers.get("Accept", "")):
            data["format"] = CSV  # content negotiation: ?format= wins over Accept
        query = FeedQuerySerializer(data=data)
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        release = _take_slot(request.user)
        if release is None:
            raise TooManyFeeds()
        try:
            feed = figures_feed(user=request.user, fmt=params.pop("format"), **params)
        except FeedInputError as error:
            release()
            message = INPUT_MESSAGES.get(error.code, str(error))
            raise serializers.ValidationError({error.field: [message]}) from None
        except BaseException:
            release()
            raise
        response = StreamingHttpResponse(_Stream(feed.chunks(), release))
        response["Content-Type"] = feed.content_type
        response["Content-Disposition"] = f'attachment; filename="{feed.filename}"'
        response["X-Feed-Units"] = str(len(feed.units))
        response["X-Accel-Buffering"] = "no"  # nginx: pass the stream on as it comes
        response["Cache-Control"] = "no-store"
        return response
