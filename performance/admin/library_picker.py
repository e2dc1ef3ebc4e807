"""从指标库选取: the goal page's picker (suggestions, search, filters; tick one or many)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from projects.admin.params import whole_number
from projects.choices import ProjectCategory

from ..selectors import library as library_selectors
from ..services import library as library_services
from ..services import workflow

PAGE = 50
FILTERS = ("level1", "level2", "function_class", "project_category", "is_common")


def _filters(params) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in FILTERS:
        value = (params.get(name) or "").strip()
        if not value:
            continue
        if name == "project_category" and value not in ProjectCategory.values:
            continue
        if name == "function_class" and not (value.isdigit() and len(value) in (3, 5, 7)):
            continue
        values[name] = value
    return values


def _first_filled(values: list[str]) -> str:
    """An entry listed twice (suggested and found) posts its inputs twice: the filled one."""
    return next((v.strip() for v in values if v and v.strip()), "")


class LibraryPickerAdminMixin:
    """``…/performancegoal/<id>/library/``: pick entries into an editable goal."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/library/",
                self.admin_site.admin_view(self.library_view),
                name="{}_{}_library".format(*info),
            ),
            *super().get_urls(),
        ]

    def library_view(self, request, object_id):
        goal = self.get_object(request, unquote(object_id))
        if goal is None or not self.has_view_or_change_permission(request, goal):
            raise Http404(f"{self.opts.verbose_name} {object_id} 不存在或无权访问。")
        if workflow.EDIT not in workflow.allowed_actions(goal, request.user):
            raise PermissionDenied("只有草稿或已退回目标的填报单位可以引用指标库指标。")
        change_url = reverse("admin:performance_performancegoal_change", args=[goal.pk])
        if request.method == "POST":
            return self._pick(request, goal, change_url)
        params = request.GET
        q = (params.get("q") or "").strip()[: library_selectors.SEARCH_MAX_CHARS]
        filters = _filters(params)
        offset = whole_number(params.get("offset") or 0, high=10_000) or 0
        codes = library_selectors.goal_codes(goal)
        suggestions = (
            library_selectors.suggestions(request.user, goal=goal) if goal.project_id else []
        )
        reasons = {s.entry.pk: s.reason for s in suggestions}
        if q:
            hits = library_selectors.search(
                request.user, q, goal=goal, filters=filters, limit=PAGE + 1, offset=offset
            )
            entries = [hit.entry for hit in hits]
        else:
            pickable = library_selectors.pickable(request.user, goal, codes=codes)
            entries = list(
                library_selectors.filter_entries(pickable, filters).order_by(
                    "-is_common", "code", "version"
                )[offset : offset + PAGE + 1]
            )
        more = len(entries) > PAGE
        levels = library_selectors.pickable(request.user, goal, codes=codes).values_list(
            "level1", "level2"
        )
        level_pairs = sorted(set(levels))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"从指标库选取：{goal}",
            "goal": goal,
            "change_url": change_url,
            "q": q,
            "filters": filters,
            "suggestions": suggestions,
            "entries": entries[:PAGE],
            "reasons": reasons,
            "offset": offset,
            "next_offset": offset + PAGE if more else None,
            "previous_offset": max(offset - PAGE, 0) if offset else None,
            "level1_choices": sorted({a for a, _ in level_pairs}),
            "level2_choices": sorted({b for a, b in level_pairs if a == filters.get("level1")})
            if filters.get("level1")
            else sorted({b for _, b in level_pairs}),
            "category_choices": ProjectCategory.choices,
        }
        return TemplateResponse(
            request, "admin/performance/performancegoal/library_picker.html", context
        )

    def _pick(self, request, goal, change_url):
        ids = []
        for raw in request.POST.getlist("pick"):
            pk = whole_number(raw)
            if pk is not None and pk not in ids:
                ids.append(pk)
        back = request.get_full_path()
        if not ids:
            self.message_user(request, "请至少勾选一个指标库指标。", level=messages.ERROR)
            return HttpResponseRedirect(back)
        found = library_selectors.visible_for_goal(request.user, goal).in_bulk(ids)
        picks = []
        for pk in ids:
            if pk not in found:
                self.message_user(request, library_services.NOT_PICKABLE, level=messages.ERROR)
                return HttpResponseRedirect(back)
            weight_text = _first_filled(request.POST.getlist(f"weight_{pk}"))
            try:
                weight = Decimal(weight_text) if weight_text else None
            except InvalidOperation:
                self.message_user(request, f"分值「{weight_text}」不是数字。", level=messages.ERROR)
                return HttpResponseRedirect(back)
            picks.append(
                library_services.Pick(
                    entry=found[pk],
                    raw_value=_first_filled(request.POST.getlist(f"value_{pk}"))[:300],
                    weight=weight,
                )
            )
        try:
            picked = library_services.goal_add_library_entries(
                goal=goal, actor=request.user, picks=picks, visible=set(found)
            )
        except ValidationError as error:
            for message_list in error.message_dict.values():
                for message in message_list:
                    self.message_user(request, message, level=messages.ERROR)
            return HttpResponseRedirect(back)
        blank = sum(1 for i in picked.indicators if not i.raw_value)
        tail = f"其中 {blank} 个尚未填写指标值，请填写后再提交。" if blank else ""
        self.message_user(
            request,
            f"已引用 {len(picked.indicators)} 个指标库指标。{tail}",
            level=messages.SUCCESS,
        )
        for warning in picked.warnings:
            self.message_user(request, warning, level=messages.WARNING)
        return HttpResponseRedirect(change_url)
