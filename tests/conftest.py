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


# The test database's blocker, kept by ``django_db_setup`` for ``pytest_runtest_teardown``.
_db_blocker = None


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo once into each test database (one per pytest-xdist worker); every test
    runs in a transaction that is rolled back, so the next one sees the demo untouched."""
    global _db_blocker
    from performance.demo import load_demo

    _db_blocker = django_db_blocker
    with django_db_blocker.unblock():
        load_demo()


def demo_is_loaded() -> bool:
    """Whether the test database holds the demo, in one query.

    ``load_demo`` is one transaction that writes the reporting windows last, so they are there
    exactly when the whole demo is; a transactional test's flush removes them with the rest.
    """
    from performance.demo import DEMO_WINDOWS
    from performance.models import ReportingWindow

    titles = {title for title, *_ in DEMO_WINDOWS}
    return (
        set(ReportingWindow.objects.filter(title__in=titles).values_list("title", flat=True))
        == titles
    )


def _flushes_the_database(item: pytest.Item) -> bool:
    """Whether ``item`` runs outside a rolled-back transaction (``transaction=True``, a live
    server): pytest-django empties every table after it."""
    names = getattr(item, "fixturenames", ())
    if "transactional_db" in names or "live_server" in names:
        return True
    marker = item.get_closest_marker("django_db")
    if marker is None:
        return False
    return bool(marker.kwargs.get("transaction", marker.args[0] if marker.args else False))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """After a transactional test's flush, load the demo again (committed), so the tests after
    it find it as the session left it instead of each reloading it in its own transaction."""
    result = yield
    if nextitem is not None and _db_blocker is not None and _flushes_the_database(item):
        from performance.demo import load_demo

        with _db_blocker.unblock():
            if not demo_is_loaded():
                load_demo()
    return result


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts and ends in the site's language: a request with ``Accept-Language: en``
    activates English for the thread (LocaleMiddleware), which would otherwise leak into the
    next test on the same worker and turn its Chinese messages English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def demo(db):
    """The demo data set: loaded once per test database by ``django_db_setup``, restored by each
    test's rollback (and after a transactional test's flush by ``pytest_runtest_teardown``);
    one query checks it is there instead of ``load_demo()``'s ~350 before every test. A
    transactional test that runs first after a flush (or alone) loads it itself."""
    if not demo_is_loaded():
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
