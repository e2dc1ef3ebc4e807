"""Integration fixtures: real PostgreSQL, real Redis and a real Celery worker process.

On a developer machine without the servers these tests are skipped with the reason shown.
With ``REQUIRE_INTEGRATION=1`` (``.ci/run``) a missing server fails the run instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def _missing_service() -> str | None:
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        return "DATABASE_URL 未指向 PostgreSQL"
    if not settings.REDIS_URL:
        return "REDIS_URL 未设置"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as error:  # any connection problem means "no Redis here"
        return f"无法连接 Redis（{error}）"
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "CELERY_TASK_ALWAYS_EAGER 仍为开启（请通过 make test / tests/run.py 运行）"
    return None


@pytest.fixture(scope="session")
def integration_services():
    problem = _missing_service()
    if problem:
        if os.environ.get("REQUIRE_INTEGRATION") == "1":
            pytest.fail(f"CI 要求运行集成测试，但{problem}。", pytrace=False)
        pytest.skip(f"跳过集成测试：{problem}")


def _worker_env() -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
    }


def start_worker(name: str, *extra: str) -> subprocess.Popen:
    """Start ``celery worker`` on the test database and wait until it answers a ping."""
    log = open(ROOT / "var" / f"{name}.log", "w")  # noqa: SIM115 - closed by the process owner
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel",
            "INFO",
            "-n",
            f"{name}@%h",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            "--without-gossip",
            "--without-mingle",
            *extra,
        ],
        cwd=ROOT,
        env=_worker_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Celery worker 启动失败，见 var/{name}.log")
        replies = celery_app.control.ping(timeout=1.0) or []
        if any(name in key for reply in replies for key in reply):
            return process
    process.kill()
    raise RuntimeError(f"Celery worker 60 秒内未响应，见 var/{name}.log")


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def celery_worker(integration_services, django_db_setup, django_db_blocker):
    """One real worker for the session, consuming this run's queue on the test database."""
    with django_db_blocker.unblock():
        celery_app.control.purge()
    process = start_worker("itest", "--concurrency", "2")
    yield process
    stop_worker(process)


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy; fail with a clear message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"{timeout} 秒内条件未满足：{getattr(predicate, '__doc__', '') or predicate}")
