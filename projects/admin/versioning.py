"""Optimistic concurrency in the admin: every edit form carries the ``lock_version`` it showed.

A change page (and each inline row of a versioned model) posts back, in a hidden
``expected_version`` field, the ``lock_version`` of the object as the page was built; the admin
passes it to the service as ``expected_version``, and the service refuses a save prepared on an
older version (``projects.services.locking.StaleObjectError``, shown as a Chinese admin message).

The field is required on every form of an existing object: a post without it (a page saved
from before the field existed, a hand-made request) cannot say which version it was prepared
on, so it is refused with :data:`MISSING_VERSION` and changes nothing. The services keep
``expected_version`` optional for callers that hold no page (the demo loader, imports that
lock their rows, scheduled tasks); the admin and the API's ``PATCH`` always send it.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

EXPECTED_VERSION = "expected_version"
MISSING_VERSION = (
    "页面缺少版本号，无法确认您是在最新内容上修改，本次保存未执行；请刷新页面后重新修改。"
)


class VersionField(forms.IntegerField):
    """Hidden, and never counted as a change: an inline row whose object someone else saved is
    still "unchanged" by this user (so it is skipped, not refused)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)

    def has_changed(self, initial, data) -> bool:
        return False


class VersionedForm(forms.ModelForm):
    """Carries the ``lock_version`` the page was built on, so a stale save is refused; a form of
    an existing object posted without it is refused too."""

    expected_version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields[EXPECTED_VERSION].initial = self.instance.lock_version

    def clean(self):
        cleaned = super().clean()
        missing = cleaned.get(EXPECTED_VERSION) is None and EXPECTED_VERSION not in self.errors
        if self.instance.pk and missing:
            raise ValidationError(MISSING_VERSION, code="version_missing")
        return cleaned


def without_version(fields):
    """``fields`` (names, or tuples of names on one line) less the hidden version field: read-only
    pages have nothing to save, and a read-only ``expected_version`` would show as a column."""
    result = []
    for field in fields:
        if isinstance(field, list | tuple):
            line = [name for name in field if name != EXPECTED_VERSION]
            if line:
                result.append(tuple(line))
        elif field != EXPECTED_VERSION:
            result.append(field)
    return result
