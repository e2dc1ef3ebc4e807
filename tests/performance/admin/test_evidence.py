"""Evidence files in the admin: the panel on the self-evaluation and report pages, each row's
page, downloads and deletion, frozen documents, another unit's files."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from performance.choices import AttachmentKind, Status
from performance.models import Attachment, MonitoringReport, SelfEvaluation
from performance.services import attachments as attachment_services
from performance.services import evaluation as evaluation_services
from performance.services.monitoring import monitoring_round_open
from projects.models import Project
from tests.support import evidence_files as ef

pytestmark = pytest.mark.django_db

OWN_PROJECT, FOREIGN_PROJECT = "410395220000000007669", "3050042023001"


@pytest.fixture
def evaluation(demo) -> SelfEvaluation:
    project = Project.objects.get(code=OWN_PROJECT)
    return evaluation_services.evaluation_start(actor=None, year=2022, project=project)


def anchor_url(kind: str, pk: int) -> str:
    return reverse("admin:performance_attachment_for", args=[kind, pk])


def change_url(obj) -> str:
    return reverse(f"admin:performance_{obj._meta.model_name}_change", args=[obj.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_admin_panel_uploads_several_files_and_lists_them(
    login, filler, evaluation, evidence_storage
):
    client = login(filler)
    page = client.get(change_url(evaluation))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="evidence-panel"' in html and "将文件拖到此处，或点击选择" in html
    assert 'type="file" name="files"' in html and "multiple" in html
    response = client.post(
        anchor_url("evaluation", evaluation.pk),
        {
            "files": [
                ef.upload("自评报告.pdf", ef.pdf_bytes()),
                ef.upload("现场.png", ef.png_bytes()),
            ],
            "description": "整体佐证",
            "next": change_url(evaluation),
        },
    )
    assert response.status_code == 302 and response["Location"] == change_url(evaluation)
    assert "已上传 2 个佐证材料：自评报告.pdf、现场.png" in messages_of(response)
    html = client.get(change_url(evaluation)).content.decode()
    assert "佐证材料（2 个）" in html
    for name in ("自评报告.pdf", "现场.png", "PNG 图片", "整体佐证"):
        assert name in html
    assert len(ef.stored_files(evidence_storage)) == 2


def test_row_page_uploads_to_one_indicator_and_the_row_counts_it(
    login, filler, evaluation, evidence_storage
):
    score = evaluation.scores.select_related("indicator").order_by("pk").first()
    client = login(filler)
    page = client.get(anchor_url("score", score.pk))
    assert page.status_code == 200
    assert f"指标自评“{score.indicator.level3}”" in page.content.decode()
    response = client.post(
        anchor_url("score", score.pk), {"files": [ef.upload("台账.xlsx", ef.xlsx_bytes())]}
    )
    assert response.status_code == 302
    row = Attachment.objects.get()
    assert (row.kind, row.score_id, row.evaluation_id) == ("score", score.pk, evaluation.pk)
    html = client.get(change_url(evaluation)).content.decode()
    assert "1 个 · 上传</a>" in html and anchor_url("score", score.pk) in html
    assert f"指标“{score.indicator.level3}”" in html  # the document panel says where it belongs


def test_refused_file_is_a_message_and_nothing_is_stored(
    login, filler, evaluation, evidence_storage
):
    response = login(filler).post(
        anchor_url("evaluation", evaluation.pk), {"files": [ef.upload("发票.pdf", ef.EXE)]}
    )
    assert response.status_code == 302
    [message] = messages_of(response)
    assert "文件“发票.pdf”的内容是可执行程序" in message
    assert not Attachment.objects.exists() and ef.stored_files(evidence_storage) == []


def test_frozen_panel_explains_why(login, filler, evaluation, evidence_storage):
    attachment_services.attachment_add(
        actor=filler,
        anchor=attachment_services.Anchor(kind="evaluation", obj=evaluation),
        files=[ef.upload("a.pdf", ef.pdf_bytes())],
    )
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(status=Status.APPROVED)
    client = login(filler)
    html = client.get(change_url(evaluation)).content.decode()
    assert 'id="evidence-frozen"' in html and "佐证材料已封存，不能增加、删除或替换" in html
    assert 'id="evidence-upload"' not in html and "a.pdf" in html
    response = client.post(
        anchor_url("evaluation", evaluation.pk), {"files": [ef.upload("b.pdf", ef.pdf_bytes("b"))]}
    )
    assert "佐证材料已封存" in messages_of(response)[0]
    row = Attachment.objects.get()
    assert (
        client.get(reverse("admin:performance_attachment_delete", args=[row.pk])).status_code == 403
    )
    assert Attachment.objects.count() == 1


def test_delete_goes_through_the_service_and_returns_to_the_page(
    login, filler, evaluation, evidence_storage, django_capture_on_commit_callbacks
):
    [row] = attachment_services.attachment_add(
        actor=filler,
        anchor=attachment_services.Anchor(kind="evaluation", obj=evaluation),
        files=[ef.upload("删掉.pdf", ef.pdf_bytes())],
    )
    client = login(filler)
    url = reverse("admin:performance_attachment_delete", args=[row.pk])
    url += f"?next={change_url(evaluation)}"
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"post": "yes"})
    assert response.status_code == 302 and response["Location"] == change_url(evaluation)
    assert not Attachment.objects.exists() and ef.stored_files(evidence_storage) == []


def test_another_units_files_are_404_and_anonymous_goes_to_login(
    login, client, filler, demo, evidence_storage
):
    foreign = SelfEvaluation.objects.get(project__code=FOREIGN_PROJECT)
    SelfEvaluation.objects.filter(pk=foreign.pk).update(status=Status.DRAFT)
    [row] = attachment_services.attachment_add(
        actor=None,
        anchor=attachment_services.Anchor(kind=AttachmentKind.EVALUATION, obj=foreign),
        files=[ef.upload("别人的.pdf", ef.pdf_bytes())],
    )
    urls = [
        anchor_url("evaluation", foreign.pk),
        reverse("admin:performance_attachment_download", args=[row.pk]),
        reverse("admin:performance_attachment_change", args=[row.pk]),
        reverse("admin:performance_attachment_delete", args=[row.pk]),
    ]
    anonymous = [client.get(url) for url in urls]
    assert all(r.status_code == 302 and "/login/" in r["Location"] for r in anonymous)
    signed_in = login(filler)
    for url in urls:
        assert signed_in.get(url).status_code == 404, url
    response = signed_in.post(
        anchor_url("evaluation", foreign.pk), {"files": [ef.upload("x.pdf", ef.pdf_bytes("x"))]}
    )
    assert response.status_code == 404
    assert Attachment.objects.count() == 1
    listed = signed_in.get(reverse("admin:performance_attachment_changelist"))
    assert row.pk not in {a.pk for a in listed.context["cl"].result_list}


def test_download_in_the_admin_streams_the_file(login, filler, evaluation, evidence_storage):
    [row] = attachment_services.attachment_add(
        actor=filler,
        anchor=attachment_services.Anchor(kind="evaluation", obj=evaluation),
        files=[ef.upload("报告.pdf", ef.pdf_bytes("下载"))],
    )
    response = login(filler).get(reverse("admin:performance_attachment_download", args=[row.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == ef.pdf_bytes("下载")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_report_page_has_the_panel_and_entry_rows_link_to_theirs(
    login, filler, finance_reviewer, evidence_storage
):
    monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 20),
    )
    report = MonitoringReport.objects.get(project__code=OWN_PROJECT)
    entry = report.entries.order_by("pk").first()
    html = login(filler).get(change_url(report)).content.decode()
    assert 'id="evidence-panel"' in html
    assert anchor_url("report", report.pk) in html
    assert anchor_url("entry", entry.pk) in html


def test_admin_upload_over_cap_is_a_413_page(login, filler, evaluation, evidence_storage, settings):
    settings.ATTACHMENT_MAX_BYTES = 32 * 1024
    settings.IMPORT_MAX_BYTES = 32 * 1024
    response = login(filler).post(
        anchor_url("evaluation", evaluation.pk),
        {"files": [ef.upload("大.pdf", ef.pdf_bytes() + b"0" * (64 * 1024))]},
    )
    assert response.status_code == 413
    assert "上传的文件“大.pdf”超过 32.0 KB 的上限，未保存任何文件。" in response.content.decode()
    assert not Attachment.objects.exists() and ef.stored_files(evidence_storage) == []
