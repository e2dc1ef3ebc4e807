"""整改 (rectification) reads: the tasks a user may see, scoped by ``visible_units``."""

from __future__ import annotations

from django.db.models import QuerySet

from projects.permissions import visible_units

from ..models import Rectification


def rectifications_for(user) -> QuerySet[Rectification]:
    """The tasks of the units ``user`` sees (a unit its own, a department its units', the
    finance bureau all), with their unit and project (one query)."""
    rows = Rectification.objects.all()
    if user is None or not user.is_superuser:
        rows = rows.filter(unit__in=visible_units(user))
    return rows.select_related("unit", "project")
