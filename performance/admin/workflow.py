"""Workflow buttons, audit history, version history and the version diff in the admin.

``WorkflowAdminMixin`` gives any reviewed model (goal, monitoring report, self-evaluation) a
panel of the buttons ``workflow.allowed_actions`` allows, each posting to one small view that
calls the service and shows its Chinese error as an admin message, plus the object's audit trail
with every comment. ``GoalWorkflowAdminMixin`` adds 调整, 智能审核 (also as a changelist
action), the version history and the field-by-field diff between versions.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from projects.admin.params import whole_number
from projects.admin.scoping import report_service_error
from projects.audit import history
from projects.permissions import holds_any_role

from ..choices import Grade, Status
from ..models import GoalTask, Indicator, PerformanceGoal
from ..services import target_review, workflow

TRANSITION_LABELS = {row.name: row.label for row in workflow.TRANSITIONS} | {
    "supersede": "被调整后的版本取代",
    "quality_review": "智能审核",
}
SUCCESS = {
    workflow.SUBMIT: "“{obj}”已提交，等待审核。",
    workflow.APPROVE: "“{obj}”已审核通过，当前状态：{status}。",
    workflow.RETURN: "“{obj}”已退回，填报单位已收到退回意见。",
}


def _expected_version(request) -> int | None:
    return whole_number(request.POST.get("lock_version"))


_NESTED = re.compile(r"^(indicator|task)\[(\d+)\](?:\.(\w+))?$")
_NESTED_MODELS = {"indicator": Indicator, "task": GoalTask}
_ISO_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})")


def _label(model, key: str) -> str:
    """``overall_goal`` → 年度总体目标, ``indicator[12].raw_value`` → 绩效指标#12 指标值."""
    nested = _NESTED.match(key)
    if nested:
        kind, pk, field = nested.groups()
        child = _NESTED_MODELS[kind]
        name = f"{child._meta.verbose_name}#{pk}"
        return f"{name} {_label(child, field)}" if field else name
    try:
        return str(model._meta.get_field(key).verbose_name)
    except Exception:  # keys that are not fields (budget.…, execution, next_version)
        return key


def _change_summary(model, changes: dict[str, Any]) -> list[str]:
    """A few readable lines of an audit row's ``changes`` (field names and states in Chinese)."""
    lines = []
    for key, value in (changes or {}).items():
        if isinstance(value, list) and len(value) == 2:
            old, new = value
            if key == "status":
                labels = dict(model._meta.get_field("status").choices)  # each kind's own states
                old, new = labels.get(old, old), labels.get(new, new)
            if _short(old) == _short(new):
                continue
            lines.append(f"{_label(model, key)}：{_short(old)} → {_short(new)}")
        else:
            lines.append(f"{_label(model, key)}：{_short(value)}")
    if len(lines) > 6:
        lines = [*lines[:6], f"……共 {len(lines)} 项"]
    return lines


def _person(user) -> str:
    if user is None:
        return "系统"
    return user.get_full_name() or user.first_name or user.username


def _short(value: Any) -> str:
    text = "—" if value in (None, "") else str(value)
    if _ISO_TIME.match(text):  # audit JSON keeps datetimes as ISO text in UTC
        try:
            return f"{timezone.localtime(dt.datetime.fromisoformat(text)):%Y-%m-%d %H:%M}"
        except ValueError:
            return text[:16].replace("T", " ")
    return text if len(text) <= 60 else text[:57] + "…"


BULK_FAILURES_SHOWN = 20


