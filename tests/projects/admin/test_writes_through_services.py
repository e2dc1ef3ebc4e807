"""No ModelAdmin saves around a service: a walk of the admin registry.

Every registered ModelAdmin (both apps, and the ``auth``, ``authtoken`` and
``django_celery_beat`` screens we register) is a ``WritesThroughServices``, whose stock writes
refuse; each write method resolves to this project's code, and each write a user may make
(add, change, delete, 删除所选, an inline that accepts rows) is an override — not the refusal,
not Django's or a library's default. Actions are this project's code too. That the overrides
do call an audited service is shown by ``test_admin_writes_audited.py``, which makes every
write through the admin and finds its audit row.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.admin.actions import delete_selected
from django.test import RequestFactory

from performance.choices import WindowKind
from performance.models import ReportingWindow
from projects.admin.writes import UnroutedWrite, WritesThroughServices
from tests.support.admin_registry import label_of, registry_writes

pytestmark = pytest.mark.django_db

WRITES = ("save_model", "delete_model", "delete_queryset", "save_formset", "save_related")
OURS = ("projects.", "performance.")


def defined_in(model_admin, name: str) -> str:
    """The module of the function ``model_admin.<name>`` resolves to."""
    return getattr(type(model_admin), name).__module__


def overridden(model_admin, name: str) -> bool:
    return getattr(type(model_admin), name) is not getattr(WritesThroughServices, name)


def superuser_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_every_model_admin_refuses_stock_writes():
    problems = []
    for model, model_admin in admin.site._registry.items():
        label = label_of(model)
        if not isinstance(model_admin, WritesThroughServices):
            problems.append(f"{label}: {type(model_admin).__name__} is no WritesThroughServices")
            continue
        for name in WRITES:
            if not defined_in(model_admin, name).startswith(OURS):
                problems.append(f"{label}.{name} is {defined_in(model_admin, name)}'s")
    assert not problems, "\n".join(problems)


def test_each_write_a_user_may_make_is_overridden(superuser):
    needs = {
        "add": ("save_model",),
        "change": ("save_model",),
        "delete": ("delete_model",),
        "action:delete_selected": ("delete_queryset",),
    }
    by_label = {label_of(model): ma for model, ma in admin.site._registry.items()}
    problems = []
    for label, kind in sorted(registry_writes(superuser)):
        model_admin = by_label[label]
        if kind.startswith("inline:"):
            if not (
                overridden(model_admin, "save_formset") or overridden(model_admin, "save_related")
            ):
                problems.append(f"{label} {kind}: neither save_formset nor save_related overridden")
            continue
        for name in needs.get(kind, ()):
            if not overridden(model_admin, name):
                problems.append(f"{label} {kind}: {name} is the refusal")
    assert not problems, "\n".join(problems)


def test_every_action_is_this_projects_code(superuser):
    request = superuser_request(superuser)
    problems = []
    for model, model_admin in admin.site._registry.items():
        for name, (function, *_rest) in model_admin.get_actions(request).items():
            if function is delete_selected:  # Django's: deletes through ``delete_queryset``
                continue
            if not function.__module__.startswith(OURS):
                problems.append(f"{label_of(model)} action {name} is {function.__module__}'s")
    assert not problems, "\n".join(problems)


def test_declared_read_only_admins_refuse_add_change_and_delete(superuser):
    request = superuser_request(superuser)
    read_only = [ma for ma in admin.site._registry.values() if ma.read_only]
    assert {label_of(ma.model) for ma in read_only} == {
        "auth.Group",
        "projects.AuditEntry",
        "performance.ImportRun",  # 导入记录: history written by import_run
    }
    for model_admin in read_only:
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert not model_admin.get_actions(request)
    for model_admin in admin.site._registry.values():
        for inline in model_admin.get_inline_instances(request):
            if getattr(inline, "read_only", False):
                assert not inline.has_add_permission(request, None)
                assert not inline.has_change_permission(request, None)
                assert not inline.has_delete_permission(request, None)


def test_an_admin_without_overrides_refuses_to_write():
    class Bare(WritesThroughServices, admin.ModelAdmin):
        pass

    bare = Bare(ReportingWindow, AdminSite())
    window = ReportingWindow(
        kind=WindowKind.GOAL_SET,
        year=2030,
        title="未经服务的写入",
        opens_on=dt.date(2030, 1, 1),
        closes_on=dt.date(2030, 1, 31),
    )
    with pytest.raises(UnroutedWrite):
        bare.save_model(None, window, None, False)
    assert not ReportingWindow.objects.filter(title="未经服务的写入").exists()
    existing = ReportingWindow.objects.order_by("pk").first()
    with pytest.raises(UnroutedWrite):
        bare.delete_model(None, existing)
    with pytest.raises(UnroutedWrite):
        bare.delete_queryset(None, ReportingWindow.objects.filter(pk=existing.pk))
    assert ReportingWindow.objects.filter(pk=existing.pk).exists()
