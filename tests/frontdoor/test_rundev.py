"""``manage.py rundev`` (``make run``) stops runserver, the worker and beat on any stop signal.

Each case starts the real command as ``make run`` does, on SQLite and the embedded broker in a
temporary folder and on a free port, waits until all three are up, sends one signal to rundev
alone (as ``kill``, a closed terminal or Ctrl-C delivers it) and checks that no process it
started, nor any of theirs (the worker's pool), is left. When one of the three fails on its own
the others are stopped too and rundev says which failed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 120
STOP_SECONDS = 40


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time) of a live process, None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rpartition(")")[2].split()
    return int(fields[1]), fields[0], int(fields[19])


def _descendants(root: int) -> dict[int, int]:
    """Every process below ``root``: pid → start time (to tell a reused pid apart)."""
    children: dict[int, list[int]] = {}
    starts: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            children.setdefault(stat[0], []).append(int(entry))
            starts[int(entry)] = stat[2]
    found: dict[int, int] = {}
    pending = list(children.get(root, ()))
    while pending:
        pid = pending.pop()
        if pid in starts:
            found[pid] = starts[pid]
            pending.extend(children.get(pid, ()))
    return found


def _alive(pid: int, start: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[1] != "Z" and stat[2] == start


def _command_line(pid: int) -> str:
    with suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


def _processes_with(variable: str) -> list[str]:
    """Every live process whose environment holds ``variable`` (e.g. ``VAR_DIR=/tmp/…``)."""
    needle = variable.encode() + b"\0"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or entry == str(os.getpid()):
            continue
        with suppress(OSError):
            environ = Path(f"/proc/{entry}/environ").read_bytes() + b"\0"
            stat = _stat(int(entry))
            if b"\0" + needle in b"\0" + environ and stat is not None and stat[1] != "Z":
                found.append(f"{entry} {_command_line(int(entry))}")
    return found


@pytest.fixture(scope="module")
def dev_env(tmp_path_factory) -> dict[str, str]:
    """`make run`'s environment on a migrated SQLite database in a folder of its own."""
    var = tmp_path_factory.mktemp("rundev-var")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "REDIS_CACHE_URL", "CELERY_TASK_ALWAYS_EAGER"}
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", VAR_DIR=str(var))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=180,
    )
    return env


def _wait_until_up(process: subprocess.Popen, log: Path, port: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"rundev exited early ({process.returncode}):\n{log.read_text()[-3000:]}")
        output = log.read_text(errors="replace")
        if "dev@" in output and " ready." in output and "beat: Starting..." in output:
            with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        time.sleep(0.3)
    pytest.fail(f"rundev not up within {STARTUP_SECONDS}s:\n{log.read_text()[-3000:]}")


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name
)
def test_a_stop_signal_to_rundev_stops_runserver_the_worker_and_beat(dev_env, tmp_path, signum):
    port = _free_port()
    log = tmp_path / "rundev.log"
    with open(log, "w") as output:
        # Its own session, so that the clean-up below can never reach pytest's process group.
        rundev = subprocess.Popen(
            [sys.executable, "manage.py", "rundev", "--port", str(port)],
            cwd=ROOT,
            env=dev_env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started: dict[int, int] = {}
    try:
        _wait_until_up(rundev, log, port)
        started = _descendants(rundev.pid)
        commands = " | ".join(_command_line(pid) for pid in started)
        for role in ("runserver", " worker ", " beat "):
            assert role in commands, f"{role.strip()} not running under rundev: {commands}"

        os.kill(rundev.pid, signum)
        rundev.wait(timeout=STOP_SECONDS)

        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(*item) for item in started.items()):
            time.sleep(0.1)
        survivors = [
            f"{pid} {_command_line(pid)}" for pid, start in started.items() if _alive(pid, start)
        ]
        assert survivors == [], f"left running after {signum.name}: {survivors}"
        assert rundev.returncode == 0, log.read_text()[-3000:]
        assert f"收到 {signum.name}" in log.read_text()
    finally:
        with suppress(ProcessLookupError):
            os.killpg(rundev.pid, signal.SIGKILL)
        for pid, start in started.items():
            if _alive(pid, start):
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            rundev.wait(timeout=10)


def test_when_runserver_fails_rundev_stops_the_worker_and_beat_and_says_so(dev_env, tmp_path):
    env = {**dev_env, "VAR_DIR": str(tmp_path)}  # the same database, a broker of its own
    (tmp_path / "db.sqlite3").write_bytes((Path(dev_env["VAR_DIR"]) / "db.sqlite3").read_bytes())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "manage.py", "rundev", "--port", str(port)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=STARTUP_SECONDS,
            start_new_session=True,
        )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "runserver（退出码 1）意外退出，其余进程已停止。" in result.stderr
    assert "worker（" not in result.stderr and "beat（" not in result.stderr
    assert _processes_with(f"VAR_DIR={tmp_path}") == []