class WorkflowAdminMixin:
    """Buttons for submit / approve / return and the audit trail on the change page; 批量审核通过
    and 批量退回 on the list, for whoever holds a role of those rows of the workflow table."""

    workflow_actions = (workflow.SUBMIT, workflow.APPROVE, workflow.RETURN)
    bulk_review = True  # 批量审核通过 / 批量退回 on the list
    bulk_review_template = "admin/performance/bulk_review/confirm.html"

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.bulk_review:
            return actions
        reviewers = {
            role
            for row in workflow.transitions_of(self.model)
            if row.action in workflow.BULK_ACTIONS
            for role in row.roles
        }
        if holds_any_role(request.user, reviewers):
            for name in ("bulk_approve_selected", "bulk_return_selected"):
                actions[name] = self.get_action(name)
        return actions

    @admin.action(description="批量审核通过所选项")
    def bulk_approve_selected(self, request, queryset):
        return self._bulk_review(request, queryset, workflow.APPROVE, "bulk_approve_selected")

    @admin.action(description="批量退回所选项（填写同一条退回意见）")
    def bulk_return_selected(self, request, queryset):
        return self._bulk_review(request, queryset, workflow.RETURN, "bulk_return_selected")

    def _bulk_review(self, request, queryset, action: str, action_name: str):
        """First a confirmation page listing the items (their versions kept in the form, so an
        item changed meanwhile is refused as stale); on confirm, ``workflow.review_many``."""
        label = workflow.ACTION_LABELS[action]
        limit = workflow.bulk_review_max()
        comment = request.POST.get("comment", "")
        if request.POST.get("post") == "yes":
            items = [
                workflow.BulkItem(pk, whole_number(request.POST.get(f"version_{pk}")))
                for pk in queryset.values_list("pk", flat=True)
            ]
            try:
                result = workflow.review_many(
                    model=self.model,
                    action=action,
                    items=items,
                    actor=request.user,
                    comment=comment,
                )
            except ValidationError as error:
                report_service_error(self, request, error)
            else:
                self._report_bulk(request, result, label)
                return None
        items = list(queryset.select_related("unit")[: limit + 1])
        context = {
            **self.admin_site.each_context(request),
            "title": f"批量{label}",
            "opts": self.opts,
            "items": items[:limit],
            "too_many": len(items) > limit,
            "limit": limit,
            "action_label": label,
            "action_name": action_name,
            "comment": comment,
            "comment_required": action == workflow.RETURN,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, self.bulk_review_template, context)

    def _report_bulk(self, request, result, label: str) -> None:
        noun = self.opts.verbose_name
        if result.succeeded:
            self.message_user(
                request, f"已{label} {len(result.succeeded)} 项{noun}。", level=messages.SUCCESS
            )
        if result.failed:
            names = {
                obj.pk: str(obj)
                for obj in self.model.objects.filter(pk__in=[f.id for f in result.failed])
            }
            lines = [
                f"“{names.get(f.id, f.id)}”：{f.detail}"
                for f in result.failed[:BULK_FAILURES_SHOWN]
            ]
            more = len(result.failed) - len(lines)
            self.message_user(
                request,
                f"{len(result.failed)} 项未能{label}："
                + "；".join(lines)
                + (f"；另有 {more} 项，未逐一列出。" if more > 0 else ""),
                level=messages.ERROR,
            )

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/workflow/<str:action>/",
                self.admin_site.admin_view(self.workflow_view),
                name="{}_{}_workflow".format(*info),
            ),
            *super().get_urls(),
        ]

    def workflow_context(self, request, obj) -> dict[str, Any]:
        allowed = workflow.allowed_actions(obj, request.user)
        info = self.opts.app_label, self.opts.model_name
        entries = list(history(obj)[:200])
        for entry in entries:
            entry.transition_label = TRANSITION_LABELS.get(entry.transition, entry.transition)
            entry.change_lines = _change_summary(type(obj), entry.changes)
            entry.actor_name = _person(entry.actor)
        returns = [e for e in entries if e.transition.endswith("return")]
        return {
            "workflow_allowed": allowed,
            "workflow_actions": [a for a in self.workflow_actions if a in allowed],
            "workflow_urls": {
                action: reverse("admin:{}_{}_workflow".format(*info), args=[obj.pk, action])
                for action in (*self.workflow_actions, "quality")
            },
            "audit_entries": entries,
            "last_return": returns[0] if returns and obj.status == Status.RETURNED else None,
            "grade_choices": [],
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra = dict(extra_context or {})
        if obj is not None:
            extra.update(self.workflow_context(request, obj))
        return super().change_view(request, object_id, form_url, extra)

    def workflow_view(self, request, object_id, action):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"{self.opts.verbose_name} {object_id} 不存在或无权访问。")
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        if action not in (*self.workflow_actions, "quality"):
            raise Http404(f"未知操作：{action}")
        target = self.run_workflow_action(request, obj, action)
        url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[target.pk]
        )
        return HttpResponseRedirect(url)

    def run_workflow_action(self, request, obj, action: str):
        """Call the service for ``action``; report success or the service's error. Returns
        the object to show next (an adjustment opens the new version)."""
        comment = request.POST.get("comment", "")
        expected = _expected_version(request)
        try:
            if action == workflow.SUBMIT:
                obj = workflow.submit(
                    obj=obj, actor=request.user, comment=comment, expected_version=expected
                )
            elif action == workflow.APPROVE:
                obj = workflow.approve(
                    obj=obj,
                    actor=request.user,
                    comment=comment,
                    quality_grade=request.POST.get("quality_grade", ""),
                    expected_version=expected,
                )
            elif action == workflow.RETURN:
                obj = workflow.return_(
                    obj=obj, actor=request.user, comment=comment, expected_version=expected
                )
            else:
                return self.run_extra_action(request, obj, action)
        except (ValidationError, PermissionDenied) as error:
            self.on_workflow_error(request, obj, action, error)
            report_service_error(self, request, error)
            return obj
        text = SUCCESS[action].format(obj=obj, status=obj.get_status_display())
        self.message_user(request, text, level=messages.SUCCESS)
        return obj

    def run_extra_action(self, request, obj, action: str):
        raise Http404(f"未知操作：{action}")

    def on_workflow_error(self, request, obj, action: str, error: Exception) -> None:
        """Hook: react to a refused action (goals store the quality findings that blocked it)."""


