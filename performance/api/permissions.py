"""Scope of the API: the same ``visible_units(user)`` as the admin and the services.

Scoping happens in ``get_queryset`` so an object of a unit the caller cannot see is a 404,
exactly like one that does not exist. Whether the caller may *act* on a visible object is the
services' decision (their ``PermissionDenied`` becomes a 403 with the reason).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from projects.permissions import visible_units


def scope(queryset: QuerySet, user, lookup: str = "unit") -> QuerySet:
    """Rows of ``queryset`` whose ``lookup`` unit the user may see (all for a superuser)."""
    if user.is_superuser:
        return queryset
    return queryset.filter(**{f"{lookup}__in": visible_units(user)})


def scope_jobs(queryset: QuerySet, user) -> QuerySet:
    """Jobs the user started, or jobs of a unit the user may see."""
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    return queryset.filter(Q(created_by=user) | Q(unit__in=visible_units(user)))
