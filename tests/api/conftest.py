"""API fixtures: clients authenticated with real tokens, as the finance bureau's scripts are."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api():
    """``api(user)`` → an ``APIClient`` sending ``Authorization: Token …`` for that user."""
    from rest_framework.authtoken.models import Token

    def _client(user=None, **headers) -> APIClient:
        client = APIClient(**headers)
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return _client
