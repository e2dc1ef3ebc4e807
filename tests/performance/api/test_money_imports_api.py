"""The money imports (issue 18, WP-B2) through the API and the command."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from tests.performance.imports_exports.test_money_imports import EXEC_HEADER, exec_row, table

pytestmark = pytest.mark.django_db


def test_execution_imports_through_the_api_and_the_command(api, outsider, tmp_path):
    data = table(EXEC_HEADER, [exec_row("A1")])
    upload = SimpleUploadedFile("e.csv", data, content_type="text/csv")
    response = api(outsider).post(
        "/api/v1/imports/execution/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 200, response.content
    assert response.json()["changed"] is True
    bad = SimpleUploadedFile(
        "e.csv", table(EXEC_HEADER, [exec_row("A2", date="2024-01-01", batch="B2")])
    )
    response = api(outsider).post("/api/v1/imports/execution/", {"file": bad}, format="multipart")
    assert response.status_code == 400
    assert "date_outside_year" in response.content.decode()
    path = tmp_path / "e.csv"
    path.write_bytes(data)
    out = io.StringIO()
    call_command("import_data", "execution", str(path), stdout=out)
    assert "没有任何变化" in out.getvalue()
