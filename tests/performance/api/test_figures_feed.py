"""The figures feed (``GET /api/v1/exports/figures/``): the list APIs' data in bulk, streamed.

What the finance bureau's tools rely on: every record equals the list API's, field for field;
scope is the lists' (a unit sees only its own); the NDJSON markers and the CSV table; resuming
after a unit gives exactly the rest; bad input is a 400 in the API's error shape; the body is
streamed in constant memory with a number of queries that does not grow with the units.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import logging
import re
import tracemalloc
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from performance import demo as performance_demo
from performance.api.serializers.evaluations import EvaluationSerializer
from performance.api.serializers.goals import GoalSerializer, ParsedTargetField
from performance.api.serializers.monitoring import ReportSerializer
from performance.choices import Status
from performance.demo import load_demo_monitoring
from performance.models import Indicator, MonitoringEntry, PerformanceGoal, SelfEvaluation
from performance.selectors import figures_feed
from performance.selectors.figures_feed import (
    EVALUATION,
    FEED_SECTIONS,
    GOAL,
    REPORT,
    Calc,
    Col,
    Findings,
    Inline,
    Many,
    One,
    csv_header,
)
from performance.services import evaluation as evaluation_services
from performance.services import monitoring as monitoring_services
from performance.services import workflow
from projects.models import Unit

from ...support.bulk import YEAR as BULK_YEAR
from ...support.bulk import create_many

pytestmark = pytest.mark.django_db

URL = "/api/v1/exports/figures/"
LISTS = {
    "goals": "/api/v1/goals/",
    "monitoring": "/api/v1/monitoring-reports/",
    "evaluations": "/api/v1/evaluations/",
}
EVALUATED = "410395220000000007677"  # a 027001 project with an approved 2022 goal


@pytest.fixture(autouse=True)
def no_feed_slots_held():
    """A test that fails while holding an unread feed keeps its slot: not the next test's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def figures(finance_reviewer):
    """Every section has records in 2022 (027001) and 2023 (305004)."""
    load_demo_monitoring()  # 2023, 305004
    monitoring_services.monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 31),
    )
    evaluation = evaluation_services.evaluation_start(
        actor=None,
        year=2022,
        project=PerformanceGoal.objects.get(
            project__code=EVALUATED, status=Status.APPROVED
        ).project,
    )
    return evaluation


def stream(response) -> bytes:
    assert response.status_code == 200, response.content[:500]
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def lines(body: bytes) -> list[dict]:
    return [orjson.loads(line) for line in body.splitlines()]


def records(feed: list[dict], section: str) -> list[dict]:
    """The records of one section (markers left out)."""
    out, inside = [], False
    for line in feed:
        if line.get("type") == "section":
            inside = line["section"] == section
        elif "type" not in line and inside:
            out.append(line)
    return out


def listed(client, path: str, params: dict) -> list[dict]:
    """Every row of a list endpoint, page after page (as a client pages it)."""
    rows, url, query = [], path, {**params, "page_size": 200}
    while url:
        response = client.get(url, query)
        assert response.status_code == 200, response.content[:300]
        rows += response.json()["results"]
        url, query = response.json()["next"], None
    return rows


def by_id(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: row["id"])


# --- same data as the lists, same scope -------------------------------------------------------


@pytest.mark.parametrize("year", [2022, 2023])
@pytest.mark.parametrize("section", list(LISTS))
def test_feed_records_equal_the_list_api(section, year, api, finance_reviewer, figures):
    client = api(finance_reviewer)
    fed = records(lines(stream(client.get(URL, {"year": year}))), section)
    assert fed, f"no {section} in {year}: the comparison would prove nothing"
    assert by_id(fed) == by_id(listed(client, LISTS[section], {"year": year}))


