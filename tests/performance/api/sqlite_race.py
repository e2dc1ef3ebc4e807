"""Two writers racing for one goal on a SQLite file, as ``make run`` serves it.

Run by ``tests/performance/api/test_sqlite_races.py`` in a process of its own (the test database is in
memory, or PostgreSQL): ``python -m tests.performance.api.sqlite_race FILE ROUNDS`` migrates a new SQLite
file with the project's settings (``DATABASE_URL=sqlite:///FILE``), loads the demo, then sends
two PATCHes of the same goal at the same moment from two threads, each with its own
connection, ROUNDS times. It prints one JSON object: every round's two statuses (an exception
in a thread is its text), and whether an update was lost.
"""

from __future__ import annotations

import json
import os
import sys
import threading


def setup(path: str) -> None:
    """The project's test settings on a new SQLite file, migrated and with the demo data."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from performance.demo import load_demo

    with connection.cursor() as cursor:  # this connection only: a fast setup, not the race
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA journal_mode=MEMORY")
    call_command("migrate", verbosity=0)
    load_demo()
    connection.close()


def race(rounds: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from tests.support.races import assert_no_update_lost, prepare, token_client

    users = get_user_model().objects.in_bulk(
        ["filler027", "reviewer027", "finance"], field_name="username"
    )
    contest = prepare("goals", users["filler027"], users["finance"])
    writers = {"A": users["filler027"], "B": users["reviewer027"]}
    start = contest.version()
    connection.close()
    statuses, winners = [], []
    for i in range(rounds):
        seen = contest.version()
        connection.close()
        barrier = threading.Barrier(2)
        results: dict[str, object] = {}

        def write(who: str, seen=seen, barrier=barrier, results=results, i=i) -> None:
            try:
                client = token_client(writers[who])
                barrier.wait(timeout=30)  # both requests leave together
                response = client.patch(
                    contest.url, {"lock_version": seen, contest.field: contest.value(i, who)}
                )
                results[who] = response.status_code
            except Exception as error:  # reported, not lost in the thread
                results[who] = f"{type(error).__name__}: {error}"
            finally:
                connection.close()

        threads = [threading.Thread(target=write, args=(who,)) for who in writers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        statuses.append(results)
        winner = next((who for who, status in results.items() if status == 200), None)
        if winner is not None:
            winners.append(contest.value(i, winner))
    try:
        assert_no_update_lost(contest, start, winners, rounds=rounds)
        lost = None
    except (AssertionError, IndexError) as error:  # IndexError: no round had a winner
        lost = f"{type(error).__name__}: {error}"
    return {"statuses": statuses, "lost": lost}


if __name__ == "__main__":
    setup(sys.argv[1])
    print(json.dumps(race(int(sys.argv[2]))))
