"""财政复核 in the admin: the draw page, the re-score table, the review, objection and decision."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from performance.models import IndicatorEvaluation, SelfEvaluation, SpotCheck, SpotCheckDraw
from projects.choices import Role, UnitKind
from projects.models import AuditEntry, Unit

pytestmark = pytest.mark.django_db
DRAW = reverse("admin:performance_spotcheckdraw_add")


@pytest.fixture
def finance2(demo):
    from performance.demo import DEMO_PASSWORD
    from projects.services import accounts

    return accounts.user_create(
        username="finance2",
        password=DEMO_PASSWORD,
        first_name="财政局绩效科科长",
        unit=Unit.objects.get(kind=UnitKind.FINANCE),
        role=Role.FINANCE_REVIEWER,
    )


def pension() -> SelfEvaluation:
    return SelfEvaluation.objects.get(year=2023, project__name__contains="职业年金")


def test_finance_reviewer_draws_on_the_draw_page(login, finance_reviewer):
    client = login(finance_reviewer)
    assert client.get(DRAW).status_code == 200
    response = client.post(
        DRAW,
        {
            "year": "2023",
            "method": "risk",
            "unit": Unit.objects.get(code="305004").pk,
            "rules": ["high_score_low_execution"],
            "scopes": ["project", "unit"],
        },
    )
    assert response.status_code == 302
    draw = SpotCheckDraw.objects.get()
    assert response["Location"].endswith(f"?draw__id__exact={draw.pk}")
    assert list(SpotCheck.objects.values_list("evaluation_id", flat=True)) == [pension().pk]
    page = client.get(response["Location"]).content.decode()
    assert "机关事业单位职业年金" in page


def test_draw_page_errors_are_field_level_and_draw_nothing(login, finance_reviewer):
    response = login(finance_reviewer).post(DRAW, {"year": "2023", "method": "random"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"count": ["随机抽取请填写抽取数量或抽取比例。"]}
    response = login(finance_reviewer).post(DRAW, {"year": "2023", "method": "manual"})
    assert set(response.context["form"].errors) == {"evaluations", "note"}
    assert not SpotCheckDraw.objects.exists()


def test_draw_page_is_refused_to_everyone_but_finance_reviewers(login, superuser, dept_reviewer):
    for user in (superuser, dept_reviewer):
        assert login(user).get(DRAW).status_code == 403
        assert (
            login(user).post(DRAW, {"year": "2023", "method": "random", "count": "1"}).status_code
            == 403
        )
    assert not SpotCheck.objects.exists()


def test_spot_check_rescore_form_errors_are_field_level(login, finance_reviewer, finance2):
    from performance.services import spot_checks as sc

    result = sc.spot_check_draw(
        actor=finance_reviewer, year=2023, method="manual", evaluation_ids=[pension().pk], note="抽"
    )
    spot_check = SpotCheck.objects.get(pk=result.created[0])
    output = IndicatorEvaluation.objects.get(
        evaluation=spot_check.evaluation, indicator__level3="年度工作任务完成率"
    ).indicator_id
    change = reverse("admin:performance_spotcheck_change", args=[spot_check.pk])
    rescore = reverse("admin:performance_spotcheck_rescore", args=[spot_check.pk])
    client = login(finance_reviewer)
    page = client.get(change).content.decode()
    assert f'name="review_score_{output}"' in page and "保存复核评分" in page
    response = client.post(
        rescore,
        {"lock_version": "1", f"review_score_{output}": "18", f"reason_{output}": ""},
        follow=True,
    )
    assert "调整得分必须填写复核理由。" in response.content.decode()
    assert not spot_check.scores.exists()
    client.post(
        rescore,
        {"lock_version": "1", f"review_score_{output}": "18", f"reason_{output}": "完成60%"},
    )
    spot_check.refresh_from_db()
    assert (str(spot_check.review_total), spot_check.review_grade) == ("81.5700", "good")
    # The review: submitted by one reviewer, approved by another (the button is not offered
    # to the submitter), published to the unit, objected to once and decided.
    workflow = reverse("admin:performance_spotcheck_workflow", args=[spot_check.pk, "submit"])
    client.post(workflow, {"lock_version": spot_check.lock_version})
    spot_check.refresh_from_db()
    assert 'id="workflow-approve"' not in client.get(change).content.decode()
    approve = reverse("admin:performance_spotcheck_workflow", args=[spot_check.pk, "approve"])
    login(finance2).post(approve, {"lock_version": spot_check.lock_version})
    spot_check.refresh_from_db()
    assert spot_check.outcome == "published"
    unit = login(get_user_model().objects.get(username="reviewer305"))
    page = unit.get(change).content.decode()
    assert 'id="objection-form"' in page and 'name="review_score_' not in page
    unit.post(
        reverse("admin:performance_spotcheck_object", args=[spot_check.pk]),
        {"lock_version": spot_check.lock_version, "reason": "任务已完成"},
    )
    spot_check.refresh_from_db()
    assert spot_check.outcome == "objected"
    login(finance2).post(
        reverse("admin:performance_spotcheck_decide", args=[spot_check.pk]),
        {"lock_version": spot_check.lock_version, "decision": "upheld", "comment": "维持复核"},
    )
    spot_check.refresh_from_db()
    assert (spot_check.outcome, str(spot_check.final_total)) == ("upheld", "81.5700")
    assert AuditEntry.objects.filter(
        content_type__model="spotcheck", object_id=str(spot_check.pk), transition="decide"
    ).exists()


def test_draft_spot_check_is_a_404_for_the_unit(login, finance_reviewer):
    from performance.services import spot_checks as sc

    result = sc.spot_check_draw(
        actor=finance_reviewer, year=2023, method="manual", evaluation_ids=[pension().pk], note="抽"
    )
    change = reverse("admin:performance_spotcheck_change", args=[result.created[0]])
    unit = login(get_user_model().objects.get(username="reviewer305"))
    assert unit.get(change).status_code == 404
    assert (
        "职业年金"
        not in unit.get(reverse("admin:performance_spotcheck_changelist")).content.decode()
    )


def test_spot_check_page_takes_reviewer_evidence_and_the_objection_with_its_files(
    login, finance_reviewer, finance2, evidence_storage
):
    from performance.services import workflow
    from tests.support import evidence_files as ef
    from tests.support.spot_checks import spot_check_of

    spot_check = spot_check_of(pension())
    change = reverse("admin:performance_spotcheck_change", args=[spot_check.pk])
    finance = login(finance_reviewer)
    page = finance.get(change).content.decode()
    assert 'id="evidence-panel-spot_check"' in page and "复核依据（0 个）" in page
    upload = reverse("admin:performance_attachment_for", args=["spot_check", spot_check.pk])
    finance.post(
        upload, {"files": [ef.upload("复核依据.pdf", ef.pdf_bytes("依据"))], "next": change}
    )
    assert "复核依据（1 个）" in finance.get(change).content.decode()
    workflow.submit(obj=spot_check, actor=finance_reviewer)
    workflow.approve(obj=spot_check, actor=finance2)
    spot_check.refresh_from_db()
    unit = login(get_user_model().objects.get(username="reviewer305"))
    page = unit.get(change).content.decode()
    assert "复核依据.pdf" in page and "已公开，复核依据已封存" in page
    unit.post(
        reverse("admin:performance_spotcheck_object", args=[spot_check.pk]),
        {
            "lock_version": spot_check.lock_version,
            "reason": "台账漏记",
            "files": [ef.upload("异议说明.pdf", ef.pdf_bytes("异议"))],
        },
    )
    spot_check.refresh_from_db()
    assert spot_check.outcome == "objected"
    page = unit.get(change).content.decode()
    assert "异议材料（1 个）" in page and "异议说明.pdf" in page
    assert 'id="evidence-panel-objection"' in page and "evidence-upload" in page  # may add more
