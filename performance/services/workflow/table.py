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

from django.conf import settings
from django.db import models

from projects.permissions import (
    DEPT_REVIEWERS,
    FINANCE_REVIEWERS,
    LIBRARY_CONFIRMERS,
    LIBRARY_EDITORS,
    RECTIFICATION_REVIEWERS,
    UNIT_ADMINS,
    UNIT_EDITORS,
    UNIT_REVIEWERS,
    require_role,
    roles_for,
)

from ...choices import EDITABLE_STATUSES, LIBRARY_OPEN, LibraryStatus, RoundStatus, Status
from ...models import (
    LibraryEntry,
    MonitoringReport,
    PerformanceGoal,
    Rectification,
    ReviewedDocument,
    SelfEvaluation,
    SpotCheck,
)
from ...selectors.policies import policy_for_unit
from ...selectors.versions import open_version
from ..typed_values import refuse

SUBMIT, APPROVE, RETURN, ADJUST, EDIT = "submit", "approve", "return", "adjust", "edit"
RETIRE, REVISE = "retire", "revise"  # indicator library entries only
# When a row applies: always, or only where the unit's finance bureau requires (or does not
# require) unit-internal review (``BureauPolicy.unit_review_required``).
ALWAYS, WITH_UNIT_REVIEW, WITHOUT_UNIT_REVIEW = "", "with_unit_review", "without_unit_review"
ACTIONS = (EDIT, SUBMIT, APPROVE, RETURN, ADJUST)
ACTION_LABELS = {
    EDIT: "修改",
    SUBMIT: "提交",
    APPROVE: "审核通过",
    RETURN: "退回",
    ADJUST: "调整",
    RETIRE: "停用",
    REVISE: "修订",
}


