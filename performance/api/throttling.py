"""Throttles of the API: the token endpoint is rate-limited per client address."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from projects.security.client_address import client_address


class AuthRateThrottle(ScopedRateThrottle):
    """``DEFAULT_THROTTLE_RATES["auth"]``, read at request time so settings changes apply.

    Keyed by the client address even for an authenticated caller: guessing passwords from one
    address must not escape the limit by presenting someone's token.
    """

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request) -> str:
        """The client as the login lockouts see it (``TRUSTED_PROXIES``, not ``NUM_PROXIES``)."""
        return client_address(request)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
