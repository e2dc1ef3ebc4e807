"""Run the whole suite: unit tests, then integration tests (real PostgreSQL, Redis, worker).

pytest exits with 5 when it collected nothing. That is never a pass here: a phase that ran no
tests means tests went missing. With ``REQUIRE_INTEGRATION=1`` (set by ``.ci/run``) the
integration phase must run for real: its fixtures fail instead of skipping when a service is
missing, so CI can never skip them silently.
"""

from __future__ import annotations

import os
import subprocess
import sys

NO_TESTS_COLLECTED = 5
# Phase 1 spreads over the machine's cores (pytest-xdist; one test database per worker).
# Phase 2 stays in one process: it starts workers, live servers and a browser of its own.
WORKERS = os.environ.get("TEST_WORKERS", "auto")
PHASES = [
    ("单元与功能测试", ["-m", "not integration and not browser", "-n", WORKERS], {}),
    (
        "集成测试（PostgreSQL / Redis / Celery worker / 浏览器）",
        ["-m", "integration or browser"],
        {"CELERY_TASK_ALWAYS_EAGER": "0", "CELERY_QUEUE": f"itest-{os.getpid()}"},
    ),
]


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    for title, marker_args, extra_env in PHASES:
        print(f"\n=== {title} ===", flush=True)
        env = {**os.environ, **extra_env}
        code = subprocess.call([sys.executable, "-m", "pytest", *marker_args, *argv], env=env)
        if code == NO_TESTS_COLLECTED:
            print(f"错误：阶段“{title}”没有收集到任何测试（pytest 退出码 5）。", file=sys.stderr)
            return 1
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
