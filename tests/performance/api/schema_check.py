"""Check real API responses against the generated OpenAPI schema.

The schema from ``/api/schema/?format=json`` is made strict before use: every documented
property is required and no undocumented property is allowed in a response object, and
OpenAPI's ``nullable`` becomes JSON Schema's ``null`` type. So a response that gains, loses or
retypes a field, or answers with a status code the operation does not document, fails.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import jsonschema

SKIPPED_METHODS = {"head", "options"}


def strictify(node: Any) -> Any:
    """OpenAPI 3.0 schema objects → strict JSON Schema (2020-12), recursively."""
    if isinstance(node, list):
        return [strictify(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: strictify(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    if node.get("type") == "object" and "properties" in node:
        node.setdefault("additionalProperties", False)
        node["required"] = sorted(node["properties"])
    return node


def template_regex(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", template)
    body = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(f"^{body}$")


class SchemaValidator:
    def __init__(self, document: dict) -> None:
        self.document = document
        self.components = strictify(copy.deepcopy(document["components"]))
        # Literal paths before templated ones: /goals/{id}/ must not swallow nothing else.
        self.paths = sorted(
            ((template, template_regex(template)) for template in document["paths"]),
            key=lambda item: (item[0].count("{"), item[0]),
        )
        self.seen: set[tuple[str, str, int]] = set()

    def operations(self) -> set[tuple[str, str]]:
        return {
            (template, method)
            for template, item in self.document["paths"].items()
            for method in item
            if method not in SKIPPED_METHODS
        }

    def find(self, path: str, method: str) -> tuple[str, dict] | None:
        for template, regex in self.paths:
            if regex.match(path):
                operation = self.document["paths"][template].get(method)
                if operation is not None:
                    return template, operation
        return None

    def check_body(self, template: str, method: str, status: str, body: Any) -> None:
        """Raise ``AssertionError`` unless ``body`` is what the schema documents."""
        content = self.document["paths"][template][method]["responses"][status]["content"]
        body_schema = strictify(copy.deepcopy(content["application/json"]["schema"]))
        schema = {**body_schema, "components": self.components}
        try:
            jsonschema.Draft202012Validator(schema).validate(body)
        except jsonschema.ValidationError as error:
            where = "/".join(map(str, error.absolute_path)) or "(root)"
            raise AssertionError(
                f"{method.upper()} {template} {status} differs from the schema at {where}: "
                f"{error.message}"
            ) from None

    def validate(self, response) -> None:
        request = response.wsgi_request
        method = request.method.lower()
        found = self.find(request.path, method)
        if found is None:
            # No such operation: a method the path does not take (405), or no such path (a JSON
            # 404 in the API's error shape).
            assert response.status_code in (404, 405), (
                f"{method.upper()} {request.path} is not in the schema "
                f"(answered {response.status_code})"
            )
            if response.status_code == 404:
                schema = {"$ref": "#/components/schemas/Error", "components": self.components}
                jsonschema.Draft202012Validator(schema).validate(response.json())
            return
        template, operation = found
        status = str(response.status_code)
        assert status in operation["responses"], (
            f"{method.upper()} {template} answered {status}, which the schema does not document "
            f"(documents {sorted(operation['responses'])}): {response.content[:300]!r}"
        )
        documented = operation["responses"][status]
        content = documented.get("content") or {}
        media_type = (response.get("Content-Type") or "").split(";")[0].strip()
        if not content:
            assert not response.content, f"{method.upper()} {template} {status} has a body"
        elif media_type == "application/json":
            assert "application/json" in content, f"{template} {status}: JSON not documented"
            self.check_body(template, method, status, response.json())
        else:
            assert (
                media_type in content or "*/*" in content or "application/octet-stream" in (content)
            ), f"{method.upper()} {template} {status}: {media_type} not documented"
        self.seen.add((template, method, response.status_code))


_document: dict | None = None


def schema_document() -> dict:
    """The schema as served at ``/api/schema/?format=json`` (fetched once per test run)."""
    global _document
    if _document is None:
        from django.test import Client

        response = Client().get("/api/schema/", {"format": "json"})
        assert response.status_code == 200, response.content[:300]
        _document = response.json()
    return _document
