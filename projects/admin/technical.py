"""Developer-facing fields stay out of the way of people who cannot act on them.

修改版本号 (``lock_version``), 事由键, 邮件发送认领时间, 任务ID, 最近进展时间 and the raw JSON of a job
are bookkeeping: a filler or a reviewer cannot do anything with them. ``TechnicalFieldsMixin`` (a
base of every ModelAdmin through ``WritesThroughServices``) drops the fields named in
``technical_fields`` from the change page for everyone but a superuser, who finds them in a
collapsed “技术信息” fieldset. The hidden ``expected_version`` input of a versioned form stays: it is
what refuses a stale save.
"""

from __future__ import annotations

from typing import Any

TECHNICAL_FIELDS = (
    "lock_version",
    "occasion_key",
    "email_claimed_at",
    "task_id",
    "progress_at",
    "files_expired_at",
    "attempts",
)
TECHNICAL_TITLE = "技术信息"


class TechnicalFieldsMixin:
    """Drop ``technical_fields`` from change pages of non-superusers (superusers: one collapsed
    “技术信息” fieldset at the end)."""

    technical_fields: tuple[str, ...] = TECHNICAL_FIELDS

    def get_fieldsets(self, request, obj=None) -> list[tuple[str | None, dict[str, Any]]]:
        fieldsets = super().get_fieldsets(request, obj)
        technical = set(self.technical_fields)
        moved: list[str] = []
        kept = []
        for title, options in fieldsets:
            fields = []
            for entry in options.get("fields", ()):
                names = entry if isinstance(entry, list | tuple) else (entry,)
                shown = [name for name in names if name not in technical]
                moved += [name for name in names if name in technical and name not in moved]
                if shown:
                    fields.append(shown[0] if not isinstance(entry, list | tuple) else shown)
            if fields:
                kept.append((title, {**options, "fields": fields}))
        if moved and request.user.is_superuser:
            kept.append((TECHNICAL_TITLE, {"fields": moved, "classes": ["collapse"]}))
        return kept
