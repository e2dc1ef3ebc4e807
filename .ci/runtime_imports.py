"""Load everything the production processes load, with the Python that runs this script.

Run by ``.ci/run`` with the venv built from ``requirements.txt`` alone (what
``docker/Dockerfile`` installs): an ImportError here is a runtime dependency missing from
``requirements.txt``. ``--only NAME,NAME,…`` hides every other installed distribution first
(its modules fail to import), so ``tests/frontdoor/test_runtime_requirements.py`` can run it in
the dev venv with only what ``requirements.txt`` installs, where the dev tools (pytest pulls in
``packaging``) would otherwise hide such a gap.

What is loaded: Django with production settings and a Redis broker and cache (no connection is
made), every module of the project, the WSGI application (middleware), the URLconf, the OpenAPI
schema, the Celery app and its tasks, the broker transport, the beat scheduler, the worker and
beat command-line entry points, gunicorn's sync and threaded workers, the SMTP mail backend, the
static files storage and the import/export file formats.
"""

from __future__ import annotations

import importlib
import importlib.abc
import os
import pkgutil
import re
import sys
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = ("config", "projects", "performance")
# Settings modules other than production: importing them would re-run the settings.
SKIPPED_MODULES = ("config.settings.local", "config.settings.test")

ENTRY_POINTS = (
    # gunicorn as docker/entrypoint.sh starts it (--threads selects the gthread worker)
    "gunicorn.app.wsgiapp",
    "gunicorn.workers.sync",
    "gunicorn.workers.gthread",
    # celery worker and beat as docker/entrypoint.sh starts them
    "celery.bin.celery",
    "celery.apps.worker",
    "celery.apps.beat",
    "celery.concurrency.prefork",
    "celery.worker.consumer.consumer",
    "django.core.mail.backends.smtp",
)


def _environment() -> None:
    """Production settings with a Redis broker and cache; nothing connects at import time."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    os.environ.setdefault("SECRET_KEY", "runtime-imports-" + "k7Qz9" * 10)
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    os.environ.setdefault("DATABASE_URL", "postgres://perf:perf@127.0.0.1:5432/runtime_imports")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="perf-runtime-imports-"))
    sys.path.insert(0, str(ROOT))


def load_runtime() -> None:
    """Import what gunicorn, the worker, beat and the management commands import."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import caches
    from django.core.files.storage import storages
    from django.template import engines
    from django.urls import get_resolver
    from django.utils.module_loading import import_string

    for package in PROJECT_PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if info.name not in SKIPPED_MODULES:
                importlib.import_module(info.name)
    import_string("config.wsgi.application")
    get_resolver().url_patterns  # noqa: B018 - resolving the URLconf imports every view
    for engine in engines.all():
        engine.engine.template_libraries  # noqa: B018 - the template tag libraries
    caches["default"]._cache  # noqa: B018 - builds the Redis cache client
    storages["staticfiles"]

    from drf_spectacular.generators import SchemaGenerator

    SchemaGenerator().get_schema(request=None, public=True)

    from kombu.transport import resolve_transport

    from config.celery import app

    app.loader.import_default_modules()
    resolve_transport(app.conf.broker_url.split("://", 1)[0])  # imports the transport
    import_string(settings.CELERY_BEAT_SCHEDULER.replace(":", "."))
    for name in ENTRY_POINTS:
        importlib.import_module(name)

    from import_export.formats.base_formats import DEFAULT_FORMATS

    for file_format in DEFAULT_FORMATS:
        file_format().get_format()


def normalize(name: str) -> str:
    """A distribution name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


class HiddenDistributions(importlib.abc.MetaPathFinder):
    """Refuses the top-level modules of the distributions that are not to be seen."""

    def __init__(self, modules: set[str]) -> None:
        self.modules = modules

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.modules:
            raise ModuleNotFoundError(
                f"No module named {name!r} (hidden: not installed)", name=name
            )
        return None


def hide_all_but(allowed: set[str]) -> None:
    """Make the modules of every installed distribution outside ``allowed`` unimportable."""
    allowed = {normalize(name) for name in allowed}
    hidden = {
        module
        for module, owners in metadata.packages_distributions().items()
        if module not in sys.stdlib_module_names
        and not any(normalize(owner) in allowed for owner in owners)
    }
    for name in list(sys.modules):
        if name.partition(".")[0] in hidden:
            del sys.modules[name]
    sys.meta_path.insert(0, HiddenDistributions(hidden))


def main(argv: list[str]) -> int:
    if "--only" in argv:
        hide_all_but(set(argv[argv.index("--only") + 1].split(",")))
    _environment()
    load_runtime()
    print(f"runtime imports ok ({sys.executable})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
