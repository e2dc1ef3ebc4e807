"""What the window reminders and the event warnings share: links, listings and sending once.

Who hears about what is a role set of ``projects.permissions`` (``UNIT_STAFF``, escalated to
``DEPT_REVIEWERS``), looked up for many units at once by ``permissions.RoleHolders``."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from ..notifications import notify

LISTED_ITEMS = 20


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
