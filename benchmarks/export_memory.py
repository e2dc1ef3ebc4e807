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
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import setup_django
from .measure import describe, median, rounds

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


def child(mode: str, indicators: int, use_tracemalloc: bool, output: str) -> None:
    """Run one export in this process into ``output`` and print its figures as JSON."""
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
    with open(output, "wb") as target:
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


def run(mode: str, indicators: int, use_tracemalloc: bool, output: str) -> dict:
    command = [sys.executable, "-m", "benchmarks.export_memory", "--child", mode]
    command += ["--indicators", str(indicators), "--output", output]
    if use_tracemalloc:
        command.append("--tracemalloc")
    result = subprocess.run(
        command, cwd=ROOT, env=os.environ, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(result.strip().splitlines()[-1])


def content_digest(path: str) -> tuple[int, str]:
    """(data rows, sha256 of every sheet's title and every cell's value and number format),
    read back with openpyxl: what a reader of the file sees, whatever the workbook's XML."""
    from openpyxl import load_workbook

    digest = hashlib.sha256()
    data_rows = 0
    workbook = load_workbook(path, read_only=True)
    for sheet in workbook.worksheets:
        digest.update(f"sheet {sheet.title}\n".encode())
        for index, row in enumerate(sheet.iter_rows()):
            cells = [(cell.value, cell.number_format) for cell in row if cell.value is not None]
            digest.update(repr(cells).encode() + b"\n")
            data_rows += index > 0 and bool(cells)
    workbook.close()
    return data_rows, digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indicators", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of both exports (median)")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--child", choices=["streaming", "normal"], help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.indicators, args.tracemalloc, args.output)
        return
    setup_django()
    from .recompute import scope_units

    scope_units(-(-args.indicators // 15))  # enough synthetic projects exist
    print(
        f"export {args.indicators} indicators: {args.repeat} rounds, the two exports"
        " interleaved, each in a fresh process",
        flush=True,
    )
    results: dict[str, list[dict]] = {"streaming": [], "normal": []}
    contents: dict[str, set] = {"streaming": set(), "normal": set()}
    with tempfile.TemporaryDirectory() as folder:
        for index, mode in rounds(list(results), args.repeat):
            output = str(Path(folder) / f"{mode}.xlsx")
            figures = run(mode, args.indicators, args.tracemalloc, output)
            rows, digest = content_digest(output)  # not timed: the child has finished
            contents[mode].add((figures["rows"], rows, digest))
            results[mode].append(figures)
            traced = figures["tracemalloc_peak"]
            print(
                f"  round {index + 1}: {mode + ' workbook':<20} {figures['rows']} rows written,"
                f" {rows} read back, {figures['bytes'] / 1e6:6.1f} MB xlsx in"
                f" {figures['seconds']:6.1f} s; peak RSS growth"
                f" {figures['peak_growth'] / 1e6:8.1f} MB"
                + (f", tracemalloc peak {traced / 1e6:8.1f} MB" if traced else "")
                + f"; content {digest[:12]}",
                flush=True,
            )
    every = contents["streaming"] | contents["normal"]
    same = len(every) == 1 and next(iter(every))[0] == next(iter(every))[1]
    print(
        "same workbook content (sheets, every cell's value and number format, read back):"
        f" {'yes' if same else 'NO'}" + ("" if same else f" — {sorted(every)}")
    )
    print("timings and memory (interleaved rounds, each run in a fresh process):")
    for mode, runs in results.items():
        print(
            f"  {mode:<10} peak growth"
            f" {describe([r['peak_growth'] for r in runs], unit='MB', scale=1e-6)};"
            f" time {describe([r['seconds'] for r in runs])}"
        )
    growth = median([r["peak_growth"] for r in results["streaming"]]) / 1e6
    normal = median([r["peak_growth"] for r in results["normal"]]) / 1e6
    seconds = {mode: median([r["seconds"] for r in runs]) for mode, runs in results.items()}
    rows = results["streaming"][0]["rows"]
    met = growth <= 100 and same
    print(
        f"RESULT export_memory: {rows} indicators, streaming peak growth"
        f" {growth:.1f} MB (target ≤ 100 MB) vs {normal:.1f} MB for a normal"
        f" workbook ({normal / max(growth, 1e-6):.0f}× less), time {seconds['streaming']:.1f} s"
        f" vs {seconds['normal']:.1f} s, same content: {'yes' if same else 'NO'}"
        f" → {'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
