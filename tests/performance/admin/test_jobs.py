"""The admin's notification inbox and the 重新计算 screen with its job progress page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from performance.choices import JobStatus, NotificationKind
from performance.models import Job, Notification
from performance.services.notifications import notify
from projects.models import Unit

pytestmark = pytest.mark.django_db

NOTIFICATIONS = reverse("admin:performance_notification_changelist")
RECOMPUTE = reverse("admin:performance_job_recompute")


def _notice(user, key: str, title: str = "提醒") -> Notification:
    return notify(
        recipient=user,
        kind=NotificationKind.WINDOW_DUE,
        occasion_key=key,
        title=title,
        link="/admin/performance/performancegoal/",
    )


def test_the_inbox_lists_only_the_users_own_notifications_with_the_unread_count(
    login, filler, unit_reviewer
):
    _notice(filler, "a", "给填报人的第一条")
    read = _notice(filler, "b", "给填报人的第二条")
    Notification.objects.filter(pk=read.pk).update(read_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    _notice(unit_reviewer, "a", "给单位审核人的")

    response = login(filler).get(NOTIFICATIONS)

    assert response.status_code == 200
    titles = [n.title for n in response.context["cl"].result_list]
    assert sorted(titles) == ["给填报人的第一条", "给填报人的第二条"]
    assert "我的通知（未读 1 条）" in response.content.decode()


def test_the_admin_header_links_to_unread_notifications(login, filler):
    _notice(filler, "a")
    _notice(filler, "b")

    page = login(filler).get(reverse("admin:index")).content.decode()

    assert 'id="unread-notifications"' in page
    assert "<strong>2</strong> 条未读" in page


def test_the_unread_filter_and_the_read_and_unread_actions(login, filler, unit_reviewer):
    first, second = _notice(filler, "a"), _notice(filler, "b")
    foreign = _notice(unit_reviewer, "a")
    client = login(filler)

    response = client.post(
        NOTIFICATIONS,
        {"action": "mark_read", "_selected_action": [first.pk, second.pk, foreign.pk]},
        follow=True,
    )
    assert "已将 2 条通知标记为已读" in response.content.decode()
    assert Notification.objects.filter(recipient=filler, read_at__isnull=True).count() == 0
    foreign.refresh_from_db()
    assert foreign.read_at is None

    client.post(NOTIFICATIONS, {"action": "mark_unread", "_selected_action": [first.pk]})
    unread = client.get(NOTIFICATIONS, {"read": "no"}).context["cl"].result_list
    assert [n.pk for n in unread] == [first.pk]


def test_opening_a_notification_marks_it_read(login, filler):
    notice = _notice(filler, "a")

    response = login(filler).get(reverse("admin:performance_notification_change", args=[notice.pk]))

    assert response.status_code == 200
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_another_users_notification_is_a_404(login, filler, unit_reviewer):
    foreign = _notice(unit_reviewer, "a")

    response = login(filler).get(
        reverse("admin:performance_notification_change", args=[foreign.pk])
    )

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.read_at is None


def test_a_finance_reviewer_starts_a_recompute_and_lands_on_its_progress_page(
    login, finance_reviewer, django_capture_on_commit_callbacks
):
    client = login(finance_reviewer)
    jobs_page = client.get(reverse("admin:performance_job_changelist")).content.decode()
    assert RECOMPUTE in jobs_page

    form = client.get(RECOMPUTE)
    assert form.status_code == 200
    assert form.context["form"].initial["year"] == dt.date.today().year

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RECOMPUTE, {"year": "2023", "unit": ""})

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:performance_job_change", args=[job.pk])
    assert job.status == JobStatus.SUCCEEDED
    page = client.get(response["Location"]).content.decode()
    assert '<progress value="100" max="100"' in page
    assert 'http-equiv="refresh"' not in page


def test_a_queued_job_page_refreshes_itself(login, finance_reviewer):
    client = login(finance_reviewer)
    client.post(RECOMPUTE, {"year": "2023", "unit": ""})  # on_commit never runs: stays queued

    job = Job.objects.get()
    page = client.get(reverse("admin:performance_job_change", args=[job.pk])).content.decode()
    assert job.status == JobStatus.PENDING
    assert 'http-equiv="refresh"' in page


def test_a_department_reviewer_is_told_why_a_whole_year_recompute_is_refused(login, dept_reviewer):
    client = login(dept_reviewer)

    response = client.post(RECOMPUTE, {"year": "2023", "unit": ""}, follow=True)

    assert "没有重新计算全部单位的权限" in response.content.decode()
    assert not Job.objects.exists()
    units = response.context["form"].fields["unit"].queryset
    assert set(units.values_list("code", flat=True)) == {"027", "027001"}


def test_a_department_reviewer_recomputes_the_own_department(login, dept_reviewer):
    department = Unit.objects.get(code="027")

    response = login(dept_reviewer).post(RECOMPUTE, {"year": "2022", "unit": department.pk})

    job = Job.objects.get()
    assert response.status_code == 302
    assert (job.unit, job.params, job.created_by) == (
        department,
        {"year": 2022, "unit": department.pk},
        dept_reviewer,
    )


def test_another_departments_unit_cannot_even_be_chosen(login, dept_reviewer):
    foreign = Unit.objects.get(code="305004")

    response = login(dept_reviewer).post(RECOMPUTE, {"year": "2023", "unit": foreign.pk})

    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert not Job.objects.exists()


def test_unit_staff_get_no_recompute_button_and_no_form(login, filler):
    client = login(filler)

    jobs_page = client.get(reverse("admin:performance_job_changelist")).content.decode()

    assert RECOMPUTE not in jobs_page
    assert client.get(RECOMPUTE).status_code == 403
    assert client.post(RECOMPUTE, {"year": "2022"}).status_code == 403
    assert not Job.objects.exists()


# --- stalled jobs -----------------------------------------------------------------------------

REFRESH = '<meta http-equiv="refresh" content="3">'
STALL_EXPLANATION = "超过 15 分钟没有进展，可能是后台进程已停止；可重新排队。"


def _job_page(client, job: Job) -> str:
    response = client.get(reverse("admin:performance_job_change", args=[job.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_stalled_job_page_stops_reloading_explains_why_and_requeues(
    login, finance_reviewer, settings, clock, django_capture_on_commit_callbacks
):
    settings.JOB_STALL_SECONDS = 15 * 60
    client = login(finance_reviewer)
    client.post(RECOMPUTE, {"year": "2023", "unit": ""})  # the worker never takes it
    job = Job.objects.get()
    requeue = f"/admin/performance/job/{job.pk}/requeue/"
    assert REFRESH in _job_page(client, job)

    clock.advance(minutes=16)
    page = _job_page(client, job)
    assert REFRESH not in page
    assert "已停滞</h2>" in page
    assert STALL_EXPLANATION in page
    assert f'action="{requeue}"' in page and 'value="重新排队"' in page
    listed = client.get(reverse("admin:performance_job_changelist"), {"status": "stalled"})
    assert [row.pk for row in listed.context["cl"].result_list] == [job.pk]
    assert "已停滞" in listed.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(requeue)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:performance_job_change", args=[job.pk])
    page = _job_page(client, job)
    assert f"已重新排队任务 #{job.pk}" in page
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert '<progress value="100" max="100"' in page and "已完成 1/1 组单位" in page
    assert REFRESH not in page and 'value="重新排队"' not in page


def test_the_job_page_tells_the_progress_of_a_recompute_in_words(login, finance_reviewer, settings):
    from performance.services.recompute_jobs import recompute_chunk, recompute_dispatch
    from tests.performance.services.test_recompute_jobs import _second_unit_in_2023

    settings.RECOMPUTE_UNITS_PER_TASK = 1
    _second_unit_in_2023()
    client = login(finance_reviewer)
    client.post(RECOMPUTE, {"year": "2023", "unit": ""})
    job = Job.objects.get()
    recompute_dispatch(job_id=job.pk)
    recompute_chunk(job_id=job.pk, chunk=0)

    page = _job_page(client, job)

    assert "50%（已完成 1/2 组单位，已算 1/2 个单位）" in page
    assert REFRESH in page


def test_who_may_no_longer_start_the_job_gets_no_requeue(login, dept_reviewer, settings, clock):
    from projects.models import Membership
    from projects.permissions import forget_cached_memberships

    settings.JOB_STALL_SECONDS = 15 * 60
    client = login(dept_reviewer)
    client.post(RECOMPUTE, {"year": "2022", "unit": Unit.objects.get(code="027").pk})
    job = Job.objects.get()
    Membership.objects.filter(user=dept_reviewer).delete()
    forget_cached_memberships(dept_reviewer)
    clock.advance(minutes=16)

    page = _job_page(client, job)
    assert STALL_EXPLANATION in page and 'value="重新排队"' not in page
    department = Unit.objects.get(code="027").name
    assert f"不能由您重新排队：您在“{department}”没有重新计算的权限" in page

    response = client.post(f"/admin/performance/job/{job.pk}/requeue/", follow=True)
    assert "没有重新计算的权限" in response.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING


def test_a_job_still_moving_is_not_requeued_from_the_admin(login, finance_reviewer, filler):
    client = login(finance_reviewer)
    client.post(RECOMPUTE, {"year": "2023", "unit": ""})
    job = Job.objects.get()
    requeue = f"/admin/performance/job/{job.pk}/requeue/"

    assert 'value="重新排队"' not in _job_page(client, job)
    response = client.post(requeue, follow=True)
    assert "后才能重新排队" in response.content.decode()
    assert client.get(requeue).status_code == 405
    assert login(filler).post(requeue).status_code == 404  # not the filler's job
