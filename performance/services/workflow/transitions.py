"""The transitions of any reviewed document (submit, approve, return) and goal adjustments.

They enforce the rows of ``table``: scope (the object's unit must be visible to the actor), the
optimistic lock (``expected_version``), the state and the role, in that order, and change nothing
when any check fails. Every transition bumps ``lock_version`` and writes an audit row.

They touch only the columns of ``models.review.ReviewedDocument`` (``status``, ``last_comment``,
``submitted_at``, ``step_entered_at``, ``lock_version``) and the document's ``unit``. Goal-only behaviour (the quality
review on submit, ``quality_grade`` and ``approved_at``, superseding the previous approved
version, adjustments) is keyed on the model, never assumed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from projects import audit
from projects.models import AuditAction
from projects.permissions import UNIT_STAFF, role_labels, roles_for
from projects.services.locking import check_lock_version

from ... import field_specs
from ...choices import Grade, LibraryStatus, NotificationKind, Status
from ...models import GoalTask, Indicator, LibraryEntry, MonitoringReport, PerformanceGoal
from ...selectors.versions import open_version, same_scope
from .. import alerts, notifications
from ..target_review import quality_review
from ..typed_values import refuse
from .table import (
    ACTION_LABELS,
    ADJUST,
    APPROVE,
    APPROVED_TEXT,
    RETIRE,
    RETURN,
    REVISE,
    SUBMIT,
    Transition,
    four_eyes_refusal,
    kind_of,
    review_roles,
    row_roles,
    transition_for,
)

_WRONG_STATE = {
    SUBMIT: "只有草稿或已退回的{noun}可以提交",
    APPROVE: "只有待单位审核、已提交或主管部门审核通过的{noun}可以审核通过",
    RETURN: "只有待单位审核、已提交或主管部门审核通过的{noun}可以退回",
    ADJUST: "只有已经财政批复的绩效目标可以调整",
    RETIRE: "只有草稿、已退回或已确认的{noun}可以停用",
    REVISE: "只有已确认的{noun}可以修订",
}
# The library's own wording where the shared one speaks of 主管部门 (its review has one step).
_WRONG_STATE_LIBRARY = {
    APPROVE: "只有待确认的指标库指标可以确认",
    RETURN: "只有待确认的指标库指标可以退回",
}
REJECTING_GRADES = (Grade.FAIR, Grade.POOR)


def _refuse(field: str, message: str, code: str) -> ValidationError:
    """One field's refusal, its ``code`` readable as ``error.code`` too."""
    return refuse({field: message}, code)


def _noun(obj: models.Model) -> str:
    return str(obj._meta.verbose_name)


def _actor_roles(actor, obj: models.Model) -> set[str] | None:
    """The actor's roles on the object's unit; ``None`` for system jobs (no actor)."""
    if actor is None:
        return None
    roles = roles_for(actor, obj.unit)
    if not roles:
        # Outside visible_units: services refuse, the edges answer 404.
        raise PermissionDenied(f"“{obj}”不在您的管辖范围内，无权访问。")
    return roles


def _require(roles: set[str] | None, row: Transition, obj: models.Model) -> None:
    needed = row_roles(row, obj)
    if roles is None or roles & set(needed):
        return
    raise PermissionDenied(
        f"您没有对“{obj}”执行“{row.label}”的权限（需要：{role_labels(needed)}）。"
    )


def _lock(obj: models.Model) -> models.Model:
    return type(obj).objects.select_for_update().select_related("unit").get(pk=obj.pk)


def _prepare(*, obj, actor, action: str, expected_version: int | None):
    """Lock the row and run the checks every transition shares; returns (locked, row)."""
    locked = _lock(obj)
    roles = _actor_roles(actor, locked)
    check_lock_version(locked, expected_version)
    row = transition_for(locked, action, roles)
    if row is None:
        wording = _WRONG_STATE_LIBRARY if isinstance(locked, LibraryEntry) else {}
        reason = wording.get(action, _WRONG_STATE[action]).format(noun=_noun(locked))
        raise _refuse(
            "status",
            f"“{locked}”当前状态为“{locked.get_status_display()}”，不能{ACTION_LABELS[action]}：{reason}。",
            "invalid_transition",
        )
    _require(roles, row, locked)
    refusal = four_eyes_refusal(row, locked, actor)
    if refusal:
        raise PermissionDenied(refusal)
    return locked, row


