"""Where evidence files (佐证材料) are stored: the ``attachments`` alias of ``STORAGES``.

- ``ATTACHMENTS_STORAGE=filesystem`` (default): a directory, ``ATTACHMENTS_ROOT``. With several
  web and worker containers it must be a volume they all mount (``docker/compose.yml``:
  ``attachments``). Files are written ``0640`` in ``0750`` directories; no URL serves them.
- ``ATTACHMENTS_STORAGE=s3``: an S3-compatible bucket through django-storages (AWS S3, MinIO,
  阿里云 OSS, 腾讯云 COS, 华为 OBS): ``AWS_STORAGE_BUCKET_NAME`` (required),
  ``AWS_S3_ENDPOINT_URL``, ``AWS_S3_REGION_NAME``, ``AWS_S3_ADDRESSING_STYLE`` (``path`` for
  most S3-compatible servers), ``AWS_S3_SIGNATURE_VERSION``. Credentials are never settings:
  boto3 reads ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` (or an instance role) itself.
  Objects get no ACL of their own, so they stay as private as the bucket (keep it private);
  downloads go through the application's scoped views, never a public URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

FILESYSTEM = "django.core.files.storage.FileSystemStorage"
S3 = "storages.backends.s3.S3Storage"
S3_OPTIONAL = {
    "AWS_S3_ENDPOINT_URL": "endpoint_url",
    "AWS_S3_REGION_NAME": "region_name",
    "AWS_S3_ADDRESSING_STYLE": "addressing_style",
    "AWS_S3_SIGNATURE_VERSION": "signature_version",
}


def attachment_storage_config(environ: Mapping[str, str], *, root: Path) -> dict[str, Any]:
    """The ``STORAGES["attachments"]`` entry the environment asks for."""
    backend = environ.get("ATTACHMENTS_STORAGE", "filesystem").strip().lower() or "filesystem"
    if backend == "filesystem":
        return {
            "BACKEND": FILESYSTEM,
            "OPTIONS": {
                "location": str(root),
                "file_permissions_mode": 0o640,
                "directory_permissions_mode": 0o750,
            },
        }
    if backend == "s3":
        bucket = environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
        if not bucket:
            raise ImproperlyConfigured(
                "ATTACHMENTS_STORAGE=s3 时必须设置 AWS_STORAGE_BUCKET_NAME。"
            )
        options: dict[str, Any] = {
            "bucket_name": bucket,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "location": environ.get("AWS_LOCATION", "").strip(),
        }
        for variable, option in S3_OPTIONAL.items():
            value = environ.get(variable, "").strip()
            if value:
                options[option] = value
        return {"BACKEND": S3, "OPTIONS": options}
    raise ImproperlyConfigured(f"ATTACHMENTS_STORAGE 的值“{backend}”无效：应为 filesystem 或 s3。")
