"""Screens people read: every admin page of the demo shows numbers as people write them (P2),
number fields say how they are read, and developer-facing fields stay out of sight (S3)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import NoReverseMatch, reverse

from projects.fields import FigureField

pytestmark = pytest.mark.django_db

EXPONENT = re.compile(r"\d(\.\d+)?E[+-]?\d+")
# three or more decimals ending in 0 (amounts' two places are allowed); lookarounds, not \b:
# CJK characters are word characters, so 执行数28.000000 has no word boundary
TRAILING_ZEROS = re.compile(r"(?<![\d.])\d+\.\d{2,}0(?!\d)")
PRINTED = [
    ("project_targets", "027001", 2022),
    ("unit_targets", "027001", 2022),
    ("monitoring", "027", 2022),
    ("self_evaluation", "305", 2023),
]


class _Shown(HTMLParser):
    """The text a person sees and the values of inputs, without scripts, styles or the CSRF token."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        elif (
            tag in ("input", "option", "textarea")
            and attrs.get("name") != "csrfmiddlewaretoken"
            and attrs.get("type") != "hidden"
            and attrs.get("value")
        ):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def badly_written_figures(html: str) -> list[str]:
    """Every figure on the page written with an exponent or with trailing zeros."""
    parser = _Shown()
    parser.feed(html)
    found = []
    for part in parser.parts:
        found += [m.group(0) for m in EXPONENT.finditer(part)]
        found += [m.group(0) for m in TRAILING_ZEROS.finditer(part)]
    return found


def test_the_figure_check_finds_what_people_do_not_write():
    page = (
        '<p>执行数28.000000</p><input name="budget" value="14.4800000000000">'
        "<td>2.5E+5</td><script>var x = 1.000;</script>"
        '<input type="hidden" name="csrfmiddlewaretoken" value="1.000">'
    )
    assert badly_written_figures(page) == ["28.000000", "14.4800000000000", "2.5E+5"]
    assert badly_written_figures("<p>28.00 万元，93.46%，99.35 分，0.628</p>") == []


def _admin_pages(client, user):
    """The changelist, add page and up to three change pages of every ModelAdmin the user may open."""
    for model, model_admin in admin.site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        response = client.get(changelist)
        if response.status_code != 200:
            continue
        yield changelist, response
        add = reverse("admin:{}_{}_add".format(*info))
        response = client.get(add)
        if response.status_code == 200:
            yield add, response
        shown = model_admin.get_queryset(type("R", (), {"user": user})()).order_by("pk")[:3]
        for obj in shown:
            change = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
            response = client.get(change)
            if response.status_code == 200:
                yield change, response


def _site_pages(client):
    for name in ("admin:index", "performance_dashboard", "performance_todo"):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        yield url, client.get(url)
    for kind, unit, year in PRINTED:
        url = reverse("performance_print")
        response = client.get(url, {"kind": kind, "unit": unit, "year": year})
        yield f"{url}?kind={kind}&unit={unit}", response


@pytest.mark.parametrize("persona", ["superuser", "filler", "outsider", "finance_reviewer"])
def test_every_admin_page_of_the_demo_reads_as_people_write(request, login, persona):
    user = request.getfixturevalue(persona)
    client = login(user)
    bad: dict[str, list[str]] = {}
    pages = 0
    for url, response in [*_admin_pages(client, user), *_site_pages(client)]:
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        pages += 1
        figures = badly_written_figures(response.content.decode())
        if figures:
            bad[url] = sorted(set(figures))[:5]
    assert pages > 20
    assert bad == {}, f"{len(bad)} pages show figures people do not write: {bad}"


def test_every_decimal_field_declares_how_people_read_it():
    undeclared = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model._meta.app_label in ("projects", "performance")
        for field in model._meta.get_fields()
        if isinstance(field, models.DecimalField) and not isinstance(field, FigureField)
    ]
    assert undeclared == []


DEVELOPER_WORDS = [
    "修改版本号",
    "事由键",
    "邮件发送认领时间",
    "任务ID",
    '"chunks"',
    "JOB_STALL_SECONDS",
]