def test_current_leaves_out_superseded_goals_as_the_lists_filter_does(
    api, finance_reviewer, figures
):
    old = PerformanceGoal.objects.get(project__code=EVALUATED, status=Status.APPROVED)
    workflow.goal_adjust(goal=old, actor=None, reason="预算调整")
    PerformanceGoal.objects.filter(pk=old.pk).update(status=Status.SUPERSEDED)
    client = api(finance_reviewer)
    every = records(lines(stream(client.get(URL, {"year": 2022, "section": "goals"}))), "goals")
    current = records(
        lines(stream(client.get(URL, {"year": 2022, "section": "goals", "current": "true"}))),
        "goals",
    )
    assert old.pk in {goal["id"] for goal in every}
    assert old.pk not in {goal["id"] for goal in current}
    assert by_id(current) == by_id(
        listed(client, LISTS["goals"], {"year": 2022, "current": "true"})
    )


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("filler", {"027001"}),
        ("dept_reviewer", {"027", "027001"}),
        ("outsider", {"305004"}),
    ],
)
def test_feed_is_scoped_like_the_lists(who, sees, request, api, figures):
    user = request.getfixturevalue(who)
    client = api(user)
    seen = set()
    for year in (2022, 2023):
        feed = lines(stream(client.get(URL, {"year": year})))
        for section, path in LISTS.items():
            fed = records(feed, section)
            assert by_id(fed) == by_id(listed(client, path, {"year": year}))
            seen |= {record["unit"]["code"] for record in fed}
    assert seen and seen <= sees  # never another unit's data


def test_a_filler_sees_only_his_unit_whatever_filter_he_sends(api, filler, figures):
    client = api(filler)
    for params in ({"unit": "305004"}, {"department": "305"}, {"unit": "410300"}):
        feed = lines(stream(client.get(URL, {"year": 2023, **params})))
        assert [line for line in feed if "type" not in line] == []
        assert feed[-1] == {"type": "end", "year": 2023, "units": 0, "records": 0}


def test_anonymous_is_refused(api):
    response = api().get(URL, {"year": 2022})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- shapes ----------------------------------------------------------------------------------


def test_ndjson_has_section_unit_end_and_end_lines_in_unit_order(api, finance_reviewer):
    create_many(3, actor=finance_reviewer)
    response = api(finance_reviewer).get(URL, {"year": BULK_YEAR})
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{BULK_YEAR}_figures_all.ndjson"'
    )
    assert int(response["X-Feed-Units"]) == Unit.objects.count()
    feed = lines(stream(response))
    assert [line["section"] for line in feed if line.get("type") == "section"] == list(LISTS)
    assert feed[0] == {"type": "section", "section": "goals"}
    total = 0
    for section in LISTS:
        start = feed.index({"type": "section", "section": section})
        pending: list[dict] = []
        units = []
        for line in feed[start + 1 :]:
            if line.get("type") in ("section", "end"):
                break
            if line.get("type") == "unit_end":
                codes = {record["unit"]["code"] for record in pending}
                assert codes == {line["unit"]}, "a unit's records are contiguous"
                assert line == {
                    "type": "unit_end",
                    "section": section,
                    "unit": line["unit"],
                    "records": len(pending),
                    "resume": f"{section}:{line['unit']}",
                }
                ids = [record["id"] for record in pending]
                assert ids == sorted(ids)
                units.append(line["unit"])
                total += len(pending)
                pending = []
            else:
                pending.append(line)
        assert not pending, "every unit ends with its unit_end line"
        assert units == ["900000", "900001", "900002"]
    assert feed[-1] == {
        "type": "end",
        "year": BULK_YEAR,
        "units": Unit.objects.count(),
        "records": total,
    }


def flat_value(record: dict, path: str):
    """The value at a CSV column's dotted path (lists: the row's item, given as ``record``)."""
    value = record
    for part in path.split("."):
        if value is None:
            return None
        value = value[part]
    return value


