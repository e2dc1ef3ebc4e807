"""Export 300,000 indicators to xlsx: peak memory of the streaming export vs a normal workbook.

    python -m benchmarks.export_memory [--indicators 300000] [--tracemalloc]

Both runs write the flat template (``performance.services.exports.flat.write_indicators``,
what ``export_table(kind="targets_flat")`` and the admin's 导出 button use) for the
indicators of the first synthetic units (``benchmarks.generate``; 15 per project), each in a
fresh subprocess:

- the project's path: openpyxl's write-only workbook (``exports.workbook.new_workbook``), rows
  streamed from a server-side cursor (``iterator(chunk_size=2000)``) and written as they come;
- the baseline: the same writer and rows into a normal ``openpyxl.Workbook()``, which keeps
  every cell in memory until it is saved.

Peak memory growth is the process's peak resident set (``VmHWM``) minus its resident set just
before the export, after Django is set up and the first query ran; with ``--tracemalloc`` also
the peak of Python allocations (slower). Target (issue 8): growth ≤ 100 MB for the streaming
export. The ratio line is printed last.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import setup_django

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2025


def _status(name: str) -> int:
    """A /proc/self/status figure in bytes (VmRSS, VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{name} not found")


def _reset_peak() -> None:
    """Start VmHWM from the current RSS (Linux ≥ 4.0), so earlier peaks do not count."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def indicator_queryset(indicators: int):
    from performance.models import Indicator
    from projects.models import Unit

    from .generate import PREFIX, PROJECTS_PER_UNIT, TEMPLATE

    units = Unit.objects.filter(path__startswith=f"/{PREFIX}/", kind="unit").order_by("code")
    per_unit = PROJECTS_PER_UNIT * len(TEMPLATE)
    unit_ids = list(units.values_list("pk", flat=True)[: -(-indicators // per_unit)])
    return Indicator.objects.filter(goal__unit_id__in=unit_ids, goal__year=YEAR)


def child(mode: str, indicators: int, use_tracemalloc: bool) -> None:
    """Run one export in this process and print its figures as JSON."""
    setup_django()
    from openpyxl import Workbook

    from performance.services.exports.flat import write_indicators
    from performance.services.exports.workbook import new_workbook

    queryset = indicator_queryset(indicators)
    queryset.exists()  # connection open, query machinery loaded: not part of the export
    import openpyxl.cell._writer  # noqa: F401  (writer modules loaded before measuring)

    _reset_peak()
    before = _status("VmRSS")
    if use_tracemalloc:
        import tracemalloc

        tracemalloc.start()
    started = time.perf_counter()
    workbook = new_workbook() if mode == "streaming" else Workbook()
    if mode != "streaming":
        workbook.remove(workbook.active)  # the same sheets as the streaming workbook
    with tempfile.TemporaryFile() as target:
        writer = write_indicators(workbook, queryset)
        workbook.save(target)
        size = target.tell()
    elapsed = time.perf_counter() - started
    traced = None
    if use_tracemalloc:
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(
        json.dumps(
            {
                "rows": writer.data_rows,
                "bytes": size,
                "seconds": elapsed,
                "rss_before": before,
                "peak_growth": _status("VmHWM") - before,
                "tracemalloc_peak": traced,
            }
        )
    )


def run(mode: str, indicators: int, use_tracemalloc: bool) -> dict:
    command = [sys.executable, "-m", "benchmarks.export_memory", "--child", mode]
    command += ["--indicators", str(indicators)]
    if use_tracemalloc:
        command.append("--tracemalloc")
    output = subprocess.run(
        command, cwd=ROOT, env=os.environ, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indicators", type=int, default=300_000)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--child", choices=["streaming", "normal"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.indicators, args.tracemalloc)
        return
    setup_django()
    from .recompute import scope_units

    scope_units(-(-args.indicators // 15))  # enough synthetic projects exist
    results = {}
    for mode in ("streaming", "normal"):
        results[mode] = figures = run(mode, args.indicators, args.tracemalloc)
        traced = figures["tracemalloc_peak"]
        print(
            f"{mode + ' workbook':<20} {figures['rows']} rows, {figures['bytes'] / 1e6:6.1f} MB xlsx"
            f" in {figures['seconds']:6.1f} s; peak RSS growth"
            f" {figures['peak_growth'] / 1e6:8.1f} MB"
            + (f", tracemalloc peak {traced / 1e6:8.1f} MB" if traced else ""),
            flush=True,
        )
    streaming, normal = results["streaming"], results["normal"]
    growth = streaming["peak_growth"] / 1e6
    met = growth <= 100
    print(
        f"RESULT export_memory: {streaming['rows']} indicators, streaming peak growth"
        f" {growth:.1f} MB (target ≤ 100 MB) vs {normal['peak_growth'] / 1e6:.1f} MB for a normal"
        f" workbook ({normal['peak_growth'] / max(streaming['peak_growth'], 1):.0f}× less),"
        f" time {streaming['seconds']:.1f} s vs {normal['seconds']:.1f} s"
        f" → {'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