def _apply(
    *,
    obj,
    original,
    row: Transition,
    actor,
    comment: str,
    extra: dict[str, Any] | None = None,
):
    """Move ``obj`` along ``row``, save, audit and mirror the new values onto ``original``."""
    old_status = obj.status
    obj.status = row.target
    obj.lock_version += 1
    obj.step_entered_at = timezone.now()  # what "waited N working days" counts from
    if comment or row.action in (APPROVE, RETURN):
        obj.last_comment = comment  # a review without a comment clears the previous one
    fields = ["status", "lock_version", "last_comment", "step_entered_at", "updated_at"]
    extra_changes = {}
    for name, value in (extra or {}).items():
        extra_changes[name] = [getattr(obj, name), value]
        setattr(obj, name, value)
        fields.append(name)
    obj.full_clean()
    obj.save(update_fields=fields)
    entry = audit.record(
        obj=obj,
        actor=actor,
        action=AuditAction.TRANSITION,
        transition=row.name,
        comment=comment,
        changes={"status": [old_status, row.target], **extra_changes},
    )
    if original is not obj:
        for name in fields:
            setattr(original, name, getattr(obj, name))
    hook = kind_of(obj).after_transition
    if hook:
        import_string(hook)(obj, row, actor)
        if original is not obj:
            original.refresh_from_db()
    _announce(obj, row, actor)
    return obj, entry


def _announce(obj, row: Transition, actor) -> None:
    """Who is told of this transition (returns tell the unit in ``return_``, with the audit id
    in the key): the reviewers of the step it reached; the unit's staff of an approval; a
    monitoring report handed in to the 主管部门 (submitted, or passed by the unit's own review)
    announces its lights."""
    link = _admin_link(obj)
    kind = kind_of(obj)
    roles = review_roles(type(obj), row.target) if kind.announce_step else ()
    if roles:
        notifications.notify_step_reached(obj=obj, roles=roles, actor=actor, link=link)
    if row.action == APPROVE and kind.announce_approval:
        what = APPROVED_TEXT.get(row.target, "已审核通过")
        notifications.notify_approved(obj=obj, what=what, actor=actor, link=link)
    if isinstance(obj, MonitoringReport) and row.target == Status.SUBMITTED:
        alerts.announce_lights_on_submit(obj)


@transaction.atomic
def submit(*, obj, actor, comment: str = "", expected_version: int | None = None):
    """草稿/已退回 → 已提交 (→ 待单位审核 where the bureau requires unit-internal review and the
    actor is not the unit's 单位审核人). Goals run the quality review first; its errors block
    submission."""
    locked, row = _prepare(obj=obj, actor=actor, action=SUBMIT, expected_version=expected_version)
    extra: dict[str, Any] = {"submitted_at": timezone.now()}
    if hasattr(locked, "submitted_by_id"):  # documents under four-eyes record who submitted
        extra["submitted_by_id"] = getattr(actor, "pk", None)
    if isinstance(locked, PerformanceGoal):
        findings = quality_review(goal=locked, actor=actor, save=True)
        errors = [f["message"] for f in findings if f["severity"] == "error"]
        if errors:
            error = ValidationError(
                {
                    "quality_findings": [
                        ValidationError(
                            f"智能审核发现 {len(errors)} 个错误，修改后才能提交。",
                            code="quality_errors",
                        ),
                        *(ValidationError(m, code="quality_errors") for m in errors),
                    ]
                }
            )
            error.code = "quality_errors"
            error.findings = findings
            raise error
        obj.quality_findings = locked.quality_findings
        obj.quality_checked_at = locked.quality_checked_at
    return _apply(
        obj=locked, original=obj, row=row, actor=actor, comment=(comment or "").strip(), extra=extra
    )[0]


