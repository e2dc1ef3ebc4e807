"""``POST /api/v1/imports/units|people/``: the master-data options travel through the API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.models import Unit

pytestmark = pytest.mark.django_db


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_complete_unit_import_through_the_api_needs_the_previewed_count(api, superuser):
    client = api(superuser)
    header = "单位编码,单位名称,单位类型,上级单位编码\n"
    added = client.post(
        "/api/v1/imports/units/",
        {"file": upload("units.csv", header + "027002,甲,预算单位,027\n")},
        format="multipart",
    )
    assert added.status_code == 200 and added.json()["counts"]["units_created"] == 1
    file = header + "027001,伊滨经开区（示范区）社会保障事务服务中心,预算单位,027\n"

    preview = client.post(
        "/api/v1/imports/units/",
        {"file": upload("units.csv", file), "complete": "true", "root": "027", "dry_run": "true"},
        format="multipart",
    )
    assert preview.status_code == 200 and preview.json()["counts"]["units_deactivated"] == 1
    refused = client.post(
        "/api/v1/imports/units/",
        {"file": upload("units.csv", file), "complete": "true", "root": "027"},
        format="multipart",
    )
    assert refused.status_code == 400
    assert refused.json()["result"]["errors"][0]["code"] == "expected_count"
    assert Unit.objects.get(code="027002").is_active

    done = client.post(
        "/api/v1/imports/units/",
        {
            "file": upload("units.csv", file),
            "complete": "true",
            "root": "027",
            "expected_deactivations": "1",
        },
        format="multipart",
    )
    assert done.status_code == 200, done.content
    assert not Unit.objects.get(code="027002").is_active


def test_people_import_through_the_api_reports_row_errors(api, dept_admin):
    response = api(dept_admin).post(
        "/api/v1/imports/people/",
        {
            "file": upload(
                "people.csv",
                "用户名,姓名,电子邮箱,单位编码,角色\nli4,李四,li4@example.org,305004,填报人\n",
            )
        },
        format="multipart",
    )
    assert response.status_code == 400
    errors = response.json()["result"]["errors"]
    assert [(e["code"], e["row"], e["column"]) for e in errors] == [
        ("unit_out_of_scope", 2, "单位编码")
    ]