def as_cell(value, text: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    value = str(value)
    if text and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


@pytest.mark.parametrize(
    ("section", "rows", "year"),
    [
        ("goals", "indicators", 2022),
        ("monitoring", "entries", 2023),
        ("evaluations", "scores", 2023),
    ],
)
def test_csv_rows_are_the_ndjson_records_flattened(
    section, rows, year, api, finance_reviewer, figures
):
    client = api(finance_reviewer)
    fed = records(lines(stream(client.get(URL, {"year": year, "section": section}))), section)
    response = client.get(URL, {"year": year, "section": section, "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="{year}_figures_{section}.csv"' in response["Content-Disposition"]
    table = list(csv.reader(io.StringIO(stream(response).decode("utf-8-sig"))))
    header, body = table[0], table[1:]
    assert header == csv_header(section)
    expected = []
    for record in fed:
        for item in record[rows] or [None]:
            expected.append(
                [
                    as_cell(
                        flat_value(item, name[len(rows) + 1 :])
                        if name.startswith(rows + ".")
                        else flat_value(record, name),
                        text=True,
                    )
                    for name in header
                ]
            )
    json_columns = {i for i, name in enumerate(header) if name.endswith(("findings", "notes"))}
    json_columns |= {header.index("category_rates")} if "category_rates" in header else set()

    def parsed(row):
        return [
            json.loads(cell) if i in json_columns and cell else cell for i, cell in enumerate(row)
        ]

    assert len(body) == len(expected) > 0
    assert [parsed(row) for row in body] == [parsed(row) for row in expected]


def test_csv_is_formula_safe_and_starts_with_bom(api, filler):
    goal = PerformanceGoal.objects.get(project__code=EVALUATED, status=Status.APPROVED)
    indicator = goal.indicators.order_by("order", "id").first()
    Indicator.objects.filter(pk=indicator.pk).update(
        raw_value="=1+1", level3="@SUM(A1)", explanation="-2", level2="+数量", weight=12.5
    )
    body = stream(api(filler).get(URL, {"year": 2022, "format": "csv"}))
    assert body.startswith(codecs.BOM_UTF8) and not body.startswith(codecs.BOM_UTF8 * 2)
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header = table[0]
    row = next(r for r in table[1:] if r[header.index("indicators.id")] == str(indicator.pk))
    cell = dict(zip(header, row, strict=True))
    assert cell["indicators.raw_value"] == "'=1+1"
    assert cell["indicators.level3"] == "'@SUM(A1)"
    assert cell["indicators.explanation"] == "'-2"
    assert cell["indicators.level2"] == "'+数量"
    assert cell["indicators.weight"] == "12.50"  # numbers are written as the API writes them
    assert body.count(b"\n") == len(table)  # \n line ends, no \r


def test_a_goal_without_indicators_still_has_its_csv_row(api, filler):
    goal = PerformanceGoal.objects.get(project__code=EVALUATED, status=Status.APPROVED)
    Indicator.objects.filter(goal=goal).delete()
    table = list(
        csv.reader(
            io.StringIO(
                stream(api(filler).get(URL, {"year": 2022, "format": "csv"})).decode("utf-8-sig")
            )
        )
    )
    header = table[0]
    mine = [r for r in table[1:] if r[header.index("id")] == str(goal.pk)]
    assert len(mine) == 1 and mine[0][header.index("indicators.id")] == ""


# --- resuming ----------------------------------------------------------------------------------


def test_resume_after_unit_continues_exactly(api, finance_reviewer):
    create_many(4, actor=finance_reviewer)
    client = api(finance_reviewer)
    full = lines(stream(client.get(URL, {"year": BULK_YEAR})))
    ends = [i for i, line in enumerate(full) if line.get("type") == "unit_end"]
    for cut in ends[:-1]:
        token = full[cut]["resume"]
        section = full[cut]["section"]
        rest = lines(stream(client.get(URL, {"year": BULK_YEAR, "resume": token})))
        # the rest of the unit's section, after its section line, then the later sections
        expected = [{"type": "section", "section": section}, *full[cut + 1 : -1]]
        assert rest[:-1] == expected, token
        assert rest[-1]["records"] == sum(1 for line in expected if "type" not in line)


def test_resume_in_csv_continues_after_the_unit(api, finance_reviewer):
    create_many(3, actor=finance_reviewer)
    client = api(finance_reviewer)
    params = {"year": BULK_YEAR, "format": "csv", "section": "monitoring"}
    full = list(csv.reader(io.StringIO(stream(client.get(URL, params)).decode("utf-8-sig"))))
    rest = list(
        csv.reader(
            io.StringIO(
                stream(client.get(URL, {**params, "resume": "monitoring:900000"})).decode(
                    "utf-8-sig"
                )
            )
        )
    )
    code = full[0].index("unit.code")
    assert rest[0] == full[0]
    assert rest[1:] == [row for row in full[1:] if row[code] > "900000"]
    assert {row[code] for row in rest[1:]} == {"900001", "900002"}


@pytest.mark.parametrize(
    "token",
    ["goals", "goals:", ":027001", "goal:027001", "goals:0270 01", "goals:027001:1", "goals:\x00"],
)
def test_a_bad_resume_token_is_400_in_the_api_error_shape(token, api, filler):
    response = api(filler).get(URL, {"year": 2022, "resume": token})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and list(body["errors"]) == ["resume"]


def test_a_resume_token_of_a_section_not_in_the_feed_is_400(api, filler):
    client = api(filler, HTTP_ACCEPT_LANGUAGE="en")
    params = {"year": 2022, "format": "csv", "section": "goals", "resume": "monitoring:027001"}
    response = client.get(URL, params)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "resume": ["The section of the resume token must be one of this export's sections."]
    }
    response = api(filler).get(URL, {**params, "resume": "monitoring"})
    assert response.json()["errors"]["resume"] == ["续传标记应为“分段:单位编码”，如 goals:027001。"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"year": "x"},
        {"year": 1999},
        {"year": 2022, "format": "xml"},
        {"year": 2022, "section": "x"},
    ],
)
def test_other_bad_parameters_are_400(params, api, filler):
    response = api(filler).get(URL, params)
    assert response.status_code == 400 and response.json()["code"] == "invalid"


