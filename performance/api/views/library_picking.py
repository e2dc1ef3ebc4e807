"""引用 through the API: ``/api/v1/library/search/``, ``suggestions/`` and ``add-to-goal/``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from projects.models import Project

from ...models import Indicator, PerformanceGoal
from ...selectors import library as library_selectors
from ...services import library as library_services
from ..permissions import scope
from ..schema import CREATE, LIST, responses
from ..serializers.goals import IndicatorSerializer
from ..serializers.library import (
    LibraryAddedSerializer,
    LibraryAddToGoalSerializer,
    LibrarySearchQuerySerializer,
    LibrarySearchSerializer,
    LibrarySuggestionQuerySerializer,
    LibrarySuggestionsSerializer,
)

UNKNOWN_GOAL = _("绩效目标不存在。")
UNKNOWN_PROJECT = _("项目不存在。")
NO_UNIT_SUGGESTIONS = _("整体绩效目标暂无推荐指标。")
SIMILAR_RULE = (
    "同类项目 = 上年已批复目标的同类型项目中，同一主管部门或名称相近（三元组相似度 ≥ 0.3）的"
    "最多 200 个（本部门在前，再按名称相似度）；数字是其中引用了该指标（任何版本）的项目个数。"
    "排序：同类项目引用数、本部门引用数从多到少，共性指标在前，再按编码。"
)
FILTERS = ("level1", "level2", "function_class", "project_category", "is_common")


def _goal(user, pk: int, field: str = "goal") -> PerformanceGoal:
    goals = scope(PerformanceGoal.objects.select_related("unit", "project"), user)
    goal = goals.filter(pk=pk).first()
    if goal is None:
        raise serializers.ValidationError({field: [UNKNOWN_GOAL]})
    return goal


class LibraryPickingViewSet(viewsets.GenericViewSet):
    """Search the library, suggestions for a project, and picking entries into a goal."""

    serializer_class = LibrarySearchSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return PerformanceGoal.objects.none()

    @extend_schema(
        summary="检索指标库",
        description=(
            "检索已确认的指标：q 按空格分为最多 5 个词，每个词都须出现在编码或一、二、三级指标中；"
            "排序为三级指标与检索词相同、以其开头、包含、其他，再按名称相似度（pg_trgm），共性在前，"
            "再按编码。可按一级、二级、行业（支出功能分类前缀）、项目类型、共性/个性筛选。"
            "给出 goal 时只返回该目标可以引用且尚未引用的指标（含本部门待确认的个性指标）。"
        ),
        parameters=[LibrarySearchQuerySerializer],
        responses=responses(LibrarySearchSerializer, *LIST),
    )
    @action(detail=False, methods=["get"])
    def search(self, request: Request) -> Response:
        query = LibrarySearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        goal = _goal(request.user, values["goal"]) if "goal" in values else None
        limit, offset = values["limit"], values["offset"]
        hits = library_selectors.search(
            request.user,
            values["q"],
            goal=goal,
            filters={name: values[name] for name in FILTERS if name in values},
            limit=limit + 1,
            offset=offset,
        )
        more = len(hits) > limit
        body = {"results": hits[:limit], "next_offset": offset + limit if more else None}
        return Response(LibrarySearchSerializer(body).data)

    @extend_schema(
        summary="推荐指标（同类项目常用）",
        description=f"项目（或项目绩效目标）的推荐指标，每条附理由。{SIMILAR_RULE}",
        parameters=[LibrarySuggestionQuerySerializer],
        responses=responses(LibrarySuggestionsSerializer, *LIST),
    )
    @action(detail=False, methods=["get"])
    def suggestions(self, request: Request) -> Response:
        query = LibrarySuggestionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        goal = project = None
        if "goal" in values:
            goal = _goal(request.user, values["goal"])
            project = goal.project
        else:
            projects = scope(Project.objects.select_related("unit"), request.user)
            project = projects.filter(pk=values["project"]).first()
            if project is None:
                raise serializers.ValidationError({"project": [UNKNOWN_PROJECT]})
        if project is None:
            raise serializers.ValidationError({"goal": [NO_UNIT_SUGGESTIONS]})
        found = library_selectors.suggestions(
            request.user, project=project, goal=goal, limit=values["limit"]
        )
        body = {"project": project.pk, "reference_year": project.year - 1, "results": found}
        return Response(LibrarySuggestionsSerializer(body).data)

    @extend_schema(
        summary="引用指标库指标到绩效目标",
        description=(
            "把选中的指标（一个或多个）加入草稿或已退回的绩效目标：每个成为链接到该指标版本的"
            "绩效指标，复制一、二、三级指标、指标解释和参考分值；指标值由单位填写（raw_value），"
            "或 use_reference=true 采用参考值，留空的须在提交前填写。全部成功或全部不写入："
            "不能引用的指标在 entries.i 下说明原因。本部门待确认的个性指标可以引用（warnings 提示），"
            "财政批复前须经确认。"
        ),
        request=LibraryAddToGoalSerializer,
        responses=responses(LibraryAddedSerializer, *CREATE, status=201, description="已引用"),
    )
    @action(detail=False, methods=["post"], url_path="add-to-goal")
    def add_to_goal(self, request: Request) -> Response:
        body = LibraryAddToGoalSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        goal = _goal(request.user, values["goal"])
        rows = values["entries"]
        visible = library_selectors.visible_for_goal(request.user, goal)
        found = visible.in_bulk([row["entry"] for row in rows])
        missing = {
            f"entries.{i}": [library_services.NOT_PICKABLE]
            for i, row in enumerate(rows)
            if row["entry"] not in found
        }
        if missing:
            raise serializers.ValidationError(missing)
        picks = [
            library_services.Pick(
                entry=found[row["entry"]],
                raw_value=row["raw_value"],
                weight=row["weight"],
                use_reference=row["use_reference"],
            )
            for row in rows
        ]
        picked = library_services.goal_add_library_entries(
            goal=goal, actor=request.user, picks=picks, visible=set(found)
        )
        created = Indicator.objects.filter(pk__in=[i.pk for i in picked.indicators]).order_by(
            "order"
        )
        data = {
            "goal": goal.pk,
            "indicators": [IndicatorSerializer(i).data for i in created],
            "warnings": picked.warnings,
        }
        return Response(data, status=201)
