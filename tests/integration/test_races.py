"""The races of ``tests/performance/api/test_races.py``, truly concurrent: two threads with their own
PostgreSQL connections send their PATCH at the same moment, 100 times per object. The loser
waits on the winner's row lock (``select_for_update`` in the services), then finds its
``lock_version`` outdated: exactly one 200 and one 409 per round, and no update lost.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.support.races import RESOURCES, ROUNDS, assert_no_update_lost, prepare, token_client

from .conftest import session_worker_idle

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _worker_idle_before_the_flush(transactional_db):
    """Set up after the database, so torn down before its flush: see ``session_worker_idle``
    (a CI run once hit that deadlock at the end of the monitoring-round race)."""
    yield
    session_worker_idle()


@pytest.mark.parametrize("resource", RESOURCES)
def test_concurrent_writers_on_postgresql_one_wins_the_other_is_409(
    integration_services, resource, filler, unit_reviewer, finance_reviewer
):
    race = prepare(resource, filler, finance_reviewer)
    users = {"A": filler, "B": unit_reviewer}
    start = race.version()
    winners = []
    for i in range(ROUNDS):
        seen = race.version()
        barrier = threading.Barrier(2)
        results: dict[str, object] = {}

        def write(who: str, seen=seen, barrier=barrier, results=results, i=i) -> None:
            try:
                client = token_client(users[who])
                barrier.wait(timeout=30)  # both requests leave together
                results[who] = client.patch(
                    race.url, {"lock_version": seen, race.field: race.value(i, who)}
                )
            except Exception as error:  # reported below, not lost in the thread
                results[who] = error
            finally:
                connection.close()

        threads = [threading.Thread(target=write, args=(who,)) for who in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        statuses = {who: getattr(r, "status_code", r) for who, r in results.items()}
        assert sorted(map(str, statuses.values())) == ["200", "409"], statuses
        winner = next(who for who, status in statuses.items() if status == 200)
        loser = next(who for who in users if who != winner)
        assert results[loser].json()["code"] == "stale"
        winners.append(race.value(i, winner))
    assert_no_update_lost(race, start, winners)


def test_two_finance_reviewers_opening_the_same_month_at_once_get_one_round(
    integration_services, finance_reviewer
):
    """Both openers find no round, both insert: the loser's insert waits for the winner's
    commit, fails on the unique month, and tops up the winner's round — one round, one
    report per approved project, no error for either reviewer."""
    import datetime as dt

    from performance.choices import GoalScope, Status
    from performance.models import MonitoringReport, MonitoringRound, PerformanceGoal
    from performance.services.monitoring import monitoring_round_open
    from projects.audit import history

    approved = PerformanceGoal.objects.filter(
        scope=GoalScope.PROJECT, year=2022, status=Status.APPROVED
    ).count()
    assert approved > 0
    for month in range(1, 11):
        barrier = threading.Barrier(2)
        results: list[object] = []

        def open_round(month=month, barrier=barrier, results=results) -> None:
            try:
                barrier.wait(timeout=30)
                results.append(
                    monitoring_round_open(
                        actor=finance_reviewer,
                        year=2022,
                        data_month=month,
                        opens_on=dt.date(2022, month, 1),
                        deadline=dt.date(2022, month, 28),
                    ).pk
                )
            except Exception as error:  # reported below, not lost in the thread
                results.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=open_round) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        round_ = MonitoringRound.objects.get(year=2022, data_month=month)
        assert results == [round_.pk, round_.pk]
        assert MonitoringReport.objects.filter(round=round_).count() == approved
        assert history(round_).filter(action="create").count() == 1
