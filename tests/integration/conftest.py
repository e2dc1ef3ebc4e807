"""Integration fixtures: real PostgreSQL, real Redis and a real Celery worker process.

Every test marked ``integration`` passes the services check of ``tests/integration_gate.py``
before any of its fixtures: on a developer machine without the servers it is skipped with the
reason shown; with ``REQUIRE_INTEGRATION=1`` (``.ci/run``) a missing server fails the run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tests.integration_gate import require_services

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def integration_services(request):
    """The services check (``tests/integration_gate.py``), for fixtures that need it first."""
    require_services(request.config)


def hooks_dir() -> Path:
    """The fault-injection folder the test workers watch (see performance/fault_injection.py)."""
    folder = ROOT / "var" / "task-hooks" / settings.CELERY_TASK_DEFAULT_QUEUE
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _worker_env() -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PERF_TASK_HOOKS_DIR": str(hooks_dir()),
        "PYTHONUNBUFFERED": "1",
    }


def worker_name(name: str) -> str:
    """Worker names carry the queue, so concurrent runs on one Redis never answer for us."""
    return f"{name}-{settings.CELERY_TASK_DEFAULT_QUEUE}"


def worker_log(name: str) -> Path:
    """Where a worker started by :func:`start_worker` writes its log (one file per run)."""
    return ROOT / "var" / f"{worker_name(name)}.log"


def running_workers(name: str) -> list[str]:
    """Full node names (``name-queue@host``) of our workers that answer a ping."""
    prefix = f"{worker_name(name)}@"
    replies = celery_app.control.ping(timeout=1.0) or []
    return [node for reply in replies for node in reply if node.startswith(prefix)]


def start_worker(name: str, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``celery worker`` on the test database and wait until it answers a ping.

    The worker leads its own process group so :func:`kill_worker` can take its pool with it;
    ``env`` overrides settings for this worker only (e.g. ``CELERY_VISIBILITY_TIMEOUT``).
    """
    full_name = worker_name(name)
    log = open(worker_log(name), "w")  # noqa: SIM115 - closed by the process owner
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
            f"{full_name}@%h",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            "--without-gossip",
            "--without-mingle",
            *extra,
        ],
        cwd=ROOT,
        env={**_worker_env(), **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Celery worker 启动失败，见 {worker_log(name)}")
        if running_workers(name):
            return process
    kill_worker(process)
    raise RuntimeError(f"Celery worker 60 秒内未响应，见 {worker_log(name)}")


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill_worker(process)


def kill_worker(process: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool at once: no warm shutdown, no acknowledgement."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)


@contextmanager
def session_worker_paused():
    """Let a test own the queue: the session worker (if started) stops consuming meanwhile."""
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    nodes = running_workers("itest")
    if nodes:
        celery_app.control.cancel_consumer(queue, destination=nodes, reply=True, timeout=5)
    try:
        yield
    finally:
        if nodes:
            celery_app.control.add_consumer(queue, destination=nodes, reply=True, timeout=5)


def session_worker_idle(timeout: float = 60.0) -> None:
    """Wait until the session worker (if started) has no task running or reserved.

    A transactional test's teardown truncates every table; a worker still running a task that
    this or an earlier test queued holds locks the ``TRUNCATE`` needs while waiting for others
    it holds, and PostgreSQL aborts the teardown with a deadlock."""
    nodes = running_workers("itest")
    if not nodes:
        return
    inspect = celery_app.control.inspect(destination=nodes, timeout=1.0)

    def idle() -> bool:
        """the session worker has no task running or reserved"""
        active, reserved = inspect.active() or {}, inspect.reserved() or {}
        return not any(active.values()) and not any(reserved.values())

    wait_for(idle, timeout=timeout)


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


@pytest.fixture
def task_hooks():
    """The workers' fault-injection folder, emptied before and after the test."""
    folder = hooks_dir()

    def clear() -> None:
        for marker in folder.iterdir():
            marker.unlink()

    clear()
    yield folder
    clear()


@pytest.fixture
def spawn_worker():
    """``spawn_worker(name, *args, env=…)`` starts a worker that is killed after the test."""
    started: list[subprocess.Popen] = []

    def spawn(name: str, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        process = start_worker(name, *extra, env=env)
        started.append(process)
        return process

    yield spawn
    for process in started:
        if process.poll() is None:
            kill_worker(process)
