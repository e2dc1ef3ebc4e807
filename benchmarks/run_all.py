"""Run every benchmark on PostgreSQL and print their ratio lines together at the end.

    DATABASE_URL=postgres://… python -m benchmarks.run_all [--quick]

Each script runs in its own process (as ``python -m benchmarks.<name>``) against the database
in ``DATABASE_URL``, which is migrated first; the synthetic province is generated once
(100,000 projects, 9–20 minutes the first time, then reused). Every script repeats and
interleaves its variants (``benchmarks.measure``). The whole run took 66 minutes on a quiet
2-core machine (2026-12-04, province already generated; ``benchmarks/README.md``), most of it
the 100,000-project recompute (three rounds of the project's path and two floors, 20 minutes);
the 10,000-project recompute runs the per-object ORM loop in all three rounds (about 4 minutes
each). ``--quick`` skips the ORM loop and the 100,000-project recompute and runs one round of
the slow baselines. The scripts that write into the province (master data, the 1,000,000-row
execution feed, the 整改 and risk-draw benchmark, which marks lights and grades as causes, and
the library benchmark, which renames projects and links their indicators to library entries)
run last, so the readers before them see the generated province; re-generate it (drop the
database) before a second run.
Benchmarks are not tests: nothing here fails on timing; read the RESULT lines.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FULL = [
    ["benchmarks.recompute", "--projects", "10000", "--processes", "1,2", "--orm-repeat", "3"],
    ["benchmarks.recompute", "--projects", "100000", "--processes", "2", "--no-orm"],
    ["benchmarks.import_xlsx"],
    ["benchmarks.api_pagination"],
    ["benchmarks.api_floor"],
    ["benchmarks.api_load"],
    ["benchmarks.export_memory"],
    ["benchmarks.figures_feed"],
    # These write into the province (master data, execution rows, lights and grades marked as
    # 整改 causes by after_score's --prepare), so they run after every script that reads it.
    ["benchmarks.import_master_data"],
    ["benchmarks.import_execution", "--resource-rows", "10000"],
    ["benchmarks.after_score"],
    ["benchmarks.library"],
]
QUICK = [
    ["benchmarks.recompute", "--projects", "10000", "--processes", "1,2", "--no-orm"],
    ["benchmarks.import_xlsx", "--repeat", "1"],
    ["benchmarks.api_pagination", "--repeat", "5"],
    ["benchmarks.api_floor", "--repeat", "5"],
    ["benchmarks.api_load", "--duration", "10"],
    ["benchmarks.export_memory", "--repeat", "1"],
    ["benchmarks.figures_feed", "--projects", "10000", "--repeat", "1"],
    ["benchmarks.import_master_data", "--units", "1000", "--people", "5000", "--repeat", "1"],
    ["benchmarks.import_execution", "--rows", "100000", "--resource-rows", "2000", "--repeat", "1"],
    ["benchmarks.after_score", "--repeat", "1"],
    ["benchmarks.library", "--sample", "10", "--repeat", "2"],
]


def run(command: list[str]) -> list[str]:
    """Run one script, echoing its output; returns its RESULT lines."""
    print(f"\n$ python -m {' '.join(command)}", flush=True)
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    results = []
    assert process.stdout is not None
    for line in process.stdout:
        print(line, end="", flush=True)
        if line.startswith("RESULT"):
            results.append(line.rstrip())
    if process.wait() != 0:
        results.append(f"FAILED {' '.join(command)} (exit {process.returncode})")
    print(f"({time.monotonic() - started:.0f} s)", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the slowest baselines")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("make bench 需要 PostgreSQL：请设置 DATABASE_URL=postgres://用户:密码@主机/数据库")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True
    )
    results = run(["benchmarks.generate", "--projects", "100000"])
    for command in QUICK if args.quick else FULL:
        results += run(command)
    print("\n" + "\n".join(results))


if __name__ == "__main__":
    main()
