"""Evidence files through the API: upload several at once, list, download, delete; another
unit's file is a 404 however it is asked for; raw names, caps and streaming."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from performance.choices import AttachmentKind, Status
from performance.models import Attachment, SelfEvaluation
from performance.services import attachments as attachment_services
from performance.services import evaluation as evaluation_services
from projects.models import AuditAction, AuditEntry, Project
from tests.support import evidence_files as ef

pytestmark = pytest.mark.django_db

URL = "/api/v1/attachments/"
OWN_PROJECT, FOREIGN_PROJECT = "410395220000000007669", "3050042023001"


@pytest.fixture
def evaluation(demo) -> SelfEvaluation:
    project = Project.objects.get(code=OWN_PROJECT)
    return evaluation_services.evaluation_start(actor=None, year=2022, project=project)


@pytest.fixture
def foreign_file(evidence_storage) -> Attachment:
    """A file of 305004's approved self-evaluation (attached before approval)."""
    evaluation = SelfEvaluation.objects.get(project__code=FOREIGN_PROJECT)
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(status=Status.DRAFT)
    [row] = attachment_services.attachment_add(
        actor=None,
        anchor=attachment_services.Anchor(kind=AttachmentKind.EVALUATION, obj=evaluation),
        files=[ef.upload("别人的.pdf", ef.pdf_bytes("305004"))],
    )
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(status=Status.APPROVED)
    return row


def upload(client, target: dict, *files, **extra):
    return client.post(URL, {**target, "files": list(files), **extra}, format="multipart")


def test_unit_uploads_several_files_at_once_and_lists_them(
    api, filler, evaluation, evidence_storage
):
    client = api(filler)
    response = upload(
        client,
        {"evaluation": evaluation.pk},
        ef.upload("报告.pdf", ef.pdf_bytes()),
        ef.upload("照片.png", ef.png_bytes()),
        description="年度自评佐证",
    )
    assert response.status_code == 201, response.content.decode()
    results = response.json()["results"]
    assert [(r["name"], r["file_type"], r["kind"]) for r in results] == [
        ("报告.pdf", "pdf", "evaluation"),
        ("照片.png", "png", "evaluation"),
    ]
    assert results[0]["sha256"] == hashlib.sha256(ef.pdf_bytes()).hexdigest()
    assert results[0]["anchor"] == {"kind": "evaluation", "id": evaluation.pk}
    assert results[0]["uploaded_by"] == "filler027" and results[0]["unit"]["code"] == "027001"
    listed = client.get(URL, {"evaluation": evaluation.pk}).json()["results"]
    assert [row["name"] for row in listed] == ["报告.pdf", "照片.png"]
    assert len(ef.stored_files(evidence_storage)) == 2


