"""Optimistic concurrency in the admin: every edit form carries the ``lock_version`` it showed.

A change page (and each inline row) posts back, in a hidden ``expected_version`` field, the
``lock_version`` of the object as the page was built; the admin passes it to the service as
``expected_version``, and the service refuses a save prepared on an older version
(``projects.services.StaleObjectError``, shown as a Chinese admin message). Because the admin's
``changeform_view`` runs in one transaction, a refused inline row also undoes the main form's
save: a stale page changes nothing, and whatever the other user saved stays.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect

from projects.admin_scoping import is_service_refusal, report_service_error

EXPECTED_VERSION = "expected_version"


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
    """Carries the ``lock_version`` the page was built on, so a stale save is refused."""

    expected_version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields[EXPECTED_VERSION].initial = self.instance.lock_version


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


class ServiceErrorsAsMessagesMixin:
    """A change form whose service refuses the save (stale version, wrong state, no permission)
    shows the service's Chinese reason as an admin message and reloads the page; the admin's
    transaction is rolled back, so nothing of the post is kept."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, PermissionDenied) as error:
            if not is_service_refusal(request):
                raise
            report_service_error(self, request, error)
            return HttpResponseRedirect(request.get_full_path())
