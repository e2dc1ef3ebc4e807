"""The columns every document under review shares, declared once.

A reviewed document (a goal, a monitoring report, a self-evaluation; next a spot check, a
rectification) belongs to a unit, is edited in 草稿/已退回 and moves through the review states
of ``performance.services.workflow``. Its model subclasses :class:`ReviewedDocument` (or
:class:`FilledDocument` when the engine computes figures from what the unit fills) and
declares its own ``unit`` foreign key (each names its reverse relation) — see
``docs/architecture.md``, "Adding a reviewed document".
"""

from __future__ import annotations

from django.db import models

from ..choices import EDITABLE_STATUSES, Status


class ReviewedDocument(models.Model):
    """Status, the last review comment, when it was submitted, when it reached its current step
    and the optimistic lock."""

    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.DRAFT)
    last_comment = models.TextField("最近审核意见", blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    lock_version = models.PositiveIntegerField("修改版本号", default=1, editable=False)
    # Set by every workflow transition (and for a new adjustment draft): what "waited N working
    # days" and the escalation sweep count from. Recomputes and the quality review leave it.
    step_entered_at = models.DateTimeField(
        "进入当前环节时间", null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True

    @property
    def is_editable(self) -> bool:
        """In 草稿 or 已退回: the unit may change it (the workflow asks who may)."""
        return self.status in EDITABLE_STATUSES


# The states a reviewer acts on (the unit-internal step, 主管部门, 财政).
REVIEW_QUEUE_STATES = (Status.UNIT_REVIEW, Status.SUBMITTED, Status.DEPT_APPROVED)


def review_queue_index(name: str) -> models.Index:
    """The reviewers' queue of one reviewed model: documents at a review step, oldest first
    (partial, so drafts and approved documents cost nothing)."""
    return models.Index(
        fields=["status", "step_entered_at"],
        name=name,
        condition=models.Q(status__in=REVIEW_QUEUE_STATES),
    )


class FilledDocument(ReviewedDocument):
    """A reviewed document the unit fills row by row and the engine computes (a monitoring
    report, a self-evaluation): also when the figures were last computed."""

    computed_at = models.DateTimeField("计算时间", null=True, blank=True)

    class Meta:
        abstract = True
