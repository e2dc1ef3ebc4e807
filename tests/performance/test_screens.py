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
