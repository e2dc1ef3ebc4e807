"""Shared fixtures: the demo data set loaded once per test database, and the personas.

Personas (all from ``performance.demo``): ``filler`` (027001 填报人), ``unit_reviewer`` (027001
单位审核人), ``dept_reviewer`` (主管部门 027), ``finance_reviewer`` (财政局), ``outsider`` (305004's
filler: another unit, another department), ``finance_admin`` (``sysadmin``: 管理员 of the finance
bureau), ``dept_admin`` (``admin027``, made here: 管理员 of 主管部门 027) and ``superuser``.
"""

from __future__ import annotations

import datetime as dt

import pytest

# Every test marked ``integration`` is gated by the services check before its fixtures.
pytest_plugins = ["tests.integration_gate"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo once into the test database; tests roll back around it."""
    from performance.demo import load_demo

    with django_db_blocker.unblock():
        load_demo()


@pytest.fixture
def demo(db):
    """The demo data set (reloaded if a transactional test flushed it)."""
    from performance.demo import load_demo

    load_demo()


def _user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


@pytest.fixture
def filler(demo):
    return _user("filler027")


@pytest.fixture
def unit_reviewer(demo):
    return _user("reviewer027")


@pytest.fixture
def dept_reviewer(demo):
    return _user("dept027")


@pytest.fixture
def finance_reviewer(demo):
    return _user("finance")


@pytest.fixture
def outsider(demo):
    return _user("filler305")


@pytest.fixture
def outsider_dept_reviewer(demo):
    return _user("dept305")


@pytest.fixture
def finance_admin(demo):
    return _user("sysadmin")


@pytest.fixture
def dept_admin(demo):
    """管理员 of 主管部门 027 (not in the demo: created by the system, like a master-data import)."""
    from django.contrib.auth import get_user_model

    from performance.demo import DEMO_PASSWORD
    from projects.choices import Role
    from projects.models import Unit
    from projects.services import accounts

    existing = get_user_model().objects.filter(username="admin027").first()
    if existing is not None:
        return existing
    return accounts.user_create(
        username="admin027",
        password=DEMO_PASSWORD,
        first_name="027 管理员",
        unit=Unit.objects.get(code="027"),
        role=Role.ADMIN,
    )


@pytest.fixture
def superuser(demo):
    return _user("admin")


@pytest.fixture
def login(client):
    """``login(user)`` → a test client logged in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


class Clock:
    """``django.utils.timezone.now`` moved forward by :meth:`advance`."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def advance(self, **delta: float) -> None:
        self.offset += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """``clock.advance(minutes=16)``: everything reading ``timezone.now()`` sees that much later
    (the database's rows keep their times, so a job's last progress grows old)."""
    from django.utils import timezone

    real_now = timezone.now
    moved = Clock()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + moved.offset)
    return moved


@pytest.fixture
def evidence_storage(settings, tmp_path):
    """Evidence files (``STORAGES["attachments"]``) in a directory of this test's own; returns
    it, so a test can see exactly what was stored."""
    from config.storage import attachment_storage_config

    root = tmp_path / "attachments"
    root.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": attachment_storage_config({}, root=root),
    }
    return root
