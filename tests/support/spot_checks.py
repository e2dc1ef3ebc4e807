"""A spot check (财政复核) of a self-evaluation for tests that need one to exist, without the draw
service (the services' own tests draw them: tests/performance/services/test_spot_checks.py)."""

from __future__ import annotations

import datetime as dt

from performance.models import SelfEvaluation, SpotCheck, SpotCheckDraw


def spot_check_of(
    evaluation: SelfEvaluation,
    *,
    draw: SpotCheckDraw | None = None,
    note: str = "测试",
    published: bool = False,
) -> SpotCheck:
    """A manual draw's spot check of ``evaluation`` (a draft, or published to its unit)."""
    if draw is None:
        draw = SpotCheckDraw.objects.create(
            year=evaluation.year, method="manual", note=note, population=1
        )
    extra = (
        {
            "status": "approved",
            "outcome": "published",
            "objection_deadline": dt.date.today() + dt.timedelta(days=15),
        }
        if published
        else {}
    )
    return SpotCheck.objects.create(
        draw=draw,
        evaluation=evaluation,
        unit=evaluation.unit,
        year=evaluation.year,
        project=evaluation.project,
        scheme=evaluation.scheme,
        self_total=evaluation.total_score,
        review_total=evaluation.total_score,
        **extra,
    )
