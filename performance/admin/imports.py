"""数据导入: one admin page for every registered import kind, and the import history.

The pages are driven by the registry (``services.imports.KINDS``) and need nothing per kind
beyond its declaration (title, columns, example file, counts, who may import it):

- ``/admin/imports/``                 the kinds the user may import (``import_refusal``), each
                                      with its columns, its example file and 上传
- ``/admin/imports/<kind>/``          upload → validate every row → preview (counts, errors and
                                      warnings with row and column) → 确认导入; 只校验 stops at the
                                      preview; a file above the kind's row threshold becomes a
                                      background Job (progress in 后台任务)
- ``/admin/imports/<kind>/confirm/``  POST: imports the previewed file (session-bound token)
- ``/admin/imports/<kind>/example/``  the kind's example file

The goal list's 导入 (``excel.TargetImportExportMixin``) is this page for ``targets``.
导入记录 (:class:`ImportRunAdmin`) lists the runs (``ImportRun``), read-only, scoped by
``selectors.scoping.import_runs_for``.
"""

from __future__ import annotations

import re
import secrets

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from projects.admin.writes import ReadOnlyAdminMixin

from ..choices import ImportRunStatus
from ..models import ImportRun, Job
from ..selectors.scoping import import_runs_for
from ..services.housekeeping import preview_path
from ..services.imports import (
    KINDS,
    ImportKind,
    import_refusal,
    import_run,
    import_submit,
    importable_kinds,
)
from ..services.imports.reading import estimate_rows, limit

SESSION_KEY = "performance_import_uploads"
TMP_NAME = re.compile(r"^[0-9a-f]{32}$")
RECENT_RUNS = 10
EXPIRED = "上传的文件已过期，请重新上传。"


def _option_fields() -> dict[str, forms.Field]:
    """The per-kind import options as the API and ``import_data`` take them, as form fields."""
    return {
        "complete": forms.BooleanField(
            label="完整导入",
            required=False,
            help_text="勾选：文件列出了根单位下的全部单位，文件中没有的单位将停用（不删除）；"
            "不勾选则不停用任何单位。",
        ),
        "root": forms.CharField(
            label="根单位编码",
            required=False,
            max_length=20,
            help_text="完整导入的根单位；只管理一个单位的管理员可不填。",
        ),
        "expected_deactivations": forms.IntegerField(
            label="确认停用数",
            required=False,
            min_value=0,
            help_text="完整导入将停用的单位数：先上传预览核对将停用的单位，确认导入时填写；"
            "与实际不符时不导入。",
        ),
        "no_invites": forms.BooleanField(
            label="不发送设置密码邮件",
            required=False,
            help_text="默认为新用户发送设置密码邮件（链接有时效、只能使用一次）；"
            "只有系统管理员可以不发送。",
        ),
    }


# The options each kind takes (the same keys as the API's and the command's, ``no_invites``
# being the command's name for ``send_invites=false``); a kind not listed takes none.
KIND_OPTIONS: dict[str, tuple[str, ...]] = {
    "units": ("complete", "root", "expected_deactivations"),
    "people": ("no_invites",),
}


class OptionsForm(forms.Form):
    """The import options of one kind (only its own fields), for the upload and 确认导入."""

    def __init__(self, *args, kind: ImportKind, **kwargs):
        super().__init__(*args, **kwargs)
        fields = _option_fields()
        for name in KIND_OPTIONS.get(kind.name, ()):
            self.fields[name] = fields[name]

    def options(self) -> dict:
        """The options for ``import_run`` (only those set), from the cleaned data."""
        data = self.cleaned_data
        chosen = {
            "complete": True if data.get("complete") else None,
            "root": data.get("root") or None,
            "expected_deactivations": data.get("expected_deactivations"),
            "send_invites": False if data.get("no_invites") else None,
        }
        return {key: value for key, value in chosen.items() if value is not None}

    def as_post(self) -> dict[str, str]:
        """The set options as 确认导入 posts them back (field name → value)."""
        data = self.cleaned_data
        posted = {}
        for name in self.fields:
            value = data.get(name)
            if value in (None, "", False):
                continue
            posted[name] = "on" if value is True else str(value)
        return posted


class UploadForm(OptionsForm):
    import_file = forms.FileField(
        label="导入文件",
        help_text="（.xlsx 或 .csv）。先校验全部行并预览，确认后才写入；有任何错误则不写入。",
    )
    dry_run = forms.BooleanField(
        label="只校验，不导入", required=False, help_text="大文件在后台校验，结果见“后台任务”。"
    )
    field_order = ["import_file", "dry_run"]

    def __init__(self, *args, kind: ImportKind, **kwargs):
        super().__init__(*args, kind=kind, **kwargs)
        self.order_fields(self.field_order)
        self.fields["import_file"].help_text = f"{kind.title}文件" + (
            self.fields["import_file"].help_text
        )

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        cap = limit("IMPORT_MAX_BYTES")
        if upload.size > cap:
            raise ValidationError(f"文件超过 {cap // (1024 * 1024)} MB 的上限，请拆分后分批导入。")
        return upload


