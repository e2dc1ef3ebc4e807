"""Reads of evidence files (佐证材料): scoped lists, the objects files attach to, counts.

Whoever may see the object may see its files: every read is scoped by
``projects.permissions.visible_units`` on the attachment's (denormalised) unit, so another
unit's file is simply absent (a 404 at the edges), and knowing its id or its stored path grants
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Model, Q, QuerySet, Sum

from projects.permissions import spot_checker_condition, visible_units

from ..choices import AttachmentKind, Status
from ..models import (
    Attachment,
    IndicatorEvaluation,
    MonitoringEntry,
    MonitoringReport,
    Rectification,
    SelfEvaluation,
    SpotCheck,
)
from .spot_checks import spot_checks_for

ANCHOR_MODELS: dict[str, type[Model]] = {
    AttachmentKind.ENTRY: MonitoringEntry,
    AttachmentKind.REPORT: MonitoringReport,
    AttachmentKind.SCORE: IndicatorEvaluation,
    AttachmentKind.EVALUATION: SelfEvaluation,
    AttachmentKind.SPOT_CHECK: SpotCheck,
    AttachmentKind.OBJECTION: SpotCheck,
    AttachmentKind.RECTIFICATION: Rectification,
}
# The kinds a spot check governs: the reviewer's 复核依据 and the unit's 异议材料 (who may
# read them here, who may add or remove them in services.attachments).
SPOT_CHECK_KINDS = (AttachmentKind.SPOT_CHECK, AttachmentKind.OBJECTION)
# Where each anchor's unit is, and what its description and frozen check read.
_UNIT = {
    AttachmentKind.ENTRY: "report__unit",
    AttachmentKind.REPORT: "unit",
    AttachmentKind.SCORE: "evaluation__unit",
    AttachmentKind.EVALUATION: "unit",
    AttachmentKind.RECTIFICATION: "unit",
}
_RELATED = {
    AttachmentKind.ENTRY: ("report__round", "report__unit", "report__project", "indicator"),
    AttachmentKind.REPORT: ("round", "unit", "project"),
    AttachmentKind.SCORE: ("evaluation__unit", "evaluation__project", "indicator"),
    AttachmentKind.EVALUATION: ("unit", "project"),
    AttachmentKind.SPOT_CHECK: ("unit", "project"),
    AttachmentKind.OBJECTION: ("unit", "project"),
    AttachmentKind.RECTIFICATION: ("unit", "project"),
}


def anchors_for(user, kind: str) -> QuerySet:
    """The objects of ``kind`` the user may see, with what an anchor needs (one query).

    A spot check's files are seen by whoever sees the spot check (a draft is the finance
    bureau's)."""
    if kind in SPOT_CHECK_KINDS and user is not None and not user.is_superuser:
        return spot_checks_for(user).select_related(*_RELATED[kind])
    model = ANCHOR_MODELS[kind]
    queryset = model.objects.select_related(*_RELATED[kind])
    if user is not None and user.is_superuser:
        return queryset
    return queryset.filter(**{f"{_UNIT[kind]}__in": visible_units(user)})


def anchor_for(*, user, kind: str, pk) -> Model | None:
    """The object of ``kind`` with id ``pk`` if the user may see it; ``None`` when it is
    missing or another unit's (the two look the same)."""
    if kind not in ANCHOR_MODELS:
        return None
    try:
        return anchors_for(user, kind).filter(pk=pk).first()
    except (ValueError, TypeError, OverflowError):
        return None


def attachments_for(user) -> QuerySet[Attachment]:
    """Every file the user may see, with its unit and uploader (one query)."""
    queryset = Attachment.objects.select_related("unit", "uploaded_by")
    if user is not None and user.is_superuser:
        return queryset
    # An unpublished spot check's files are the finance bureau's (``may_spot_check``, asked
    # inside the same query: a 财政审核人 membership on a finance bureau).
    return queryset.filter(unit__in=visible_units(user)).filter(
        Q(spot_check__isnull=True)
        | Q(spot_check__status=Status.APPROVED)
        | spot_checker_condition(user)
    )


def attachments_of(*, kind: str, pk: int) -> QuerySet[Attachment]:
    """The files of one anchor, oldest first, with their uploader."""
    return (
        Attachment.objects.filter(anchor=Attachment.anchor_key(kind, pk))
        .select_related("uploaded_by")
        .order_by("uploaded_at", "id")
    )


def document_attachments(document: Model) -> QuerySet[Attachment]:
    """Every file of a report or self-evaluation: the whole document's and each row's, with the
    indicator a row's file belongs to (one query)."""
    if isinstance(document, SpotCheck):
        queryset = Attachment.objects.filter(spot_check=document)
    elif isinstance(document, MonitoringReport):
        queryset = Attachment.objects.filter(report=document).select_related("entry__indicator")
    else:
        queryset = Attachment.objects.filter(evaluation=document).select_related("score__indicator")
    return queryset.select_related("uploaded_by").order_by("kind", "anchor", "uploaded_at", "id")


def anchor_totals(key: str) -> tuple[int, int]:
    """How many files one anchor holds and their bytes."""
    totals = Attachment.objects.filter(anchor=key).aggregate(n=Count("pk"), size=Sum("size"))
    return totals["n"] or 0, totals["size"] or 0


def counts_by_anchor(kind: str, pks: Iterable[int]) -> dict[int, int]:
    """Files per anchor of ``kind`` for a page of rows (one query)."""
    rows = (
        Attachment.objects.filter(kind=kind, **{f"{kind}__in": list(pks)})
        .values_list(kind)
        .annotate(n=Count("pk"))
    )
    return dict(rows)
