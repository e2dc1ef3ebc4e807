"""Where evidence files are stored: the ``attachments`` storage built from the environment,
and S3-compatible storage end to end against an in-process S3 (moto)."""

from __future__ import annotations

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, storages
from moto import mock_aws
from storages.backends.s3 import S3Storage

from config.storage import attachment_storage_config
from performance.choices import AttachmentKind
from performance.models.attachments import attachment_storage
from performance.services import attachments as attachment_services
from performance.services import evaluation as evaluation_services
from projects.models import Project
from tests.support import evidence_files as ef

BUCKET = "perf-evidence"


def test_filesystem_is_the_default_with_private_permissions(tmp_path):
    config = attachment_storage_config({}, root=tmp_path)
    storage = storages.create_storage(config)
    assert isinstance(storage, FileSystemStorage)
    assert storage.location == str(tmp_path)
    assert storage.file_permissions_mode == 0o640
    assert storage.directory_permissions_mode == 0o750


def test_s3_storage_class_is_built_from_the_environment(tmp_path):
    environ = {
        "ATTACHMENTS_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": "http://minio.internal:9000",
        "AWS_S3_REGION_NAME": "cn-north-1",
        "AWS_S3_ADDRESSING_STYLE": "path",
    }
    storage = storages.create_storage(attachment_storage_config(environ, root=tmp_path))
    assert isinstance(storage, S3Storage)
    assert storage.bucket_name == BUCKET
    assert storage.endpoint_url == "http://minio.internal:9000"
    assert storage.region_name == "cn-north-1"
    assert storage.addressing_style == "path"
    assert storage.default_acl is None and storage.querystring_auth is True
    assert storage.file_overwrite is False
    assert storage.access_key is None and storage.secret_key is None  # never settings


def test_s3_without_a_bucket_or_an_unknown_backend_is_refused(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="AWS_STORAGE_BUCKET_NAME"):
        attachment_storage_config({"ATTACHMENTS_STORAGE": "s3"}, root=tmp_path)
    with pytest.raises(ImproperlyConfigured, match="filesystem 或 s3"):
        attachment_storage_config({"ATTACHMENTS_STORAGE": "ftp"}, root=tmp_path)


@pytest.fixture
def s3_storage(settings, tmp_path, monkeypatch):
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        settings.STORAGES = {
            **settings.STORAGES,
            "attachments": attachment_storage_config(
                {"ATTACHMENTS_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": BUCKET}, root=tmp_path
            ),
        }
        yield boto3.client("s3", region_name="us-east-1")


@pytest.mark.django_db
def test_s3_storage_setting_stores_private_objects_and_streams_downloads(
    s3_storage, demo, filler, client
):
    assert isinstance(attachment_storage(), S3Storage)  # the model follows the setting
    project = Project.objects.get(code="410395220000000007669")
    evaluation = evaluation_services.evaluation_start(actor=None, year=2022, project=project)
    data = ef.pdf_bytes("S3")
    [row] = attachment_services.attachment_add(
        actor=filler,
        anchor=attachment_services.Anchor(kind=AttachmentKind.EVALUATION, obj=evaluation),
        files=[ef.upload("对象存储.pdf", data)],
    )
    stored = s3_storage.get_object(Bucket=BUCKET, Key=row.file.name)
    assert stored["Body"].read() == data
    grants = s3_storage.get_object_acl(Bucket=BUCKET, Key=row.file.name)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the owner only
    assert all(grant["Grantee"].get("URI") is None for grant in grants)  # no AllUsers
    client.force_login(filler)
    response = client.get(f"/api/v1/attachments/{row.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
