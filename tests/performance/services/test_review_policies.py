"""A finance bureau's 审核设置 and the working-day calendar: who may change them, that every
change is audited, and which settings apply to a unit (its bureau's row, else the defaults)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from performance.models import BureauPolicy, WorkCalendarDay
from performance.selectors.policies import calendar_overrides, policy_for_unit
from performance.services import schemes
from projects import audit
from projects.models import AuditAction, AuditEntry, Unit

pytestmark = pytest.mark.django_db


def bureau() -> Unit:
    return Unit.objects.get(kind="finance")


def test_a_bureau_without_settings_gets_the_defaults(demo, settings):
    settings.REVIEW_ESCALATION_WORKING_DAYS = 7
    policy = policy_for_unit(Unit.objects.get(code="027001"))
    assert policy.pk is None
    assert policy.unit_review_required is False
    assert policy.escalation_working_days == 7


def test_a_unit_gets_its_bureaus_settings(demo, finance_admin):
    schemes.bureau_policy_save(
        bureau=bureau(),
        data={"unit_review_required": True, "escalation_working_days": 3},
        actor=finance_admin,
    )
    policy = policy_for_unit(Unit.objects.get(code="305004"))
    assert (policy.unit_review_required, policy.escalation_working_days) == (True, 3)


def test_only_the_bureaus_admin_changes_its_policy(
    demo, finance_admin, finance_reviewer, dept_admin, superuser
):
    for outsider in (finance_reviewer, dept_admin):
        with pytest.raises(PermissionDenied):
            schemes.bureau_policy_save(
                bureau=bureau(), data={"unit_review_required": True}, actor=outsider
            )
    assert not BureauPolicy.objects.exists()

    policy = schemes.bureau_policy_save(
        bureau=bureau(), data={"unit_review_required": True}, actor=finance_admin
    )
    again = schemes.bureau_policy_save(
        bureau=bureau(), data={"escalation_working_days": 2}, actor=superuser
    )

    assert again.pk == policy.pk and BureauPolicy.objects.count() == 1
    entries = audit.history(policy).order_by("pk")
    assert [(e.action, e.actor) for e in entries] == [
        (AuditAction.CREATE, finance_admin),
        (AuditAction.UPDATE, superuser),
    ]
    assert entries.last().changes == {"escalation_working_days": [5, 2]}


def test_review_settings_are_for_finance_bureaus_only(demo, superuser):
    with pytest.raises(ValidationError) as refused:
        schemes.bureau_policy_save(
            bureau=Unit.objects.get(code="027"),
            data={"unit_review_required": True},
            actor=superuser,
        )
    assert "财政局" in refused.value.message_dict["bureau"][0]
    assert not BureauPolicy.objects.exists()


def test_escalation_days_above_sixty_are_refused(demo, finance_admin):
    with pytest.raises(ValidationError) as refused:
        schemes.bureau_policy_save(
            bureau=bureau(), data={"escalation_working_days": 61}, actor=finance_admin
        )
    assert "escalation_working_days" in refused.value.message_dict or refused.value.messages
    assert not BureauPolicy.objects.exists()


def test_calendar_days_are_kept_by_the_window_managers_and_audited(demo, finance_reviewer, filler):
    with pytest.raises(PermissionDenied):
        schemes.calendar_day_save(data={"date": dt.date(2030, 10, 1)}, actor=filler)
    day = schemes.calendar_day_save(
        data={"date": dt.date(2030, 10, 1), "name": "国庆节"}, actor=finance_reviewer
    )
    makeup = schemes.calendar_day_save(
        data={"date": dt.date(2030, 9, 29), "is_workday": True, "name": "国庆调休"},
        actor=finance_reviewer,
    )

    assert calendar_overrides(dt.date(2030, 9, 1), dt.date(2030, 10, 31)) == {
        dt.date(2030, 9, 29): True,
        dt.date(2030, 10, 1): False,
    }
    schemes.calendar_day_delete(day=day, actor=finance_reviewer)
    assert list(WorkCalendarDay.objects.all()) == [makeup]
    actions = AuditEntry.objects.filter(actor=finance_reviewer).values_list("action", flat=True)
    assert sorted(actions) == sorted([AuditAction.CREATE, AuditAction.CREATE, AuditAction.DELETE])


def test_a_department_admin_cannot_open_the_bureaus_settings_for_change(
    demo, client, dept_admin, finance_admin
):
    policy = schemes.bureau_policy_save(bureau=bureau(), data={}, actor=finance_admin)
    change_url = reverse("admin:performance_bureaupolicy_change", args=[policy.pk])

    client.force_login(dept_admin)
    client.post(change_url, {"unit_review_required": "on", "escalation_working_days": 1})
    assert BureauPolicy.objects.get().escalation_working_days == 5

    client.force_login(finance_admin)
    response = client.post(change_url, {"unit_review_required": "on", "escalation_working_days": 1})
    assert response.status_code == 302
    saved = BureauPolicy.objects.get()
    assert (saved.unit_review_required, saved.escalation_working_days) == (True, 1)
