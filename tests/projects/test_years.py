"""The accepted budget years are declared once (projects/years.py); every entry point reads them."""

from __future__ import annotations

import pathlib
import re

import pytest
from django.core.exceptions import ValidationError

from performance.services.imports.cell_cleaning import Bad
from performance.services.imports.cell_cleaning import year as clean_year
from performance.services.monitoring import check_round_input
from performance.services.recompute_jobs import _check_year
from projects.years import FIRST_YEAR, LAST_YEAR, year_out_of_range_message

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_no_module_but_projects_years_spells_the_year_bounds():
    offenders = []
    for package in ("projects", "performance", "config"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts or path.name == "years.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(rf"\b{LAST_YEAR}\b", line) and re.search(rf"\b{FIRST_YEAR}\b", line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize("year", [FIRST_YEAR - 1, LAST_YEAR + 1])
def test_every_entry_point_refuses_the_same_years_with_the_same_sentence(year):
    expected = year_out_of_range_message(year)
    with pytest.raises(Bad) as imported:
        clean_year(year)
    assert imported.value.message == expected
    with pytest.raises(ValidationError) as recomputed:
        _check_year(year)
    assert recomputed.value.message_dict["year"] == [expected]
    with pytest.raises(ValidationError) as round_input:
        check_round_input(year, 6, None, None)
    assert round_input.value.message_dict["year"] == [expected]


@pytest.mark.parametrize("year", [FIRST_YEAR, LAST_YEAR])
def test_every_entry_point_accepts_the_bounds(year):
    assert clean_year(year) == year
    assert _check_year(year) == year
    check_round_input(year, 6, None, None)
