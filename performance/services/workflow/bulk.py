"""Review many documents at once: N single reviews, each with its own checks and transaction.

A bulk approve or bulk return runs :func:`transitions.approve` / :func:`transitions.return_` for
every item in its own transaction, with the item's own scope, lock-version, state and role
checks: one item's refusal rolls back that item only, each success writes its own audit row and
raises its own notifications. What is refused as a whole, before any item is touched: an empty
or oversized list, an id given twice, and a bulk return without its one comment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from projects.permissions import visible_units

from ..typed_values import refuse
from .table import ACTION_LABELS, APPROVE, RETURN
from .transitions import approve, return_

BULK_ACTIONS = (APPROVE, RETURN)


def bulk_review_max() -> int:
    """How many items one bulk review may carry (``settings.BULK_REVIEW_MAX``, default 500)."""
    return int(getattr(settings, "BULK_REVIEW_MAX", 500))


@dataclass(frozen=True)
class BulkItem:
    """One document of a bulk review: its id and, optionally, the version the reviewer saw."""

    id: int
    lock_version: int | None = None


@dataclass(frozen=True)
class BulkFailure:
    """Why one item was not reviewed: a machine code, a sentence and field-level messages."""

    id: int
    code: str
    detail: str
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class BulkResult:
    """The documents reviewed (in the order given) and, per refused item, why."""

    action: str
    succeeded: list[models.Model] = field(default_factory=list)
    failed: list[BulkFailure] = field(default_factory=list)


def _failure(item_id: int, error: Exception) -> BulkFailure:
    if isinstance(error, PermissionDenied):
        text = str(error) or "您没有执行该操作的权限。"
        return BulkFailure(item_id, "permission_denied", text, {})
    code = getattr(error, "code", None) or "invalid"
    if hasattr(error, "error_dict"):
        errors = {
            ("non_field_errors" if name == "__all__" else name): [str(m) for m in messages]
            for name, messages in error.message_dict.items()
        }
    else:
        errors = {"non_field_errors": [str(m) for m in error.messages]}
    detail = next((m for messages in errors.values() for m in messages), "输入有误。")
    return BulkFailure(item_id, code, detail, errors)


def _check_request(*, action: str, items: Sequence[BulkItem], comment: str) -> None:
    if action not in BULK_ACTIONS:
        raise ValueError(f"bulk review supports {BULK_ACTIONS}, not {action!r}")
    errors: dict[str, str] = {}
    limit = bulk_review_max()
    if not items:
        errors["items"] = "请至少选择一项。"
    elif len(items) > limit:
        errors["items"] = (
            f"一次最多批量{ACTION_LABELS[action]} {limit} 项，本次选择了 {len(items)} 项。"
        )
    else:
        seen: set[int] = set()
        repeated = sorted({i.id for i in items if i.id in seen or seen.add(i.id)})
        if repeated:
            errors["items"] = (
                "同一项不能重复提交：" + "、".join(str(i) for i in repeated[:20]) + "。"
            )
    if action == RETURN and not comment:
        errors["comment"] = "批量退回时必须填写退回意见（对所选各项相同），说明需要修改的内容。"
    if errors:
        raise refuse(errors, "comment_required" if set(errors) == {"comment"} else "invalid")


def review_many(
    *,
    model: type[models.Model],
    action: str,
    items: Iterable[BulkItem],
    actor,
    comment: str = "",
) -> BulkResult:
    """Approve or return each of ``items`` (documents of ``model``) as ``actor``.

    Another unit's document and a missing one give the same failure (``not_found``), so the
    answer does not reveal what exists outside the actor's scope.
    """
    items = list(items)
    comment = (comment or "").strip()
    _check_request(action=action, items=items, comment=comment)
    noun = str(model._meta.verbose_name)
    found = {
        obj.pk: obj
        for obj in model.objects.filter(
            pk__in=[i.id for i in items], unit__in=visible_units(actor)
        ).select_related("unit")
    }
    result = BulkResult(action=action)
    for item in items:
        obj = found.get(item.id)
        if obj is None:
            result.failed.append(
                BulkFailure(item.id, "not_found", f"编号 {item.id} 的{noun}不存在或无权访问。")
            )
            continue
        try:
            with transaction.atomic():
                kwargs: dict[str, Any] = {
                    "obj": obj,
                    "actor": actor,
                    "comment": comment,
                    "expected_version": item.lock_version,
                }
                reviewed = approve(**kwargs) if action == APPROVE else return_(**kwargs)
        except (ValidationError, PermissionDenied) as error:
            result.failed.append(_failure(item.id, error))
        else:
            result.succeeded.append(reviewed)
    return result
