"""The API's fast serializers (``api.serializers.compiled``) output exactly what DRF's own
``Serializer.to_representation`` outputs for the same rows: the same keys in the same order and
the same values, for model instances and for the light rows of a list page, in the default and
in another time zone, and with findings, empty targets and missing weights among the rows."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework import serializers

from performance.api.serializers.common import UnitBriefSerializer
from performance.api.serializers.goals import (
    GoalDetailSerializer,
    GoalSerializer,
    GoalTaskSerializer,
    IndicatorSerializer,
)
from performance.models import Indicator, PerformanceGoal
from performance.selectors import api_lists
from performance.services.goals import apply_parsed_target

pytestmark = pytest.mark.django_db


def drf(serializer_class, instance, **kwargs) -> list:
    """DRF's own representation (no plan), as (key, value) pairs so the order counts too."""
    serializer = serializer_class(**kwargs)
    return list(serializers.Serializer.to_representation(serializer, instance).items())


@pytest.fixture
def varied(demo):
    """Indicators of every shape next to the demo's: an unreadable target (error finding), a
    qualitative one, no weight, a tz-aware timestamp with and without microseconds."""
    goal = PerformanceGoal.objects.filter(indicators__isnull=False).first()
    rows = [
        Indicator(goal=goal, order=90, level1="产出指标", level2="数量指标", level3="甲",
                  raw_value="大约一些", weight=None),
        Indicator(goal=goal, order=91, level1="效益指标", level2="社会效益指标", level3="乙",
                  raw_value="明显提升", weight="12.50", explanation="说明\n第二行"),
        Indicator(goal=goal, order=92, level1="成本指标", level2="经济成本指标", level3="丙",
                  raw_value="≤14.48万元", weight="0.01", library_code="CB-01"),
    ]  # fmt: skip
    for row in rows:
        apply_parsed_target(row)
        row.save()
    Indicator.objects.filter(pk=rows[0].pk).update(
        updated_at=datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    )
    # findings written by older versions or by hand: no "field", a null one, extra keys
    Indicator.objects.filter(pk=rows[1].pk).update(
        findings=[
            {"code": "manual", "severity": "warning", "message": "人工补充"},
            {"code": "old", "severity": "error", "message": "旧提示", "field": None, "x": 1},
        ]
    )
    return goal


@pytest.mark.parametrize("zone", [None, "UTC", "America/New_York"])
def test_list_page_rows_and_instances_match_drf(varied, finance_reviewer, zone):
    with timezone.override(zone) if zone else timezone.override(timezone.get_default_timezone()):
        goals = list(api_lists.goal_list_for(finance_reviewer).order_by("id"))
        api_lists.attach_goal_rows(goals)
        instances = {row.pk: row for row in Indicator.objects.all()}
        compared = 0
        for goal in goals:
            for row in goal.indicators_list:  # light rows, as the list page reads them
                expected = drf(IndicatorSerializer, instances[row.id])
                assert list(IndicatorSerializer().to_representation(row).items()) == expected
                assert list(IndicatorSerializer().to_representation(instances[row.id]).items()) == (
                    expected
                )
                compared += 1
            for task in goal.tasks_list:
                assert list(GoalTaskSerializer().to_representation(task).items()) == drf(
                    GoalTaskSerializer, goal.tasks.get(pk=task.id)
                )
            # the goal itself: its nested lists are the fast ones, checked above
            assert list(GoalSerializer().to_representation(goal).items()) == drf(
                GoalSerializer, goal
            )
            assert list(UnitBriefSerializer().to_representation(goal.unit).items()) == drf(
                UnitBriefSerializer, goal.unit
            )
        assert compared == Indicator.objects.count()  # every indicator was compared
    findings = [f for row in instances.values() for f in row.findings]
    assert any(f["severity"] == "error" for f in findings)  # the shapes were really there


def test_detail_serializer_reads_the_request_per_instance(varied, finance_reviewer, filler, rf):
    """The detail's ``allowed_actions`` depends on the request: the shared plan leaves it out
    and each serializer adds it for its own request's user."""
    goal = api_lists.goal_detail_for(finance_reviewer).get(pk=varied.pk)
    seen = []
    for user in (finance_reviewer, filler, finance_reviewer):
        request = rf.get("/")
        request.user = user
        data = GoalDetailSerializer(goal, context={"request": request}).data
        expected = drf(GoalDetailSerializer, goal, context={"request": request})
        assert list(data.items()) == expected
        seen.append(data["allowed_actions"])
    assert seen[0] == seen[2] != seen[1]  # not one user's actions shared with the next


@pytest.mark.parametrize("build", ["compile_plan", "interpret_plan"])
def test_a_plan_skips_fields_and_keeps_plain_values(build):
    from performance.api.serializers import compiled
    from performance.api.serializers.compiled import _SKIP, Step

    def skip(row):
        return _SKIP

    represent = getattr(compiled, build)(
        [
            Step("a", lambda row: row["a"], str, int),
            Step("gone", skip, str, None, may_skip=True),
            Step("b", lambda row: row["b"], lambda v: f"<{v}>", None),
            Step("c", lambda row: None, str, None),
        ]
    )
    assert list(represent({"a": 1, "b": 2}).items()) == [("a", 1), ("b", "<2>"), ("c", None)]
    assert represent({"a": "x", "b": 0}) == {"a": "x", "b": "<0>", "c": None}


def test_goal_list_through_the_api_matches_drf(varied, api, finance_reviewer):
    """The list as a client gets it: every indicator in order, as DRF represents it."""
    response = api(finance_reviewer).get("/api/v1/goals/", {"page_size": 200})
    assert response.status_code == 200
    goals = response.json()["results"]
    instances = {row.pk: row for row in Indicator.objects.all()}
    seen = 0
    for goal in goals:
        expected = [
            dict(drf(IndicatorSerializer, instances[item["id"]])) for item in goal["indicators"]
        ]
        assert goal["indicators"] == expected
        assert [item["id"] for item in goal["indicators"]] == list(
            Indicator.objects.filter(goal_id=goal["id"])
            .order_by("order", "id")
            .values_list("id", flat=True)
        )
        seen += len(expected)
    assert seen == Indicator.objects.filter(goal__in=[g["id"] for g in goals]).count() > 0
