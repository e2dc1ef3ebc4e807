"""Kind ``people`` (人员和角色): users and their role memberships from master data.

One row per membership: 用户名, 姓名, 电子邮箱, 单位编码, 角色 (a person with two roles has two
rows, whose 姓名 and 电子邮箱 must agree). No password travels: a new user gets an unusable
password and, after the commit, an invitation (notification ``account_invite``) whose mail
carries a set-password link built when it is sent. ``send_invites=false`` (the system or a
superuser only) skips the invitations (the demo loader). Who may write which row is the
administration matrix's (``projects.services.people``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from projects.choices import Role
from projects.permissions import MASTER_DATA_IMPORTERS
from projects.services.invitations import invite_seconds, masked_email
from projects.services.people import (
    GrantSpec,
    PeoplePlan,
    PersonSpec,
    people_apply,
    people_plan,
)

from ....choices import JobKind, NotificationKind
from ... import notifications
from ..cell_cleaning import Bad, as_text, required, unit_code
from ..columns import Column
from ..framework import ImportKind, PlanContext, WriteContext
from ..reading import Table
from ..result import ImportResult
from .master_data import Progress, clean_rows, flag

COLUMNS = (
    Column("username", "用户名"),
    Column("name", "姓名"),
    Column("email", "电子邮箱"),
    Column("unit", "单位编码"),
    Column("role", "角色"),
)
HEADER_OF = {c.key: c.header for c in COLUMNS}
ROLE_OF = {**{label: value for value, label in Role.choices}, **{v: v for v in Role.values}}
_username_validator = UnicodeUsernameValidator()


@dataclass(frozen=True)
class PersonRow:
    row: int
    username: str
    name: str
    email: str
    unit: str
    role: str


def _username(value) -> str:
    text = unicodedata.normalize("NFKC", required(as_text(value)))
    try:
        _username_validator(text)
    except ValidationError:
        raise Bad(
            f"「{text[:30]}」不是有效的用户名（字母、数字和 @ . + - _）。", "invalid_username"
        ) from None
    if len(text) > 150:
        raise Bad("用户名最长 150 个字符。", "too_long")
    return text


def _email(value) -> str:
    text = unicodedata.normalize("NFKC", as_text(value))
    if not text:
        raise Bad("不能为空：设置密码的链接发送到这个邮箱。", "required")
    try:
        validate_email(text)
    except ValidationError:
        raise Bad(f"「{text[:60]}」不是有效的电子邮箱。", "invalid_email") from None
    return text


def _name(value) -> str:
    text = required(as_text(value))
    if len(text) > 150:
        raise Bad("姓名最长 150 个字。", "too_long")
    return text


def _role(value) -> str:
    text = "".join(unicodedata.normalize("NFKC", required(as_text(value))).split())
    if text not in ROLE_OF:
        raise Bad(
            f"「{text[:20]}」不是已知的角色（可填：{'、'.join(Role.labels)}）。", "unknown_role"
        )
    return ROLE_OF[text]


def validate(table: Table, result: ImportResult, progress: Progress | None) -> tuple[list, None]:
    """Clean every row; two rows of one person that disagree on 姓名/邮箱 are an error."""
    rows = clean_rows(
        table,
        COLUMNS,
        result,
        progress,
        {"username": _username, "name": _name, "email": _email, "unit": unit_code, "role": _role},
        lambda number, v: PersonRow(
            number, v["username"], v["name"], v["email"], v["unit"], v["role"]
        ),
    )
    first: dict[str, PersonRow] = {}
    seen: dict[tuple[str, str, str], int] = {}
    kept = []
    for row in rows:
        person = first.setdefault(row.username, row)
        if (person.name, person.email) != (row.name, row.email):
            column = "name" if person.name != row.name else "email"
            result.error(
                f"用户「{row.username}」在第{person.row}行的{HEADER_OF[column]}是"
                f"「{getattr(person, column)}」，本行是「{getattr(row, column)}」；同一人的各行必须一致。",
                "person_conflict",
                row.row,
                HEADER_OF[column],
            )
            continue
        key = (row.username, row.unit, row.role)
        if key in seen:
            result.warn(f"与第{seen[key]}行是同一角色，已忽略。", "duplicate_row", row.row, "角色")
            continue
        seen[key] = row.row
        kept.append(row)
    return kept, None


@dataclass
class Plan:
    people: PeoplePlan
    send_invites: bool
    created_ids: list[int] = field(default_factory=list)


COLUMN_OF_PROBLEM = {"username": "用户名", "unit": "单位编码", "role": "角色", "name": "姓名"}


def plan(rows: list[PersonRow], context: PlanContext) -> Plan | None:
    result, actor = context.result, context.actor
    send_invites = flag(context.options, "send_invites", default=True)
    if not send_invites and actor is not None and not actor.is_superuser:
        result.error(
            "只有系统管理员可以不发送设置密码邮件。", "invalid_option", column="send_invites"
        )
        return None
    persons: dict[str, PersonSpec] = {}
    for row in rows:
        persons.setdefault(row.username, PersonSpec(row.row, row.username, row.name, row.email))
    people = people_plan(
        persons=list(persons.values()),
        grants=[GrantSpec(row.row, row.username, row.unit, row.role) for row in rows],
        actor=actor,
        lock=context.lock,
    )
    for problem in people.problems:
        result.error(
            problem.message, problem.problem, problem.key, COLUMN_OF_PROBLEM[problem.column]
        )
    if people.creates and send_invites:
        result.notices.append(
            f"将为 {len(people.creates)} 个新用户发送设置密码邮件（{invite_seconds() // 86400} 天内有效，"
            "只能使用一次）；文件中不包含、系统也不保存任何密码。"
        )
    return Plan(people, send_invites)


def count(plan: Plan, result: ImportResult) -> None:
    people = plan.people
    result.counts.update(
        users_created=len(people.creates),
        users_updated=len(people.updates),
        users_unchanged=people.unchanged_people,
        memberships_created=len(people.grants),
        memberships_unchanged=people.unchanged_grants,
    )


def write(plan: Plan, context: WriteContext) -> None:
    plan.created_ids = people_apply(
        plan=plan.people, actor=context.actor, comment=f"导入文件：{context.result.filename}"
    )


def after_commit(plan: Plan, context: WriteContext) -> None:
    """Invite every created user (one notification per user: a re-run invites nobody twice)."""
    if not plan.send_invites:
        return
    users = get_user_model().objects.filter(pk__in=plan.created_ids)
    for user in users:
        invite(user)


def invite(user) -> None:
    """The invitation notification; its mail gets the link when sent (never stored)."""
    notifications.notify(
        recipient=user,
        kind=NotificationKind.ACCOUNT_INVITE,
        occasion_key=f"account_invite:{user.pk}:1",
        title="账号已开通，请设置登录密码",
        body=(
            f"您的账号“{user.username}”已开通。设置密码的链接已发送到 {masked_email(user.email)}，"
            f"{invite_seconds() // 86400} 天内有效，只能使用一次。"
        ),
    )


PEOPLE = ImportKind(
    name="people",
    title="人员和角色",
    job_kind=JobKind.IMPORT_PEOPLE,
    roles=frozenset(MASTER_DATA_IMPORTERS),
    columns=COLUMNS,
    example="people.csv",
    counts=(
        ("rows", "行数"),
        ("users_created", "新增用户"),
        ("users_updated", "更新用户"),
        ("users_unchanged", "未变化用户"),
        ("memberships_created", "新增角色"),
        ("memberships_unchanged", "未变化角色"),
    ),
    change_counts=("users_created", "users_updated", "memberships_created"),
    validate=validate,
    plan=plan,
    count=count,
    write=write,
    after_commit=after_commit,
    refusal_message="您没有导入人员和角色的权限（需要：管理员）。",
)