@transaction.atomic
def approve(
    *,
    obj,
    actor,
    comment: str = "",
    quality_grade: str = "",
    expected_version: int | None = None,
):
    """已提交 → 主管部门审核通过 (主管部门审核人); 主管部门审核通过 → 财政批复 (财政审核人).

    Approving an adjusted goal marks the previously approved version ``superseded`` first, so
    the one-approved-version constraint holds at every statement.
    """
    locked, row = _prepare(obj=obj, actor=actor, action=APPROVE, expected_version=expected_version)
    extra: dict[str, Any] = {}
    if quality_grade:
        if not isinstance(locked, PerformanceGoal):
            raise _refuse("quality_grade", "只有绩效目标需要评定目标质量等级。", "invalid")
        if quality_grade not in Grade.values:
            raise _refuse("quality_grade", f"目标质量等级“{quality_grade}”无效。", "invalid")
        if quality_grade in REJECTING_GRADES:
            raise _refuse(
                "quality_grade",
                f"目标质量等级为“{Grade(quality_grade).label}”的目标应退回修改，不能审核通过。",
                "invalid",
            )
        extra["quality_grade"] = quality_grade
    if row.target == Status.APPROVED and isinstance(locked, PerformanceGoal):
        from .. import library  # the library's services build on this module

        library.require_confirmed_entries(goal=locked)
        extra["approved_at"] = timezone.now()
        _supersede_previous(goal=locked, actor=actor)
        approved = _apply(
            obj=locked,
            original=obj,
            row=row,
            actor=actor,
            comment=(comment or "").strip(),
            extra=extra,
        )[0]
        library.library_entries_freeze(goal=approved, actor=actor)
        return approved
    if row.target == Status.APPROVED and hasattr(locked, "closed_at"):
        extra["closed_at"] = timezone.now()  # a rectification is closed (销号) by its acceptance
    if row.target == LibraryStatus.APPROVED and isinstance(locked, LibraryEntry):
        _supersede_library_versions(entry=locked, actor=actor)
    return _apply(
        obj=locked, original=obj, row=row, actor=actor, comment=(comment or "").strip(), extra=extra
    )[0]


@transaction.atomic
def return_(*, obj, actor, comment: str, expected_version: int | None = None):
    """已提交 (主管部门审核人) or 主管部门审核通过 (财政审核人) → 已退回, with a required comment.

    The unit's 填报人 and 单位审核人 are notified once per return.
    """
    comment = (comment or "").strip()
    locked, row = _prepare(obj=obj, actor=actor, action=RETURN, expected_version=expected_version)
    if not comment:
        raise _refuse("comment", "退回时必须填写退回意见，说明需要修改的内容。", "comment_required")
    locked, entry = _apply(obj=locked, original=obj, row=row, actor=actor, comment=comment)
    if not kind_of(locked).notify_unit_on_return:
        return locked
    label = locked._meta.model_name
    notifications.notify_many(
        recipients=notifications.recipients_for(locked.unit, UNIT_STAFF, exclude=actor),
        kind=NotificationKind.RETURNED,
        occasion_key=f"returned:{label}:{locked.pk}:{entry.pk}",
        title=f"{_noun(locked)}被退回：{locked}"[:200],
        body=f"退回意见：{comment}",
        link=_admin_link(locked),
        unit=locked.unit,
    )
    return locked


@transaction.atomic
def retire(*, obj, actor, reason: str, expected_version: int | None = None):
    """已确认 → 已停用 (财政审核人) or 草稿/已退回 → 已停用 (撤销, the owner's editors), with a
    required reason. Library entries are retired, never deleted."""
    reason = (reason or "").strip()
    locked, row = _prepare(obj=obj, actor=actor, action=RETIRE, expected_version=expected_version)
    if not reason:
        raise _refuse("reason", "停用或撤销指标库指标时必须填写原因。", "comment_required")
    return _apply(
        obj=locked,
        original=obj,
        row=row,
        actor=actor,
        comment=reason,
        extra={"retire_reason": reason},
    )[0]


def begin(*, obj, actor, action: str, expected_version: int | None = None):
    """Lock ``obj`` and run every check of ``action`` (scope, lock, state, role) for a service
    that completes the step itself (a library revision creates a new row); returns
    ``(locked, row)``."""
    return _prepare(obj=obj, actor=actor, action=action, expected_version=expected_version)


