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


def json_row(row_id, amount="1.5", **kw) -> dict:
    cells = dict(zip(EXEC_HEADER[2:], exec_row(row_id, amount, **kw)[2:], strict=True))
    keys = {
        "行号": "row_id",
        "年度": "year",
        "单位编码": "unit_code",
        "项目编码": "project_code",
        "支出日期": "date",
        "金额(万元)": "amount",
        "摘要": "note",
        "冲销行号": "reverses",
    }
    return {keys[header]: value for header, value in cells.items()}


def test_execution_batch_as_json_imports_once_like_its_file(api, outsider):
    from projects.models import ExecutionRecord

    body = {
        "source": "treasury",
        "batch": "J1",
        "rows": [json_row("J1-1"), {**json_row("J1-2"), "amount": 2.25, "note": "=SUM(A1)"}],
    }
    client = api(outsider)
    response = client.post("/api/v1/imports/execution/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["counts"]["records_created"] == 2
    stored = dict(
        ExecutionRecord.objects.filter(batch__batch_id="J1").values_list("source_row_id", "note")
    )
    assert stored == {"J1-1": "支付", "J1-2": "=SUM(A1)"}
    again = client.post("/api/v1/imports/execution/", body, format="json")
    assert again.status_code == 200 and again.json()["changed"] is False


def test_execution_json_rows_get_the_files_row_errors_and_write_nothing(api, outsider):
    from projects.models import ExecutionRecord

    rows = [json_row("K1"), json_row("K2", "1,500"), json_row("K3", date="2024-01-01")]
    response = api(outsider).post(
        "/api/v1/imports/execution/", {"batch": "K", "rows": rows}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()["result"]["errors"]
    assert [(e["code"], e["row"]) for e in errors] == [
        ("thousands_separator", 3),
        ("date_outside_year", 4),
    ]
    assert not ExecutionRecord.objects.filter(source_row_id__startswith="K").exists()


def test_execution_json_with_unknown_keys_is_a_field_error(api, outsider):
    response = api(outsider).post(
        "/api/v1/imports/execution/",
        {"batch": "K", "rows": [{**json_row("K1"), "金额": "1"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "未知的键：金额" in response.content.decode()
