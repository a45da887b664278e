"""Many voters casting and changing their ballots at once: one participation and one ballot per
person, the last choice of each kept, none lost. On PostgreSQL only: SQLite lets one writer at a
time into the whole file, so it could not show a race even if the code allowed one."""

from __future__ import annotations

import random
import threading

import pytest
import time_machine
from django.db import connection, connections

from clocher.participation import budget_vote
from clocher.participation.budgets import BudgetBallot, BudgetBallotItem
from clocher.participation.models import Participation
from clocher.participation.services import ParticipationRefused
from clocher.territories.models import Territory
from conftest import make_user

from .test_budget_vote_factories import NOW, make_budget, pks, verified

VOTERS = 30
TRIES_EACH = 4  # each voter sends 4 ballots at once (double clicks, two tabs): the first casts, the rest change
CONNECTIONS = 40


@pytest.mark.django_db(transaction=True)
def test_simultaneous_ballots_and_changes_leave_one_ballot_per_person(auch: Territory) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises all writers: concurrency is tested on PostgreSQL")
    budget = make_budget(auch, costs=(10000, 10000, 10000, 10000))
    p = list(pks(budget).values())
    voters = [verified(make_user(f"v{n}@example.org", home_commune=auch), auch) for n in range(VOTERS)]
    generator = random.Random(7)
    attempts = [(voter, sorted(generator.sample(p, generator.randint(1, 4)))) for voter in voters for _ in range(TRIES_EACH)]
    generator.shuffle(attempts)
    start = threading.Barrier(len(attempts))
    slots = threading.BoundedSemaphore(CONNECTIONS)
    outcomes: list[str] = []
    done: dict[int, list[list[int]]] = {voter.pk: [] for voter in voters}

    def attempt(voter: object, choice: list[int]) -> None:
        start.wait()
        with slots:
            try:
                budget_vote.submit_ballot(voter, budget, dict.fromkeys(choice, 1))
                outcomes.append("ok")
                done[voter.pk].append(choice)  # type: ignore[attr-defined]  # a User
            except ParticipationRefused as exc:
                outcomes.append(str(exc))
            except Exception as exc:  # noqa: BLE001  # any other failure is what the test must show
                outcomes.append(repr(exc))
            finally:
                connections.close_all()

    threads = [threading.Thread(target=attempt, args=item) for item in attempts]
    # Time travels for the whole process, threads included: entered once, around them all.
    with time_machine.travel(NOW, tick=True):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert set(outcomes) == {"ok"}, {o for o in outcomes if o != "ok"}
    assert Participation.objects.filter(object_id=budget.pk).count() == VOTERS
    assert BudgetBallot.objects.filter(budget=budget).count() == VOTERS
    # Every ballot holds one of its voter's choices whole: items were never mixed nor doubled.
    for voter in voters:
        ballot = budget_vote.own_ballot(budget, voter)
        assert ballot is not None
        items = sorted(BudgetBallotItem.objects.filter(ballot=ballot).values_list("project_id", flat=True))
        assert items in done[voter.pk]