class GoalWorkflowAdminMixin(WorkflowAdminMixin):
    """Goals also get 调整, 智能审核, the version history and the diff between versions."""

    workflow_actions = (workflow.SUBMIT, workflow.APPROVE, workflow.RETURN, workflow.ADJUST)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/diff/",
                self.admin_site.admin_view(self.diff_view),
                name="{}_{}_diff".format(*info),
            ),
            *super().get_urls(),
        ]

    def workflow_context(self, request, obj) -> dict[str, Any]:
        context = super().workflow_context(request, obj)
        context["goal_versions"] = [
            v for v in workflow.goal_versions(obj) if self.has_view_or_change_permission(request, v)
        ]
        context["grade_choices"] = [
            (value, label)
            for value, label in Grade.choices
            if value not in workflow.REJECTING_GRADES
        ]
        context["diff_url"] = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_diff", args=[obj.pk]
        )
        return context

    def run_extra_action(self, request, obj, action: str):
        try:
            if action == workflow.ADJUST:
                new = workflow.goal_adjust(
                    goal=obj, actor=request.user, reason=request.POST.get("reason", "")
                )
                self.message_user(
                    request,
                    f"已生成调整版本 v{new.version}（草稿）；原 v{obj.version} 在新版本批复前继续有效。"
                    "修改后请提交审核。",
                    level=messages.SUCCESS,
                )
                return new
            if action == "quality":
                self._quality(request, obj)
                return obj
        except (ValidationError, PermissionDenied) as error:
            report_service_error(self, request, error)
            return obj
        return super().run_extra_action(request, obj, action)

    def _quality(self, request, goal) -> None:
        findings = target_review.quality_review(goal=goal, actor=request.user, save=True)
        errors = sum(1 for f in findings if f["severity"] == "error")
        warnings = len(findings) - errors
        level = messages.ERROR if errors else (messages.WARNING if warnings else messages.SUCCESS)
        self.message_user(
            request, f"智能审核完成：{errors} 个错误，{warnings} 个提示。", level=level
        )

    def on_workflow_error(self, request, obj, action, error) -> None:
        if action == workflow.SUBMIT and getattr(error, "code", "") == "quality_errors":
            # The refused submission rolled back; store the findings so the page shows them.
            target_review.quality_review(goal=obj, actor=request.user, save=True)

    @admin.action(description="智能审核所选绩效目标")
    def quality_review_selected(self, request, queryset):
        errors = warnings = refused = 0
        for goal in queryset.select_related("unit", "project"):
            try:
                findings = target_review.quality_review(goal=goal, actor=request.user, save=True)
            except PermissionDenied:
                refused += 1
                continue
            errors += sum(1 for f in findings if f["severity"] == "error")
            warnings += sum(1 for f in findings if f["severity"] == "warning")
        done = queryset.count() - refused
        self.message_user(
            request,
            f"已对 {done} 个绩效目标完成智能审核：共 {errors} 个错误，{warnings} 个提示。"
            + (f"{refused} 个无权审核，已跳过。" if refused else ""),
            level=messages.WARNING if errors else messages.SUCCESS,
        )

    def diff_view(self, request, object_id):
        new = self.get_object(request, unquote(object_id))
        if new is None or not self.has_view_or_change_permission(request, new):
            raise Http404(f"{self.opts.verbose_name} {object_id} 不存在或无权访问。")
        against = request.GET.get("against", "")
        if against:
            against_id = whole_number(against)
            if against_id is None:
                raise Http404("要对比的版本不存在。")
            old = get_object_or_404(self.get_queryset(request), pk=against_id)
            if workflow.same_scope(new).filter(pk=old.pk).count() != 1:
                raise Http404("只能对比同一目标的不同版本。")
        elif new.previous_id:
            old = get_object_or_404(self.get_queryset(request), pk=new.previous_id)
        else:
            raise Http404("这是第一个版本，没有可对比的调整前版本。")
        if old.version > new.version:
            old, new = new, old
        diff = workflow.goal_diff(old, new)
        goal_fields = {f: PerformanceGoal._meta.get_field(f).verbose_name for f in diff["fields"]}
        indicator_labels = {
            f: Indicator._meta.get_field(f).verbose_name for f in workflow.INDICATOR_DIFF_FIELDS
        }
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"绩效目标版本对比：v{old.version} → v{new.version}",
            "old": old,
            "new": new,
            "diff": diff,
            "field_rows": [(goal_fields[f], v[0], v[1]) for f, v in diff["fields"].items()],
            "indicator_labels": indicator_labels,
            "indicator_changes": [
                {
                    "key": row["key"],
                    "changes": [
                        (indicator_labels[f], v[0], v[1]) for f, v in row["changes"].items()
                    ],
                }
                for row in diff["indicators"]["changed"]
            ],
            "task_label": GoalTask._meta.verbose_name,
            "unchanged": not (
                diff["fields"] or any(diff["indicators"].values()) or any(diff["tasks"].values())
            ),
        }
        return TemplateResponse(request, "admin/performance/performancegoal/diff.html", context)
