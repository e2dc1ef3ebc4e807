"""Evidence files (佐证材料) in the admin: the panel on the monitoring report and self-evaluation
pages, the page of one row's files, the 佐证材料 list, downloads and deletion.

- The panel (``{% evidence_panel original %}`` in the change forms, after the form) lists every
  file of the document — its own and each indicator row's — with name (a download link),
  where it belongs, type, size, SHA-256, who uploaded it and when, and a delete link while the
  document is editable; its drop zone takes several files at once (drag them in or pick them;
  ``performance/evidence.js`` only moves dropped files into the file input, the form works
  without it). When files cannot change, it says why instead of offering the form.
- Each indicator row of the report's and the evaluation's table gets a 佐证 column (count,
  上传) opening that row's page, ``attachment/for/<kind>/<id>/``: the same panel for the
  row alone.
- ``AttachmentAdmin`` lists the files of the user's units (for reviewers who search across
  units), read only; its delete page and the downloads go through the services.

Every lookup is scoped like the rest of the admin: another unit's report, row or file is a 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from projects.admin.scoping import ScopedAdminMixin, report_service_error
from projects.admin.writes import WritesThroughServices, delete_each

from ..choices import AttachmentKind
from ..filetypes import TYPES, size_text
from ..models import Attachment, IndicatorEvaluation, MonitoringEntry, MonitoringReport
from ..selectors.attachments import anchor_for, attachments_of, document_attachments
from ..services import attachments as attachment_services
from ..web.downloads import download_response

ACCEPT = ",".join(sorted({f".{ext}" for kind in TYPES.values() for ext in kind.extensions}))
ROW_KINDS = {MonitoringEntry: AttachmentKind.ENTRY, IndicatorEvaluation: AttachmentKind.SCORE}


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _person(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.first_name or user.username


def _rows(files, *, back: str) -> list[dict[str, Any]]:
    rows = []
    for file in files:
        if file.kind == AttachmentKind.ENTRY:
            where = f"指标“{file.entry.indicator.level3}”"
        elif file.kind == AttachmentKind.SCORE:
            where = f"指标“{file.score.indicator.level3}”"
        else:
            where = "整体"
        rows.append(
            {
                "name": file.name,
                "description": file.description,
                "where": where,
                "type_label": file.get_file_type_display(),
                "size_text": size_text(file.size),
                "sha256": file.sha256,
                "uploader": _person(file.uploaded_by),
                "uploaded_at": file.uploaded_at,
                "download_url": reverse("admin:performance_attachment_download", args=[file.pk]),
                "delete_url": reverse("admin:performance_attachment_delete", args=[file.pk])
                + "?"
                + urlencode({"next": back}),
            }
        )
    return rows


def _limits_text() -> str:
    return (
        f"可一次选择多个文件（每次最多 {settings.ATTACHMENT_MAX_FILES_PER_UPLOAD} 个，"
        f"单个不超过 {size_text(settings.ATTACHMENT_MAX_BYTES)}，每个对象最多 "
        f"{settings.ATTACHMENT_MAX_FILES_PER_OBJECT} 个）。类型按内容判断：PDF、图片、"
        "Word/Excel/PowerPoint、OFD 或只含这些文件的 ZIP。"
    )


def panel_context(
    request, *, kind: str, obj, files, show_where: bool, title: str = "佐证材料"
) -> dict[str, Any]:
    """What ``includes/evidence_panel.html`` shows for one anchor and the ``files`` listed."""
    anchor = attachment_services.Anchor(kind=kind, obj=obj)
    document = anchor.document
    may_change = attachment_services.may_change_files(document, request.user, kind)
    back = request.get_full_path()
    refusal = "" if may_change else attachment_services.files_refusal(document, kind)
    return {
        "title": title,
        "panel_id": "evidence-panel" if title == "佐证材料" else f"evidence-panel-{kind}",
        "files": _rows(files, back=back),
        "show_where": show_where,
        "may_change": may_change,
        "refusal": refusal,
        "upload_url": reverse("admin:performance_attachment_for", args=[kind, obj.pk]),
        "next": back,
        "accept": ACCEPT,
        "limits_text": _limits_text(),
        "input_id": f"evidence-files-{kind}-{obj.pk}",
    }


def document_panel(request, document) -> dict[str, Any]:
    """The panel of a report or self-evaluation: all its files, uploads to the whole."""
    kind = AttachmentKind.REPORT if isinstance(document, MonitoringReport) else "evaluation"
    return panel_context(
        request,
        kind=kind,
        obj=document,
        files=list(document_attachments(document)),
        show_where=True,
    )


def spot_check_panels(request, spot_check) -> list[dict[str, Any]]:
    """The spot check page's panels: the reviewer's 复核依据, and once the unit has objected
    (or files exist) its 异议材料; each with its own rule for who may change what, when."""
    files = list(document_attachments(spot_check))
    panels = []
    for kind, title in (
        (AttachmentKind.SPOT_CHECK, "复核依据"),
        (AttachmentKind.OBJECTION, "异议材料"),
    ):
        own = [file for file in files if file.kind == kind]
        if kind == AttachmentKind.OBJECTION and not own and not spot_check.objected_at:
            continue
        panels.append(
            panel_context(
                request, kind=kind, obj=spot_check, files=own, show_where=False, title=title
            )
        )
    return panels


class EvidenceColumnMixin:
    """An inline of indicator rows (监控指标, 指标自评) with a 佐证 column beside the indicator:
    how many files the row holds and a link to its page (opened beside the form, so nothing
    typed is lost)."""

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(evidence_count=Count("attachments"))

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f != "evidence_link"]
        fields.insert(min(2, len(fields)), "evidence_link")  # beside the indicator, in view
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "evidence_link"]

    @admin.display(description="佐证")
    def evidence_link(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        url = reverse("admin:performance_attachment_for", args=[ROW_KINDS[type(obj)], obj.pk])
        count = getattr(obj, "evidence_count", 0)
        return format_html(
            '<a href="{}" target="_blank" rel="noopener" data-evidence-popup '
            'class="evidence-link" style="white-space:nowrap" title="上传或查看本指标的佐证材料">'
            "{} 个 · 上传</a>",
            url,
            count,
        )


@admin.register(Attachment)
class AttachmentAdmin(ScopedAdminMixin, WritesThroughServices, admin.ModelAdmin):
    list_display = [
        "name",
        "unit",
        "year",
        "kind",
        "file_type",
        "size_display",
        "uploaded_by",
        "uploaded_at",
        "download_link",
    ]
    list_filter = ["year", "kind", "file_type", "unit__parent"]
    search_fields = ["name", "sha256"]
    list_select_related = ["unit", "uploaded_by"]
    fields = [
        "name",
        "description",
        "kind",
        "unit",
        "year",
        "report",
        "entry",
        "evaluation",
        "score",
        "file_type",
        "content_type",
        "size_display",
        "sha256",
        "uploaded_by",
        "uploaded_at",
        "download_link",
    ]
    readonly_fields = fields

    @admin.display(description="大小", ordering="size")
    def size_display(self, obj):
        return size_text(obj.size)

    @admin.display(description="下载")
    def download_link(self, obj):
        url = reverse("admin:performance_attachment_download", args=[obj.pk])
        return format_html('<a href="{}">下载</a>', url)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one file at a time, through the service
        return actions

    def has_add_permission(self, request):
        return False  # files are uploaded on their report's or evaluation's page

    def has_change_permission(self, request, obj=None):
        return False  # immutable

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        if obj is None:
            return True
        document = obj.report if obj.report_id else obj.evaluation
        return attachment_services.may_change_files(document, request.user)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                # Django skips list_select_related once a queryset selects related rows itself.
                "unit",
                "uploaded_by",
                "report__round",
                "report__unit",
                "report__project",
                "evaluation__unit",
                "evaluation__project",
            )
        )

    def delete_model(self, request, obj):
        attachment_services.attachment_delete(actor=request.user, attachment=obj)

    def delete_queryset(self, request, queryset):
        delete_each(
            queryset,
            lambda obj: attachment_services.attachment_delete(actor=request.user, attachment=obj),
        )

    def response_delete(self, request, obj_display, obj_id):
        self.message_user(request, f"已删除佐证材料“{obj_display}”。", level=messages.SUCCESS)
        fallback = reverse("admin:performance_attachment_changelist")
        return HttpResponseRedirect(_safe_next(request, fallback))

    def get_urls(self):
        return [
            path(
                "for/<str:kind>/<int:pk>/",
                self.admin_site.admin_view(self.anchor_view),
                name="performance_attachment_for",
            ),
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="performance_attachment_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, object_id):
        attachment = self.get_object(request, unquote(object_id))
        if attachment is None:
            raise Http404(f"佐证材料 {object_id} 不存在或无权访问。")
        try:
            stored = attachment_services.attachment_open(actor=request.user, attachment=attachment)
        except FileNotFoundError:
            raise Http404("文件已不存在。") from None
        return download_response(
            stored, filename=attachment.name, content_type=attachment.content_type
        )

    def anchor_view(self, request, kind: str, pk: int):
        """GET: one row's (or document's) files and the upload form; POST: upload to it."""
        obj = anchor_for(user=request.user, kind=kind, pk=pk)
        if obj is None or not self.has_view_permission(request):
            raise Http404(f"对象 {pk} 不存在或无权访问。")
        anchor = attachment_services.Anchor(kind=kind, obj=obj)
        here = request.get_full_path()
        if request.method == "POST":
            files = request.FILES.getlist("files")
            try:
                created = attachment_services.attachment_add(
                    actor=request.user,
                    anchor=anchor,
                    files=files,
                    description=request.POST.get("description", ""),
                )
            except (ValidationError, PermissionDenied) as error:
                report_service_error(self, request, error)
            else:
                self.message_user(
                    request,
                    f"已上传 {len(created)} 个佐证材料：" + "、".join(f.name for f in created),
                    level=messages.SUCCESS,
                )
            return HttpResponseRedirect(_safe_next(request, here))
        document = anchor.document
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"佐证材料：{anchor.describe()}",
            "anchor": anchor,
            "document": document,
            "document_url": reverse(
                f"admin:performance_{document._meta.model_name}_change", args=[document.pk]
            ),
            "evidence": panel_context(
                request,
                kind=kind,
                obj=obj,
                files=list(attachments_of(kind=kind, pk=obj.pk)),
                show_where=False,
            ),
        }
        return TemplateResponse(request, "admin/performance/attachment/anchor.html", context)