def _document_pages(client) -> list[str]:
    """The change pages of the first goal, report, evaluation, indicator and project the user sees."""
    from performance.models import Indicator, MonitoringReport, PerformanceGoal, SelfEvaluation
    from projects.models import Project

    pages = []
    for model in (PerformanceGoal, MonitoringReport, SelfEvaluation, Indicator, Project):
        info = model._meta.app_label, model._meta.model_name
        changelist = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        if changelist.status_code != 200 or not changelist.context["cl"].result_list:
            continue
        obj = changelist.context["cl"].result_list[0]
        page = client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        assert page.status_code == 200
        pages.append(page.content.decode())
    return pages


def _recompute_and_notice_pages(client, user, capture) -> list[str]:
    from performance.choices import NotificationKind
    from performance.models import Job
    from performance.services.notifications import notify
    from projects.models import Unit

    department = Unit.objects.get(code="027")
    notice = notify(
        recipient=user, kind=NotificationKind.WINDOW_DUE, occasion_key="k:1", title="提醒"
    )
    with capture(execute=True):
        client.post(
            reverse("admin:performance_job_recompute"), {"year": "2022", "unit": department.pk}
        )
    pages = [client.get(reverse("admin:performance_notification_change", args=[notice.pk]))]
    job = Job.objects.filter(created_by=user).order_by("-pk").first()
    assert job is not None and "chunks" in job.result
    pages.append(client.get(reverse("admin:performance_job_change", args=[job.pk])))
    assert all(page.status_code == 200 for page in pages)
    return [page.content.decode() for page in pages]


def test_no_developer_fields_for_people_who_cannot_act(
    login, filler, dept_reviewer, django_capture_on_commit_callbacks
):
    client = login(filler)
    pages = _document_pages(client)
    assert len(pages) >= 3
    client = login(dept_reviewer)
    pages += _document_pages(client)
    pages += _recompute_and_notice_pages(client, dept_reviewer, django_capture_on_commit_callbacks)
    shown = {word for page in pages for word in DEVELOPER_WORDS if word in page}
    assert shown == set()
    job_page = pages[-1]
    assert "已完成 " in job_page and " 组单位" in job_page  # progress in words
    assert "自评 " in job_page and "监控表 " in job_page  # the result in words
    # the stale-save guard stays: the versioned form still carries the version it was built on
    assert 'type="hidden" name="expected_version"' in "".join(pages)


def test_a_superuser_finds_the_version_under_technical_information(login, superuser):
    from performance.models import PerformanceGoal

    goal = PerformanceGoal.objects.order_by("pk").first()
    page = login(superuser).get(reverse("admin:performance_performancegoal_change", args=[goal.pk]))
    html = page.content.decode()
    assert "技术信息" in html and "修改版本号" in html


def test_deviation_is_said_in_words(login, superuser):
    from performance.models import SelfEvaluation

    deviating = SelfEvaluation.objects.order_by("pk").first()
    SelfEvaluation.objects.filter(pk=deviating.pk).update(has_deviation=True)
    client = login(superuser)
    listing = client.get(reverse("admin:performance_selfevaluation_changelist"))
    row = next(
        r for r in listing.content.decode().split("<tr")[1:] if f"/{deviating.pk}/change/" in r
    )
    assert 'class="deviation-yes" style="color:#ba2121">有偏差</strong>' in row
    assert "icon-yes" not in row  # no green ✓ for a deviation
    page = client.get(reverse("admin:performance_selfevaluation_change", args=[deviating.pk]))
    html = page.content.decode()
    assert 'class="deviation-yes" style="color:#ba2121">有偏差</strong>' in html
    assert "icon-yes" not in html


def test_number_inputs_show_figures_as_people_write_them():
    from decimal import Decimal

    from performance.models import MonitoringReport, SelfEvaluation

    amount = MonitoringReport._meta.get_field("forecast_executed").formfield()
    html = amount.widget.render("forecast_executed", Decimal("28.000000"))
    assert 'value="28.00"' in html and 'inputmode="decimal"' in html
    assert 'placeholder="0.00"' in html
    assert amount.clean("28.00") == Decimal("28.00")
    rate = SelfEvaluation._meta.get_field("execution_rate").formfield()
    assert 'value="93.46"' in rate.widget.render("execution_rate", Decimal("93.4600"))  # no %
    assert 'value="123"' in amount.widget.render("x", "123")  # what was typed comes back as typed