def test_download_streams_the_file_as_an_attachment_that_never_renders(
    api, filler, evaluation, evidence_storage
):
    client = api(filler)
    [row] = upload(
        client, {"evaluation": evaluation.pk}, ef.upload("绩效 报告.pdf", ef.pdf_bytes())
    ).json()["results"]
    response = client.get(row["download"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == ef.pdf_bytes()
    assert response["Content-Type"] == "application/pdf"
    assert f"filename*=utf-8''{quote('绩效 报告.pdf')}" in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Cache-Control"] == "private, no-store"
    assert (
        AuditEntry.objects.filter(action=AuditAction.DOWNLOAD, object_id=str(row["id"])).count()
        == 1
    )


def test_attachment_of_another_unit_is_404_and_url_alone_grants_nothing(
    api, client, outsider, filler, foreign_file, evidence_storage
):
    own_client = api(filler)
    for method, url in (
        ("get", f"{URL}{foreign_file.pk}/"),
        ("get", f"{URL}{foreign_file.pk}/download/"),
        ("delete", f"{URL}{foreign_file.pk}/"),
    ):
        assert getattr(own_client, method)(url).status_code == 404, url
    assert foreign_file.pk not in [row["id"] for row in own_client.get(URL).json()["results"]]
    # The stored path is no URL: nothing serves the storage.
    assert client.get(f"/media/{foreign_file.file.name}").status_code == 404
    assert client.get(f"/{foreign_file.file.name}").status_code == 404
    # Anonymous: 401 everywhere.
    anonymous = api()
    assert anonymous.get(f"{URL}{foreign_file.pk}/download/").status_code == 401
    assert anonymous.get(URL).status_code == 401
    assert Attachment.objects.filter(pk=foreign_file.pk).exists()
    assert not AuditEntry.objects.filter(action=AuditAction.DOWNLOAD).exists()
    # 305004's own filler does see it.
    assert api(outsider).get(f"{URL}{foreign_file.pk}/download/").status_code == 200


def test_anchor_of_another_unit_is_refused_like_a_missing_one(api, filler, demo, evidence_storage):
    foreign = SelfEvaluation.objects.get(project__code=FOREIGN_PROJECT)
    client = api(filler)
    answers = []
    for pk in (foreign.pk, 999999):
        response = upload(client, {"evaluation": pk}, ef.upload("a.pdf", ef.pdf_bytes()))
        assert response.status_code == 400
        answers.append(response.json()["errors"]["evaluation"][0].replace(str(pk), "<id>"))
    assert answers[0] == answers[1] == "绩效自评 <id> 不存在或无权访问。"
    assert not Attachment.objects.exists()


def test_upload_needs_exactly_one_anchor(api, filler, evaluation, evidence_storage):
    score = evaluation.scores.first()
    response = upload(
        api(filler),
        {"evaluation": evaluation.pk, "score": score.pk},
        ef.upload("a.pdf", ef.pdf_bytes()),
    )
    assert response.status_code == 400
    assert "只能指定一个附着对象" in response.json()["errors"]["non_field_errors"][0]


def test_bad_file_is_a_field_error_per_file_and_nothing_is_stored(
    api, filler, evaluation, evidence_storage
):
    response = upload(
        api(filler),
        {"evaluation": evaluation.pk},
        ef.upload("好的.pdf", ef.pdf_bytes()),
        ef.upload("发票.pdf", ef.EXE),
        ef.upload("空.pdf", b""),
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_file"
    assert "可执行程序" in body["errors"]["files.1"][0]
    assert "空文件（0 字节）" in body["errors"]["files.2"][0]
    assert "files.0" not in body["errors"]
    assert not Attachment.objects.exists() and ef.stored_files(evidence_storage) == []


def raw_multipart(fields: dict[str, str], files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart body written by hand: the test client would take the path off a name."""
    boundary = "----evidence-boundary"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for filename, data in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    return b"".join(
        parts
    ) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("filename", "words"),
    [
        ("../../etc/报告.pdf", "路径分隔符"),
        ("C:\\\\材料\\\\报告.pdf", "路径分隔符"),
        ("报告\u202efdp.exe", "控制字符"),
        ("..", "不能以“.”开头"),
    ],
)
def test_api_refuses_raw_filename_with_path_separator_or_control_character(
    filename, words, api, filler, evaluation, evidence_storage
):
    body, content_type = raw_multipart(
        {"evaluation": str(evaluation.pk)}, [(filename, ef.pdf_bytes())]
    )
    response = api(filler).generic("POST", URL, body, content_type=content_type)
    assert response.status_code == 400, response.content.decode()
    assert words in response.json()["errors"]["files.0"][0]
    assert not Attachment.objects.exists() and ef.stored_files(evidence_storage) == []


def test_upload_over_limit_is_413_and_stores_nothing(
    api, filler, evaluation, evidence_storage, settings
):
    settings.ATTACHMENT_MAX_BYTES = 64 * 1024
    settings.IMPORT_MAX_BYTES = 64 * 1024
    big = ef.pdf_bytes() + b"0" * (200 * 1024)
    response = upload(api(filler), {"evaluation": evaluation.pk}, ef.upload("大.pdf", big))
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "request_too_large"
    assert body["detail"] == "上传的文件“大.pdf”超过 64.0 KB 的上限，未保存任何文件。"
    assert not Attachment.objects.exists() and ef.stored_files(evidence_storage) == []


def test_request_over_total_cap_is_413(api, filler, evaluation, evidence_storage, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 100 * 1024
    files = [ef.upload(f"{i}.pdf", ef.pdf_bytes(str(i)) + b"0" * (60 * 1024)) for i in range(2)]
    response = upload(api(filler), {"evaluation": evaluation.pk}, *files)
    assert response.status_code == 413
    assert "合计超过 100.0 KB 的上限" in response.json()["detail"]
    assert not Attachment.objects.exists()


def test_over_cap_import_is_413_never_500(api, filler, settings):
    settings.ATTACHMENT_MAX_BYTES = 32 * 1024
    settings.IMPORT_MAX_BYTES = 32 * 1024
    data = "年度,单位编码\n".encode() + b"2022,027001\n" * 10000
    response = api(filler).post(
        "/api/v1/imports/targets/",
        {"file": ef.upload("targets.csv", data, "text/csv")},
        format="multipart",
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_upload_larger_than_memory_size_reaches_the_service_as_a_temporary_file(
    api, filler, evaluation, evidence_storage, settings, monkeypatch
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    seen = []
    real_add = attachment_services.attachment_add

    def spy(**kwargs):
        seen.extend(type(f) for f in kwargs["files"])
        return real_add(**kwargs)

    monkeypatch.setattr(attachment_services, "attachment_add", spy)
    big = ef.pdf_bytes() + b"0" * (512 * 1024)
    response = upload(api(filler), {"evaluation": evaluation.pk}, ef.upload("大.pdf", big))
    assert response.status_code == 201, response.content.decode()
    assert seen == [TemporaryUploadedFile]
    [stored] = ef.stored_files(evidence_storage)
    assert (evidence_storage / stored).read_bytes() == big


def test_delete_while_editable_and_frozen_after_approval(api, filler, evaluation, evidence_storage):
    client = api(filler)
    rows = upload(
        client,
        {"evaluation": evaluation.pk},
        ef.upload("一.pdf", ef.pdf_bytes("1")),
        ef.upload("二.pdf", ef.pdf_bytes("2")),
    ).json()["results"]
    assert client.delete(f"{URL}{rows[0]['id']}/").status_code == 204
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(status=Status.APPROVED)
    response = client.delete(f"{URL}{rows[1]['id']}/")
    assert response.status_code == 400
    assert response.json()["code"] == "frozen"
    again = upload(client, {"evaluation": evaluation.pk}, ef.upload("三.pdf", ef.pdf_bytes("3")))
    assert again.status_code == 400 and again.json()["code"] == "frozen"
    assert list(Attachment.objects.values_list("name", flat=True)) == ["二.pdf"]


def test_reviewer_sees_but_cannot_upload(api, dept_reviewer, evaluation, evidence_storage):
    response = upload(
        api(dept_reviewer), {"evaluation": evaluation.pk}, ef.upload("a.pdf", ef.pdf_bytes())
    )
    assert response.status_code == 403
    assert "上传佐证材料" in response.json()["detail"]


PAGE_SIZES = (10, 50, 200)


def test_attachment_list_query_count_does_not_grow_with_the_page_size(
    api, finance_reviewer, evaluation
):
    scores = list(evaluation.scores.all())
    Attachment.objects.bulk_create(
        Attachment(
            kind=AttachmentKind.SCORE,
            anchor=Attachment.anchor_key("score", scores[i % len(scores)].pk),
            unit=evaluation.unit,
            year=2022,
            evaluation=evaluation,
            score=scores[i % len(scores)],
            file=f"attachments/2022/01/01/{i:032x}",
            name=f"材料{i}.pdf",
            file_type="pdf",
            content_type="application/pdf",
            size=100 + i,
            sha256=f"{i:064x}",
            uploaded_by=finance_reviewer,
        )
        for i in range(205)
    )
    client = api(finance_reviewer)
    counts = {}
    for size in PAGE_SIZES:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"page_size": size, "year": 2022, "kind": "score"})
        assert response.status_code == 200
        assert len(response.json()["results"]) == size
        counts[size] = len(queries)
    assert len(set(counts.values())) == 1, counts
    assert counts[10] <= 6, counts


def test_upload_cap_message_is_english_on_request(
    api, filler, evaluation, evidence_storage, settings
):
    settings.ATTACHMENT_MAX_BYTES = 64 * 1024
    settings.IMPORT_MAX_BYTES = 64 * 1024
    big = ef.pdf_bytes() + b"0" * (200 * 1024)
    client = api(filler, HTTP_ACCEPT_LANGUAGE="en")
    response = upload(client, {"evaluation": evaluation.pk}, ef.upload("big.pdf", big))
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "The uploaded file “big.pdf” exceeds the limit of 64.0 KB; nothing was stored."
    )
