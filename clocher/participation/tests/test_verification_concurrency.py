"""One person, one participation, held by the database: 200 attempts at once leave one row.

On PostgreSQL only: SQLite lets one writer at a time into the whole file, so it could not show a
race even if the code allowed one.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from clocher.accounts.models import User
from clocher.participation.models import Eligibility, Participation
from clocher.participation.services import ParticipationRefused, participate_once
from clocher.territories.models import Territory

ATTEMPTS = 200
# PostgreSQL allows 100 connections here, shared with other test runs: at most this many attempts
# hold one at the same moment, all started together; the winner's transaction stays open a while
# (`then` sleeps) so that the others in flight wait on the unique index, then fail on it.
CONNECTIONS = 40


def _requires_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises all writers: concurrency is tested on PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_200_simultaneous_attempts_leave_exactly_one_participation(resident: User, auch: Territory) -> None:
    _requires_postgresql()
    eligibility = Eligibility.objects.create()
    eligibility.territories.add(auch)
    # Polls do not exist yet: any row stands for a process, since Participation points to any model.
    process = eligibility
    start = threading.Barrier(ATTEMPTS)
    slots = threading.BoundedSemaphore(CONNECTIONS)
    outcomes: list[str] = []
    ballots: list[int] = []

    def slow_ballot(participation: Participation) -> None:
        time.sleep(0.2)
        ballots.append(participation.pk)

    def attempt() -> None:
        start.wait()
        with slots:
            try:
                participate_once(resident, process, eligibility, then=slow_ballot)
                outcomes.append("ok")
            except ParticipationRefused as exc:
                outcomes.append("refused" if exc.reasons == ["Vous avez déjà participé."] else str(exc))
            except Exception as exc:  # noqa: BLE001  # any other failure is what the test must show
                outcomes.append(repr(exc))
            finally:
                connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(set(outcomes)) == ["ok", "refused"], set(outcomes)
    assert (outcomes.count("ok"), outcomes.count("refused")) == (1, ATTEMPTS - 1)
    assert Participation.objects.filter(user=resident, object_id=process.pk).count() == 1
    assert len(ballots) >= 1  # `then` ran for the winner (and for losers only inside rolled-back transactions)


@pytest.mark.django_db
def test_a_second_participation_is_refused_and_its_ballot_rolled_back(resident: User, auch: Territory) -> None:
    eligibility = Eligibility.objects.create()
    eligibility.territories.add(auch)
    participate_once(resident, eligibility, eligibility)
    written: list[int] = []
    with pytest.raises(ParticipationRefused) as refused:
        participate_once(resident, eligibility, eligibility, then=lambda p: written.append(p.pk))
    assert refused.value.reasons == ["Vous avez déjà participé."]
    assert written == []  # the insert failed first: the ballot was never written
    assert Participation.objects.count() == 1


@pytest.mark.django_db
def test_someone_who_may_not_take_part_is_refused_with_the_reasons(resident: User, marciac: Territory) -> None:
    eligibility = Eligibility.objects.create(min_age=18)
    eligibility.territories.add(marciac)
    with pytest.raises(ParticipationRefused) as refused:
        participate_once(resident, eligibility, eligibility)
    assert len(refused.value.reasons) == 2
    assert not Participation.objects.exists()
