"""Hostile files cannot grow a process: a small upload holding a 290 MB cell, millions of
empty rows, millions of strings or cells is refused with a Chinese error naming the row and
column where it can, after growing a fresh process by less than 100 MB, and writes nothing
(issue 13: one such 300 KB file grew the web process from 141 to 773 MB; 745 KB of empty rows
took a worker to 1.16 GB).

The files are built on the fly (``hostile_files``); each is read in a process of its own
(``import_memory``), whose peak resident size is compared with its size just before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from performance.services.imports import targets_import

from ...support.import_helpers import db_counts, error_codes
from . import hostile_files

ROOT = Path(__file__).resolve().parents[3]
GROWTH_LIMIT_MB = 100

# builder → (error code, row, column) of the first error
CASES = {
    "one_huge_shared_string": ("too_long", 2, "三级指标"),
    "one_huge_inline_string": ("cell_too_large", 2, "三级指标"),
    "many_long_shared_strings": ("too_much_text", None, ""),
    "many_short_shared_strings": ("too_much_text", None, ""),
    "millions_of_empty_rows": ("too_many_rows", None, ""),
    "one_row_of_millions_of_cells": ("too_many_cells", 3, ""),
    "a_huge_styles_part": ("zip_too_large", None, ""),
    "csv_with_a_huge_field": ("cell_too_large", 2, ""),
    "csv_with_millions_of_commas": ("too_many_cells", 2, ""),
    "csv_with_millions_of_blank_lines": ("too_many_rows", None, ""),
}


def build(name: str, folder: Path) -> Path:
    suffix = ".csv" if name.startswith("csv_") else ".xlsx"
    return getattr(hostile_files, name)(folder / f"{name}{suffix}")


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_file_grows_a_fresh_process_by_less_than_100_mb(name, tmp_path):
    path = build(name, tmp_path)
    assert path.stat().st_size < 20 * 1024 * 1024  # under the upload limit
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.performance.imports_exports.import_memory", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["growth_mb"] < GROWTH_LIMIT_MB, outcome
    code, row, column = CASES[name]
    assert outcome["errors"], outcome
    first_code, first_row, first_column, message = outcome["errors"][0]
    assert (first_code, first_row, first_column) == (code, row, column), outcome
    assert chinese(message)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["one_huge_shared_string", "one_huge_inline_string", "millions_of_empty_rows"]
)
def test_the_issues_files_are_refused_through_the_import_service_and_write_nothing(
    name, filler, tmp_path
):
    path = build(name, tmp_path)
    before = db_counts()
    result = targets_import(actor=filler, file=path, filename=path.name)
    assert not result.ok and not result.committed
    assert error_codes(result)[0] == CASES[name][0]
    assert chinese(result.errors[0].message)
    assert db_counts() == before


@pytest.mark.django_db
def test_the_admins_import_preview_shows_the_cells_error(login, filler, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    path = build("one_huge_shared_string", tmp_path)
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    before = db_counts()
    page = login(filler).post(
        reverse("admin:performance_performancegoal_import"), {"import_file": upload}
    )
    assert page.status_code == 200
    assert "超过 Excel 单元格的上限 32767 字" in page.content.decode()
    assert db_counts() == before
