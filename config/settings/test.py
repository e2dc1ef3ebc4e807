"""Test settings: fast hashing, in-memory mail, eager tasks unless an integration test asks otherwise."""

import os

from config.storage import attachment_storage_config

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Unit tests run tasks inline; the integration phase turns this off and starts a real worker.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"auth": "1000/min"}}  # noqa: F405
# Fault injection for the worker integration tests (pause a task, fail it N times): a folder
# of marker files; see performance/fault_injection.py. Never set outside tests.
TASK_HOOKS_DIR = os.environ.get("PERF_TASK_HOOKS_DIR", "")
# Evidence files of tests that do not give them a directory of their own (tests/conftest.py's
# ``evidence_storage`` does): never the development var/attachments.
STORAGES = {
    **STORAGES,  # noqa: F405
    "attachments": attachment_storage_config({}, root=VAR_DIR / "test-attachments"),  # noqa: F405
}