# --- streaming, memory, queries, concurrency ----------------------------------------------------


@override_settings(FEED_UNITS_PER_QUERY=10, FEED_RECORDS_PER_QUERY=10)
def test_feed_streams_many_units_in_constant_memory(api, finance_reviewer):
    create_many(240, actor=finance_reviewer)
    response = api(finance_reviewer).get(URL, {"year": BULK_YEAR})
    assert isinstance(response, StreamingHttpResponse)
    size, held = 0, []
    tracemalloc.start()
    try:
        for chunk in response.streaming_content:
            size += len(chunk)
            held.append(tracemalloc.get_traced_memory()[0])  # allocated and still alive
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(held) > 15 and size > 1_000_000, "many units, many 64 KB chunks"
    # What stays allocated while the feed runs is one batch, not the records sent so far:
    # building the body (or keeping the records) would hold more than the body itself.
    growth = max(held) - held[0]
    assert growth < size / 3, (growth, size)
    assert peak - held[0] < size / 2, (peak, held[0], size)
    second_half = max(held[len(held) // 2 :]) - held[0]
    first_half = max(held[: len(held) // 2]) - held[0]
    assert second_half < 2 * first_half + 100_000, (first_half, second_half)


def count_feed_queries(client, params: dict) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        feed = lines(stream(client.get(URL, params)))
    return len(queries), feed[-1]["units"]


# The token with its user (1), the user's memberships (1), the units (1); per section the keys
# of the chunk of units (1) and per batch of records the records with their objects (1) and one
# query per list (goals: indicators and tasks; monitoring: entries; evaluations: scores).
FEED_QUERIES = {"sqlite": 3 + (1 + 3) + (1 + 2) + (1 + 2)}


def test_feed_query_count_does_not_grow_with_the_units(api, finance_reviewer):
    create_many(30, actor=finance_reviewer)
    client = api(finance_reviewer)
    one_unit, one = count_feed_queries(client, {"year": BULK_YEAR, "unit": "900000"})
    every_unit, many = count_feed_queries(client, {"year": BULK_YEAR})
    assert one == 1 and many > 30
    assert one_unit == every_unit
    if connection.vendor in FEED_QUERIES:
        assert every_unit == FEED_QUERIES[connection.vendor]
    with override_settings(FEED_UNITS_PER_QUERY=10):  # 4 chunks of units: 3 more per section
        chunked, _ = count_feed_queries(client, {"year": BULK_YEAR})
    assert chunked > every_unit


def test_a_failure_mid_stream_cuts_the_stream_without_an_end_line(
    api, finance_reviewer, monkeypatch, caplog
):
    create_many(3, actor=finance_reviewer)
    real = figures_feed.Feed._json_lines

    def failing(self, section, chunk):
        yield from list(real(self, section, chunk))[:1]
        raise RuntimeError("database gone")

    monkeypatch.setattr(figures_feed.Feed, "_json_lines", failing)
    response = api(finance_reviewer).get(URL, {"year": BULK_YEAR})
    received = b""
    with caplog.at_level(logging.ERROR), pytest.raises(RuntimeError):
        for chunk in response.streaming_content:
            received += chunk
    assert b'"type":"end"' not in received
    assert "figures feed aborted" in caplog.text
    monkeypatch.setattr(figures_feed.Feed, "_json_lines", real)
    with override_settings(FEED_MAX_CONCURRENT_PER_USER=1):  # its slot was given back
        assert (
            lines(stream(api(finance_reviewer).get(URL, {"year": BULK_YEAR})))[-1]["type"] == "end"
        )


@override_settings(FEED_MAX_CONCURRENT_PER_USER=1)
def test_concurrent_feeds_per_user_are_limited(api, filler, unit_reviewer):
    first = api(filler).get(URL, {"year": 2022})
    assert first.status_code == 200
    second = api(filler).get(URL, {"year": 2022})
    assert second.status_code == 429 and second.json()["code"] == "too_many_feeds"
    assert stream(api(unit_reviewer).get(URL, {"year": 2022}))  # another user is not held up
    b"".join(first.streaming_content)  # the first one finishes: its slot is free again
    assert stream(api(filler).get(URL, {"year": 2022}))


# --- the declaration ---------------------------------------------------------------------------


def serializer_shape(serializer) -> dict:
    """Field names of a serializer, nested serializers and lists by their own fields."""
    shape = {}
    for name, field in serializer.fields.items():
        child = getattr(field, "child", None)
        if isinstance(field, ParsedTargetField):
            shape[name] = {
                key: None
                for key in ("operator", "value", "unit", "kind", "direction", "relative_to")
            }
        elif child is not None and hasattr(child, "fields"):
            shape[name] = serializer_shape(child)
        elif hasattr(field, "fields"):
            shape[name] = serializer_shape(field)
        else:
            shape[name] = None
    return shape


def declared_shape(fields) -> dict:
    shape = {}
    for spec in fields:
        if isinstance(spec, Col | Calc):
            shape[spec.name] = None
        elif isinstance(spec, Findings):
            shape[spec.name] = dict.fromkeys(spec.keys)
        elif isinstance(spec, Inline):
            shape[spec.name] = declared_shape(spec.fields)
        elif isinstance(spec, One | Many):
            shape[spec.name] = declared_shape(spec.record.fields)
    return shape


@pytest.mark.parametrize(
    ("record", "serializer"),
    [(GOAL, GoalSerializer), (REPORT, ReportSerializer), (EVALUATION, EvaluationSerializer)],
)
def test_feed_fields_match_list_serializers(record, serializer):
    assert list(declared_shape(record.fields)) == list(serializer().fields)
    assert declared_shape(record.fields) == serializer_shape(serializer())
    assert {section.record for section in FEED_SECTIONS.values()} == {GOAL, REPORT, EVALUATION}


def test_every_decimal_of_the_feed_has_the_serializers_places():
    """PostgreSQL writes a numeric column with its scale; the API quantizes to the serializer
    field's places: the two must agree for every decimal the feed shows."""
    from performance.selectors.figures_feed import _column

    def walk(model, fields, serializer):
        for spec in fields:
            field = serializer.fields[spec.name]
            if isinstance(spec, Col):
                column = _column(model, spec)
                if column.kind == "decimal":
                    assert (column.places, column.digits) == (
                        field.decimal_places,
                        field.max_digits,
                    ), spec.name
            elif isinstance(spec, One):
                walk(spec.record.model, spec.record.fields, field)
            elif isinstance(spec, Many):
                walk(spec.record.model, spec.record.fields, field.child)
            elif isinstance(spec, Inline):
                column = _column(model, Col("value", "target_value"))
                assert column.places == 6 and column.digits == 24

    walk(PerformanceGoal, GOAL.fields, GoalSerializer())
    walk(figures_feed.REPORT.model, REPORT.fields, ReportSerializer())
    walk(SelfEvaluation, EVALUATION.fields, EvaluationSerializer())
    assert MonitoringEntry  # the entries' decimals are walked through REPORT


# --- the published figures, to the cent --------------------------------------------------------

# The published tables, as shipped with the project (byte-identical to ../shared/fixtures).
PUBLISHED = Path(performance_demo.__file__).resolve().parent / "demo_data"
PUBLISHED_305004 = json.loads((PUBLISHED / "2023_305004_self_evaluation.json").read_text("utf-8"))


def cents(text: str) -> str:
    """A published 万元 figure as the feed writes it: six places, i.e. to the cent."""
    return f"{Decimal(text):.6f}"


def test_305004_figures_equal_the_published_self_evaluation_to_the_cent(api, outsider, figures):
    client = api(outsider)
    feed = lines(stream(client.get(URL, {"year": 2023})))
    evaluations = {e["project"]["name"]: e for e in records(feed, "evaluations")}
    reports = {
        r["project"]["name"]: r
        for r in records(feed, "monitoring")
        if r["round"]["data_month"] == 12
    }
    published = PUBLISHED_305004["projects"]
    assert set(evaluations) == set(reports) == {row[0] for row in published}
    for name, budget, executed, rate, *_, score, _deviation in published:
        for record in (evaluations[name], reports[name]):
            assert record["unit"]["code"] == "305004"
            assert record["budget"] == cents(budget), name
            assert record["executed"] == cents(executed), name
            assert Decimal(record["execution_rate"]) == Decimal(rate.rstrip("%")), name
        assert evaluations[name]["total_score"] == f"{Decimal(score):.4f}", name
    table = list(
        csv.reader(
            io.StringIO(
                stream(
                    client.get(URL, {"year": 2023, "format": "csv", "section": "evaluations"})
                ).decode("utf-8-sig")
            )
        )
    )
    header = table[0]
    by_name = {
        row[header.index("project.name")]: dict(zip(header, row, strict=True)) for row in table[1:]
    }
    for name, budget, executed, *_ in published:
        assert by_name[name]["budget"] == cents(budget)
        assert by_name[name]["executed"] == cents(executed)
    assert sum(Decimal(by_name[row[0]]["budget"]) for row in published) == sum(
        Decimal(row[1]) for row in published
    )


def test_027001_unit_overall_budget_equals_the_published_overview_to_the_cent(api, filler):
    overview = json.loads((PUBLISHED / "2022_027001_unit_overview.json").read_text("utf-8"))
    goals = records(
        lines(stream(api(filler).get(URL, {"year": 2022, "section": "goals"}))), "goals"
    )
    unit_goal = next(g for g in goals if g["scope"] == "unit" and g["unit"]["code"] == "027001")
    assert unit_goal["budget_total"] == cents(overview["total"]) == "6824.790000"
    assert unit_goal["budget_basic"] == cents(overview["basic_expenditure"])
    assert unit_goal["budget_project"] == cents(overview["project_expenditure"])


def decimals(model, fields, record: dict):
    """``(name, value, places)`` of every decimal the declaration shows in ``record``."""
    from performance.selectors.figures_feed import _column

    for spec in fields:
        value = record[spec.name]
        if isinstance(spec, Col):
            column = _column(model, spec)
            if column.kind == "decimal":
                yield spec.name, value, column.places
        elif isinstance(spec, One) and value is not None:
            yield from decimals(spec.record.model, spec.record.fields, value)
        elif isinstance(spec, Many):
            for child in value:
                yield from decimals(spec.record.model, spec.record.fields, child)
        elif isinstance(spec, Inline):
            yield from decimals(model, spec.fields, value)


def test_every_figure_is_a_string_with_its_places_never_a_float(api, finance_reviewer, figures):
    seen = 0
    for year in (2022, 2023):
        body = stream(api(finance_reviewer).get(URL, {"year": year}))
        assert b"Decimal(" not in body and b"E+" not in body and b"e-0" not in body
        feed = lines(body)
        for name, section in FEED_SECTIONS.items():
            record_spec = section.record
            for record in records(feed, name):
                for field, value, places in decimals(record_spec.model, record_spec.fields, record):
                    if value is None:
                        continue
                    assert isinstance(value, str), (field, value)
                    assert re.fullmatch(rf"-?\d+\.\d{{{places}}}", value), (field, value)
                    seen += 1
    assert seen > 400  # budgets, rates, scores, weights, targets of both demo years


# --- every role, foreign ids, garbage ----------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("filler", {"027001"}),
        ("unit_reviewer", {"027001"}),
        ("dept_reviewer", {"027001"}),
        ("dept_admin", {"027001"}),
        ("outsider", {"305004"}),
        ("outsider_dept_reviewer", {"305004"}),
        ("finance_reviewer", {"027001", "305004"}),
        ("finance_admin", {"027001", "305004"}),
        ("superuser", {"027001", "305004"}),
    ],
)
def test_every_role_gets_exactly_its_units_records(who, sees, request, api, figures):
    from projects.permissions import visible_units

    user = request.getfixturevalue(who)
    client = api(user)
    visible = set(visible_units(user).values_list("code", flat=True))
    seen = set()
    for year in (2022, 2023):
        response = client.get(URL, {"year": year})
        assert int(response["X-Feed-Units"]) == len(visible)
        feed = lines(stream(response))
        assert feed[-1]["units"] == len(visible)
        for section in LISTS:
            units = {record["unit"]["code"] for record in records(feed, section)}
            units |= {
                line["unit"]
                for line in feed
                if line.get("section") == section and line.get("type") == "unit_end"
            }
            assert units <= visible
            seen |= units
        csv_body = stream(client.get(URL, {"year": year, "format": "csv"})).decode("utf-8-sig")
        table = list(csv.reader(io.StringIO(csv_body)))
        code = table[0].index("unit.code")
        assert {row[code] for row in table[1:]} <= visible
    assert seen == sees


@pytest.mark.parametrize(
    ("who", "params"),
    [
        ("filler", {"unit": "305004"}),
        ("filler", {"department": "305"}),
        ("unit_reviewer", {"unit": "027"}),
        ("dept_reviewer", {"unit": "305004"}),
        ("outsider", {"unit": "027001"}),
        ("outsider", {"department": "027"}),
        ("outsider_dept_reviewer", {"department": "027"}),
        ("outsider", {"unit": "999999"}),  # no such unit: the same answer as a foreign one
    ],
)
def test_a_foreign_unit_filter_gives_no_records_and_no_hint(who, params, request, api, figures):
    client = api(request.getfixturevalue(who))
    for year in (2022, 2023):
        for fmt in ("ndjson", "csv"):
            response = client.get(URL, {"year": year, "format": fmt, **params})
            assert response["X-Feed-Units"] == "0"
            body = stream(response)
            if fmt == "ndjson":
                assert lines(body)[-1] == {"type": "end", "year": year, "units": 0, "records": 0}
                assert [line for line in lines(body) if "type" not in line] == []
            else:
                assert len(body.decode("utf-8-sig").splitlines()) == 1  # the header only


def test_a_resume_token_naming_a_foreign_unit_shows_only_ones_own_units(api, filler, figures):
    client = api(filler)
    full = stream(client.get(URL, {"year": 2022}))
    # 305004 sorts after 027001: resuming "after" it skips the filler's own unit, nothing more
    after_foreign = lines(stream(client.get(URL, {"year": 2022, "resume": "goals:305004"})))
    assert records(after_foreign, "goals") == []
    assert {r["unit"]["code"] for r in after_foreign if "type" not in r} <= {"027001"}
    before_foreign = stream(client.get(URL, {"year": 2022, "resume": "goals:000000"}))
    assert lines(before_foreign)[1:] == lines(full)[1:]


GARBAGE = [
    ({"year": "2022abc"}, "year"),
    ({"year": "-1"}, "year"),
    ({"year": "99999999999999999999"}, "year"),
    ({"year": "2022", "format": "NDJSON;drop"}, "format"),
    ({"year": "2022", "format": "json"}, "format"),
    ({"year": "2022", "section": "goals,monitoring"}, "section"),
    ({"year": "2022", "section": "attachments"}, "section"),
    ({"year": "2022", "unit": "027001' OR '1'='1"}, "unit"),
    ({"year": "2022", "unit": "../027"}, "unit"),
    ({"year": "2022", "unit": "0" * 21}, "unit"),
    ({"year": "2022", "department": "０２７"}, "department"),  # full-width digits
    ({"year": "2022", "current": "maybe"}, "current"),
    ({"year": "2022", "resume": "goals:" + "9" * 21}, "resume"),
    ({"year": "2022", "resume": "x" * 65}, "resume"),
]


@pytest.mark.parametrize(("params", "field"), GARBAGE)
def test_garbage_parameters_are_a_field_level_400_in_chinese_and_english(
    params, field, api, filler
):
    response = api(filler).get(URL, params)
    assert response.status_code == 400, params
    body = response.json()
    assert body["code"] == "invalid" and list(body["errors"]) == [field]
    (message,) = body["errors"][field]
    assert re.search(r"[\u4e00-\u9fff]", message), message
    english = api(filler, HTTP_ACCEPT_LANGUAGE="en").get(URL, params).json()["errors"][field][0]
    assert english != message and not re.search(r"[\u4e00-\u9fff]", english), english


def test_a_bad_unit_code_says_what_a_unit_code_is(api, filler):
    params = {"year": 2022, "unit": "027-001"}
    assert api(filler).get(URL, params).json()["errors"] == {
        "unit": ["单位编码只能由字母和数字组成（至多 20 位）。"]
    }
    assert api(filler, HTTP_ACCEPT_LANGUAGE="en").get(URL, params).json()["errors"] == {
        "unit": ["A unit code is made of letters and digits only (at most 20)."]
    }


def test_too_many_feeds_is_429_in_chinese_and_english(api, filler):
    with override_settings(FEED_MAX_CONCURRENT_PER_USER=1):
        first = api(filler).get(URL, {"year": 2022})
        response = api(filler).get(URL, {"year": 2022})
        assert response.status_code == 429
        assert re.search(r"[\u4e00-\u9fff]", response.json()["detail"])
        english = api(filler, HTTP_ACCEPT_LANGUAGE="en").get(URL, {"year": 2022})
        assert english.json()["detail"].startswith("You have reached the limit")
        b"".join(first.streaming_content)


@override_settings(FEED_MAX_CONCURRENT_PER_USER=1)
def test_bad_requests_hold_no_feed_slot(api, filler):
    client = api(filler)
    for params, _field in GARBAGE:
        assert client.get(URL, params).status_code == 400
    assert (
        client.get(URL, {"year": 2022, "resume": "monitoring:1", "section": "goals"}).status_code
        == 400
    )
    assert stream(client.get(URL, {"year": 2022}))


def test_accept_text_csv_negotiates_csv_and_format_wins(api, filler):
    response = api(filler, HTTP_ACCEPT="text/csv").get(URL, {"year": 2022})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert stream(response).startswith(codecs.BOM_UTF8)
    response = api(filler, HTTP_ACCEPT="text/csv").get(URL, {"year": 2022, "format": "ndjson"})
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    stream(response)
    for accept in ("*/*", "application/x-ndjson, text/csv;q=0.5", "application/json"):
        response = api(filler, HTTP_ACCEPT=accept).get(URL, {"year": 2022})
        assert response["Content-Type"] == "application/x-ndjson; charset=utf-8", accept
        stream(response)


# --- the command -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"format": "ndjson"},
        {"format": "csv", "section": "evaluations"},
        {"format": "ndjson", "section": "monitoring", "resume": "monitoring:027001"},
    ],
)
def test_export_figures_command_writes_the_apis_bytes(params, api, outsider, figures, tmp_path):
    output = tmp_path / "feed.out"
    options = {key: value for key, value in params.items()}
    call_command(
        "export_figures",
        year=2023,
        user=outsider.username,
        output=str(output),
        stdout=io.StringIO(),
        **options,
    )
    assert output.read_bytes() == stream(api(outsider).get(URL, {"year": 2023, **params}))
    assert not (tmp_path / "feed.out.part").exists()


