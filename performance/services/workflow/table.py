"""The review workflow's one table: which documents go through review, the transitions each
may take and who may take them, and when a document may still be edited.

Every reviewed document (a model subclassing ``models.review.ReviewedDocument``) has one
:class:`DocumentKind` in :data:`DOCUMENTS`, naming its rows of the table. The services
(``transitions``), the admin's buttons, the API's ``submit|approve|return`` endpoints and the
permission-matrix tests all read the table; a new kind of document (a spot check, a
rectification) adds its :class:`DocumentKind` here — with the shared rows, or rows of its own
— and gets the transitions, :func:`ensure_editable`, :func:`allowed_actions`, the admin's
buttons and the API's actions without another line of workflow code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from projects.permissions import (
    DEPT_REVIEWERS,
    FINANCE_REVIEWERS,
    UNIT_ADMINS,
    UNIT_EDITORS,
    UNIT_REVIEWERS,
    require_role,
    roles_for,
)

from ...choices import EDITABLE_STATUSES, RoundStatus, Status
from ...models import MonitoringReport, PerformanceGoal, ReviewedDocument, SelfEvaluation
from ...selectors.policies import policy_for_unit
from ...selectors.versions import open_version
from ..typed_values import refuse

SUBMIT, APPROVE, RETURN, ADJUST, EDIT = "submit", "approve", "return", "adjust", "edit"
# When a row applies: always, or only where the unit's finance bureau requires (or does not
# require) unit-internal review (``BureauPolicy.unit_review_required``).
ALWAYS, WITH_UNIT_REVIEW, WITHOUT_UNIT_REVIEW = "", "with_unit_review", "without_unit_review"
ACTIONS = (EDIT, SUBMIT, APPROVE, RETURN, ADJUST)
ACTION_LABELS = {EDIT: "修改", SUBMIT: "提交", APPROVE: "审核通过", RETURN: "退回", ADJUST: "调整"}


@dataclass(frozen=True)
class Transition:
    """One row of the workflow: ``action`` moves ``source`` to ``target`` for ``roles``.

    ``name`` is what the audit trail records; ``label`` what the admin shows; ``when`` whether
    the row depends on the bureau's unit-internal review setting.
    """

    action: str
    source: str
    target: str
    roles: tuple[str, ...]
    name: str
    label: str
    when: str = ALWAYS


# state            action    → next state      who (roles on the object's unit or above)
# Where the bureau requires unit-internal review (审核设置 → 单位内部审核):
# 草稿/已退回       submit    → 已提交           单位审核人 (he is the unit's step: signed at once)
# 草稿/已退回       submit    → 待单位审核        填报人, 管理员
# Where it does not (the default):
# 草稿 draft        submit    → 已提交           填报人, 单位审核人, 管理员
# 已退回 returned   submit    → 已提交           填报人, 单位审核人, 管理员
# Always (turning the setting off leaves items already waiting to be reviewed):
# 待单位审核        approve   → 已提交           单位审核人
# 待单位审核        return    → 已退回           单位审核人 (comment required)
# 已提交 submitted  approve   → 主管部门审核通过   主管部门审核人 (of the unit's own department)
# 已提交 submitted  return    → 已退回           主管部门审核人 (comment required)
# 主管部门审核通过   approve   → 财政批复          财政审核人 (goals: supersedes the old version)
# 主管部门审核通过   return    → 已退回           财政审核人 (comment required)
# 财政批复 approved adjust    → new version n+1 in 草稿 (goals only; reason required)
# Editing (not a transition) is allowed in 草稿/已退回 for the kind's editors (填报人, 单位审核人,
# 管理员). 管理员 (and superusers) maintain data but do not review: review is the reviewers' duty.
REVIEW: tuple[Transition, ...] = (
    *(
        Transition(SUBMIT, source, target, roles, name, label, WITH_UNIT_REVIEW)
        for source, target, roles, name, label in (
            (
                Status.DRAFT,
                Status.SUBMITTED,
                UNIT_REVIEWERS,
                "submit_signed",
                "提交（单位审核人签发）",
            ),
            (
                Status.RETURNED,
                Status.SUBMITTED,
                UNIT_REVIEWERS,
                "resubmit_signed",
                "重新提交（单位审核人签发）",
            ),
            (Status.DRAFT, Status.UNIT_REVIEW, UNIT_EDITORS, "submit_to_unit", "提交单位审核"),
            (
                Status.RETURNED,
                Status.UNIT_REVIEW,
                UNIT_EDITORS,
                "resubmit_to_unit",
                "重新提交单位审核",
            ),
        )
    ),
    Transition(
        SUBMIT, Status.DRAFT, Status.SUBMITTED, UNIT_EDITORS, "submit", "提交", WITHOUT_UNIT_REVIEW
    ),
    Transition(
        SUBMIT,
        Status.RETURNED,
        Status.SUBMITTED,
        UNIT_EDITORS,
        "resubmit",
        "重新提交",
        WITHOUT_UNIT_REVIEW,
    ),
    Transition(
        APPROVE,
        Status.UNIT_REVIEW,
        Status.SUBMITTED,
        UNIT_REVIEWERS,
        "unit_approve",
        "单位审核通过",
    ),
    Transition(
        RETURN, Status.UNIT_REVIEW, Status.RETURNED, UNIT_REVIEWERS, "unit_return", "单位退回"
    ),
    Transition(
        APPROVE,
        Status.SUBMITTED,
        Status.DEPT_APPROVED,
        DEPT_REVIEWERS,
        "dept_approve",
        "主管部门审核通过",
    ),
    Transition(
        RETURN, Status.SUBMITTED, Status.RETURNED, DEPT_REVIEWERS, "dept_return", "主管部门退回"
    ),
    Transition(
        APPROVE,
        Status.DEPT_APPROVED,
        Status.APPROVED,
        FINANCE_REVIEWERS,
        "finance_approve",
        "财政批复",
    ),
    Transition(
        RETURN,
        Status.DEPT_APPROVED,
        Status.RETURNED,
        FINANCE_REVIEWERS,
        "finance_return",
        "财政退回",
    ),
)
GOAL_ADJUST = Transition(ADJUST, Status.APPROVED, Status.DRAFT, UNIT_EDITORS, "adjust", "调整")

RESUBMIT_AFTER_RETURN = "不能修改；需要修改请由审核人退回。"


def _never_frozen(document: Any) -> tuple[str, str] | None:
    return None


@dataclass(frozen=True)
class DocumentKind:
    """How one kind of reviewed document goes through review.

    ``noun`` names it in refusals (“监控表当前状态为…”), ``locked_hint`` says what to do when
    its state forbids editing, ``editors`` may change it in 草稿/已退回, ``transitions`` are its
    rows of the table, and ``frozen`` says why a document in an editable state still may not
    change — ``(message, code)`` — or ``None``.
    """

    model: type[ReviewedDocument]
    noun: str
    transitions: tuple[Transition, ...]
    locked_hint: str = RESUBMIT_AFTER_RETURN
    editors: tuple[str, ...] = UNIT_EDITORS
    frozen: Callable[[Any], tuple[str, str] | None] = _never_frozen


def _round_closed(report: MonitoringReport) -> tuple[str, str] | None:
    """A report of a closed round is final, whatever its state."""
    if report.round.status == RoundStatus.CLOSED:
        return f"“{report.round}”已结束，监控表不能再修改。", "round_closed"
    return None


DOCUMENTS: dict[type[models.Model], DocumentKind] = {
    kind.model: kind
    for kind in (
        DocumentKind(
            PerformanceGoal,
            "绩效目标",
            (*REVIEW, GOAL_ADJUST),
            locked_hint="不能直接修改；已批复的目标请通过“调整”生成新版本。",
        ),
        DocumentKind(MonitoringReport, "监控表", REVIEW, frozen=_round_closed),
        DocumentKind(SelfEvaluation, "绩效自评", REVIEW),
    )
}

# Every row of the table once, in order (the admin's labels, the permission-matrix tests).
TRANSITIONS: tuple[Transition, ...] = tuple(
    dict.fromkeys(row for kind in DOCUMENTS.values() for row in kind.transitions)
)


def kind_of(document: Any) -> DocumentKind:
    """The :class:`DocumentKind` of a reviewed document, of its model, or of a light row."""
    return DOCUMENTS[document._meta.concrete_model]


def transitions_of(model: type[models.Model]) -> tuple[Transition, ...]:
    """The rows of the table a kind of document may take."""
    return kind_of(model).transitions


def unit_review_required(obj: Any) -> bool:
    """Whether ``obj``'s finance bureau requires unit-internal review (read once per object)."""
    cached = getattr(obj, "_unit_review_required", None)
    if cached is None:
        cached = policy_for_unit(obj.unit).unit_review_required
        obj._unit_review_required = cached
    return cached