def _supersede_library_versions(*, entry: LibraryEntry, actor) -> None:
    """The confirmed version of ``entry``'s code becomes 已由新版本取代 before ``entry`` is
    confirmed, so the one-confirmed-version constraint holds at every statement."""
    for old in (
        LibraryEntry.objects.select_for_update()
        .filter(code=entry.code, status=LibraryStatus.APPROVED)
        .exclude(pk=entry.pk)
    ):
        old.status = LibraryStatus.SUPERSEDED
        old.lock_version += 1
        old.save(update_fields=["status", "lock_version", "updated_at"])
        audit.record(
            obj=old,
            actor=actor,
            action=AuditAction.TRANSITION,
            transition="supersede",
            comment=f"已由新版本 v{entry.version} 取代",
            changes={"status": [LibraryStatus.APPROVED, LibraryStatus.SUPERSEDED]},
        )


def _admin_link(obj: models.Model) -> str:
    try:
        return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:  # pragma: no cover - every reviewed model is in the admin
        return ""


def _supersede_previous(*, goal: PerformanceGoal, actor) -> None:
    for old in (
        same_scope(goal).select_for_update().filter(status=Status.APPROVED).exclude(pk=goal.pk)
    ):
        old.status = Status.SUPERSEDED
        old.lock_version += 1
        old.step_entered_at = timezone.now()
        old.save(update_fields=["status", "lock_version", "step_entered_at", "updated_at"])
        audit.record(
            obj=old,
            actor=actor,
            action=AuditAction.TRANSITION,
            transition="supersede",
            comment=f"已由调整后的 v{goal.version} 取代",
            changes={"status": [Status.APPROVED, Status.SUPERSEDED]},
        )


# A new version copies what the unit filled (its period plan too), the parser's reading of it and
# the reserved fields.
COPIED_INDICATOR_FIELDS = (
    *field_specs.INDICATOR.filled,
    *field_specs.INDICATOR.grouped,
    *field_specs.INDICATOR.computed,
    *field_specs.INDICATOR.reserved,
)


@transaction.atomic
def goal_adjust(*, goal: PerformanceGoal, actor, reason: str) -> PerformanceGoal:
    """财政批复的目标 → a new draft version n+1 with the same fields, indicators and tasks.

    The approved version stays approved (and readable) until the new one is approved.
    """
    reason = (reason or "").strip()
    locked, row = _prepare(obj=goal, actor=actor, action=ADJUST, expected_version=None)
    if not reason:
        raise _refuse("reason", "调整绩效目标必须填写调整原因。", "comment_required")
    pending = open_version(locked)
    if pending is not None:
        raise _refuse(
            "status",
            f"该目标已有调整中的 v{pending.version}（{pending.get_status_display()}），"
            "请在该版本上修改，不能重复调整。",
            "invalid_transition",
        )
    version = (same_scope(locked).aggregate(v=Max("version"))["v"] or 0) + 1
    new = PerformanceGoal(
        scope=locked.scope,
        project_id=locked.project_id,
        unit_id=locked.unit_id,
        year=locked.year,
        version=version,
        previous=locked,
        status=Status.DRAFT,
        step_entered_at=timezone.now(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    for name in field_specs.GOAL.filled:
        setattr(new, name, getattr(locked, name))
    new.adjustment_reason = reason
    new.full_clean()
    new.save()
    Indicator.objects.bulk_create(
        [
            Indicator(goal=new, **{f: getattr(i, f) for f in COPIED_INDICATOR_FIELDS})
            for i in locked.indicators.all()
        ]
    )
    GoalTask.objects.bulk_create(
        [
            GoalTask(goal=new, **{name: getattr(t, name) for name in field_specs.TASK.filled})
            for t in locked.tasks.all()
        ]
    )
    audit.record(
        obj=new,
        actor=actor,
        action=AuditAction.CREATE,
        comment=reason,
        changes={"previous": [None, locked.pk], "version": [None, version]},
    )
    audit.record(
        obj=locked,
        actor=actor,
        action=AuditAction.TRANSITION,
        transition=row.name,
        comment=reason,
        changes={"next_version": [None, new.pk]},
    )
    return new
