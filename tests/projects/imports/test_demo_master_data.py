"""The demo's units and people are rebuilt from the shipped files through the imports (D1)."""

from __future__ import annotations

import csv

import pytest
from django.contrib.auth import get_user_model

from performance import demo as demo_module
from performance.services.imports import KINDS
from projects.choices import Role, UnitKind
from projects.models import AuditEntry, Membership, Unit

pytestmark = pytest.mark.django_db


def example_rows(kind: str) -> list[dict[str, str]]:
    with KINDS[kind].example_path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_demo_rebuilds_units_and_people_from_files(demo):
    kinds = {label: value for value, label in UnitKind.choices}
    expected_units = {
        r["单位编码"]: (r["单位名称"], kinds[r["单位类型"]], r["上级单位编码"] or None)
        for r in example_rows("units")
    }
    units = {
        u.code: (u.name, u.kind, u.parent.code if u.parent_id else None)
        for u in Unit.objects.select_related("parent").filter(code__in=expected_units)
    }
    assert units == expected_units
    roles = {label: value for value, label in Role.choices}
    expected_roles = {
        (r["用户名"], r["单位编码"], roles[r["角色"]]) for r in example_rows("people")
    }
    assert expected_roles == {(d.username, d.unit_code, d.role) for d in demo_module.DEMO_USERS}
    held = set(
        Membership.objects.filter(user__username__in=[d.username for d in demo_module.DEMO_USERS])
        .exclude(user__username="admin027")
        .values_list("user__username", "unit__code", "role")
    )
    assert held == expected_roles
    for username in {d.username for d in demo_module.DEMO_USERS}:
        assert (
            get_user_model()
            .objects.get(username=username)
            .check_password(demo_module.DEMO_PASSWORD)
        )

    audits = AuditEntry.objects.count()
    demo_module.load_users(demo_module.load_units())
    assert AuditEntry.objects.count() == audits  # the imports said 没有任何变化