def _applies(row: Transition, obj: Any) -> bool:
    if row.when == ALWAYS:
        return True
    return (row.when == WITH_UNIT_REVIEW) == unit_review_required(obj)


def transition_for(obj: Any, action: str, roles: set[str] | None = None) -> Transition | None:
    """The table row for ``action`` from ``obj``'s current state, if there is one.

    Where several rows apply (a 单位审核人's own submission signs the unit step off), the first
    whose roles the actor holds; ``roles=None`` (the system, or a caller asking whether any row
    exists) gets the first row that applies.
    """
    rows = [
        row for row in kind_of(obj).transitions if row.action == action and row.source == obj.status
    ]
    rows = [row for row in rows if _applies(row, obj)]
    if roles is not None:
        for row in rows:
            if roles & set(row.roles):
                return row
    return rows[0] if rows else None


def ensure_editable(document: ReviewedDocument) -> None:
    """Refuse (a field error on ``status``, code ``not_editable``) a change to a document that is
    not in 草稿/已退回, or that its kind freezes (a report of a closed round)."""
    kind = kind_of(document)
    if document.status not in EDITABLE_STATUSES:
        status = document.get_status_display()
        raise refuse(
            {"status": f"{kind.noun}当前状态为“{status}”，{kind.locked_hint}"}, "not_editable"
        )
    frozen = kind.frozen(document)
    if frozen is not None:
        message, code = frozen
        raise refuse({"status": message}, code)