def _kind(request, name: str) -> ImportKind:
    """The kind of the URL (404 when not registered), refused (403) to who may not import it."""
    kind = KINDS.get(name)
    if kind is None:
        raise Http404(f"没有「{name}」这种导入。")
    refusal = import_refusal(request.user, kind)
    if refusal:
        raise PermissionDenied(refusal)
    return kind


def _context(request, **extra) -> dict:
    return {
        **admin.site.each_context(request),
        "opts": ImportRun._meta,
        **extra,
    }


def _kind_context(request, kind: ImportKind, **extra) -> dict:
    return _context(
        request,
        title=f"导入{kind.title}",
        kind=kind,
        columns=[column.header for column in kind.columns],
        optional=[column.header for column in kind.columns if not column.required],
        async_rows=limit(kind.async_rows_setting),
        recent=import_runs_for(request.user).filter(kind=kind.name)[:RECENT_RUNS],
        **extra,
    )


def imports_index(request):
    """数据导入: the kinds the user may import (403 when none)."""
    kinds = importable_kinds(request.user)
    if not kinds:
        raise PermissionDenied("您没有导入任何数据的权限。")
    cards = [
        {
            "kind": kind,
            "columns": [column.header for column in kind.columns],
            "url": reverse("performance_import", args=[kind.name]),
            "example_url": reverse("performance_import_example", args=[kind.name]),
        }
        for kind in kinds
    ]
    return TemplateResponse(
        request,
        "admin/performance/imports/index.html",
        _context(
            request,
            title="数据导入",
            cards=cards,
            recent=import_runs_for(request.user)[:RECENT_RUNS],
        ),
    )


def import_page(request, kind: str, *, template: str = "admin/performance/imports/upload.html"):
    """Upload, validate every row and preview; 确认导入 posts to :func:`import_confirm`."""
    declared = _kind(request, kind)
    form = UploadForm(request.POST or None, request.FILES or None, kind=declared)
    context = _kind_context(request, declared, form=form)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["import_file"]
        data = upload.read()
        dry_run = form.cleaned_data["dry_run"]
        options = form.options()
        try:
            # Too large to preview in the request: a job validates (and imports unless 只校验),
            # all or nothing, and shows its progress; else the preview runs here.
            in_job = estimate_rows(data) > limit(declared.async_rows_setting)
            outcome = (import_submit if in_job else import_run)(
                kind=kind,
                actor=request.user,
                file=data,
                filename=upload.name,
                dry_run=dry_run if in_job else True,
                options=options,
            )
        except PermissionDenied as denied:
            messages.error(request, str(denied))
            return TemplateResponse(request, template, context)
        if isinstance(outcome, Job):
            messages.info(
                request,
                f"文件较大，已转入后台任务 #{outcome.pk}{'校验' if dry_run else '导入'}"
                "（全部行通过校验才会写入），可在此查看进度和结果。",
            )
            return HttpResponseRedirect(reverse("admin:performance_job_change", args=[outcome.pk]))
        context["result"] = outcome
        context["counts"] = [
            (outcome.count_labels.get(key, key), value) for key, value in outcome.counts.items()
        ]
        if outcome.ok and not dry_run:
            context["confirm"] = {
                "tmp_name": _keep_upload(request, data),
                "filename": outcome.filename,
                **form.as_post(),
            }
            # the options go back with 确认导入; 确认停用数 stays editable there (a complete
            # import that deactivates units needs the count the preview showed)
            context["confirm_options"] = OptionsForm(kind=declared, initial=form.as_post())
            context["confirm_url"] = reverse("performance_import_confirm", args=[kind])
    return TemplateResponse(request, template, context)


def _keep_upload(request, data: bytes) -> str:
    """Store the previewed file for 确认导入 under a random token tied to the session."""
    token = secrets.token_hex(16)
    default_storage.save(preview_path(token), ContentFile(data))
    request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, [])[-9:], token]
    return token


