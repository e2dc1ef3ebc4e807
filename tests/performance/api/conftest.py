"""API fixtures: clients authenticated with real tokens, as the finance bureau's scripts are.

Every response these clients receive from ``/api/v1/`` is checked against the generated
OpenAPI schema (``schema_check``), so every API test is also a schema-conformance test.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from .schema_check import SchemaValidator, schema_document


class CheckedAPIClient(APIClient):
    validator: SchemaValidator | None = None

    def request(self, **kwargs):
        response = super().request(**kwargs)
        if self.validator is not None and response.wsgi_request.path.startswith("/api/v1/"):
            self.validator.validate(response)
        return response


@pytest.fixture
def schema_validator(db) -> SchemaValidator:
    return SchemaValidator(schema_document())


@pytest.fixture
def api(schema_validator):
    """``api(user)`` → a client sending ``Authorization: Token …`` for that user (anonymous
    without a user); extra keyword arguments are default request headers."""
    from rest_framework.authtoken.models import Token

    def _client(user=None, **headers) -> CheckedAPIClient:
        client = CheckedAPIClient(**headers)
        client.validator = schema_validator
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return _client