def require_edit(document: ReviewedDocument, *, actor, action: str) -> None:
    """The check before any change to a document or its rows: ``actor`` is one of the kind's
    editors on the document's unit (``None`` is the system), and :func:`ensure_editable`."""
    require_role(actor, document.unit, kind_of(document).editors, action)
    ensure_editable(document)


def allowed_actions(obj: Any, user) -> set[str]:
    """What ``user`` may do with ``obj`` now: a subset of edit/submit/approve/return/adjust.

    The admin shows only these buttons; the services check the same table on every call.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    roles = roles_for(user, obj.unit)
    if not roles:
        return set()
    kind = kind_of(obj)
    allowed = set()
    if obj.status in EDITABLE_STATUSES and roles & set(kind.editors):
        allowed.add(EDIT)
    for action in (SUBMIT, APPROVE, RETURN, ADJUST):
        row = transition_for(obj, action, roles)
        if row is not None and roles & set(row.roles):
            allowed.add(action)
    if ADJUST in allowed:
        # List endpoints may annotate ``has_open_version`` to spare a query per approved goal.
        pending = getattr(obj, "has_open_version", None)
        if pending is None:
            pending = open_version(obj) is not None
        if pending:
            allowed.discard(ADJUST)
    return allowed


# --- who is told (issue 15): read by the notices, the escalation sweep and the to-do list --------


def review_roles(model: type[models.Model], status: str) -> tuple[str, ...]:
    """The roles that approve a document of ``model`` in ``status`` (its reviewers); () when
    nobody reviews in that state."""
    for row in transitions_of(model):
        if row.action == APPROVE and row.source == status:
            return row.roles
    return ()


def review_states(model: type[models.Model]) -> tuple[str, ...]:
    """The states of ``model`` a reviewer acts on (those with an approve row), in table order."""
    rows = transitions_of(model)
    return tuple(dict.fromkeys(row.source for row in rows if row.action == APPROVE))


# Who is told when a step waits too long: the level above the step's own reviewers. From
# 主管部门审核通过 it is the finance bureau's 管理员 (``bureau=True``: on the bureau itself), who
# assigns the bureau's work; the finance reviewers already see the line as overdue in their 待办.
@dataclass(frozen=True)
class NextLevel:
    roles: tuple[str, ...]
    bureau: bool = False


NEXT_LEVEL: dict[str, NextLevel] = {
    Status.UNIT_REVIEW: NextLevel(DEPT_REVIEWERS),
    Status.SUBMITTED: NextLevel(FINANCE_REVIEWERS),
    Status.DEPT_APPROVED: NextLevel(UNIT_ADMINS, bureau=True),
}

# What an approval means for the unit, by the state it leads to.
APPROVED_TEXT: dict[str, str] = {
    Status.SUBMITTED: "已通过单位审核，已报送主管部门",
    Status.DEPT_APPROVED: "已通过主管部门审核，已报财政",
    Status.APPROVED: "已获财政批复",
}
