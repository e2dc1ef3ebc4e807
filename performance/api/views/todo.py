"""``GET /api/v1/todo/``: the caller's to-do list (待办), the same lines as the admin's home."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ...selectors.todo import KINDS, todo_for
from ..schema import LIST, responses
from ..serializers.todo import GROUPS, TodoPageSerializer, TodoQuerySerializer

EXAMPLE = {
    "count": 11,
    "counts": {"goal.review": 1, "units.overdue": 1},
    "next": None,
    "previous": None,
    "results": [
        {
            "key": "goal.review:17",
            "kind": "goal.review",
            "kind_label": "待审核的绩效目标",
            "group": "review",
            "group_label": "待我审核",
            "object": {"type": "goal", "id": 17, "url": "/api/v1/goals/17/"},
            "unit": {"id": 4, "code": "027001", "name": "伊滨经开区（示范区）社会保障事务服务中心"},
            "year": 2022,
            "title": "2022年 社保、医保经办经费 绩效目标 v2",
            "status": "submitted",
            "status_label": "已提交",
            "since": "2026-11-24T09:30:00+08:00",
            "waited_working_days": 7,
            "due": "2026-12-01",
            "overdue": True,
            "overdue_days": 3,
            "count": 1,
            "note": "",
            "actor": "",
            "actions": ["approve", "return"],
            "link": "/admin/performance/performancegoal/17/change/#workflow-panel",
        }
    ],
}


class TodoView(APIView):
    @extend_schema(
        summary="我的待办",
        description=(
            "当前用户的待办事项，按角色实时计算（办结即消失）：待我审核（主管部门审核人：已提交；"
            "财政审核人：主管部门审核通过；最早到达的在前，含已等待工作日和审核期限）、被退回"
            "（含退回意见和退回人）、待提交的草稿（含填报截止日期）、待填报（开展绩效自评、"
            "填报绩效目标、调整目标）、逾期单位（主管部门和财政审核人：下级单位截止后仍未完成的事项数）。"
            "只含您管辖范围内的单位。count 与 counts 为全部页合计；无论多少条，查询次数固定。"
        ),
        parameters=[
            OpenApiParameter(
                "kind", str, many=True, enum=list(KINDS), description="待办类型，可重复。"
            ),
            OpenApiParameter("group", str, enum=list(GROUPS), description="分组。"),
            OpenApiParameter(
                "unit",
                str,
                description="单位编码：只看该单位及其下级单位；不存在或不在管辖范围内时返回 400。",
            ),
            OpenApiParameter("page", int, description="页码（从 1 开始）。"),
            OpenApiParameter("page_size", int, description="每页条数（默认 50，最多 200）。"),
        ],
        responses=responses(TodoPageSerializer, *LIST),
        examples=[OpenApiExample("主管部门审核人的待办", value=EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        query = TodoQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        params = query.validated_data
        page, size = params["page"], params["page_size"]
        todo = todo_for(
            request.user,
            kind=query.kinds(),
            unit=params.get("unit"),
            offset=(page - 1) * size,
            limit=size,
        )
        total = todo.total
        if page > 1 and (page - 1) * size >= total:
            pages = max(1, -(-total // size))
            raise ValidationError(
                {"page": [_("该页没有数据：共 %(pages)s 页。") % {"pages": pages}]}
            )

        def link(number: int) -> str:
            return request.build_absolute_uri(
                request.path + "?" + _with_page(request.query_params, number)
            )

        body = {
            "count": total,
            "counts": todo.counts,
            "next": link(page + 1) if page * size < total else None,
            "previous": link(page - 1) if page > 1 else None,
            "results": todo.items,
        }
        return Response(TodoPageSerializer(body).data)


def _with_page(params, number: int) -> str:
    query = params.copy()
    query["page"] = str(number)
    return query.urlencode()
