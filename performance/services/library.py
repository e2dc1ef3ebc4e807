"""The indicator library (指标库): writing entries and moving them through their review.

An entry is a reviewed document (``models.library.LibraryEntry``) owned by the finance bureau
(共性) or a department (个性). Its transitions are rows of the one workflow table
(``workflow.LIBRARY_REVIEW``): the owner's editors propose (提交确认), the finance bureau's
财政审核人 confirms or returns with a comment, retires a confirmed entry; the owner withdraws a
draft; a confirmed entry changes through a revision (version n+1, reviewed again). Once an
approved goal references an entry its meaning (一级, 二级, 三级, 度量单位, 指标性质) is frozen.
Nothing deletes an entry.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from projects import audit
from projects.choices import ProjectCategory, UnitKind
from projects.models import AuditAction, Unit
from projects.permissions import (
    DEPT_REVIEWERS,
    LIBRARY_CONFIRMERS,
    LIBRARY_EDITORS,
    UNIT_STAFF,
    has_role,
    holds_role_on_bureau_or_department,
    require_role,
    roles_for,
    users_with_roles,
)
from projects.services.locking import check_lock_version

from .. import targets
from ..choices import (
    LIBRARY_OPEN,
    NATURE_DIRECTION,
    Category,
    LibraryGoalScope,
    LibraryStatus,
    Nature,
    NotificationKind,
)
from ..models import Indicator, LibraryEntry, PerformanceGoal
from ..models.library import project_category_mask
from . import notifications, workflow
from .goals import apply_parsed_target
from .typed_values import refuse

COMMON_PREFIX = "GX"
# What an approved goal's reference freezes: the entry's meaning.
MEANING_FIELDS = ("level1", "level2", "level3", "measure_unit", "nature")
# What a caller may write on an entry (direction, category and search text are derived).
ENTRY_FIELDS = (
    *MEANING_FIELDS,
    "reference_value",
    "reference_weight",
    "explanation",
    "basis",
    "scoring_standard",
    "goal_scope",
    "project_categories",
    "function_class",
    "is_common",
    "is_required",
)
# 指标性质 as people write it (101号 tables, budget systems' exports).
NATURE_ALIASES = {
    ">=": Nature.GE,
    "≥": Nature.GE,
    "大于等于": Nature.GE,
    "不低于": Nature.GE,
    "正向": Nature.GE,
    "<=": Nature.LE,
    "≤": Nature.LE,
    "小于等于": Nature.LE,
    "不高于": Nature.LE,
    "反向": Nature.LE,
    "=": Nature.EQ,
    "＝": Nature.EQ,
    "等于": Nature.EQ,
    "qualitative": Nature.QUALITATIVE,
    "定性": Nature.QUALITATIVE,
}
COMMON_SEED = Path(__file__).resolve().parent.parent / "library_data" / "common.csv"


# --- reading what callers send --------------------------------------------------------------


def nature_of(text: Any) -> str | None:
    """The 指标性质 code of what a person wrote (``≥``, ``大于等于``, ``定性`` …), or ``None``."""
    key = unicodedata.normalize("NFKC", str(text or "")).strip()
    found = NATURE_ALIASES.get(key) or NATURE_ALIASES.get(str(text or "").strip())
    return found.value if found else None


def search_text(entry: LibraryEntry) -> str:
    """What search matches: code and the three levels, NFKC-folded and lower-cased."""
    parts = (entry.code, entry.level1, entry.level2, entry.level3, entry.function_class)
    return unicodedata.normalize("NFKC", " ".join(p for p in parts if p)).lower()


def _categories(value: Any) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = [v for v in value.replace("、", ",").split(",") if v.strip()]
    codes = []
    labels = {c.label: c.value for c in ProjectCategory} | {"运转类": ProjectCategory.OPERATING}
    for item in value:
        item = str(item).strip()
        code = item if item in ProjectCategory.values else labels.get(item)
        if code is None:
            raise refuse(
                {
                    "project_categories": gettext(
                        "适用项目类型「%(value)s」无效，应为人员类、运转类或特定目标类。"
                    )
                    % {"value": item}
                },
                "invalid",
            )
        codes.append(code)
    return project_category_mask(codes)


def assign_fields(entry: LibraryEntry, data: Mapping[str, Any]) -> dict[str, list]:
    """Set the writable fields given in ``data`` on ``entry`` (readings normalised); returns
    the changes ``{field: [old, new]}``. Unknown keys are ignored by design: callers pass forms."""
    changes: dict[str, list] = {}
    for name in ENTRY_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "nature":
            code = nature_of(value)
            if code is None:
                raise refuse(
                    {
                        "nature": gettext("指标性质「%(value)s」无法识别，应为 ≥、≤、＝ 或 定性。")
                        % {"value": value}
                    },
                    "invalid",
                )
            value = code
        elif name == "project_categories":
            value = _categories(value)
        elif name == "reference_weight":
            value = _weight(value)
        elif name in ("is_common", "is_required"):
            value = bool(value)
        else:
            value = unicodedata.normalize("NFKC", str(value or "")).strip()
            if name == "level3":
                value = str(data[name] or "").strip()  # the published spelling, as written
        old = getattr(entry, name)
        if old != value:
            changes[name] = [old, value]
            setattr(entry, name, value)
    return changes


def _weight(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise refuse(
            {"reference_weight": gettext("参考分值「%(value)s」不是数字。") % {"value": value}},
            "invalid",
        ) from None


def derive_and_check(entry: LibraryEntry, *, clean: bool = True) -> None:
    """Derived columns (category, direction, canonical unit, search text) and the rules the
    database cannot state, each a field-level Chinese error; then ``full_clean`` (``clean=False``
    for a probe compared with a stored entry, never saved)."""
    errors: dict[str, str] = {}
    entry.category = targets.category_of(entry.level1)
    if not entry.level1:
        errors["level1"] = gettext("一级指标不能为空。")
    elif entry.category == Category.OTHER:
        errors["level1"] = gettext("一级指标「%(level1)s」不属于项目或整体绩效指标框架。") % {
            "level1": entry.level1
        }
    if entry.level2:
        entry.level2 = targets.normalize_level2(entry.level1, entry.level2)[0]
    else:
        errors["level2"] = gettext("二级指标不能为空。")
    if not (entry.level3 or "").strip():
        errors["level3"] = gettext("三级指标不能为空。")
    if entry.nature in NATURE_DIRECTION:
        entry.direction = NATURE_DIRECTION[Nature(entry.nature)]
    qualitative = entry.nature == Nature.QUALITATIVE
    if qualitative:
        entry.measure_unit = ""
    elif not entry.measure_unit:
        errors["measure_unit"] = gettext("定量指标必须填写度量单位。")
    else:
        unit = targets.canonical_unit(entry.measure_unit)
        if unit is None:
            errors["measure_unit"] = gettext(
                "度量单位「%(unit)s」无法识别，请使用 %%、人、个、万元 等常用单位。"
            ) % {"unit": entry.measure_unit}
        else:
            entry.measure_unit = unit
    if entry.reference_value and "measure_unit" not in errors and entry.nature:
        problem = reference_problem(entry)
        if problem:
            errors["reference_value"] = problem
    if entry.is_required and not entry.is_common:
        errors["is_required"] = gettext("只有共性指标可以设为必选。")
    owner = entry.unit
    if entry.is_common and owner.kind != UnitKind.FINANCE:
        errors["is_common"] = gettext("共性指标由财政部门统一维护，归口单位应为财政局。")
    if owner.kind == UnitKind.UNIT:
        errors["unit"] = gettext(
            "指标库指标的归口单位应为主管部门或财政局，预算单位不能维护指标库。"
        )
    if errors:
        raise refuse(errors, "invalid")
    entry.search_text = search_text(entry)
    if clean:
        entry.full_clean()


def reference_problem(entry: LibraryEntry) -> str:
    """Why the entry's 参考值 contradicts its 指标性质 or 度量单位 (``""`` when it agrees)."""
    reading = targets.parse_target(entry.reference_value, level1=entry.level1)
    values = {
        "value": entry.reference_value,
        "nature": Nature(entry.nature).label,
        "unit": entry.measure_unit,
    }
    if not reading.is_readable:
        return gettext("参考值「%(value)s」无法识别。") % values
    if entry.nature == Nature.QUALITATIVE:
        if reading.kind != targets.QUALITATIVE:
            return gettext("参考值「%(value)s」是定量数值，与指标性质“定性”不一致。") % values
        return ""
    if reading.kind == targets.QUALITATIVE:
        return gettext("参考值「%(value)s」是定性表述，与指标性质“%(nature)s”不一致。") % values
    if reading.direction != NATURE_DIRECTION[Nature(entry.nature)]:
        return gettext("参考值「%(value)s」与指标性质“%(nature)s”不一致。") % values
    if reading.unit and reading.unit != entry.measure_unit:
        return gettext("参考值「%(value)s」的单位与度量单位“%(unit)s”不一致。") % values
    return ""


