"""财政复核 in the admin: 抽查记录 (the draw page: finance reviewers) and 财政复核 (the spot check
page: its re-score table, the review buttons, the unit's objection and the bureau's decision).

Every write is a service call (``services.spot_checks``, ``services.workflow``) from a small
POST view; the stock add/change/delete are refused. Units and departments see a spot check
only once it is published (the queryset is ``selectors.spot_checks.spot_checks_for``), so a
draft is a 404 for them.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from projects.admin.scoping import ScopedAdminMixin, report_service_error
from projects.admin.writes import WritesThroughServices
from projects.permissions import (
    SPOT_CHECK_OBJECTORS,
    SPOT_CHECKERS,
    has_role,
    holds_any_role,
    may_spot_check,
    visible_units,
)
from projects.years import year_form_field

from ..choices import (
    SPOT_CHECK_DECISIONS,
    SPOT_CHECK_STATUS_LABELS,
    DrawMethod,
    GoalScope,
    RiskRule,
    SpotCheckOutcome,
)
from ..models import IndicatorEvaluation, SpotCheck, SpotCheckDraw
from ..selectors.spot_checks import spot_checks_for
from ..services import spot_checks as spot_check_services
from ..services import workflow
from .evidence import spot_check_panels
from .workflow import WorkflowAdminMixin


class DrawForm(forms.Form):
    """抽取样本: the year, the method and what it needs."""

    year = year_form_field()
    method = forms.ChoiceField(
        label="抽取方式", choices=DrawMethod.choices, widget=forms.RadioSelect
    )
    unit = forms.ModelChoiceField(
        label="抽取范围", queryset=None, required=False, empty_label="全部单位"
    )
    count = forms.IntegerField(label="抽取数量", required=False, min_value=1)
    rate = forms.DecimalField(
        label="抽取比例（%）",
        required=False,
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
    )
    seed = forms.IntegerField(
        label="随机种子",
        required=False,
        min_value=0,
        max_value=2**63 - 1,
        help_text="留空则自动生成并记录；相同种子抽取相同样本。",
    )
    rules = forms.MultipleChoiceField(
        label="风险规则",
        choices=RiskRule.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="高分低执行：自评≥90 分且执行率<60%；多处调整得分：≥3 个指标调整得分。",
    )
    evaluations = forms.CharField(
        label="人工指定（绩效自评ID，每行一个）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    scopes = forms.MultipleChoiceField(
        label="自评类型",
        choices=GoalScope.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        initial=[GoalScope.PROJECT, GoalScope.UNIT],
    )
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = visible_units(user).order_by("path")

    def clean_evaluations(self) -> list[int]:
        ids = []
        for line in self.cleaned_data["evaluations"].split():
            if not line.isdigit():
                raise ValidationError(f"“{line}”不是绩效自评ID。")
            ids.append(int(line))
        return ids


@admin.register(SpotCheckDraw)
class SpotCheckDrawAdmin(WritesThroughServices, admin.ModelAdmin):
    """抽查记录: finance reviewers draw (the add page is the draw form); records never change."""

    list_display = [
        "year",
        "method",
        "scope_unit",
        "seed",
        "population",
        "drawn",
        "skipped",
        "created_by",
        "created_at",
    ]
    list_filter = ["year", "method"]
    list_select_related = ["scope_unit", "created_by"]
    readonly_fields = [f.name for f in SpotCheckDraw._meta.fields]

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        return rows if self.has_view_permission(request) else rows.none()

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404(f"{opts.verbose_name} {object_id} 不存在或无权访问。")

    # Every admin page asks each model's permissions for its menu: a role check on the cached
    # memberships (no query); the draw service checks the finance bureau exactly.
    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or holds_any_role(request.user, SPOT_CHECKERS)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return holds_any_role(request.user, SPOT_CHECKERS)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DrawForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = spot_check_services.spot_check_draw(
                    actor=request.user,
                    year=data["year"],
                    method=data["method"],
                    unit=data["unit"],
                    count=data["count"],
                    rate=data["rate"],
                    seed=data["seed"],
                    rules=[{"rule": rule} for rule in data["rules"]],
                    evaluation_ids=data["evaluations"],
                    scopes=data["scopes"] or (GoalScope.PROJECT, GoalScope.UNIT),
                    note=data["note"],
                )
            except ValidationError as error:
                for field, messages_ in error.message_dict.items():
                    target = field.split(".")[0].split("[")[0]
                    form.add_error(target if target in form.fields else None, messages_)
            else:
                self.message_user(
                    request,
                    f"已抽取 {len(result.created)} 项（已在其他抽查中 {result.skipped} 项），"
                    f"总体 {result.draw.population} 项，种子 {result.draw.seed or '—'}。",
                    messages.SUCCESS,
                )
                url = reverse("admin:performance_spotcheck_changelist")
                return HttpResponseRedirect(f"{url}?draw__id__exact={result.draw.pk}")
        context = {
            **self.admin_site.each_context(request),
            "title": "抽取财政复核样本",
            "form": form,
            "opts": self.opts,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/performance/spotcheckdraw/draw.html", context)


@admin.register(SpotCheck)
class SpotCheckAdmin(WorkflowAdminMixin, ScopedAdminMixin, WritesThroughServices, admin.ModelAdmin):
    """财政复核: the list (self, 复核, difference, state, outcome) and the page of one."""

    bulk_review = False  # each 审定 is a four-eyes decision on its own page

    change_form_template = "admin/performance/spotcheck/change_form.html"
    list_display = [
        "subject",
        "year",
        "method",
        "self_total",
        "review_total",
        "difference_badge",
        "review_grade",
        "state",
        "outcome",
    ]
    list_filter = ["year", "status", "outcome", "draw__method", "draw"]
    list_select_related = ["unit", "project", "draw"]
    search_fields = ["project__name", "project__code", "unit__name"]
    fieldsets = [
        (
            "被复核的自评",
            {"fields": ["evaluation", "unit", "project", "year", "scheme", "reasons"]},
        ),
        (
            "得分",
            {
                "fields": [
                    "self_total",
                    "self_grade",
                    "review_total",
                    "review_grade",
                    "difference",
                    "summary",
                ]
            },
        ),
        (
            "公开、异议与裁定",
            {
                "fields": [
                    "published_at",
                    "objection_deadline",
                    "outcome",
                    "objection_reason",
                    "decision_comment",
                    "final_total",
                    "final_grade",
                    "final_difference",
                ]
            },
        ),
    ]
    readonly_fields = [name for _t, opts in fieldsets for name in opts["fields"]]

    def get_queryset(self, request):
        return spot_checks_for(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="项目/单位", ordering="project__name")
    def subject(self, obj):
        return obj.project.name if obj.project_id else f"{obj.unit.name}整体"

    @admin.display(description="抽取方式", ordering="draw__method")
    def method(self, obj):
        return obj.draw.get_method_display()

    @admin.display(description="差异", ordering="difference")
    def difference_badge(self, obj):
        if obj.difference is None:
            return "—"
        if obj.difference >= settings.SPOT_CHECK_DIFFERENCE_THRESHOLD:
            return format_html('<strong style="color:#c62828">{}</strong>', obj.difference)
        return obj.difference

    @admin.display(description="状态", ordering="status")
    def state(self, obj):
        return SPOT_CHECK_STATUS_LABELS.get(obj.status, obj.status)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(view),
                name="{}_{}_{}".format(*info, name),
            )
            for name, view in (
                ("rescore", self.rescore_view),
                ("object", self.object_view),
                ("decide", self.decide_view),
            )
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra = dict(extra_context or {})
        if obj is not None:
            extra.update(self.spot_check_context(request, obj))
        return super().change_view(request, object_id, form_url, extra)

    def spot_check_context(self, request, obj: SpotCheck) -> dict:
        reviews = {row.score_id: row for row in obj.scores.all()}
        rows = []
        for score in (
            IndicatorEvaluation.objects.filter(evaluation_id=obj.evaluation_id)
            .select_related("indicator")
            .order_by("indicator__order", "indicator_id")
        ):
            review = reviews.get(score.pk)
            rows.append({"score": score, "indicator": score.indicator, "review": review})
        user = request.user
        editable = workflow.EDIT in workflow.allowed_actions(obj, user)
        may_object = (
            obj.outcome == SpotCheckOutcome.PUBLISHED
            and obj.objected_at is None
            and has_role(user, obj.unit, SPOT_CHECK_OBJECTORS)
        )
        may_decide = obj.outcome == SpotCheckOutcome.OBJECTED and may_spot_check(user)
        info = self.opts.app_label, self.opts.model_name
        return {
            "evidence_panels": spot_check_panels(request, obj),
            "indicator_rows": rows,
            "rescore_editable": editable,
            "may_object": may_object,
            "may_decide": may_decide,
            "decisions": [(d.value, d.label) for d in SPOT_CHECK_DECISIONS],
            "status_label": SPOT_CHECK_STATUS_LABELS.get(obj.status, obj.status),
            "spot_check_urls": {
                name: reverse("admin:{}_{}_{}".format(*info, name), args=[obj.pk])
                for name in ("rescore", "object", "decide")
            },
        }

    def _posted_object(self, request, object_id) -> SpotCheck:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"{self.opts.verbose_name} {object_id} 不存在或无权访问。")
        return obj

    def _back(self, obj):
        return HttpResponseRedirect(reverse("admin:performance_spotcheck_change", args=[obj.pk]))

    def _version(self, request) -> int | None:
        value = request.POST.get("lock_version", "")
        return int(value) if value.isdigit() else None

    def rescore_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._posted_object(request, object_id)
        scores = []
        for key, value in request.POST.items():
            if key.startswith("review_score_"):
                indicator = key.removeprefix("review_score_")
                scores.append(
                    {
                        "indicator": indicator,
                        "review_score": value.strip() or None,
                        "reason": request.POST.get(f"reason_{indicator}", ""),
                    }
                )
        try:
            spot_check_services.spot_check_rescore(
                actor=request.user,
                spot_check=obj,
                scores=scores,
                summary=request.POST.get("summary"),
                expected_version=self._version(request),
            )
        except (ValidationError, PermissionDenied) as error:
            report_service_error(self, request, error)
        else:
            self.message_user(
                request,
                f"已保存复核评分：复核得分 {obj.review_total}，等级 {obj.get_review_grade_display()}，"
                f"差异 {obj.difference}。",
                messages.SUCCESS,
            )
        return self._back(obj)

    def object_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._posted_object(request, object_id)
        try:
            spot_check_services.spot_check_object(
                actor=request.user,
                spot_check=obj,
                reason=request.POST.get("reason", ""),
                files=request.FILES.getlist("files"),
                expected_version=self._version(request),
            )
        except (ValidationError, PermissionDenied) as error:
            report_service_error(self, request, error)
        else:
            self.message_user(request, "已提出异议，等待财政部门裁定。", messages.SUCCESS)
        return self._back(obj)

    def decide_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._posted_object(request, object_id)
        scores = [
            {
                "indicator": key.removeprefix("decided_score_"),
                "decided_score": value.strip(),
                "reason": request.POST.get(
                    f"decided_reason_{key.removeprefix('decided_score_')}", ""
                ),
            }
            for key, value in request.POST.items()
            if key.startswith("decided_score_") and value.strip()
        ]
        try:
            spot_check_services.spot_check_decide(
                actor=request.user,
                spot_check=obj,
                decision=request.POST.get("decision", ""),
                comment=request.POST.get("comment", ""),
                scores=scores,
                expected_version=self._version(request),
            )
        except (ValidationError, PermissionDenied) as error:
            report_service_error(self, request, error)
        else:
            self.message_user(
                request,
                f"已裁定：{obj.get_outcome_display()}，最终得分 {obj.final_total}。",
                messages.SUCCESS,
            )
        return self._back(obj)
