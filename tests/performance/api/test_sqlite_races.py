"""``make run`` serves SQLite to a web process, a worker and beat at once: two writers racing
for one goal must get what PostgreSQL gives them — one 200, one 409 — never a 500 "database
is locked" (69 of them in a race on the demo before transactions took SQLite's write lock at
their start). Runs ``tests/performance/api/sqlite_race.py`` in a process of its own on a SQLite file,
whatever database the rest of the suite uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROUNDS = 30
ROOT = Path(__file__).resolve().parents[3]


def test_concurrent_writers_on_a_sqlite_file_get_200_and_409_never_locked(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(VAR_DIR=str(tmp_path / "var"), CELERY_TASK_ALWAYS_EAGER="1", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.performance.api.sqlite_race",
            str(tmp_path / "race.sqlite3"),
            str(ROUNDS),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    rounds = outcome["statuses"]
    assert len(rounds) == ROUNDS
    tally = Counter(str(sorted(map(str, r.values()))) for r in rounds)
    assert tally == Counter({"['200', '409']": ROUNDS}), tally
    assert outcome["lost"] is None, outcome["lost"]
