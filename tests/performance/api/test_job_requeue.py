"""Stalled jobs through the API: shown as ``stalled`` with an explanation, filtered, re-queued
with ``POST /api/v1/jobs/{id}/requeue/`` (409 when there is nothing to re-queue)."""

from __future__ import annotations

import pytest

from performance.choices import JobKind, JobStatus
from performance.models import Job
from projects.models import AuditEntry, Unit

pytestmark = pytest.mark.django_db

EXPLANATION = "超过 15 分钟没有进展，可能是后台进程已停止；可重新排队。"


@pytest.fixture(autouse=True)
def stall_after_15_minutes(settings):
    settings.JOB_STALL_SECONDS = 15 * 60


def test_a_job_without_progress_is_shown_stalled_with_the_reason(api, finance_reviewer, clock):
    client = api(finance_reviewer)
    job = client.post("/api/v1/recompute/", {"year": 2023}).json()  # never taken by a worker
    assert (job["status"], job["status_explanation"]) == ("pending", "")

    clock.advance(minutes=16)
    shown = client.get(f"/api/v1/jobs/{job['id']}/").json()
    assert (shown["status"], shown["status_explanation"]) == ("stalled", EXPLANATION)
    assert shown["progress_at"] == job["progress_at"]

    stalled = client.get("/api/v1/jobs/", {"status": "stalled"}).json()["results"]
    assert [row["id"] for row in stalled] == [job["id"]]
    assert client.get("/api/v1/jobs/", {"status": "pending"}).json()["results"] == []

    english = api(finance_reviewer, HTTP_ACCEPT_LANGUAGE="en").get(f"/api/v1/jobs/{job['id']}/")
    assert english.json()["status_explanation"] == (
        "No progress for more than 15 minutes; the background process has probably stopped. "
        "The job can be re-queued."
    )


def test_a_new_request_through_the_api_does_not_return_the_stalled_job(
    api, finance_reviewer, clock
):
    client = api(finance_reviewer)
    first = client.post("/api/v1/recompute/", {"year": 2023}).json()
    assert client.post("/api/v1/recompute/", {"year": 2023}).json()["id"] == first["id"]
    clock.advance(minutes=16)

    second = client.post("/api/v1/recompute/", {"year": 2023})

    assert second.status_code == 202
    assert second.json()["id"] != first["id"]
    old = client.get(f"/api/v1/jobs/{first['id']}/").json()
    assert old["status"] == "superseded"
    assert f"#{second.json()['id']}" in old["status_explanation"]


def test_requeue_answers_202_and_then_409_while_the_job_moves_again(api, finance_reviewer, clock):
    client = api(finance_reviewer)
    job = client.post("/api/v1/recompute/", {"year": 2023}).json()
    url = f"/api/v1/jobs/{job['id']}/requeue/"

    early = client.post(url)
    assert early.status_code == 409
    assert early.json()["code"] == "not_stalled"
    assert "超过 15 分钟没有进展后才能重新排队" in early.json()["detail"]

    clock.advance(minutes=16)
    response = client.post(url)
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["id"], body["status"], body["status_explanation"]) == (job["id"], "pending", "")
    assert AuditEntry.objects.filter(
        object_id=str(job["id"]), comment="重新排队", actor=finance_reviewer
    ).exists()

    again = client.post(url)
    assert again.status_code == 409 and again.json()["code"] == "not_stalled"

    Job.objects.filter(pk=job["id"]).update(status=JobStatus.SUCCEEDED)
    finished = client.post(url)
    assert finished.status_code == 409
    assert finished.json() == {
        "code": "finished",
        "detail": "任务已结束（已完成），不能重新排队；需要时请重新发起。",
        "errors": {},
    }


def test_requeue_is_refused_by_scope_and_role(api, dept_reviewer, filler, outsider, clock):
    unit = Unit.objects.get(code="027001")  # in the department: the dept reviewer may recompute
    job = Job.objects.get(
        pk=api(dept_reviewer)
        .post("/api/v1/recompute/", {"year": 2023, "unit": unit.pk})
        .json()["id"]
    )
    url = f"/api/v1/jobs/{job.pk}/requeue/"
    clock.advance(minutes=16)

    assert api(outsider).post(url).status_code == 404  # another unit's job: as if missing
    refused = api(filler).post(url)  # sees 027001's jobs, may not start a recompute
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert "没有重新计算的权限" in refused.json()["detail"]
    assert Job.objects.get(pk=job.pk).progress_at == job.progress_at
    assert not AuditEntry.objects.filter(comment="重新排队").exists()

    assert api(dept_reviewer).post(url).status_code == 202


def test_an_export_job_cannot_be_requeued_through_the_api(api, finance_reviewer, clock):
    export = Job.objects.create(
        kind=JobKind.EXPORT_TABLE, status=JobStatus.RUNNING, created_by=finance_reviewer
    )
    clock.advance(minutes=16)

    response = api(finance_reviewer, HTTP_ACCEPT_LANGUAGE="en").post(
        f"/api/v1/jobs/{export.pk}/requeue/"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "not_requeueable"
    assert response.json()["detail"] == (
        "Jobs of the kind “导出报表” cannot be re-queued; start a new one."
    )
