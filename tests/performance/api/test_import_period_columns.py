"""The target import's period-plan columns through ``/api/v1/imports/targets/``: a bad plan is
a 400 with row and column, a good one sets the indicator's plan."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from performance.models import Indicator

from ...support.import_helpers import NEW_CODE, csv_bytes, row
from ..imports_exports.test_import_period_columns import PERIOD_HEADER, QUARTERS, _indicator, _plan

pytestmark = pytest.mark.django_db


def test_api_import_sets_the_plan_and_refuses_a_bad_one(api, filler):
    client = api(filler)
    bad = csv_bytes([row(**{**QUARTERS, "分期方式": "季度当期"})], PERIOD_HEADER)
    response = client.post(
        "/api/v1/imports/targets/",
        {"file": SimpleUploadedFile("t.csv", bad, content_type="text/csv")},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    (issue,) = response.json()["result"]["errors"]
    assert issue["column"] == "第4期目标值"
    assert "当期口径的分期目标合计 250 应等于全年目标值 100。" in issue["message"]
    assert not Indicator.objects.filter(goal__project__code=NEW_CODE).exists()
    good = csv_bytes([row(**QUARTERS)], PERIOD_HEADER)
    response = client.post(
        "/api/v1/imports/targets/",
        {"file": SimpleUploadedFile("t.csv", good, content_type="text/csv")},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert _plan(_indicator()) == ("quarter", "cumulative", [20, 50, 80, 100])
