"""A scoring scheme's rounding places must fit the columns the figures are stored in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from performance.models import ScoringScheme
from tests.support.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "too_many", "limit"),
    [("rate_places", 3, 2), ("score_places", 5, 4), ("total_places", 5, 4)],
)
def test_more_places_than_stored_are_refused_with_a_field_error(
    login, superuser, field, too_many, limit
):
    scheme = ScoringScheme.objects.get(is_default=True)
    url = reverse("admin:performance_scoringscheme_change", args=[scheme.pk])
    client = login(superuser)
    page = client.get(url)
    response = client.post(url, admin_form_data(page, **{field: too_many}))
    assert response.status_code == 200  # the form again, with the error
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    assert str(limit) in errors[field][0] and "小于或等于" in errors[field][0]
    scheme.refresh_from_db()
    assert getattr(scheme, field) == 2

    ok = client.post(url, admin_form_data(page, **{field: limit}))
    assert ok.status_code == 302
    scheme.refresh_from_db()
    assert getattr(scheme, field) == limit
