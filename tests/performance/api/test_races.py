"""Two writers race for the same goal, indicator, monitoring report and self-evaluation, 100
times each, with interleaved requests: both prepared their change on the same ``lock_version``,
exactly one wins, the other gets 409 ``stale`` and changes nothing, and no winning update is
lost — the audit trail holds every winner's value in order, each based on the previous
winner's. ``tests/integration/test_races.py`` runs the same races truly concurrently.
"""

from __future__ import annotations

import pytest

from ...support.races import RESOURCES, ROUNDS, assert_no_update_lost, prepare, token_client


@pytest.mark.django_db
@pytest.mark.parametrize("resource", RESOURCES)
def test_interleaved_writers_one_wins_the_other_is_409(
    resource, filler, unit_reviewer, finance_reviewer
):
    race = prepare(resource, filler, finance_reviewer)
    writers = {"A": token_client(filler), "B": token_client(unit_reviewer)}
    start = race.version()
    winners = []
    for i in range(ROUNDS):
        seen = race.version()  # both writers read the same version…
        order = ("A", "B") if i % 2 == 0 else ("B", "A")
        first, second = (
            writers[who].patch(race.url, {"lock_version": seen, race.field: race.value(i, who)})
            for who in order
        )  # …and write in turn: the second is based on an outdated version
        assert first.status_code == 200, first.content
        assert second.status_code == 409, second.content
        assert second.json()["code"] == "stale"
        winners.append(race.value(i, order[0]))
    assert_no_update_lost(race, start, winners)