# --- who may --------------------------------------------------------------------------------


def _require_visible(actor, unit: Unit) -> None:
    if actor is not None and not roles_for(actor, unit):
        raise PermissionDenied(
            gettext("“%(unit)s”不在您的管辖范围内，无权访问。") % {"unit": unit.name}
        )


def may_edit_entries_of(user, owner: Unit) -> bool:
    """Whether ``user`` may write and propose entries owned by ``owner``."""
    return user is None or has_role(user, owner, LIBRARY_EDITORS)


def may_write_some_entries(user) -> bool:
    """Whether ``user`` holds a ``LIBRARY_EDITORS`` role on a department or a finance bureau
    (the admin's 增加 button; the owner chosen is checked again by the service). No query."""
    return holds_role_on_bureau_or_department(user, LIBRARY_EDITORS)


def may_confirm(user, entry: LibraryEntry) -> bool:
    """Whether ``user`` may confirm, return and retire ``entry`` (财政审核人 above the owner)."""
    return user is None or has_role(user, entry.unit, LIBRARY_CONFIRMERS)


# --- entries --------------------------------------------------------------------------------


def _next_code(owner: Unit, *, common: bool) -> str:
    """The next free code of the owner's series, under a lock of the owner's row."""
    Unit.objects.select_for_update().filter(pk=owner.pk).first()
    prefix = f"{COMMON_PREFIX if common else owner.code}-"
    numbers = [
        int(code[len(prefix) :])
        for code in LibraryEntry.objects.filter(code__startswith=prefix).values_list(
            "code", flat=True
        )
        if code[len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


@transaction.atomic
def library_entry_create(
    *,
    actor,
    owner: Unit,
    data: Mapping[str, Any],
    propose: bool = False,
    confirm: bool = False,
    notify: bool = True,
) -> LibraryEntry:
    """A new entry (version 1) owned by ``owner``, in 草稿; ``propose`` submits it for
    confirmation, ``confirm`` (财政审核人) also confirms it: two audited steps in one call."""
    _require_visible(actor, owner)
    require_role(actor, owner, LIBRARY_EDITORS, "维护指标库")
    entry = LibraryEntry(unit=owner, status=LibraryStatus.DRAFT, version=1)
    if getattr(actor, "pk", None):
        entry.created_by = actor
    assign_fields(entry, data)
    if "is_common" not in data:
        entry.is_common = owner.kind == UnitKind.FINANCE
    entry.code = _next_code(owner, common=entry.is_common)
    derive_and_check(entry)
    entry.save()
    audit.record(
        obj=entry,
        actor=actor,
        action=AuditAction.CREATE,
        changes={name: [None, getattr(entry, name)] for name in ("code", *ENTRY_FIELDS)},
    )
    if propose or confirm:
        # Created and confirmed in one call (a seed): nobody needs to be asked to confirm it.
        library_entry_propose(entry=entry, actor=actor, notify=notify and not confirm)
    if confirm:
        library_entry_confirm(entry=entry, actor=actor)
    return entry


@transaction.atomic
def library_entry_update(
    *,
    entry: LibraryEntry,
    actor,
    data: Mapping[str, Any],
    reason: str = "",
    expected_version: int | None = None,
) -> LibraryEntry:
    """Change an entry: the owner's editors in 草稿/已退回; a 财政审核人 corrects a confirmed
    entry in place (reason required) — but not its meaning once an approved goal uses it
    (``library_frozen``: a revision makes a new version instead)."""
    locked = LibraryEntry.objects.select_for_update().select_related("unit").get(pk=entry.pk)
    _require_visible(actor, locked.unit)
    check_lock_version(locked, expected_version)
    reason = (reason or "").strip()
    if locked.status == LibraryStatus.APPROVED:
        require_role(actor, locked.unit, LIBRARY_CONFIRMERS, "直接修改已确认的指标库指标")
        if not reason:
            raise refuse(
                {"reason": gettext("直接修改已确认的指标时必须填写修改原因。")},
                "comment_required",
            )
    else:
        workflow.require_edit(locked, actor=actor, action="修改指标库指标")
    changes = assign_fields(locked, data)
    if "is_common" in changes:
        raise refuse({"is_common": gettext("共性/个性不能修改；请新建指标。")}, "invalid")
    if locked.frozen_at is not None and set(changes) & set(MEANING_FIELDS):
        raise refuse(
            {
                "level3": gettext(
                    "该指标已被已批复的绩效目标引用，名称、度量单位和指标性质已冻结；"
                    "请使用“修订”生成新版本。"
                )
            },
            "library_frozen",
        )
    derive_and_check(locked)
    changes = {
        name: [old, getattr(locked, name)]
        for name, (old, _new) in changes.items()
        if old != getattr(locked, name)
    }
    if not changes:
        return locked
    locked.lock_version += 1
    locked.save()
    audit.record(
        obj=locked, actor=actor, action=AuditAction.UPDATE, changes=changes, comment=reason
    )
    for name in (*ENTRY_FIELDS, "category", "direction", "search_text", "lock_version"):
        setattr(entry, name, getattr(locked, name))
    return locked


@transaction.atomic
def library_entry_revise(
    *,
    entry: LibraryEntry,
    actor,
    data: Mapping[str, Any],
    reason: str,
    expected_version: int | None = None,
) -> LibraryEntry:
    """A confirmed entry → version n+1 in 草稿 with the requested changes; version n stays
    confirmed (and pickable) until n+1 is confirmed. Goals keep the version they referenced."""
    locked, row = workflow.begin(
        obj=entry, actor=actor, action=workflow.REVISE, expected_version=expected_version
    )
    reason = (reason or "").strip()
    if not reason:
        raise refuse({"reason": gettext("修订指标库指标时必须填写修订原因。")}, "comment_required")
    pending = (
        LibraryEntry.objects.filter(code=locked.code, status__in=LIBRARY_OPEN)
        .exclude(pk=locked.pk)
        .first()
    )
    if pending is not None:
        raise refuse(
            {
                "status": gettext(
                    "该指标已有修订中的 v%(version)s（%(status)s），请在该版本上修改。"
                )
                % {"version": pending.version, "status": pending.get_status_display()}
            },
            "invalid_transition",
        )
    latest = LibraryEntry.objects.filter(code=locked.code).order_by("-version").first()
    new = LibraryEntry(
        code=locked.code,
        version=latest.version + 1,
        previous=latest if latest.pk != locked.pk else locked,
        unit=locked.unit,
        status=LibraryStatus.DRAFT,
        created_by=actor if getattr(actor, "pk", None) else None,
        **{name: getattr(locked, name) for name in ENTRY_FIELDS},
    )
    data = {k: v for k, v in data.items() if k != "is_common"}
    changes = assign_fields(new, data)
    derive_and_check(new)
    new.save()
    audit.record(
        obj=new,
        actor=actor,
        action=AuditAction.CREATE,
        comment=reason,
        changes={"previous": [None, locked.pk], "version": [None, new.version], **changes},
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


def library_entry_propose(
    *,
    entry: LibraryEntry,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    notify: bool = True,
) -> LibraryEntry:
    """草稿/已退回 → 待确认; the finance bureau's 财政审核人 hear about it once."""
    with transaction.atomic():
        proposed = workflow.submit(
            obj=entry, actor=actor, comment=comment, expected_version=expected_version
        )
        if not notify:
            return proposed
        root = _root_of(proposed.unit)
        notifications.notify_many(
            recipients=users_with_roles(root, LIBRARY_CONFIRMERS),
            kind=NotificationKind.LIBRARY_PROPOSED,
            occasion_key=f"library_proposed:{proposed.pk}:{proposed.lock_version}",
            title=f"指标待确认：{proposed}"[:200],
            body=f"{proposed.unit.name}提交了指标库指标，请确认或退回。",
            unit=proposed.unit,
        )
    return proposed


def library_entry_confirm(
    *, entry: LibraryEntry, actor, comment: str = "", expected_version: int | None = None
) -> LibraryEntry:
    """待确认 → 已确认 (财政审核人); the previous confirmed version becomes 已由新版本取代.

    The owner's staff hear about a confirmation by a person (not about the system's seeds)."""
    with transaction.atomic():
        confirmed = workflow.approve(
            obj=entry, actor=actor, comment=comment, expected_version=expected_version
        )
        if actor is None:
            return confirmed
        notifications.notify_many(
            recipients=owner_staff(confirmed.unit),
            kind=NotificationKind.LIBRARY_CONFIRMED,
            occasion_key=f"library_confirmed:{confirmed.pk}",
            title=f"指标已确认：{confirmed}"[:200],
            body=comment,
            unit=confirmed.unit,
        )
    return confirmed


def library_entry_return(
    *, entry: LibraryEntry, actor, comment: str, expected_version: int | None = None
) -> LibraryEntry:
    """待确认 → 已退回 (财政审核人) with a required comment; the owner's staff are notified."""
    with transaction.atomic():
        returned = workflow.return_(
            obj=entry, actor=actor, comment=comment, expected_version=expected_version
        )
        notifications.notify_many(
            recipients=owner_staff(returned.unit),
            kind=NotificationKind.RETURNED,
            occasion_key=f"returned:libraryentry:{returned.pk}:v{returned.lock_version}",
            title=f"指标库指标被退回：{returned}"[:200],
            body=f"退回意见：{returned.last_comment}",
            unit=returned.unit,
        )
    return returned


def owner_staff(unit: Unit) -> list:
    """Who hears about the owner's entries: its staff and, for a department, its reviewers
    (a department's 个性 entries are written by 主管部门 staff)."""
    return users_with_roles(unit, (*UNIT_STAFF, *DEPT_REVIEWERS))


def library_entry_retire(
    *, entry: LibraryEntry, actor, reason: str, expected_version: int | None = None
) -> LibraryEntry:
    """已确认 → 已停用 (财政审核人), or 撤销 a draft (the owner's editors); never a delete."""
    return workflow.retire(obj=entry, actor=actor, reason=reason, expected_version=expected_version)


def _root_of(unit: Unit) -> Unit:
    code = next(c for c in unit.path.split("/") if c)
    return unit if unit.code == code else Unit.objects.get(code=code)


# --- goals that reference entries -----------------------------------------------------------


def require_confirmed_entries(*, goal: PerformanceGoal) -> None:
    """Refuse 财政批复 of a goal that references an entry the finance bureau has not confirmed
    (``library_unconfirmed``): confirm or return the entry first."""
    pending = (
        LibraryEntry.objects.filter(
            indicators__goal=goal,
            status__in=LIBRARY_OPEN,
        )
        .order_by("code")
        .first()
    )
    if pending is not None:
        raise refuse(
            {
                "status": gettext(
                    "引用的个性指标「%(level3)s」（%(code)s）尚未经财政确认："
                    "请先确认或退回该指标，再批复目标。"
                )
                % {"level3": pending.level3, "code": pending.code}
            },
            "library_unconfirmed",
        )


def library_entries_freeze(*, goal: PerformanceGoal, actor) -> int:
    """Freeze the meaning of every entry an approved goal references (once, never cleared);
    one UPDATE and one audit row per entry frozen now. Returns how many were frozen."""
    now = timezone.now()
    entries = list(
        LibraryEntry.objects.filter(indicators__goal=goal, frozen_at__isnull=True).distinct()
    )
    if not entries:
        return 0
    LibraryEntry.objects.filter(pk__in=[e.pk for e in entries]).update(frozen_at=now)
    audit.record_many(
        entries=((e, {"frozen_at": [None, now]}) for e in entries),
        actor=actor,
        action=AuditAction.COMPUTE,
        comment=f"已被批复目标引用，冻结（{goal}）"[:300],
    )
    return len(entries)


@transaction.atomic
def library_link_indicators(*, links: Sequence[tuple[Indicator, LibraryEntry]], actor) -> int:
    """Link existing indicators to the entries they were written from, without changing what
    they say (the demo's published goals); audited per indicator. Returns how many changed."""
    changed = []
    for indicator, entry in links:
        if indicator.library_entry_id == entry.pk:
            continue
        indicator.library_entry = entry
        indicator.library_code = entry.code
        changed.append(indicator)
    Indicator.objects.bulk_update(changed, ["library_entry", "library_code"], batch_size=500)
    audit.record_many(
        entries=((i, {"library_code": ["", i.library_code]}) for i in changed),
        actor=actor,
        action=AuditAction.UPDATE,
        comment="关联指标库指标",
        reprs={i.pk: f"{i.level1} / {i.level3}"[:300] for i in changed},
    )
    return len(changed)


# --- seeds ----------------------------------------------------------------------------------


def read_seed(path: Path = COMMON_SEED) -> list[dict[str, str]]:
    """The rows of a shipped library CSV (101号 columns + applicability)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [dict(row) for row in csv.DictReader(handle)]


SEED_COLUMNS = {
    "一级指标": "level1",
    "二级指标": "level2",
    "三级指标": "level3",
    "指标性质": "nature",
    "指标值": "reference_value",
    "度量单位": "measure_unit",
    "权重": "reference_weight",
    "指标解释": "explanation",
    "指标值设定依据及数据来源": "basis",
    "评(扣)分标准": "scoring_standard",
    "适用项目类型": "project_categories",
    "支出功能分类": "function_class",
}
GOAL_SCOPE_LABELS = {
    "项目": LibraryGoalScope.PROJECT,
    "整体": LibraryGoalScope.UNIT,
    "通用": LibraryGoalScope.BOTH,
}


def seed_row_data(row: Mapping[str, str]) -> dict[str, Any]:
    """An entry's data from one seed/import row keyed by the Chinese headers."""
    data: dict[str, Any] = {
        field: (row.get(header) or "").strip()
        for header, field in SEED_COLUMNS.items()
        if header in row
    }
    scope = (row.get("适用目标") or "").strip()
    if scope:
        data["goal_scope"] = GOAL_SCOPE_LABELS.get(scope, scope)
    if "必选" in row:
        data["is_required"] = (row.get("必选") or "").strip() in ("是", "1", "true", "必选")
    return data


@transaction.atomic
def library_seed_common(*, finance: Unit, actor=None, path: Path = COMMON_SEED) -> int:
    """Create the shipped 共性 entries under ``finance`` as confirmed entries; idempotent (a
    row whose 三级 and 适用目标 already exist under the root is skipped). Returns how many
    were created."""
    if finance.kind != UnitKind.FINANCE:
        raise ValidationError({"finance": gettext("共性指标的归口单位应为财政局。")})
    existing = set(
        LibraryEntry.objects.filter(unit=finance, is_common=True).values_list(
            "level3", "goal_scope"
        )
    )
    created = 0
    for row in read_seed(path):
        data = seed_row_data(row)
        data["is_common"] = True
        key = (data["level3"], data.get("goal_scope", LibraryGoalScope.PROJECT))
        if key in existing:
            continue
        library_entry_create(actor=actor, owner=finance, data=data, confirm=True)
        existing.add(key)
        created += 1
    return created


# --- 引用: picking entries into a goal ------------------------------------------------------


@dataclass(frozen=True)
class Pick:
    """One entry a unit picks into a goal: the 指标值 it sets now (blank: later), or the
    entry's 参考值 with ``use_reference``; the 分值 defaults to the entry's 参考分值."""

    entry: LibraryEntry
    raw_value: str = ""
    weight: Decimal | None = None
    use_reference: bool = False


@dataclass
class Picked:
    """What picking created, and the warnings to show (unconfirmed 个性 entries)."""

    indicators: list[Indicator] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


NOT_PICKABLE = gettext_lazy("指标库指标不存在或不可引用。")


def _path_codes(unit: Unit) -> list[str]:
    return [code for code in unit.path.split("/") if code]


def department_code(unit: Unit) -> str | None:
    """The code of the 主管部门 a unit belongs to (``None`` for a finance bureau)."""
    codes = _path_codes(unit)
    return codes[1] if len(codes) > 1 else None


def pick_problem(entry: LibraryEntry, goal: PerformanceGoal, codes_in_goal: set[str]) -> str:
    """Why ``entry`` cannot be picked into ``goal`` (``""`` when it can): another root, a
    status that is not pickable, another goal scope or project type, already in the goal.
    Unconfirmed 个性 entries are pickable only by units of their owner department (§12.5)."""
    root = _path_codes(goal.unit)[0]
    if _path_codes(entry.unit)[0] != root:
        return str(NOT_PICKABLE)
    name = {"entry": f"「{entry.level3}」（{entry.code}）"}
    if entry.status != LibraryStatus.APPROVED:
        own_proposal = (
            entry.status in LIBRARY_OPEN
            and not entry.is_common
            and entry.unit.kind == UnitKind.DEPARTMENT
            and department_code(goal.unit) == entry.unit.code
        )
        if not own_proposal:
            return gettext("%(entry)s当前状态为“%(status)s”，不能引用。") % {
                **name,
                "status": entry.get_status_display(),
            }
    if entry.goal_scope != LibraryGoalScope.BOTH and entry.goal_scope != goal.scope:
        return gettext("%(entry)s只适用于%(scope)s。") % {
            **name,
            "scope": LibraryGoalScope(entry.goal_scope).label,
        }
    if goal.project_id is not None and entry.project_categories:
        category = goal.project.category
        if category not in entry.project_category_codes:
            return gettext("%(entry)s不适用于%(category)s项目。") % {
                **name,
                "category": ProjectCategory(category).label,
            }
    if entry.code in codes_in_goal:
        return gettext("%(entry)s已在该目标中。") % name
    return ""


@transaction.atomic
def goal_add_library_entries(
    *, goal: PerformanceGoal, actor, picks: Sequence[Pick], visible=None
) -> Picked:
    """Each pick becomes an indicator of ``goal`` linked to the picked entry version, with the
    entry's 一级/二级/三级, 指标解释 and 参考分值 copied; the unit sets the 指标值 (a blank one is
    the review's existing ``empty`` finding, so submission waits for it). All or nothing:
    refusals are per pick (field ``entries[i]``). ``visible`` is the entry ids the caller may
    see (``None``: the selector is asked)."""
    from ..selectors.library import visible_for_goal

    locked = PerformanceGoal.objects.select_for_update(of=("self",)).select_related(
        "unit", "project"
    )
    goal = locked.get(pk=goal.pk)
    workflow.require_edit(goal, actor=actor, action="引用指标库指标")
    if not picks:
        raise refuse({"entries": gettext("请至少选择一个指标库指标。")}, "required")
    if visible is None:
        ids = [p.entry.pk for p in picks]
        visible = visible_for_goal(actor, goal).filter(pk__in=ids).values_list("pk", flat=True)
        visible = set(visible)
    codes = set(
        Indicator.objects.filter(goal=goal)
        .exclude(library_code="")
        .values_list("library_code", flat=True)
    )
    errors: dict[str, str] = {}
    warnings: list[str] = []
    for i, pick in enumerate(picks):
        entry = pick.entry
        problem = str(NOT_PICKABLE) if entry.pk not in visible else pick_problem(entry, goal, codes)
        if problem:
            errors[f"entries[{i}]"] = problem
            continue
        codes.add(entry.code)
        if entry.status != LibraryStatus.APPROVED:
            warnings.append(
                gettext(
                    "「%(level3)s」（%(code)s）尚未经财政确认：目标报财政批复前须先确认该指标。"
                )
                % {"level3": entry.level3, "code": entry.code}
            )
    if errors:
        raise refuse(errors, "library_not_pickable")
    last = Indicator.objects.filter(goal=goal).aggregate(last=Max("order"))["last"] or 0
    created = []
    for order, pick in enumerate(picks, start=last + 1):
        entry = pick.entry
        raw = (pick.raw_value or "").strip()
        if not raw and pick.use_reference:
            raw = entry.reference_value
        indicator = Indicator(
            goal=goal,
            level1=entry.level1,
            level2=entry.level2,
            level3=entry.level3,
            raw_value=raw,
            weight=pick.weight if pick.weight is not None else entry.reference_weight,
            explanation=entry.explanation,
            order=order,
            library_entry=entry,
            library_code=entry.code,
        )
        apply_parsed_target(indicator)
        indicator.full_clean()
        created.append(indicator)
    Indicator.objects.bulk_create(created)
    audit.record(
        obj=goal,
        actor=actor,
        action=AuditAction.CREATE,
        changes={
            f"indicator[{i.pk}]": [None, {"library_code": i.library_code, "level3": i.level3}]
            for i in created
        },
        comment=f"引用指标库指标 {len(created)} 个"[:300],
    )
    return Picked(indicators=created, warnings=warnings)