def test_export_figures_command_as_the_system_exports_every_unit(api, superuser, figures, tmp_path):
    output = tmp_path / "all.ndjson"
    out = io.StringIO()
    call_command("export_figures", year=2023, output=str(output), stdout=out)
    assert output.read_bytes() == stream(api(superuser).get(URL, {"year": 2023}))
    assert f"{Unit.objects.count()} 个单位" in out.getvalue()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"user": "nobody"}, "用户不存在"),
        ({"unit": "027-001"}, "--unit"),
        ({"resume": "goals"}, "--resume"),
        ({"format": "csv", "section": "goals", "resume": "monitoring:027001"}, "--resume"),
    ],
)
def test_export_figures_command_refuses_bad_options_and_writes_nothing(
    options, message, demo, tmp_path
):
    output = tmp_path / "feed.out"
    with pytest.raises(CommandError, match=message):
        call_command("export_figures", year=2022, output=str(output), **options)
    assert list(tmp_path.iterdir()) == []


def test_the_feed_is_documented_in_the_openapi_schema():
    from drf_spectacular.generators import SchemaGenerator

    operation = SchemaGenerator().get_schema(request=None, public=True)["paths"][
        "/api/v1/exports/figures/"
    ]["get"]
    assert {p["name"] for p in operation["parameters"]} == {
        "year",
        "format",
        "section",
        "unit",
        "department",
        "current",
        "resume",
    }
    assert set(operation["responses"]["200"]["content"]) == {"application/x-ndjson", "text/csv"}
    assert {"400", "429"} <= set(operation["responses"])
    assert '"type":"unit_end"' in operation["description"]
