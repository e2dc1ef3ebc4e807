"""财政复核 (spot checks): draw a sample of approved self-evaluations, re-score indicators,
publish the result to the unit (the workflow's approve), take the unit's one objection and the
finance bureau's final decision.

- :func:`spot_check_draw` — random with a recorded seed (ranked by ``sha256(f"{seed}:{id}")``,
  so the same seed draws the same sample whatever the database order), by risk rules, or by
  hand; one ``SpotCheck`` per evaluation ever (a re-run creates nothing).
- :func:`spot_check_rescore` — a score and a reason per changed indicator; the engine
  (``scoring.review_result``) recomputes the 复核 total and grade with the evaluation's scheme.
- submit / approve / return go through ``services.workflow`` (the table's spot check rows;
  approve is four-eyes); :func:`after_transition` publishes on approve.
- :func:`spot_check_object`, :func:`spot_check_decide`, :func:`spot_checks_finalize`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext

from projects import audit
from projects.bulk_writes import bulk_insert_rows
from projects.models import AuditAction, Unit
from projects.permissions import (
    SPOT_CHECK_OBJECTORS,
    SPOT_CHECKERS,
    has_role,
    may_spot_check,
    require_role,
    users_with_roles,
    visible_units,
)
from projects.services.locking import check_lock_version

from .. import scoring
from ..choices import (
    SPOT_CHECK_DECISIONS,
    AttachmentKind,
    DrawMethod,
    GoalScope,
    NotificationKind,
    RiskRule,
    SpotCheckOutcome,
    Status,
)
from ..models import IndicatorEvaluation, SelfEvaluation, SpotCheck, SpotCheckDraw, SpotCheckScore
from ..selectors.spot_checks import population, risk_candidates
from . import attachments, notifications
from .typed_values import refuse
from .workflow import APPROVE, require_edit

HUNDREDTH = Decimal("0.01")


@dataclass
class DrawResult:
    """What a draw recorded, the spot checks it created, and how many were checked already."""

    draw: SpotCheckDraw
    created: list[int]
    skipped: int


def rank(seed: int, evaluation_id: int) -> str:
    """The random draw's ranking key: independent of database order and engine."""
    return hashlib.sha256(f"{seed}:{evaluation_id}".encode()).hexdigest()


def _digest(ids: Sequence[int]) -> str:
    return hashlib.sha256(",".join(str(i) for i in sorted(ids)).encode()).hexdigest()


