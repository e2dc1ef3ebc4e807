"""财政复核 (spot checks) through the services: draws, re-scoring, review, objection, decision."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from performance.choices import DrawMethod, GoalScope, NotificationKind, SpotCheckOutcome, Status
from performance.models import IndicatorEvaluation, Notification, SelfEvaluation, SpotCheck
from performance.selectors.spot_checks import spot_checks_for
from performance.services import spot_checks as sc
from performance.services import workflow
from projects.models import AuditEntry, Unit

pytestmark = pytest.mark.django_db
YEAR = 2023
PENSION = "职业年金"


def pension_evaluation() -> SelfEvaluation:
    return SelfEvaluation.objects.get(year=YEAR, project__name__contains=PENSION)


def draw_pension(actor) -> SpotCheck:
    result = sc.spot_check_draw(
        actor=actor,
        year=YEAR,
        method=DrawMethod.MANUAL,
        evaluation_ids=[pension_evaluation().pk],
        note="抽查职业年金项目",
    )
    return SpotCheck.objects.get(pk=result.created[0])


def output_indicator(spot_check: SpotCheck) -> int:
    return (
        IndicatorEvaluation.objects.filter(
            evaluation=spot_check.evaluation, indicator__level3="年度工作任务完成率"
        )
        .values_list("indicator_id", flat=True)
        .get()
    )


def rescored(spot_check, actor, score="18"):
    return sc.spot_check_rescore(
        actor=actor,
        spot_check=spot_check,
        scores=[
            {
                "indicator": output_indicator(spot_check),
                "review_score": score,
                "reason": "抽查台账显示完成60%",
            }
        ],
        summary="年度任务未全部完成。",
    )


def published(finance_reviewer, finance2) -> SpotCheck:
    spot_check = rescored(draw_pension(finance_reviewer), finance_reviewer)
    workflow.submit(obj=spot_check, actor=finance_reviewer)
    workflow.approve(obj=spot_check, actor=finance2)
    return spot_check


# --- draws -----------------------------------------------------------------------------------


def test_random_draw_with_same_seed_draws_same_sample(finance_reviewer):
    first = sc.spot_check_draw(
        actor=finance_reviewer, year=YEAR, method=DrawMethod.RANDOM, count=2, seed=20261204
    )
    assert len(first.created) == 2
    ranked = sorted(
        SelfEvaluation.objects.filter(year=YEAR, status=Status.APPROVED).values_list(
            "pk", flat=True
        ),
        key=lambda pk: sc.rank(20261204, pk),
    )
    assert sorted(
        SpotCheck.objects.filter(pk__in=first.created).values_list("evaluation_id", flat=True)
    ) == sorted(ranked[:2])
    again = sc.spot_check_draw(
        actor=finance_reviewer, year=YEAR, method=DrawMethod.RANDOM, count=2, seed=20261204
    )
    assert again.created == [] and again.skipped == 2
    assert again.draw.sample_digest == first.draw.sample_digest
    assert again.draw.population_digest == first.draw.population_digest
    assert SpotCheck.objects.count() == 2


def test_draw_skips_an_evaluation_a_concurrent_draw_took(finance_reviewer, monkeypatch):
    """The draw skips the year's checked evaluations before its one-statement insert; one a
    concurrent draw took in between (not seen by that read) is skipped by the constraint."""
    first = sc.spot_check_draw(
        actor=finance_reviewer, year=YEAR, method=DrawMethod.RANDOM, count=1, seed=7
    )
    taken = SpotCheck.objects.get(pk=first.created[0]).evaluation_id
    # As if the first draw committed after this one read the year's checked evaluations.
    real_filter = SpotCheck.objects.filter

    def unseen(*args, **kwargs):
        rows = real_filter(*args, **kwargs)
        return rows.exclude(evaluation_id=taken) if kwargs.keys() == {"year"} else rows

    monkeypatch.setattr(SpotCheck.objects, "filter", unseen)
    again = sc.spot_check_draw(
        actor=finance_reviewer, year=YEAR, method=DrawMethod.RANDOM, count=2, seed=7
    )
    assert len(again.created) == 1 and again.skipped == 1
    assert SpotCheck.objects.filter(evaluation_id=taken).count() == 1
    assert again.draw.drawn == 1


def test_random_draw_without_seed_records_the_seed(finance_reviewer):
    result = sc.spot_check_draw(
        actor=finance_reviewer, year=YEAR, method=DrawMethod.RANDOM, rate=D("40")
    )
    assert result.draw.seed is not None
    assert result.draw.population == 5
    assert len(result.created) == 2  # ⌈40 % × 5⌉
    replay = sorted(
        SelfEvaluation.objects.filter(year=YEAR, status=Status.APPROVED).values_list(
            "pk", flat=True
        ),
        key=lambda pk: sc.rank(result.draw.seed, pk),
    )[:2]
    assert set(
        SpotCheck.objects.filter(draw=result.draw).values_list("evaluation_id", flat=True)
    ) == set(replay)


def test_risk_draw_of_305004_picks_high_score_low_execution(finance_reviewer, unit305):
    result = sc.spot_check_draw(
        actor=finance_reviewer,
        year=YEAR,
        method=DrawMethod.RISK,
        unit=unit305,
        rules=[{"rule": "high_score_low_execution"}],
    )
    picked = SpotCheck.objects.filter(draw=result.draw).select_related("project")
    assert [s.project.name for s in picked] == [pension_evaluation().project.name]
    (spot_check,) = picked
    assert spot_check.reasons == [
        {"rule": "high_score_low_execution", "score": "93.5700", "rate": "35.7000"}
    ]
    assert spot_check.self_total == D("93.57")
    assert result.draw.rules == [
        {"rule": "high_score_low_execution", "min_total": "90", "max_execution_rate": "60"}
    ]


def test_risk_rule_many_overrides(finance_reviewer, unit305):
    target = SelfEvaluation.objects.filter(year=YEAR, unit=unit305).order_by("pk").last()
    for score in IndicatorEvaluation.objects.filter(evaluation=target)[:3]:
        IndicatorEvaluation.objects.filter(pk=score.pk).update(
            override_score=score.final_score, override_reason="调整"
        )
    result = sc.spot_check_draw(
        actor=finance_reviewer,
        year=YEAR,
        method=DrawMethod.RISK,
        rules=[{"rule": "many_overrides"}],
    )
    assert list(
        SpotCheck.objects.filter(draw=result.draw).values_list("evaluation_id", flat=True)
    ) == [target.pk]


def test_risk_rule_declared_deviation(finance_reviewer, unit305):
    target = SelfEvaluation.objects.filter(year=YEAR, unit=unit305).order_by("pk").first()
    SelfEvaluation.objects.filter(year=YEAR).update(has_deviation=False)
    SelfEvaluation.objects.filter(pk=target.pk).update(has_deviation=True)
    result = sc.spot_check_draw(
        actor=finance_reviewer,
        year=YEAR,
        method=DrawMethod.RISK,
        rules=[{"rule": "declared_deviation"}],
    )
    assert result.created and list(
        SpotCheck.objects.filter(draw=result.draw).values_list("evaluation_id", flat=True)
    ) == [target.pk]


def test_risk_rule_poor_last_year_matches_project_code(finance_reviewer, unit305):
    from projects.models import Project

    evaluation = pension_evaluation()
    last_project = Project.objects.create(
        code=evaluation.project.code,
        name=evaluation.project.name,
        unit=unit305,
        year=YEAR - 1,
        category=evaluation.project.category,
        continuity=evaluation.project.continuity,
        period_start=dt.date(YEAR - 1, 1, 1),
        period_end=dt.date(YEAR - 1, 12, 31),
    )
    SelfEvaluation.objects.create(
        scope=GoalScope.PROJECT,
        project=last_project,
        unit=unit305,
        year=YEAR - 1,
        goal=evaluation.goal,
        scheme=evaluation.scheme,
        status=Status.APPROVED,
        total_score=D("55"),
        grade="poor",
    )
    result = sc.spot_check_draw(
        actor=finance_reviewer,
        year=YEAR,
        method=DrawMethod.RISK,
        rules=[{"rule": "poor_last_year"}],
    )
    assert list(
        SpotCheck.objects.filter(draw=result.draw).values_list("evaluation_id", flat=True)
    ) == [evaluation.pk]


def test_manual_draw_refuses_unapproved_or_foreign_evaluations(finance_reviewer, unit305):
    evaluation = pension_evaluation()
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(status=Status.SUBMITTED)
    with pytest.raises(ValidationError) as refused:
        sc.spot_check_draw(
            actor=finance_reviewer,
            year=YEAR,
            method=DrawMethod.MANUAL,
            evaluation_ids=[evaluation.pk],
            note="人工",
        )
    assert "evaluations" in refused.value.message_dict
    other = SelfEvaluation.objects.filter(year=YEAR, status=Status.APPROVED).first()
    with pytest.raises(ValidationError) as refused:
        sc.spot_check_draw(
            actor=finance_reviewer,
            year=YEAR,
            method=DrawMethod.MANUAL,
            unit=Unit.objects.get(code="027"),  # another department: outside the scope
            evaluation_ids=[other.pk],
            note="人工",
        )
    assert "evaluations" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        sc.spot_check_draw(
            actor=finance_reviewer, year=YEAR, method=DrawMethod.MANUAL, evaluation_ids=[other.pk]
        )
    assert refused.value.message_dict["note"] == ["人工指定时必须填写说明。"]
    assert SpotCheck.objects.count() == 0


def test_no_evaluation_is_spot_checked_twice_across_draws(finance_reviewer):
    draw_pension(finance_reviewer)
    result = sc.spot_check_draw(
        actor=finance_reviewer, year=YEAR, method=DrawMethod.RANDOM, rate=D(100), seed=1
    )
    assert result.draw.population == 5
    assert len(result.created) == 4 and result.skipped == 1
    assert SpotCheck.objects.count() == 5


def test_draw_needs_finance_reviewer(superuser, outsider_dept_reviewer, finance_admin):
    for actor in (superuser, outsider_dept_reviewer, finance_admin):
        with pytest.raises(PermissionDenied):
            sc.spot_check_draw(actor=actor, year=YEAR, method=DrawMethod.RANDOM, count=1, seed=1)
    assert SpotCheck.objects.count() == 0


def test_draw_is_recorded_and_audited(finance_reviewer):
    result = sc.spot_check_draw(
        actor=finance_reviewer,
        year=YEAR,
        method=DrawMethod.RANDOM,
        count=3,
        seed=7,
        note="年度抽查",
    )
    draw = result.draw
    assert (draw.method, draw.seed, draw.count, draw.drawn, draw.skipped) == ("random", 7, 3, 3, 0)
    assert draw.created_by == finance_reviewer
    entry = AuditEntry.objects.get(object_id=str(draw.pk), content_type__model="spotcheckdraw")
    assert entry.changes["seed"] == [None, 7] and entry.actor == finance_reviewer
    assert (
        AuditEntry.objects.filter(
            content_type__model="spotcheck", object_id__in=[str(pk) for pk in result.created]
        ).count()
        == 3
    )


def test_random_draw_without_size_is_refused_field_level(finance_reviewer):
    with pytest.raises(ValidationError) as refused:
        sc.spot_check_draw(actor=finance_reviewer, year=YEAR, method=DrawMethod.RANDOM, rate="abc")
    assert set(refused.value.message_dict) == {"rate", "count"}
    assert SpotCheck.objects.count() == 0


# --- re-scoring ------------------------------------------------------------------------------


def test_rescore_requires_reason_per_change(finance_reviewer):
    spot_check = draw_pension(finance_reviewer)
    with pytest.raises(ValidationError) as refused:
        sc.spot_check_rescore(
            actor=finance_reviewer,
            spot_check=spot_check,
            scores=[
                {"indicator": output_indicator(spot_check), "review_score": "18", "reason": " "}
            ],
        )
    assert refused.value.message_dict == {"scores[0].reason": ["调整得分必须填写复核理由。"]}
    assert spot_check.scores.count() == 0


def test_rescore_refuses_score_above_weight(finance_reviewer):
    spot_check = draw_pension(finance_reviewer)
    with pytest.raises(ValidationError) as refused:
        rescored(spot_check, finance_reviewer, score="31")
    assert refused.value.message_dict == {
        "scores[0].review_score": ["复核得分不能超过该指标分值 30.00 分。"]
    }
    with pytest.raises(ValidationError) as refused:
        rescored(spot_check, finance_reviewer, score="17.555")
    assert refused.value.message_dict == {"scores[0].review_score": ["得分最多保留两位小数。"]}


def test_rescore_recomputes_total_and_grade_with_units_scheme(finance_reviewer):
    spot_check = rescored(draw_pension(finance_reviewer), finance_reviewer)
    assert spot_check.self_total == D("93.57") and spot_check.self_grade == "excellent"
    assert spot_check.review_total == D("81.57") and spot_check.review_grade == "good"
    assert spot_check.difference == D("12.00")
    assert spot_check.reviewer == finance_reviewer
    entry = AuditEntry.objects.filter(content_type__model="spotcheck", action="update").get()
    key = f"scores[{output_indicator(spot_check)}].review_score"
    assert entry.changes[key] == [None, "18"]
    # Back to the unit's own score: the re-score goes, the totals agree again.
    rescored(spot_check, finance_reviewer, score="30")
    assert spot_check.scores.count() == 0
    assert spot_check.review_total == D("93.57") and spot_check.difference == D("0.00")


# --- review and publication ------------------------------------------------------------------


def test_spot_check_hidden_from_unit_until_approved(finance_reviewer, finance2, reviewer305):
    spot_check = rescored(draw_pension(finance_reviewer), finance_reviewer)
    assert not spot_checks_for(reviewer305).exists()
    assert spot_checks_for(finance2).filter(pk=spot_check.pk).exists()
    workflow.submit(obj=spot_check, actor=finance_reviewer)
    assert not spot_checks_for(reviewer305).exists()
    workflow.approve(obj=spot_check, actor=finance2)
    assert list(spot_checks_for(reviewer305)) == [spot_check]


def test_approve_needs_a_second_finance_reviewer(finance_reviewer, finance2, settings):
    spot_check = rescored(draw_pension(finance_reviewer), finance_reviewer)
    workflow.submit(obj=spot_check, actor=finance_reviewer)
    assert spot_check.submitted_by == finance_reviewer
    assert workflow.APPROVE not in workflow.allowed_actions(spot_check, finance_reviewer)
    with pytest.raises(PermissionDenied, match="提交人以外的财政审核人"):
        workflow.approve(obj=spot_check, actor=finance_reviewer)
    spot_check.refresh_from_db()
    assert spot_check.status == Status.SUBMITTED and spot_check.outcome == ""
    assert workflow.APPROVE in workflow.allowed_actions(spot_check, finance2)
    workflow.approve(obj=spot_check, actor=finance2)
    assert spot_check.status == Status.APPROVED
    assert spot_check.outcome == SpotCheckOutcome.PUBLISHED


def test_single_reviewer_bureau_may_approve_its_own_when_four_eyes_is_off(
    finance_reviewer, settings
):
    settings.SPOT_CHECK_FOUR_EYES = False
    spot_check = rescored(draw_pension(finance_reviewer), finance_reviewer)
    workflow.submit(obj=spot_check, actor=finance_reviewer)
    workflow.approve(obj=spot_check, actor=finance_reviewer)
    assert spot_check.status == Status.APPROVED


def test_unit_cannot_review_or_rescore_a_spot_check(finance_reviewer, reviewer305, superuser):
    spot_check = draw_pension(finance_reviewer)
    for actor in (reviewer305, superuser):
        with pytest.raises(PermissionDenied):
            rescored(spot_check, actor)
        with pytest.raises(PermissionDenied):
            workflow.submit(obj=spot_check, actor=actor)
    assert SpotCheck.objects.get(pk=spot_check.pk).status == Status.DRAFT


def test_return_does_not_tell_the_unit(finance_reviewer, finance2):
    spot_check = rescored(draw_pension(finance_reviewer), finance_reviewer)
    workflow.submit(obj=spot_check, actor=finance_reviewer)
    workflow.return_(obj=spot_check, actor=finance2, comment="请补充复核依据")
    assert spot_check.status == Status.RETURNED
    assert not Notification.objects.filter(unit=spot_check.unit).exists()
    rescored(spot_check, finance_reviewer, score="20")  # editable again
    assert spot_check.review_total == D("83.57")


def test_publication_notifies_unit_once(finance_reviewer, finance2, reviewer305, clock):
    spot_check = published(finance_reviewer, finance2)
    assert spot_check.published_at is not None
    # The deadline counts from the local (Asia/Shanghai) date of publication, which after 16:00
    # UTC is the next day's: compare with the local date, or the test fails every evening.
    published_on = timezone.localdate(spot_check.published_at)
    assert spot_check.objection_deadline == published_on + dt.timedelta(days=15)
    rows = Notification.objects.filter(kind=NotificationKind.SPOT_CHECK_PUBLISHED)
    recipients = set(rows.values_list("recipient__username", flat=True))
    assert recipients == {"filler305", "reviewer305", "dept305"}
    approve_row = next(r for r in workflow.TRANSITIONS if r.name == "spot_check_approve")
    sc.after_transition(spot_check, approve_row, finance2)  # published again: nobody twice
    assert rows.count() == 3


# --- objection and decision ------------------------------------------------------------------


def test_unit_objects_once_with_reason(finance_reviewer, finance2, reviewer305):
    spot_check = published(finance_reviewer, finance2)
    with pytest.raises(PermissionDenied):
        sc.spot_check_object(
            actor=get_user_model().objects.get(username="filler305"),
            spot_check=spot_check,
            reason="填报人不能提出",
        )
    with pytest.raises(ValidationError) as refused:
        sc.spot_check_object(actor=reviewer305, spot_check=spot_check, reason="")
    assert refused.value.message_dict == {"reason": ["提出异议必须填写异议理由。"]}
    sc.spot_check_object(actor=reviewer305, spot_check=spot_check, reason="任务已全部完成，附台账")
    assert spot_check.outcome == SpotCheckOutcome.OBJECTED
    assert Notification.objects.filter(kind=NotificationKind.SPOT_CHECK_OBJECTED).count() == 2
    with pytest.raises(ValidationError) as refused:
        sc.spot_check_object(actor=reviewer305, spot_check=spot_check, reason="再次异议")
    assert refused.value.message_dict == {"reason": ["每项复核结果只能提出一次异议。"]}


def test_objection_after_deadline_refused(finance_reviewer, finance2, reviewer305, clock):
    spot_check = published(finance_reviewer, finance2)
    clock.advance(days=16)
    with pytest.raises(ValidationError) as refused:
        sc.spot_check_object(actor=reviewer305, spot_check=spot_check, reason="晚了")
    assert refused.value.message_dict == {
        "reason": [f"异议期已于{spot_check.objection_deadline}截止。"]
    }
    assert SpotCheck.objects.get(pk=spot_check.pk).outcome == SpotCheckOutcome.PUBLISHED


def test_objection_to_unpublished_spot_check_is_outside_scope(finance_reviewer, reviewer305):
    spot_check = rescored(draw_pension(finance_reviewer), finance_reviewer)
    with pytest.raises(PermissionDenied):
        sc.spot_check_object(actor=reviewer305, spot_check=spot_check, reason="异议")


def test_decision_is_final_and_audited(finance_reviewer, finance2, reviewer305):
    spot_check = published(finance_reviewer, finance2)
    sc.spot_check_object(actor=reviewer305, spot_check=spot_check, reason="已完成")
    with pytest.raises(PermissionDenied):  # the submitter does not decide
        sc.spot_check_decide(
            actor=finance_reviewer, spot_check=spot_check, decision="upheld", comment="维持"
        )
    with pytest.raises(ValidationError) as refused:
        sc.spot_check_decide(actor=finance2, spot_check=spot_check, decision="upheld", comment="")
    assert refused.value.message_dict == {"comment": ["裁定必须填写裁定意见。"]}
    sc.spot_check_decide(
        actor=finance2, spot_check=spot_check, decision="upheld", comment="台账不支持"
    )
    assert spot_check.outcome == SpotCheckOutcome.UPHELD
    assert (spot_check.final_total, spot_check.final_grade) == (D("81.57"), "good")
    assert spot_check.final_difference == D("12.00")
    entry = AuditEntry.objects.get(content_type__model="spotcheck", transition="decide")
    assert entry.actor == finance2 and entry.comment == "台账不支持"
    with pytest.raises(ValidationError) as refused:
        sc.spot_check_decide(
            actor=finance2, spot_check=spot_check, decision="accepted", comment="改"
        )
    assert "decision" in refused.value.message_dict
    assert SpotCheck.objects.get(pk=spot_check.pk).outcome == SpotCheckOutcome.UPHELD
    assert Notification.objects.filter(kind=NotificationKind.SPOT_CHECK_DECIDED).count() == 2


def test_accepted_objection_restores_the_units_score(finance_reviewer, finance2, reviewer305):
    spot_check = published(finance_reviewer, finance2)
    sc.spot_check_object(actor=reviewer305, spot_check=spot_check, reason="已完成")
    sc.spot_check_decide(actor=finance2, spot_check=spot_check, decision="accepted", comment="采纳")
    assert (spot_check.final_total, spot_check.final_difference) == (D("93.57"), D("0.00"))


def test_revised_decision_recomputes_final_total(finance_reviewer, finance2, reviewer305):
    spot_check = published(finance_reviewer, finance2)
    sc.spot_check_object(actor=reviewer305, spot_check=spot_check, reason="已完成大部分")
    indicator = output_indicator(spot_check)
    with pytest.raises(ValidationError) as refused:
        sc.spot_check_decide(
            actor=finance2,
            spot_check=spot_check,
            decision="revised",
            comment="部分采纳",
            scores=[{"indicator": indicator, "decided_score": "24"}],
        )
    assert refused.value.message_dict == {"scores[0].reason": ["裁定得分必须填写裁定理由。"]}
    sc.spot_check_decide(
        actor=finance2,
        spot_check=spot_check,
        decision="revised",
        comment="部分采纳",
        scores=[{"indicator": indicator, "decided_score": "24", "reason": "完成80%"}],
    )
    assert spot_check.outcome == SpotCheckOutcome.REVISED
    assert (spot_check.final_total, spot_check.final_grade) == (D("87.57"), "good")
    assert spot_check.final_difference == D("6.00")


def test_no_objection_by_deadline_confirms_result(finance_reviewer, finance2):
    spot_check = published(finance_reviewer, finance2)
    deadline = spot_check.objection_deadline
    assert sc.spot_checks_finalize(today=deadline) == 0  # the last day is still open
    assert sc.spot_checks_finalize(today=deadline + dt.timedelta(days=1)) == 1
    spot_check.refresh_from_db()
    assert spot_check.outcome == SpotCheckOutcome.CONFIRMED
    assert spot_check.final_total == D("81.57")
    assert sc.spot_checks_finalize(today=deadline + dt.timedelta(days=2)) == 0


# --- export ----------------------------------------------------------------------------------


def export_rows(actor, unit="305004") -> list[tuple]:
    import io

    from openpyxl import load_workbook

    from performance.services.exports import export_table

    result = export_table(actor=actor, kind="spot_checks", unit=unit, year=YEAR)
    sheet = load_workbook(io.BytesIO(result.content)).active
    return [row for row in sheet.iter_rows(min_row=4, values_only=True)]


def test_spot_check_export_lists_the_years_results(finance_reviewer, finance2, reviewer305):
    spot_check = published(finance_reviewer, finance2)
    sc.spot_check_draw(  # a second one, still a draft
        actor=finance_reviewer, year=YEAR, method=DrawMethod.RANDOM, count=1, seed=3
    )
    rows = export_rows(finance_reviewer)
    assert len(rows) == 2
    (row,) = export_rows(reviewer305)  # the unit sees the published one only
    assert row[0] == "305004" and row[5] == spot_check.project.name
    assert row[6] == "人工指定"
    assert (row[7], row[8], row[9], row[10], row[11]) == (93.57, "优", 81.57, "良", 12)
    assert (row[12], row[13]) == ("已公开", "已公开（异议期内）")


# --- dashboard -------------------------------------------------------------------------------


def test_dashboard_shows_self_minus_review_per_department(
    login, finance_reviewer, finance2, reviewer305
):
    from django.urls import reverse

    url = reverse("performance_dashboard")
    draft = draw_pension(finance_reviewer)
    rescored(draft, finance_reviewer)
    page = login(reviewer305).get(url, {"year": YEAR}).content.decode()
    assert "本年度尚无财政复核结果。" in page  # a draft is not the unit's yet
    workflow.submit(obj=draft, actor=finance_reviewer)
    workflow.approve(obj=draft, actor=finance2)
    page = login(reviewer305).get(url, {"year": YEAR}).content.decode()
    assert "chart-reviews" in page
    row = page.split('id="review-differences"')[1].split("</tbody>")[0]
    cells = [c.split("<")[0] for c in row.split('<td class="num">')[1:]]
    assert cells == ["0", "0", "0", "1", "1", "12", "12"]
    assert "305 " in row


def test_daily_task_confirms_results_past_the_deadline_once(finance_reviewer, finance2):
    from performance.tasks import spot_checks_finalize

    spot_check = published(finance_reviewer, finance2)
    later = (spot_check.objection_deadline + dt.timedelta(days=1)).isoformat()
    assert spot_checks_finalize.apply(kwargs={"today": later}).get() == 1
    assert spot_checks_finalize.apply(kwargs={"today": later}).get() == 0
    assert SpotCheck.objects.get(pk=spot_check.pk).outcome == SpotCheckOutcome.CONFIRMED