@dataclass(frozen=True)
class Transition:
    """One row of the workflow: ``action`` moves ``source`` to ``target`` for ``roles``.

    ``name`` is what the audit trail records; ``label`` what the admin shows.
    ``distinct_from_submitter`` is four-eyes: the actor may not be the one who submitted
    (when ``settings.SPOT_CHECK_FOUR_EYES``; the document records ``submitted_by``). ``when``:
    whether the row depends on the bureau's unit-internal review setting.
    """

    action: str
    source: str
    target: str
    roles: tuple[str, ...]
    name: str
    label: str
    distinct_from_submitter: bool = False
    when: str = ALWAYS
    # The roles are further narrowed by the document's ``reviewer_roles()`` (a rectification's
    # 验收方): see :func:`row_roles`.
    narrow: bool = False


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
        Transition(SUBMIT, source, target, roles, name, label, when=WITH_UNIT_REVIEW)
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
        SUBMIT,
        Status.DRAFT,
        Status.SUBMITTED,
        UNIT_EDITORS,
        "submit",
        "提交",
        when=WITHOUT_UNIT_REVIEW,
    ),
    Transition(
        SUBMIT,
        Status.RETURNED,
        Status.SUBMITTED,
        UNIT_EDITORS,
        "resubmit",
        "重新提交",
        when=WITHOUT_UNIT_REVIEW,
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

# The indicator library (指标库): a department (or the finance bureau) proposes, the finance
# bureau confirms or returns; roles are asked on the entry's owner unit.
# state              action    → next state        who
# 草稿/已退回          submit    → 待确认              LIBRARY_EDITORS (提交确认)
# 待确认 submitted     approve   → 已确认              财政审核人 (supersedes the previous version)
# 待确认 submitted     return    → 已退回              财政审核人 (comment required)
# 已确认 approved      retire    → 已停用              财政审核人 (reason required)
# 草稿/已退回          retire    → 已停用              LIBRARY_EDITORS (撤销, reason required)
# 已确认 approved      revise    → new version n+1 in 草稿   LIBRARY_EDITORS (reason required)
LIBRARY_REVIEW: tuple[Transition, ...] = (
    Transition(
        SUBMIT,
        LibraryStatus.DRAFT,
        LibraryStatus.SUBMITTED,
        LIBRARY_EDITORS,
        "library_propose",
        "提交确认",
    ),
    Transition(
        SUBMIT,
        LibraryStatus.RETURNED,
        LibraryStatus.SUBMITTED,
        LIBRARY_EDITORS,
        "library_repropose",
        "重新提交确认",
    ),
    Transition(
        APPROVE,
        LibraryStatus.SUBMITTED,
        LibraryStatus.APPROVED,
        LIBRARY_CONFIRMERS,
        "library_confirm",
        "确认",
    ),
    Transition(
        RETURN,
        LibraryStatus.SUBMITTED,
        LibraryStatus.RETURNED,
        LIBRARY_CONFIRMERS,
        "library_return",
        "退回",
    ),
    Transition(
        RETIRE,
        LibraryStatus.APPROVED,
        LibraryStatus.RETIRED,
        LIBRARY_CONFIRMERS,
        "library_retire",
        "停用",
    ),
    Transition(
        RETIRE,
        LibraryStatus.DRAFT,
        LibraryStatus.RETIRED,
        LIBRARY_EDITORS,
        "library_withdraw",
        "撤销",
    ),
    Transition(
        RETIRE,
        LibraryStatus.RETURNED,
        LibraryStatus.RETIRED,
        LIBRARY_EDITORS,
        "library_withdraw",
        "撤销",
    ),
    Transition(
        REVISE,
        LibraryStatus.APPROVED,
        LibraryStatus.DRAFT,
        LIBRARY_EDITORS,
        "library_revise",
        "修订",
    ),
)


def _never_frozen(document: Any) -> tuple[str, str] | None:
    return None


@dataclass(frozen=True)
class DocumentKind:
    """How one kind of reviewed document goes through review.

    ``noun`` names it in refusals (“监控表当前状态为…”), ``locked_hint`` says what to do when
    its state forbids editing, ``editors`` may change it in 草稿/已退回, ``transitions`` are its
    rows of the table, and ``frozen`` says why a document in an editable state still may not
    change — ``(message, code)`` — or ``None``.

    ``after_transition`` is the dotted path of ``f(document, row, actor)``, run inside the
    transition's transaction after the move (a spot check publishes on approve): a path, so the
    table need not import the services that own those effects. ``notify_unit_on_return``: a
    return tells the unit's staff (not for a spot check, which the unit must not see yet).
    ``announce_step`` / ``announce_approval``: the shared notices “待您审核” (to the reviewers of
    the step reached) and “审核通过” (to the unit's staff); off where the kind's own services
    say it in their own words (the library's 指标待确认 / 指标已确认, a spot check's 公开).
    """

    model: type[ReviewedDocument]
    noun: str
    transitions: tuple[Transition, ...]
    locked_hint: str = RESUBMIT_AFTER_RETURN
    editors: tuple[str, ...] = UNIT_EDITORS
    frozen: Callable[[Any], tuple[str, str] | None] = _never_frozen
    after_transition: str = ""
    notify_unit_on_return: bool = True
    announce_step: bool = True
    announce_approval: bool = True


# 财政复核 (spot checks): re-scored by a 财政审核人, approved (and so published to the unit) by
# another one (four-eyes). 复核中 draft → 待审定 submitted → 已公开 approved; 退回 → returned.
SPOT_CHECK_REVIEW: tuple[Transition, ...] = (
    Transition(
        SUBMIT, Status.DRAFT, Status.SUBMITTED, FINANCE_REVIEWERS, "spot_check_submit", "提交审定"
    ),
    Transition(
        SUBMIT,
        Status.RETURNED,
        Status.SUBMITTED,
        FINANCE_REVIEWERS,
        "spot_check_resubmit",
        "重新提交审定",
    ),
    Transition(
        APPROVE,
        Status.SUBMITTED,
        Status.APPROVED,
        FINANCE_REVIEWERS,
        "spot_check_approve",
        "审定并公开",
        distinct_from_submitter=True,
    ),
    Transition(
        RETURN,
        Status.SUBMITTED,
        Status.RETURNED,
        FINANCE_REVIEWERS,
        "spot_check_return",
        "退回复核人",
    ),
)
FOUR_EYES_REFUSAL = "复核结果须由提交人以外的财政审核人审定。"


def four_eyes_refusal(row: Transition, document: Any, actor) -> str:
    """Why ``actor`` may not take ``row`` on ``document`` under four-eyes; ``""`` when they may."""
    if not row.distinct_from_submitter or actor is None or not settings.SPOT_CHECK_FOUR_EYES:
        return ""
    if getattr(document, "submitted_by_id", None) == actor.pk:
        return FOUR_EYES_REFUSAL
    return ""


# 整改 (rectification): the unit fills its measures and submits; the 验收方 accepts (销号) or
# returns. 整改中 draft → 待验收 submitted → 已销号 approved; 退回重新整改 → returned. A
# department-level task is accepted by the department's 主管部门审核人 or a 财政审核人, a
# finance-level one (复核差异, finance's own) only by a 财政审核人 (``narrow``).
RECTIFICATION_REVIEW: tuple[Transition, ...] = (
    Transition(
        SUBMIT, Status.DRAFT, Status.SUBMITTED, UNIT_EDITORS, "rectification_submit", "提交整改情况"
    ),
    Transition(
        SUBMIT,
        Status.RETURNED,
        Status.SUBMITTED,
        UNIT_EDITORS,
        "rectification_resubmit",
        "重新提交整改情况",
    ),
    Transition(
        APPROVE,
        Status.SUBMITTED,
        Status.APPROVED,
        RECTIFICATION_REVIEWERS,
        "rectification_accept",
        "验收销号",
        narrow=True,
    ),
    Transition(
        RETURN,
        Status.SUBMITTED,
        Status.RETURNED,
        RECTIFICATION_REVIEWERS,
        "rectification_return",
        "退回重新整改",
        narrow=True,
    ),
)


def row_roles(row: Transition, obj: Any) -> tuple[str, ...]:
    """The roles that may take ``row`` on ``obj``: the row's, narrowed by the document's
    ``reviewer_roles()`` where the row says so."""
    if not row.narrow:
        return row.roles
    allowed = set(obj.reviewer_roles())
    return tuple(role for role in row.roles if role in allowed)


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
        DocumentKind(
            SelfEvaluation,
            "绩效自评",
            REVIEW,
            # 财政批复 of a 差 or deviation evaluation raises its 整改 task at once
            after_transition="performance.services.rectifications.after_evaluation_transition",
        ),
        DocumentKind(
            SpotCheck,
            "财政复核",
            SPOT_CHECK_REVIEW,
            locked_hint="不能修改；需要修改请由其他财政审核人退回。",
            editors=FINANCE_REVIEWERS,
            after_transition="performance.services.spot_checks.after_transition",
            notify_unit_on_return=False,
            announce_step=False,
            announce_approval=False,
        ),
        DocumentKind(
            Rectification,
            "整改任务",
            RECTIFICATION_REVIEW,
            locked_hint="不能修改；需要修改请由验收方退回。",
        ),
        DocumentKind(
            LibraryEntry,
            "指标库指标",
            LIBRARY_REVIEW,
            locked_hint="不能直接修改；已确认的指标请通过“修订”生成新版本。",
            editors=LIBRARY_EDITORS,
            notify_unit_on_return=False,
            announce_step=False,
            announce_approval=False,
        ),
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
            if roles & set(row_roles(row, obj)):
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
    for action in dict.fromkeys(row.action for row in kind.transitions):
        row = transition_for(obj, action, roles)
        if (
            row is not None
            and roles & set(row_roles(row, obj))
            and not four_eyes_refusal(row, obj, user)
        ):
            allowed.add(action)
    if ADJUST in allowed:
        # List endpoints may annotate ``has_open_version`` to spare a query per approved goal.
        pending = getattr(obj, "has_open_version", None)
        if pending is None:
            pending = open_version(obj) is not None
        if pending:
            allowed.discard(ADJUST)
    if REVISE in allowed and (
        LibraryEntry.objects.filter(code=obj.code, status__in=LIBRARY_OPEN).exists()
    ):
        allowed.discard(REVISE)  # one open version per code: revise that one
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
