"""Invitations: the e-mailed link with which a user created from master data sets his first
password. The link is never stored: the mail task builds it when sending
(:func:`invite_link`). It expires after ``ACCOUNT_INVITE_SECONDS`` and works once — Django's
reset-token hash covers the password hash and ``last_login``, so setting the password (or
logging in) invalidates it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

DEFAULT_INVITE_SECONDS = 7 * 24 * 3600


def invite_seconds() -> int:
    return int(getattr(settings, "ACCOUNT_INVITE_SECONDS", DEFAULT_INVITE_SECONDS))


class InviteTokenGenerator(PasswordResetTokenGenerator):
    """Reset tokens with their own salt (a reset link is not an invitation, nor the reverse)
    and their own lifetime (Django's ``check_token`` reads ``PASSWORD_RESET_TIMEOUT``)."""

    key_salt = "projects.services.invitations.InviteTokenGenerator"

    def check_token(self, user, token) -> bool:
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token):
                break
        else:
            return False
        return self._num_seconds(self._now()) - ts <= invite_seconds()


invite_token_generator = InviteTokenGenerator()


def invite_path(user) -> str:
    """``/accounts/set-password/<uidb64>/<token>/`` for ``user``, valid from now on."""
    return reverse(
        "set-password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invite_token_generator.make_token(user),
        },
    )


def invite_link(user) -> str:
    """The absolute set-password link (``SITE_URL`` + path); built when the mail is sent."""
    return f"{settings.SITE_URL}{invite_path(user)}"


def masked_email(email: str) -> str:
    """``z***@example.org``: what the stored notification may say about where the link went."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
