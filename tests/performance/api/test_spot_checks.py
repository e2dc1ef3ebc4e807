"""财政复核 through /api/v1/spot-checks/: draw, list, re-score, review, object, decide."""

from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model

from performance.choices import Status
from performance.models import IndicatorEvaluation, SelfEvaluation, SpotCheck
from projects.choices import Role, UnitKind
from projects.models import Unit
from projects.services import accounts

pytestmark = pytest.mark.django_db
URL = "/api/v1/spot-checks/"


@pytest.fixture
def finance2(demo):
    from performance.demo import DEMO_PASSWORD

    return accounts.user_create(
        username="finance2",
        password=DEMO_PASSWORD,
        first_name="财政局绩效科科长",
        unit=Unit.objects.get(kind=UnitKind.FINANCE),
        role=Role.FINANCE_REVIEWER,
    )


def ok(response, status=200):
    assert response.status_code == status, response.content.decode()[:600]
    return response.json()


def test_finance_draws_rescores_and_publishes_and_the_unit_objects(api, finance_reviewer, finance2):
    finance, second = api(finance_reviewer), api(finance2)
    unit_api = api(get_user_model().objects.get(username="reviewer305"))
    drawn = ok(
        finance.post(
            f"{URL}draw/",
            {
                "year": 2023,
                "method": "risk",
                "unit": "305004",
                "rules": [{"rule": "high_score_low_execution", "min_total": "90"}],
            },
            format="json",
        ),
        201,
    )
    assert drawn["created"] == 1 and drawn["skipped"] == 0
    (pk,) = drawn["spot_checks"]
    assert ok(unit_api.get(URL))["results"] == []
    assert unit_api.get(f"{URL}{pk}/").status_code == 404  # not published yet
    detail = ok(finance.get(f"{URL}{pk}/"))
    output = next(row for row in detail["indicators"] if row["level3"] == "年度工作任务完成率")
    refused = finance.post(
        f"{URL}{pk}/re-score/",
        {
            "lock_version": detail["lock_version"],
            "scores": [{"indicator": output["indicator"], "review_score": "31", "reason": "x"}],
        },
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "scores.0.review_score": ["复核得分不能超过该指标分值 30.00 分。"]
    }
    detail = ok(
        finance.post(
            f"{URL}{pk}/re-score/",
            {
                "lock_version": detail["lock_version"],
                "scores": [
                    {"indicator": output["indicator"], "review_score": "18", "reason": "完成60%"}
                ],
            },
            format="json",
        )
    )
    assert (detail["review_total"], detail["review_grade"], detail["difference"]) == (
        "81.5700",
        "good",
        "12.0000",
    )
    detail = ok(finance.post(f"{URL}{pk}/submit/", {}))
    assert finance.post(f"{URL}{pk}/approve/", {}).status_code == 403  # four-eyes
    detail = ok(second.post(f"{URL}{pk}/approve/", {}))
    assert detail["status"] == Status.APPROVED and detail["outcome"] == "published"
    assert [row["id"] for row in ok(unit_api.get(URL))["results"]] == [pk]
    detail = ok(
        unit_api.post(
            f"{URL}{pk}/object/",
            {"lock_version": detail["lock_version"], "reason": "任务已全部完成"},
            format="json",
        )
    )
    assert detail["outcome"] == "objected"
    assert (
        unit_api.post(
            f"{URL}{pk}/decide/",
            {"lock_version": detail["lock_version"], "decision": "upheld", "comment": "维持"},
            format="json",
        ).status_code
        == 403
    )
    detail = ok(
        second.post(
            f"{URL}{pk}/decide/",
            {"lock_version": detail["lock_version"], "decision": "upheld", "comment": "维持"},
            format="json",
        )
    )
    assert (detail["outcome"], detail["final_total"]) == ("upheld", "81.5700")
    bands = ok(unit_api.get(f"{URL}distribution/", {"year": 2023}))
    assert bands == [
        {
            "department": bands[0]["department"],
            "count": 1,
            "mean": "12.0000",
            "max": "12.0000",
            "bands": {
                "below_zero": 0,
                "zero_to_five": 0,
                "five_to_threshold": 0,
                "threshold_or_more": 1,
            },
        }
    ]
    assert bands[0]["department"]["code"] == "305"


def test_draw_by_anyone_but_a_finance_reviewer_is_403_and_draws_nothing(
    api, superuser, dept_reviewer
):
    for user in (superuser, dept_reviewer):
        response = api(user).post(
            f"{URL}draw/", {"year": 2023, "method": "random", "count": 1}, format="json"
        )
        assert response.status_code == 403
    assert SpotCheck.objects.count() == 0


def test_draw_errors_are_field_level(api, finance_reviewer):
    response = api(finance_reviewer).post(
        f"{URL}draw/", {"year": 2023, "method": "random"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"count": ["随机抽取请填写抽取数量或抽取比例。"]}
    response = api(finance_reviewer, HTTP_ACCEPT_LANGUAGE="zh-hans").post(
        f"{URL}draw/", {"year": 2023, "method": "manual", "evaluations": [1]}, format="json"
    )
    assert response.status_code == 400 and "note" in response.json()["errors"]
    assert SpotCheck.objects.count() == 0


def test_same_seed_through_the_api_draws_the_same_sample(api, finance_reviewer):
    client = api(finance_reviewer)
    body = {"year": 2023, "method": "random", "count": 2, "seed": 42}
    first = ok(client.post(f"{URL}draw/", body, format="json"), 201)
    again = ok(client.post(f"{URL}draw/", body, format="json"), 201)
    assert first["draw"]["seed"] == "42"
    assert again["draw"]["sample_digest"] == first["draw"]["sample_digest"]
    assert (again["created"], again["skipped"]) == (0, 2)
    assert SelfEvaluation.objects.filter(spot_check__isnull=False).count() == 2
    assert IndicatorEvaluation.objects.exists() and D(1)
