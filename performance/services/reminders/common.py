"""What the window reminders and the event warnings share: roles, states and bulk recipients."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse

from projects.choices import Role
from projects.models import Membership, Unit

from ..notifications import notify

STAFF_ROLES = (Role.FILLER, Role.UNIT_REVIEWER)
ESCALATION_ROLES = (Role.DEPT_REVIEWER,)
LISTED_ITEMS = 20


class Recipients:
    """Role holders of many units at once: one query for memberships, one for users."""

    def __init__(self, units: Iterable[Unit], roles: Iterable[str]) -> None:
        units = list(units)
        codes = {code for unit in units for code in unit.path.split("/") if code}
        by_code: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        for user_id, code, role in Membership.objects.filter(
            unit__code__in=codes, role__in=list(roles), user__is_active=True
        ).values_list("user_id", "unit__code", "role"):
            by_code[code][role].add(user_id)
        user_ids = {uid for roles_ in by_code.values() for ids in roles_.values() for uid in ids}
        self.users = get_user_model().objects.in_bulk(user_ids)
        self.by_code = by_code

    def of(self, unit: Unit, roles: Iterable[str]) -> list:
        """Users holding one of ``roles`` on ``unit`` or above it, ordered by id."""
        ids: set[int] = set()
        for code in (c for c in unit.path.split("/") if c):
            for role in roles:
                ids |= self.by_code.get(code, {}).get(role, set())
        return [self.users[pk] for pk in sorted(ids) if pk in self.users]


def admin_link(name: str, query: str = "") -> str:
    try:
        return reverse(name) + query
    except NoReverseMatch:  # the admin is not mounted in this deployment
        return ""


def listing(items: list[str]) -> str:
    lines = [f"- {item}" for item in items[:LISTED_ITEMS]]
    if len(items) > LISTED_ITEMS:
        lines.append(f"……等共 {len(items)} 项")
    return "\n".join(lines)


def notify_once(*, recipients: list, occasion_key: str, existing: set, **fields) -> int:
    created = 0
    for user in recipients:
        if (user.pk, occasion_key) in existing:
            continue
        if notify(recipient=user, occasion_key=occasion_key, **fields) is not None:
            created += 1
    return created
