"""OpenAPI helpers: the error body and the documented error responses of each operation."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        label="错误代码",
        help_text=(
            "机器可读的错误代码：invalid（输入有误）、invalid_transition（当前状态不允许此操作）、"
            "comment_required（退回必须填写意见）、quality_errors（智能审核有错误）、"
            "not_editable、stale（版本冲突）、permission_denied、csrf_failed（会话认证缺少 CSRF 令牌）、"
            "not_authenticated、authentication_failed、not_found、method_not_allowed、"
            "parse_error（请求体不是合法的 JSON）、request_too_large（请求体过大）、throttled 等。"
        ),
    )
    detail = serializers.CharField(
        label="错误说明",
        help_text="可读的说明：默认中文，请求头 Accept-Language: en 时为英文（业务规则的说明为中文）。",
    )
    errors = serializers.DictField(
        label="字段级错误",
        child=serializers.ListField(child=serializers.CharField()),
        help_text=(
            "字段名 → 错误信息列表。嵌套字段以点号连接（如 indicators.0.level3），"
            "与字段无关的错误在 non_field_errors 下。非输入类错误时为空对象。"
        ),
    )


ERROR_DESCRIPTIONS = {
    400: "请求有误：字段级错误见 errors；当前状态不允许此操作时 code 为 invalid_transition。",
    401: "未登录、令牌无效或已失效。",
    403: "没有权限：detail 说明原因（如需要的角色）；会话认证的写请求缺少 CSRF 令牌时也返回 403。",
    404: "对象不存在，或不属于您可见的单位（两者不作区分）。",
    409: "版本冲突：lock_version 已过期，对象已被其他用户修改，请重新读取后再提交。",
    410: "文件已超过保留期限被清理（code 为 files_expired），请重新发起任务。",
    413: "请求体过大（code 为 request_too_large，detail 说明上限）：请减少一次提交的内容。",
    415: "请求体格式不受支持：请以 application/json（或表单）提交，并正确设置 Content-Type 头。",
    429: "请求过于频繁，请按 Retry-After 头指示的秒数后重试。",
}

EXAMPLES = {
    400: OpenApiExample(
        "字段错误",
        value={
            "code": "invalid",
            "detail": "提交的数据有误，请按字段提示修改。",
            "errors": {"comment": ["该字段是必填项。"]},
        },
        response_only=True,
        status_codes=["400"],
    ),
    409: OpenApiExample(
        "版本冲突",
        value={
            "code": "stale",
            "detail": "数据已被其他用户修改，请刷新后在最新内容上重新操作。",
            "errors": {"lock_version": ["数据已被其他用户修改，请刷新后在最新内容上重新操作。"]},
        },
        response_only=True,
        status_codes=["409"],
    ),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Documented error responses; 401 is always possible (every endpoint needs a login)."""
    wanted = sorted({401, *codes})
    return {
        code: OpenApiResponse(
            response=ErrorSerializer,
            description=ERROR_DESCRIPTIONS[code],
            examples=[EXAMPLES[code]] if code in EXAMPLES else [],
        )
        for code in wanted
    }


def responses(ok, *codes: int, status: int = 200, description: str = "成功") -> dict:
    """``{status: ok, **errors(*codes)}`` for ``extend_schema(responses=...)``."""
    return {status: OpenApiResponse(response=ok, description=description), **errors(*codes)}


READ = (404,)
LIST = (400,)
WRITE = (400, 403, 404, 409)
CREATE = (400, 403)


class ImportErrorSerializer(ErrorSerializer):
    result = serializers.JSONField(
        label="导入结果",
        help_text="与成功时相同结构的导入结果（ImportResult），含每一处错误的行号、列名和原因。",
    )


def document_errors(result: dict, generator, request, public) -> dict:
    """``POSTPROCESSING_HOOKS``: what holds for every error response, documented once.

    - Every operation that takes a request body documents 413 and 415: a body over Django's
      size or field limits (``request_too_large``), or in a media type the operation does
      not parse (or none at all).
    - ``Error`` has exactly its three properties, so an import failure (``ImportError``: the
      same three plus ``result``) matches exactly one of ``ImportFailure``'s ``oneOf``.
    """
    error = result.get("components", {}).get("schemas", {}).get("Error")
    if error is not None:
        error["additionalProperties"] = False
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                for code in ("413", "415"):
                    operation["responses"].setdefault(
                        code,
                        {
                            "description": ERROR_DESCRIPTIONS[int(code)],
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}
                                }
                            },
                        },
                    )
    return result
