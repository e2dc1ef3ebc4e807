"""Serve the admin with a Celery worker and beat beside it, for `make run`.

The worker and beat use the embedded filesystem broker unless REDIS_URL is set. Each of the
three processes leads its own process group, so stopping one takes its own children with it
(the worker's pool). Ctrl-C, SIGTERM and SIGHUP (a closed terminal) all stop the three; a
second signal while they shut down kills them outright. When one of them exits on its own, the
others are stopped too and the command fails saying which.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import suppress

from django.core.management.base import BaseCommand, CommandError

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# How long the worker may take for a warm shutdown (finishing its running tasks).
GRACE_SECONDS = 15
# How long what a stopped child left behind in its process group gets before SIGKILL.
LEFTOVER_GRACE_SECONDS = 3
POLL_SECONDS = 0.2


def _group_alive(child: subprocess.Popen) -> bool:
    """Whether anything is left of the child's process group (the child itself reaped first)."""
    child.poll()
    try:
        os.killpg(child.pid, 0)
    except (ProcessLookupError, PermissionError):  # empty (or the id went to someone else)
        return False
    return True


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


def _wait(done, seconds: float, received: list[int], signals_before: int) -> None:
    """Poll ``done()`` for ``seconds``; a further signal in ``received`` cuts the wait short."""
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline and len(received) == signals_before:
        time.sleep(POLL_SECONDS)


def stop_process_groups(children: list[subprocess.Popen], received: list[int]) -> None:
    """Stop each child, then whatever is left of its process group.

    SIGTERM goes to the child alone, as ``docker stop`` sends it: the worker then shuts its pool
    down itself (a SIGTERM to the whole group would kill the pool under it, which it restarts).
    What the group still holds afterwards gets SIGTERM, then SIGKILL. A further signal in
    ``received`` (Ctrl-C again) skips the waiting and kills at once."""
    signals_before = len(received)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    _wait(
        lambda: all(child.poll() is not None for child in children),
        GRACE_SECONDS,
        received,
        signals_before,
    )
    for child in children:
        _signal_group(child, signal.SIGTERM)
    _wait(
        lambda: not any(_group_alive(child) for child in children),
        LEFTOVER_GRACE_SECONDS,
        received,
        signals_before,
    )
    for child in children:
        _signal_group(child, signal.SIGKILL)
    for child in children:
        with suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)


class Command(BaseCommand):
    help = "启动开发服务器，同时启动 Celery worker 和 beat（无需 Redis）。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-celery", action="store_true", help="只启动 Web 服务。")

    def handle(self, *args, **options):
        received: list[int] = []

        def request_stop(signum: int, frame: object) -> None:
            received.append(signum)

        previous = {signum: signal.signal(signum, request_stop) for signum in STOP_SIGNALS}
        children: dict[str, subprocess.Popen] = {}
        exited: dict[str, int] = {}
        try:
            self._start(children, options)
            while not received and not exited:
                time.sleep(POLL_SECONDS)
                exited = {
                    name: code
                    for name, child in children.items()
                    if (code := child.poll()) is not None
                }
        finally:
            stop_process_groups(list(children.values()), received)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if received:
            name = signal.Signals(received[0]).name
            self.stdout.write(f"收到 {name}，Web 服务、worker 和 beat 均已停止。")
            return
        which = "、".join(f"{name}（退出码 {code}）" for name, code in exited.items())
        raise CommandError(f"{which}意外退出，其余进程已停止。")

    def _start(self, children: dict[str, subprocess.Popen], options: dict) -> None:
        """Start beat, the worker and runserver, each leading a process group of its own."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}

        def start(name: str, command: list[str]) -> None:
            children[name] = subprocess.Popen(command, env=env, start_new_session=True)

        celery = [sys.executable, "-m", "celery", "-A", "config"]
        if not options["no_celery"]:
            start(
                "worker",
                [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2", "-n", "dev@%h"],
            )
            start("beat", [*celery, "beat", "--loglevel", "INFO"])
        address = f"{options['host']}:{options['port']}"
        self.stdout.write(self.style.SUCCESS(f"管理后台：http://{address}/admin/"))
        start("runserver", [sys.executable, "manage.py", "runserver", address, "--noreload"])
