"""ReDoc without Redocly's servers: the sidecar's bundle, served with two references removed.

drf-spectacular-sidecar ships ReDoc's standalone bundle, which still draws Redocly's logo from
``cdn.redoc.ly`` (and links to ``redocly.com``) in its sidebar, with no option to turn that off.
``LocalRedocFinder`` comes first in ``STATICFILES_FINDERS`` and answers for the bundle's path
with a copy in which the logo is an empty image (it fails to load without a request, and ReDoc
then drops it) and the credit line stays as plain text. ``collectstatic``, WhiteNoise and
``runserver`` all take the copy; the page's URL does not change. Each replacement must match
exactly once: a sidecar upgrade that changes the bundle fails ``manage.py check`` and
``collectstatic`` instead of quietly serving the CDN reference again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import cache
from pathlib import Path

import drf_spectacular_sidecar
from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage

BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
SOURCE = Path(drf_spectacular_sidecar.__file__).resolve().parent / "static" / BUNDLE
# (text in the sidecar's bundle, what it becomes)
REPLACEMENTS = (
    # The sidebar's Redocly logo: "data:," is an empty image, an error without any request.
    ('src:"https://cdn.redoc.ly/redoc/logo-mini.svg"', 'src:"data:,"'),
    # "API docs by Redocly" stays, as text: the <a> loses its href to redocly.com.
    ('href:"https://redocly.com/redoc/"', "href:void 0"),
)


def patched_bundle(source: bytes) -> bytes:
    """The bundle with every ``REPLACEMENTS`` applied; each must occur exactly once."""
    text = source.decode("utf-8")
    for old, new in REPLACEMENTS:
        if text.count(old) != 1:
            raise ImproperlyConfigured(
                f"{SOURCE} 中“{old}”出现 {text.count(old)} 次（应为 1 次）："
                "drf-spectacular-sidecar 的 ReDoc 已变化，请更新 performance/api/docs_assets.py。"
            )
        text = text.replace(old, new)
    return text.encode("utf-8")


def output_root() -> Path:
    return Path(settings.VAR_DIR) / "static-patched"


@cache
def _written(source_path: str, root: str) -> Path:
    """Writes the patched copy under ``root`` once per process (atomically, only if changed)."""
    patched = patched_bundle(Path(source_path).read_bytes())
    target = Path(root) / BUNDLE
    if target.exists() and hashlib.sha256(target.read_bytes()).digest() == (
        hashlib.sha256(patched).digest()
    ):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".redoc-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(patched)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def patched_path() -> Path:
    """The patched bundle on disk (written on first use)."""
    return _written(str(SOURCE), str(output_root()))


class LocalRedocFinder(BaseFinder):
    """Finds the patched ReDoc bundle before the sidecar's own copy is found."""

    def check(self, **kwargs) -> list[Error]:
        try:
            patched_bundle(SOURCE.read_bytes())
        except (OSError, ImproperlyConfigured) as error:
            return [Error(str(error), id="performance.E001")]
        return []

    def find(self, path: str, find_all: bool = False, **kwargs) -> str | list[str] | None:
        if "all" in kwargs:  # Django < 6.1's deprecated spelling
            find_all = kwargs.pop("all")
        if path != BUNDLE:
            return [] if find_all else None
        found = str(patched_path())
        return [found] if find_all else found

    def list(self, ignore_patterns):
        patched_path()
        yield BUNDLE, FileSystemStorage(location=output_root())
