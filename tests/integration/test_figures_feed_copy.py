"""The figures feed's two renderings agree on PostgreSQL: the ``COPY`` statements built from
the declaration give the lines and CSV rows the Python rendering gives (which the
unit tests compare with the list APIs), up to insignificant whitespace inside nested JSON, also
for awkward text: quotes, backslashes, newlines,
formula starts, Chinese, empty strings and nulls.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io

import orjson
import pytest
from django.db import connection

from performance.choices import Status
from performance.demo import load_demo_monitoring
from performance.models import Indicator, PerformanceGoal
from performance.selectors.figures_feed import CSV, NDJSON, SECTIONS, figures_feed
from performance.services import evaluation as evaluation_services
from performance.services import monitoring as monitoring_services

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

AWKWARD = 'say "hi", C:\\path\\ and \\n; 第二行\n=1+1\t末尾'


def body(feed) -> bytes:
    return b"".join(feed.chunks())


def compact(text: str) -> str:
    """A JSON text without insignificant whitespace, keys in their order (PostgreSQL's
    ``json_object_agg`` writes ``{ "k" : v }``, orjson ``{"k":v}``: the same JSON)."""
    return orjson.dumps(orjson.loads(text)).decode()


def normal(data: bytes, fmt: str) -> list:
    """The feed's content: NDJSON lines, or CSV cells with their JSON cells compacted."""
    if fmt == NDJSON:
        return [compact(line) for line in data.splitlines()]
    assert data.startswith(codecs.BOM_UTF8)
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return [[compact(c) if c[:1] in ("[", "{") else c for c in row] for row in rows]


def test_copy_feed_equals_python_feed(integration_services, finance_reviewer):
    assert connection.vendor == "postgresql"
    load_demo_monitoring()
    monitoring_services.monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 31),
    )
    goal = PerformanceGoal.objects.filter(year=2022, status=Status.APPROVED).first()
    evaluation_services.evaluation_start(actor=None, year=2022, project=goal.project)
    indicator = goal.indicators.order_by("order", "id").first()
    Indicator.objects.filter(pk=indicator.pk).update(
        raw_value=AWKWARD, explanation="", level3="@SUM(A1)", level2="-减少"
    )
    PerformanceGoal.objects.filter(pk=goal.pk).update(overall_goal=AWKWARD, midterm_goal="")
    compared = 0
    for year in (2022, 2023):
        for fmt, sections in ((NDJSON, [None, *SECTIONS]), (CSV, SECTIONS)):
            for section in sections:
                kwargs = {"user": finance_reviewer, "year": year, "fmt": fmt, "section": section}
                copied = body(figures_feed(**kwargs, use_copy=True))
                rendered = body(figures_feed(**kwargs, use_copy=False))
                assert normal(copied, fmt) == normal(rendered, fmt), (year, fmt, section)
                compared += len(copied)
    goals = body(figures_feed(user=finance_reviewer, year=2022, section="goals", use_copy=True))
    assert orjson.dumps(AWKWARD) in goals  # the awkward text went through, JSON-escaped
    assert compared > 100_000