def _decimal(value, field: str, errors: dict, what: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[field] = gettext("%(what)s“%(value)s”不是有效的数字。") % {
            "what": what,
            "value": value,
        }
        return None
    if not number.is_finite():
        errors[field] = gettext("%(what)s“%(value)s”不是有效的数字。") % {
            "what": what,
            "value": value,
        }
        return None
    return number


def _rule_params(rules: Sequence[Mapping], errors: dict) -> dict[str, dict]:
    """The chosen risk rules with their parameters (the settings' defaults filled in)."""
    params: dict[str, dict] = {}
    for index, rule in enumerate(rules):
        name = rule.get("rule") if isinstance(rule, Mapping) else rule
        if name not in RiskRule.values:
            errors[f"rules[{index}].rule"] = gettext("风险规则“%(rule)s”无效。") % {"rule": name}
            continue
        merged = dict(settings.SPOT_CHECK_RISK_DEFAULTS.get(name, {}))
        if isinstance(rule, Mapping):
            for key, value in rule.items():
                if key == "rule":
                    continue
                if key not in merged:
                    errors[f"rules[{index}].{key}"] = gettext(
                        "风险规则“%(rule)s”没有参数“%(key)s”。"
                    ) % {"rule": RiskRule(name).label, "key": key}
                    continue
                number = _decimal(value, f"rules[{index}].{key}", errors, gettext("参数"))
                if number is not None:
                    if number < 0:
                        errors[f"rules[{index}].{key}"] = gettext("参数不能为负数。")
                    merged[key] = str(number)
        params[name] = merged
    if not params and not errors:
        errors["rules"] = gettext("按风险规则抽取时请至少选择一条风险规则。")
    return params


# What a spot check copies of its evaluation (the draw reads them with the population).
DETAILS = ("pk", "unit_id", "year", "project_id", "scheme_id", "total_score", "grade")
SPOT_CHECK_INSERTED = (
    "draw",
    "evaluation",
    "unit",
    "year",
    "project",
    "scheme",
    "reasons",
    "self_total",
    "self_grade",
    "review_total",
    "review_grade",
    "difference",
    "summary",
    "outcome",
    "objection_reason",
    "decision_comment",
    "final_grade",
    "review_category_rates",
    "status",
    "last_comment",
    "lock_version",
    "created_at",
    "updated_at",
)


def _insert_spot_checks(rows: list[tuple]) -> None:
    """The drawn spot checks in one ``COPY``; should a concurrent draw have taken one of the
    evaluations first (the one-per-evaluation constraint), insert again skipping those."""
    if not rows:
        return
    try:
        with transaction.atomic():
            bulk_insert_rows(SpotCheck, SPOT_CHECK_INSERTED, rows)
    except IntegrityError:
        names = [
            f"{name}_id" if name in ("draw", "evaluation", "unit", "project", "scheme") else name
            for name in SPOT_CHECK_INSERTED
        ]
        SpotCheck.objects.bulk_create(
            [SpotCheck(**dict(zip(names, row, strict=True))) for row in rows],
            ignore_conflicts=True,
            batch_size=2000,
        )


def _drawn_entries(draw_id: int, created: Sequence[tuple]):
    """Audit entries of the drawn spot checks (pk, unit, year, evaluation): one shell
    re-pointed per row, no model loaded per spot check."""
    shell = SpotCheck()
    for pk, unit_id, year, evaluation_id in created:
        shell.pk, shell.unit_id, shell.year = pk, unit_id, year
        yield shell, {"draw": [None, draw_id], "evaluation": [None, evaluation_id]}


@transaction.atomic
def spot_check_draw(
    *,
    actor,
    year: int,
    method: str,
    unit: Unit | None = None,
    count: int | None = None,
    rate: Decimal | str | None = None,
    seed: int | None = None,
    rules: Sequence[Mapping] = (),
    evaluation_ids: Sequence[int] = (),
    scopes: Sequence[str] = (GoalScope.PROJECT, GoalScope.UNIT),
    note: str = "",
) -> DrawResult:
    """Draw a sample of ``year``'s approved self-evaluations and record the draw.

    Evaluations already spot-checked stay in the population (a seed's ranking is stable) and
    are counted as ``skipped``: one spot check per evaluation ever."""
    if not may_spot_check(actor):
        raise PermissionDenied(gettext("只有财政部门的财政审核人可以抽取财政复核样本。"))
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if method not in DrawMethod.values:
        raise refuse(
            {"method": gettext("抽取方式“%(method)s”无效。") % {"method": method}}, "invalid"
        )
    if (
        unit is not None
        and actor is not None
        and not visible_units(actor).filter(pk=unit.pk).exists()
    ):
        raise refuse({"unit": gettext("抽取范围不在您的管辖范围内。")}, "invalid")
    scopes = list(scopes) or [GoalScope.PROJECT, GoalScope.UNIT]
    if any(scope not in GoalScope.values for scope in scopes):
        errors["scopes"] = gettext("自评类型只能是项目或单位整体。")
    rate_value = _decimal(rate, "rate", errors, gettext("抽取比例"))
    params: dict[str, dict] = {}
    if method == DrawMethod.RANDOM:
        if count is None and rate_value is None:
            errors["count"] = gettext("随机抽取请填写抽取数量或抽取比例。")
        if count is not None and rate_value is not None:
            errors["count"] = gettext("抽取数量和抽取比例只能填写一项。")
        if count is not None and (not isinstance(count, int) or count < 1):
            errors["count"] = gettext("抽取数量必须是正整数。")
        if rate_value is not None and not (0 < rate_value <= 100):
            errors["rate"] = gettext("抽取比例必须大于 0 且不超过 100。")
        if seed is None:
            seed = secrets.randbits(62)
        elif not isinstance(seed, int) or not (0 <= seed < 2**63):
            errors["seed"] = gettext("随机种子必须是 0 到 2^63−1 之间的整数。")
    elif method == DrawMethod.RISK:
        params = _rule_params(rules, errors)
        if count is not None and (not isinstance(count, int) or count < 1):
            errors["count"] = gettext("抽取数量必须是正整数。")
    else:
        if not evaluation_ids:
            errors["evaluations"] = gettext("人工指定请至少选择一项绩效自评。")
        if not note:
            errors["note"] = gettext("人工指定时必须填写说明。")
    if errors:
        raise refuse(errors, "invalid")

    reasons: dict[int, list] = {}
    details: dict[int, tuple] = {}  # the picked evaluations' DETAILS (the risk query has them)
    if method == DrawMethod.RISK:
        flags = [f"r_{name}" for name in params]
        candidates = risk_candidates(year=year, unit=unit, scopes=scopes, params=params)
        rows = list(candidates.values_list(*DETAILS, "execution_rate", *flags))
        population_ids = [row[0] for row in rows]
        matched = []
        for row in rows:
            pk, total, exec_rate, hits = row[0], row[5], row[len(DETAILS)], row[len(DETAILS) + 1 :]
            names = [name for name, hit in zip(params, hits, strict=True) if hit]
            if names:
                reasons[pk] = [_reason(name, total, exec_rate) for name in names]
                matched.append((-len(names), -(total or 0), pk))
                details[pk] = row[: len(DETAILS)]
        matched.sort()
        picked = [pk for *_key, pk in matched]
        if count is not None:
            picked = picked[:count]
    else:
        population_ids = list(
            population(year=year, unit=unit, scopes=scopes).values_list("pk", flat=True)
        )
        if method == DrawMethod.RANDOM:
            k = (
                count
                if count is not None
                else math.ceil(
                    (rate_value * len(population_ids) / 100).to_integral_value(ROUND_CEILING)
                )
            )
            picked = sorted(population_ids, key=lambda pk: rank(seed, pk))[:k]
            reasons = {pk: [{"rule": "random", "seed": str(seed)}] for pk in picked}
        else:
            wanted = []
            for value in evaluation_ids:
                try:
                    wanted.append(int(value))
                except (TypeError, ValueError):
                    raise refuse(
                        {"evaluations": gettext("绩效自评“%(value)s”无效。") % {"value": value}},
                        "invalid",
                    ) from None
            inside = set(population_ids)
            outside = [pk for pk in wanted if pk not in inside]
            if outside:
                raise refuse(
                    {
                        "evaluations": gettext(
                            "以下绩效自评不是本年度抽取范围内已批复的自评，不能抽取：%(ids)s"
                        )
                        % {"ids": "、".join(str(pk) for pk in outside)}
                    },
                    "invalid",
                )
            picked = list(dict.fromkeys(wanted))
            reasons = {pk: [{"rule": "manual"}] for pk in picked}

    draw = SpotCheckDraw(
        year=year,
        method=method,
        scope_unit=unit,
        seed=seed if method == DrawMethod.RANDOM else None,
        count=count,
        rate=rate_value,
        rules=[{"rule": name, **values} for name, values in params.items()],
        scopes=scopes,
        note=note,
        population=len(population_ids),
        population_digest=_digest(population_ids),
        sample_digest=_digest(picked),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    draw.full_clean()
    draw.save()
    if method != DrawMethod.RISK:
        details = {
            row[0]: row
            for row in SelfEvaluation.objects.filter(pk__in=picked).values_list(*DETAILS)
        }
    # One spot check per evaluation ever: the year's checked evaluations are skipped (and a
    # concurrent draw's by the unique constraint, in _insert_spot_checks).
    checked = set(SpotCheck.objects.filter(year=year).values_list("evaluation_id", flat=True))
    now = timezone.now()
    fixed = {
        "draw": draw.pk,
        "summary": "",
        "outcome": "",
        "objection_reason": "",
        "decision_comment": "",
        "final_grade": "",
        "review_category_rates": {},
        "status": Status.DRAFT,
        "last_comment": "",
        "lock_version": 1,
        "created_at": now,
        "updated_at": now,
    }
    rows = []
    for pk in picked:
        if pk not in details or pk in checked:
            continue
        _pk, unit_id, year_, project_id, scheme_id, total, grade = details[pk]
        values = {
            **fixed,
            "evaluation": pk,
            "unit": unit_id,
            "year": year_,
            "project": project_id,
            "scheme": scheme_id,
            "reasons": reasons.get(pk, []),
            "self_total": total,
            "self_grade": grade or "",
            "review_total": total,
            "review_grade": grade or "",
            "difference": Decimal(0) if total is not None else None,
        }
        rows.append(tuple(values[name] for name in SPOT_CHECK_INSERTED))
    _insert_spot_checks(rows)
    created_rows = list(
        SpotCheck.objects.filter(draw=draw)
        .order_by("pk")
        .values_list("pk", "unit_id", "year", "evaluation_id")
    )
    created = [row[0] for row in created_rows]
    draw.drawn = len(created)
    draw.skipped = len(picked) - len(created)
    draw.save(update_fields=["drawn", "skipped"])
    audit.record(
        obj=draw,
        actor=actor,
        action=AuditAction.CREATE,
        comment=note,
        unit=unit,
        changes={
            "method": [None, method],
            "seed": [None, draw.seed],
            "rules": [None, draw.rules],
            "population": [None, draw.population],
            "sample_digest": [None, draw.sample_digest],
            "drawn": [None, draw.drawn],
            "skipped": [None, draw.skipped],
        },
    )
    if created:
        audit.record_many(
            entries=_drawn_entries(draw.pk, created_rows),
            actor=actor,
            action=AuditAction.CREATE,
            comment=f"抽查记录 #{draw.pk}",
        )
    return DrawResult(draw=draw, created=created, skipped=draw.skipped)


def _reason(name: str, total, exec_rate) -> dict:
    reason = {"rule": name}
    if name == RiskRule.HIGH_SCORE_LOW_EXECUTION:
        reason["score"] = format(total, "f") if total is not None else None
        reason["rate"] = format(exec_rate, "f") if exec_rate is not None else None
    return reason


# --- computing -------------------------------------------------------------------------------


def _indicator_rows(spot_check: SpotCheck):
    """The evaluation's scores with their indicators, and the review rows by score id."""
    scores = list(
        IndicatorEvaluation.objects.filter(evaluation_id=spot_check.evaluation_id)
        .select_related("indicator")
        .order_by("indicator__order", "indicator_id")
    )
    reviews = {row.score_id: row for row in spot_check.scores.all()}
    return scores, reviews


def _result(spot_check: SpotCheck, scores, substitute) -> scoring.ProjectResult:
    evaluation = spot_check.evaluation
    return scoring.review_result(
        scheme=spot_check.scheme.to_engine(),
        budget=evaluation.budget,
        executed=evaluation.executed,
        indicators=[
            (
                score.indicator.category,
                score.indicator.weight if score.indicator.weight is not None else Decimal(0),
                score.final_score,
                substitute(score),
            )
            for score in scores
        ],
    )


def compute(spot_check: SpotCheck) -> None:
    """Refresh the unit's own figures (until approval) and the 复核 total, grade and rates."""
    scores, reviews = _indicator_rows(spot_check)
    evaluation = spot_check.evaluation
    if spot_check.status != Status.APPROVED:
        spot_check.self_total = evaluation.total_score
        spot_check.self_grade = evaluation.grade
    result = _result(
        spot_check,
        scores,
        lambda score: reviews[score.pk].review_score if score.pk in reviews else None,
    )
    spot_check.review_total = result.total
    spot_check.review_grade = result.grade.value
    spot_check.review_category_rates = {
        key: (None if rate is None else format(rate, "f"))
        for key, rate in sorted(result.category_rates.items())
    }
    spot_check.difference = (
        scoring.review_difference(spot_check.self_total, result.total)
        if spot_check.self_total is not None
        else None
    )


def _score_row(
    row: Mapping[str, Any],
    index: int,
    field: str,
    by_indicator: dict[int, IndicatorEvaluation],
    errors: dict[str, str],
) -> tuple[IndicatorEvaluation, Decimal | None, str] | None:
    """One row of a re-score or a decision: the unit's score of its indicator, the score given
    in ``field`` (checked against the indicator's weight) and the reason; ``None`` (with the
    error recorded) when the indicator is not one of the evaluation's."""
    try:
        indicator_id = int(row.get("indicator"))
    except (TypeError, ValueError):
        indicator_id = None
    score = by_indicator.get(indicator_id)
    if score is None:
        errors[f"scores[{index}].indicator"] = gettext("该指标不属于被复核的绩效自评。")
        return None
    weight = score.indicator.weight if score.indicator.weight is not None else Decimal(0)
    value = _score_value(row.get(field), f"scores[{index}].{field}", weight, errors)
    return score, value, str(row.get("reason") or "").strip()


def _score_value(value, field: str, weight: Decimal, errors: dict) -> Decimal | None:
    number = _decimal(value, field, errors, gettext("得分"))
    if number is None:
        return None
    if number < 0:
        errors[field] = gettext("得分不能为负数。")
    elif number > weight:
        errors[field] = gettext("复核得分不能超过该指标分值 %(weight)s 分。") % {
            "weight": scoring.round_to(weight, 2, "half_up")
        }
    elif number != number.quantize(HUNDREDTH):
        errors[field] = gettext("得分最多保留两位小数。")
    return number


def _lock(spot_check: SpotCheck) -> SpotCheck:
    return (
        SpotCheck.objects.select_for_update(of=("self",))
        .select_related("unit", "evaluation", "scheme")
        .get(pk=spot_check.pk)
    )


def _in_scope(actor, spot_check: SpotCheck) -> None:
    if actor is not None and not visible_units(actor).filter(pk=spot_check.unit_id).exists():
        raise PermissionDenied(
            gettext("“%(spot_check)s”不在您的管辖范围内，无权访问。") % {"spot_check": spot_check}
        )


@transaction.atomic
def spot_check_rescore(
    *,
    actor,
    spot_check: SpotCheck,
    scores: Sequence[Mapping],
    summary: str | None = None,
    expected_version: int | None = None,
) -> SpotCheck:
    """Re-score indicators (a score in [0, weight] and a reason for each change) and recompute.

    A score equal to the unit's own, or ``None``, removes the indicator's re-score."""
    locked = _lock(spot_check)
    _in_scope(actor, locked)
    check_lock_version(locked, expected_version)
    require_edit(locked, actor=actor, action="复核评分")
    own, reviews = _indicator_rows(locked)
    by_indicator = {score.indicator_id: score for score in own}
    errors: dict[str, str] = {}
    changes: dict[str, list] = {}
    upserts: list[tuple[IndicatorEvaluation, Decimal, str]] = []
    removals: list[IndicatorEvaluation] = []
    for index, row in enumerate(scores):
        read = _score_row(row, index, "review_score", by_indicator, errors)
        if read is None:
            continue
        score, value, reason = read
        if value is None or (score.final_score is not None and value == score.final_score):
            removals.append(score)
            continue
        if not reason:
            errors[f"scores[{index}].reason"] = gettext("调整得分必须填写复核理由。")
            continue
        upserts.append((score, value, reason))
    if errors:
        raise refuse(errors, "invalid")
    for score, value, reason in upserts:
        existing = reviews.get(score.pk)
        key = f"scores[{score.indicator_id}].review_score"
        if existing is None:
            SpotCheckScore.objects.create(
                spot_check=locked,
                score=score,
                indicator_id=score.indicator_id,
                self_score=score.final_score,
                review_score=value,
                reason=reason,
            )
            changes[key] = [None, value]
        elif existing.review_score != value or existing.reason != reason:
            changes[key] = [existing.review_score, value]
            existing.review_score, existing.reason = value, reason
            existing.full_clean()
            existing.save(update_fields=["review_score", "reason"])
    for score in removals:
        existing = reviews.get(score.pk)
        if existing is not None:
            changes[f"scores[{score.indicator_id}].review_score"] = [existing.review_score, None]
            existing.delete()
    if summary is not None and summary.strip() != locked.summary:
        changes["summary"] = [locked.summary, summary.strip()]
        locked.summary = summary.strip()
    before = (locked.review_total, locked.review_grade)
    compute(locked)
    if (locked.review_total, locked.review_grade) != before:
        changes["review_total"] = [before[0], locked.review_total]
        changes["review_grade"] = [before[1], locked.review_grade]
    locked.reviewer = actor if getattr(actor, "pk", None) else locked.reviewer
    locked.lock_version += 1
    locked.full_clean()
    locked.save()
    audit.record(obj=locked, actor=actor, action=AuditAction.UPDATE, changes=changes)
    _mirror(locked, spot_check)
    return spot_check


def _mirror(locked: SpotCheck, original: SpotCheck) -> None:
    if original is not locked:
        original.refresh_from_db()


def _link(spot_check: SpotCheck) -> str:
    try:
        return reverse("admin:performance_spotcheck_change", args=[spot_check.pk])
    except NoReverseMatch:  # pragma: no cover - registered in the admin
        return ""


def after_transition(spot_check: SpotCheck, row, actor) -> None:
    """The workflow's hook: approving a spot check publishes it to the unit (outcome, objection
    deadline, the unit's own figures frozen beside the 复核 ones) and tells the unit once."""
    if row.action != APPROVE:
        return
    compute(spot_check)
    today = timezone.localdate()
    spot_check.published_at = timezone.now()
    spot_check.objection_deadline = today + dt.timedelta(days=settings.SPOT_CHECK_OBJECTION_DAYS)
    spot_check.outcome = SpotCheckOutcome.PUBLISHED
    spot_check.full_clean()
    spot_check.save()
    recipients = {
        user.pk: user
        for user in [
            *notifications.unit_staff(spot_check.unit),
            *notifications.department_reviewers(spot_check.unit),
        ]
    }
    notifications.notify_many(
        recipients=recipients.values(),
        kind=NotificationKind.SPOT_CHECK_PUBLISHED,
        occasion_key=f"spotcheck:{spot_check.pk}:published",
        title=f"财政复核结果：{spot_check.evaluation}"[:200],
        body=(
            f"自评 {spot_check.self_total} 分，复核 {spot_check.review_total} 分，"
            f"差异 {spot_check.difference} 分。如有异议，请于 {spot_check.objection_deadline} 前提出。"
        ),
        link=_link(spot_check),
        unit=spot_check.unit,
    )


@transaction.atomic
def spot_check_object(
    *,
    actor,
    spot_check: SpotCheck,
    reason: str,
    files: Sequence = (),
    expected_version: int | None = None,
) -> SpotCheck:
    """The unit objects, once, before the deadline, with a reason (单位审核人 or 管理员) and its
    evidence (``files``, 异议材料): all of it or, when a file is refused, nothing."""
    locked = _lock(spot_check)
    if locked.status != Status.APPROVED:  # unpublished: the unit does not see it
        raise PermissionDenied(
            gettext("“%(spot_check)s”不在您的管辖范围内，无权访问。") % {"spot_check": locked}
        )
    _in_scope(actor, locked)
    check_lock_version(locked, expected_version)
    require_role(actor, locked.unit, SPOT_CHECK_OBJECTORS, "对财政复核结果提出异议")
    reason = (reason or "").strip()
    if locked.objected_at is not None:
        raise refuse({"reason": gettext("每项复核结果只能提出一次异议。")}, "already_objected")
    if locked.outcome != SpotCheckOutcome.PUBLISHED:
        raise refuse(
            {
                "status": gettext("复核结论为“%(outcome)s”，不能再提出异议。")
                % {"outcome": locked.get_outcome_display()}
            },
            "invalid_transition",
        )
    if timezone.localdate() > locked.objection_deadline:
        raise refuse(
            {
                "reason": gettext("异议期已于%(deadline)s截止。")
                % {"deadline": locked.objection_deadline}
            },
            "objection_closed",
        )
    if not reason:
        raise refuse({"reason": gettext("提出异议必须填写异议理由。")}, "required")
    locked.objection_reason = reason
    locked.objected_at = timezone.now()
    locked.objected_by = actor if getattr(actor, "pk", None) else None
    locked.outcome = SpotCheckOutcome.OBJECTED
    locked.lock_version += 1
    locked.full_clean()
    locked.save()
    audit.record(
        obj=locked,
        actor=actor,
        action=AuditAction.TRANSITION,
        transition="object",
        comment=reason,
        changes={"outcome": [SpotCheckOutcome.PUBLISHED, SpotCheckOutcome.OBJECTED]},
    )
    if files:
        attachments.attach_locked(
            actor=actor,
            anchor=attachments.Anchor(kind=AttachmentKind.OBJECTION, obj=locked),
            document=locked,
            files=files,
            description="",
        )
    notifications.notify_many(
        recipients=users_with_roles(locked.unit, SPOT_CHECKERS),
        kind=NotificationKind.SPOT_CHECK_OBJECTED,
        occasion_key=f"spotcheck:{locked.pk}:objected",
        title=f"复核异议待裁定：{locked.evaluation}"[:200],
        body=f"异议理由：{reason}",
        link=_link(locked),
        unit=locked.unit,
    )
    _mirror(locked, spot_check)
    return spot_check


def _raise_rectification(spot_checks: list[SpotCheck]) -> None:
    """A final result whose difference reaches the threshold raises its 整改 task at once."""
    from .rectifications import rectifications_raise  # 整改 builds on the spot checks

    rectifications_raise(spot_checks=spot_checks)


def _final(locked: SpotCheck, total: Decimal, grade: str) -> None:
    locked.final_total = total
    locked.final_grade = grade
    locked.final_difference = (
        scoring.review_difference(locked.self_total, total)
        if locked.self_total is not None
        else None
    )


@transaction.atomic
def spot_check_decide(
    *,
    actor,
    spot_check: SpotCheck,
    decision: str,
    comment: str,
    scores: Sequence[Mapping] = (),
    expected_version: int | None = None,
) -> SpotCheck:
    """The finance bureau decides an objection, finally: 维持 (final = 复核), 采纳 (final = the
    unit's own score) or 裁定调整 (decided scores with reasons; the engine computes the total).

    Any 财政审核人 but the one who submitted the re-scoring."""
    locked = _lock(spot_check)
    _in_scope(actor, locked)
    check_lock_version(locked, expected_version)
    if actor is not None and not (
        may_spot_check(actor) and has_role(actor, locked.unit, SPOT_CHECKERS)
    ):
        raise PermissionDenied(gettext("只有财政审核人可以裁定复核异议。"))
    if actor is not None and settings.SPOT_CHECK_FOUR_EYES and actor.pk == locked.submitted_by_id:
        raise PermissionDenied(gettext("复核异议须由提交复核结果以外的财政审核人裁定。"))
    comment = (comment or "").strip()
    if locked.outcome in SPOT_CHECK_DECISIONS:
        raise refuse(
            {"decision": gettext("该异议已裁定，裁定为最终结论，不能再次裁定。")}, "already_decided"
        )
    if locked.outcome != SpotCheckOutcome.OBJECTED:
        raise refuse(
            {
                "status": gettext("复核结论为“%(outcome)s”，没有待裁定的异议。")
                % {"outcome": locked.get_outcome_display()}
            },
            "invalid_transition",
        )
    errors: dict[str, str] = {}
    if decision not in SPOT_CHECK_DECISIONS:
        errors["decision"] = gettext("裁定结论“%(decision)s”无效。") % {"decision": decision}
    if not comment:
        errors["comment"] = gettext("裁定必须填写裁定意见。")
    if decision != SpotCheckOutcome.REVISED and scores:
        errors["scores"] = gettext("只有“裁定调整”需要填写裁定得分。")
    if errors:
        raise refuse(errors, "invalid")
    changes: dict[str, list] = {}
    if decision == SpotCheckOutcome.UPHELD:
        _final(locked, locked.review_total, locked.review_grade)
    elif decision == SpotCheckOutcome.ACCEPTED:
        _final(locked, locked.self_total, locked.self_grade)
    else:
        own, reviews = _indicator_rows(locked)
        by_indicator = {score.indicator_id: score for score in own}
        decided: dict[int, tuple[Decimal, str]] = {}
        for index, row in enumerate(scores):
            read = _score_row(row, index, "decided_score", by_indicator, errors)
            if read is None:
                continue
            score, value, reason = read
            if value is None:
                errors.setdefault(f"scores[{index}].decided_score", gettext("请填写裁定得分。"))
            if not reason:
                errors[f"scores[{index}].reason"] = gettext("裁定得分必须填写裁定理由。")
            if value is not None and reason:
                decided[score.pk] = (value, reason)
        if not scores:
            errors["scores"] = gettext("裁定调整请至少填写一项裁定得分及理由。")
        if errors:
            raise refuse(errors, "invalid")
        for score in own:
            if score.pk not in decided:
                continue
            value, reason = decided[score.pk]
            row = reviews.get(score.pk)
            if row is None:
                row = SpotCheckScore(
                    spot_check=locked,
                    score=score,
                    indicator_id=score.indicator_id,
                    self_score=score.final_score,
                )
                reviews[score.pk] = row
            row.decided_score, row.decided_reason = value, reason
            row.full_clean()
            row.save()
            changes[f"scores[{score.indicator_id}].decided_score"] = [None, value]

        def substitute(score):
            row = reviews.get(score.pk)
            if row is None:
                return None
            return row.decided_score if row.decided_score is not None else row.review_score

        result = _result(locked, own, substitute)
        _final(locked, result.total, result.grade.value)
    old = locked.outcome
    locked.outcome = decision
    locked.decision_comment = comment
    locked.decided_at = timezone.now()
    locked.decided_by = actor if getattr(actor, "pk", None) else None
    locked.lock_version += 1
    locked.full_clean()
    locked.save()
    audit.record(
        obj=locked,
        actor=actor,
        action=AuditAction.TRANSITION,
        transition="decide",
        comment=comment,
        changes={
            "outcome": [old, decision],
            "final_total": [None, locked.final_total],
            "final_grade": [None, locked.final_grade],
            **changes,
        },
    )
    notifications.notify_many(
        recipients=notifications.unit_staff(locked.unit),
        kind=NotificationKind.SPOT_CHECK_DECIDED,
        occasion_key=f"spotcheck:{locked.pk}:decided",
        title=f"复核异议已裁定：{locked.evaluation}"[:200],
        body=f"裁定结论：{SpotCheckOutcome(decision).label}；最终得分 {locked.final_total} 分。{comment}",
        link=_link(locked),
        unit=locked.unit,
    )
    _raise_rectification([locked])
    _mirror(locked, spot_check)
    return spot_check


@transaction.atomic
def spot_checks_finalize(*, today: dt.date | None = None) -> int:
    """The daily sweep: a published result whose objection deadline has passed without an
    objection is confirmed (final = 复核). Returns how many; a re-run confirms nothing."""
    today = today or timezone.localdate()
    due = list(
        SpotCheck.objects.select_for_update()
        .filter(outcome=SpotCheckOutcome.PUBLISHED, objection_deadline__lt=today)
        .order_by("pk")
    )
    for spot_check in due:
        _final(spot_check, spot_check.review_total, spot_check.review_grade)
        spot_check.outcome = SpotCheckOutcome.CONFIRMED
        spot_check.lock_version += 1
        spot_check.save(
            update_fields=[
                "outcome",
                "final_total",
                "final_grade",
                "final_difference",
                "lock_version",
                "updated_at",
            ]
        )
    if due:
        audit.record_many(
            entries=[
                (s, {"outcome": [SpotCheckOutcome.PUBLISHED, SpotCheckOutcome.CONFIRMED]})
                for s in due
            ],
            actor=None,
            action=AuditAction.TRANSITION,
            comment="异议期届满，无异议，复核结论确认",
        )
        _raise_rectification(due)
    return len(due)
