"""The admin's login form, with the failure counter of ``projects.login_throttle``."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from . import login_throttle


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """Refuses a locked-out username/address pair before checking the password at all."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ident = login_throttle.client_ident(self.request)
        wait = login_throttle.locked_for(username, ident)
        if wait:
            raise ValidationError(login_throttle.locked_message(wait), code="locked")
        try:
            cleaned = super().clean()
        except ValidationError:
            wait = login_throttle.record_failure(username, ident)
            if wait:
                raise ValidationError(login_throttle.locked_message(wait), code="locked") from None
            raise
        login_throttle.reset(username, ident)
        return cleaned
