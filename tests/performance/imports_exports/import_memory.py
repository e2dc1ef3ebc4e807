"""How much one import of a file grows a fresh process: ``python -m tests.performance.imports_exports.import_memory
FILE`` prints ``{"growth_mb": …, "errors": [[code, row, column, message], …]}``.

Run in a process of its own (``test_import_memory``) because a process's peak RSS never goes
down: the peak (``VmHWM``) after reading and validating the file (``open_table`` + ``validate_rows``, all
that happens before the database is asked anything), less the resident size just before, is
what the file cost. The address space is capped 1 GB above the start, so a regression fails
with a MemoryError instead of taking the machine's memory.
"""

from __future__ import annotations

import json
import os
import resource
import sys


def status_mb(field: str) -> float:
    """``VmRSS`` (resident now) or ``VmHWM`` (its peak) of this process, in MB.

    Not ``getrusage``'s ``ru_maxrss``: Linux keeps that across ``exec``, so a child of a large
    pytest process starts with its parent's size as its peak.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def main(path: str) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from performance.services.imports.reading import open_table
    from performance.services.imports.result import ImportFileError, ImportResult
    from performance.services.imports.validation import validate_rows
    from tests.support.import_helpers import rows, xlsx_bytes

    def run(data: bytes, name: str) -> ImportResult:
        result = ImportResult(filename=name, dry_run=True)
        try:
            validate_rows(open_table(data, name), result)
        except ImportFileError as error:
            result.errors.extend(error.issues)
        return result

    run(xlsx_bytes(rows(2)), "warm-up.xlsx")  # imports and caches, before measuring
    with open(path, "rb") as handle:
        data = handle.read()
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (size + 2**30, hard))
    before = status_mb("VmRSS")
    try:
        result = run(data, os.path.basename(path))
        errors = [[i.code, i.row, i.column, i.message] for i in result.errors]
    except MemoryError:
        errors = [["MemoryError", None, None, ""]]
    peak = status_mb("VmHWM")
    return {"growth_mb": round(peak - before, 1), "errors": errors}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1]), ensure_ascii=False))
