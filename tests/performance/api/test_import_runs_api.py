"""Import history in the API: ``run_id`` in every import answer, ``/api/v1/imports/runs/`` lists
own runs and those of visible units (the scope of jobs); the command's runs are recorded too."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from performance.models import ImportRun
from performance.services.imports import import_run
from tests.support.import_helpers import csv_bytes, rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_this_tests_runs(db):
    """The demo rebuilds its units and people through the imports, so its database already
    holds those (the system's) runs; these tests look at the runs they make themselves."""
    ImportRun.objects.all().delete()


RUNS = "/api/v1/imports/runs/"


def _run(actor, data: bytes, **kwargs):
    return import_run(kind="targets", actor=actor, file=data, filename="目标.csv", **kwargs)


def test_the_api_and_the_command_record_their_runs(api, filler, tmp_path):
    upload = SimpleUploadedFile("api.csv", csv_bytes(rows(2)), content_type="text/csv")
    response = api(filler).post("/api/v1/imports/targets/", {"file": upload}, format="multipart")
    assert response.status_code == 200
    run = ImportRun.objects.get(pk=response.json()["run_id"])
    assert (run.filename, run.created_by, run.status) == ("api.csv", filler, "committed")

    path = tmp_path / "cmd.csv"
    path.write_bytes(csv_bytes(rows(3)))
    call_command("import_data", "targets", str(path))  # the system: no --user
    run = ImportRun.objects.latest("pk")
    assert (run.filename, run.created_by, run.unit, run.counts["indicators_created"]) == (
        "cmd.csv",
        None,
        None,
        1,
    )


def test_the_api_lists_own_runs_and_those_of_visible_units(
    api, filler, unit_reviewer, outsider, superuser
):
    own = _run(filler, csv_bytes(rows(2))).run_id
    failed = _run(filler, csv_bytes(rows(1, 三级指标=""))).run_id
    foreign = _run(outsider, csv_bytes(rows(1, 单位编码="305004"))).run_id
    system = _run(None, csv_bytes(rows(1, 三级指标="系统导入"))).run_id

    def ids(user, query: str = "") -> list[int]:
        response = api(user).get(RUNS + query)
        assert response.status_code == 200
        return [item["id"] for item in response.json()["results"]]

    assert ids(filler) == [failed, own]
    assert ids(unit_reviewer) == [failed, own]  # a unit's staff see their unit's runs
    assert ids(outsider) == [foreign]
    assert set(ids(superuser)) == {own, failed, foreign, system}
    assert ids(filler, "?status=failed") == [failed]
    assert ids(filler, "?kind=units") == []
    detail = api(filler).get(f"{RUNS}{own}/").json()
    assert (detail["kind"], detail["created_by"], detail["status"]) == (
        "targets",
        "filler027",
        "committed",
    )
    assert api(outsider).get(f"{RUNS}{own}/").status_code == 404
    assert api(filler).post(RUNS, {}).status_code == 405
