"""The unit summary carries the unit's own self-evaluation summary and its published sentence.

The counts and the sentence come from the one selector (``selectors.summaries``) the admin's
summary page and the golden test read; here they are checked against the published 305004 table.
"""

from __future__ import annotations

import json
import re

import pytest

from performance.demo import DATA_DIR
from projects.models import Unit

pytestmark = pytest.mark.django_db

PUBLISHED = json.loads((DATA_DIR / "2023_305004_self_evaluation.json").read_text(encoding="utf-8"))[
    "published_summary"
]


def published_counts() -> dict[str, int]:
    """'5 projects self-evaluated: 4 graded 优, 1 graded 良, 0 graded 中; …' as numbers."""
    evaluated = int(re.match(r"(\d+) projects self-evaluated", PUBLISHED).group(1))
    grades = {label: int(n) for n, label in re.findall(r"(\d+) graded (\S)", PUBLISHED)}
    return {"evaluated": evaluated, **grades}


def test_the_unit_summary_carries_the_published_self_evaluation_sentence(api, outsider):
    unit = Unit.objects.get(code="305004")
    response = api(outsider).get(f"/api/v1/units/{unit.pk}/summary/", {"year": 2023})

    assert response.status_code == 200, response.content
    own = response.json()["self_evaluation"]
    counts = published_counts()
    assert own["to_evaluate"] == own["evaluated"] == counts["evaluated"] == 5
    assert own["by_grade"] == {
        "excellent": counts["优"],
        "good": counts["良"],
        "fair": counts["中"],
        "poor": 0,
    }
    assert own["with_deviation"] == 0
    assert own["text"] == (
        f"本单位需绩效自评项目 {counts['evaluated']} 个，实际自评 {counts['evaluated']} 个，"
        f"{counts['优']} 个项目自评等级为优，{counts['良']} 个项目自评为良，"
        f"{counts['中']} 个项目自评为中"
    )


def test_without_a_year_there_is_no_self_evaluation_sentence(api, outsider):
    unit = Unit.objects.get(code="305004")
    response = api(outsider).get(f"/api/v1/units/{unit.pk}/summary/")
    assert response.status_code == 200
    assert response.json()["self_evaluation"] is None


def test_another_units_summary_looks_missing(api, filler):
    foreign = Unit.objects.get(code="305004")
    response = api(filler).get(f"/api/v1/units/{foreign.pk}/summary/", {"year": 2023})
    missing = api(filler).get("/api/v1/units/99999999/summary/", {"year": 2023})
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
