"""The admin's login form, with the failure counters of ``projects.security.login_throttle``."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from ..security import login_throttle
from ..security.client_address import client_address


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """Refuses a locked-out username/address pair or address before checking the password."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ident = client_address(self.request)
        lockout = login_throttle.current_lockout(username, ident)
        if lockout:
            raise ValidationError(lockout.message, code="locked")
        try:
            cleaned = super().clean()
        except ValidationError:
            lockout = login_throttle.record_failure(username, ident)
            if lockout:
                raise ValidationError(lockout.message, code="locked") from None
            raise
        login_throttle.reset(username, ident)
        return cleaned