@require_POST
def import_confirm(request, kind: str, *, template: str = "admin/performance/imports/upload.html"):
    """确认导入: import the previewed file, all or nothing (the data may have moved on)."""
    declared = _kind(request, kind)
    back = reverse("performance_import", args=[kind])
    token = request.POST.get("tmp_name", "")
    filename = request.POST.get("filename", "upload.xlsx")
    if not TMP_NAME.match(token) or token not in request.session.get(SESSION_KEY, []):
        messages.error(request, EXPIRED)
        return HttpResponseRedirect(back)
    try:
        with default_storage.open(preview_path(token), "rb") as handle:
            data = handle.read()
    except OSError:
        messages.error(request, EXPIRED)
        return HttpResponseRedirect(back)
    chosen = OptionsForm(request.POST, kind=declared)
    if not chosen.is_valid():
        messages.error(
            request,
            "；".join(
                f"{chosen.fields[name].label if name in chosen.fields else '选项'}：{'；'.join(errors)}"
                for name, errors in chosen.errors.items()
            ),
        )
        return HttpResponseRedirect(back)
    result = import_run(
        kind=kind, actor=request.user, file=data, filename=filename, options=chosen.options()
    )
    if not result.ok:  # the data changed since the preview: show why, nothing was written
        return TemplateResponse(
            request,
            template,
            _kind_context(request, declared, form=UploadForm(kind=declared), result=result),
        )
    default_storage.delete(preview_path(token))
    request.session[SESSION_KEY] = [n for n in request.session.get(SESSION_KEY, []) if n != token]
    messages.success(request, result.summary())
    return HttpResponseRedirect(back)


def import_example(request, kind: str):
    """The kind's example file (the shipped csv)."""
    declared = _kind(request, kind)
    try:
        handle = declared.example_path.open("rb")
    except OSError:
        raise Http404(f"「{declared.title}」没有示例文件。") from None
    return FileResponse(handle, as_attachment=True, filename=f"{declared.title}示例.csv")


urlpatterns = [
    path("imports/", admin.site.admin_view(imports_index), name="performance_imports"),
    path("imports/<str:kind>/", admin.site.admin_view(import_page), name="performance_import"),
    path(
        "imports/<str:kind>/confirm/",
        admin.site.admin_view(import_confirm),
        name="performance_import_confirm",
    ),
    path(
        "imports/<str:kind>/example/",
        admin.site.admin_view(import_example),
        name="performance_import_example",
    ),
]


class KindFilter(admin.SimpleListFilter):
    """导入类型: the registered kinds by title."""

    title = "导入类型"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind.name, kind.title) for kind in KINDS.values()]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """导入记录: read-only; each run is written by ``import_run`` whatever the path."""

    list_display = [
        "created_at",
        "kind_display",
        "filename",
        "created_by",
        "status_display",
        "changes_display",
        "error_count",
        "job_link",
    ]
    list_display_links = ["created_at", "filename"]
    list_filter = [KindFilter, "status", "dry_run", "created_at"]
    list_select_related = ["created_by", "job", "unit"]
    search_fields = ["filename", "file_digest"]
    date_hierarchy = None
    fields = [
        "kind_display",
        "filename",
        "file_digest",
        "status_display",
        "dry_run",
        "changed",
        "summary",
        "counts_display",
        "error_count",
        "warning_count",
        "options",
        "unit",
        "created_by",
        "created_at",
        "finished_at",
        "job_link",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return import_runs_for(request.user)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # another unit's run must look exactly like one that does not exist
        raise Http404(f"导入记录 {object_id} 不存在或无权访问。")

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff

    @admin.display(description="导入类型", ordering="kind")
    def kind_display(self, obj: ImportRun) -> str:
        kind = KINDS.get(obj.kind)
        return kind.title if kind else obj.kind

    @admin.display(description="结果", ordering="status")
    def status_display(self, obj: ImportRun) -> str:
        text = obj.get_status_display() + ("（只校验）" if obj.dry_run else "")
        if obj.status == ImportRunStatus.FAILED:
            return format_html('<strong style="color:#ba2121">{}</strong>', text)
        return text

    def _labels(self, obj: ImportRun) -> dict[str, str]:
        kind = KINDS.get(obj.kind)
        return dict(kind.counts) if kind else {}

    @admin.display(description="变化")
    def changes_display(self, obj: ImportRun) -> str:
        kind = KINDS.get(obj.kind)
        keys = kind.change_counts if kind else ()
        labels = self._labels(obj)
        parts = [f"{labels.get(key, key)} {obj.counts[key]}" for key in keys if obj.counts.get(key)]
        return "，".join(parts) or "—"

    @admin.display(description="统计")
    def counts_display(self, obj: ImportRun) -> str:
        labels = self._labels(obj)
        return "，".join(f"{labels.get(k, k)} {v}" for k, v in obj.counts.items()) or "—"

    @admin.display(description="后台任务")
    def job_link(self, obj: ImportRun):
        if not obj.job_id:
            return "—"
        return format_html(
            '<a href="{}">#{}</a>',
            reverse("admin:performance_job_change", args=[obj.job_id]),
            obj.job_id,
        )
