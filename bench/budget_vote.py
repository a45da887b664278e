"""Participatory budget vote under load: 200 concurrent voters cast 10,000 ballots, some change theirs.

PostgreSQL only (SQLite lets one writer at a time into the whole file: it is skipped with a
message). The step sets up its own commune, a budget open for voting with 20 projects (approval
within a 500,000 € envelope) and 10,000 residents with a verified e-mail address. Then 200 threads,
each a voter at the keyboard, take the next resident from a queue and cast their ballot through
the same service the page calls (`budget_vote.submit_ballot`); one resident in ten changes it
straight after. Afterwards it checks that nothing was lost or doubled: one ballot and one
participation per resident, and each ballot holds its voter's last choice exactly. It reports the
ballots per second, and the time to count the 10,000 ballots by each rule.

PostgreSQL here allows 100 connections shared with other work: the 200 voters share a pool of
at most DB_CONNECTIONS (fewer when the server allows fewer), as app servers behind a pooler would.

    python -m bench budget-vote      (with DATABASE_URL set to PostgreSQL)
"""

from __future__ import annotations

import datetime
import os
import queue
import random
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.__main__ import Bench

VOTERS = 10_000
WORKERS = 200
PROJECTS = 20
CHANGE_SHARE = 0.1
DB_CONNECTIONS = int(os.environ.get("BENCH_DB_CONNECTIONS", "60"))


def run(bench: Bench) -> None:
    cast = ("budget vote: ballots cast by 200 concurrent voters", "ballots", f"= {VOTERS:,}")
    rate = ("budget vote: ballots per second (cast or changed)", "ballots/s", "-")
    changes = ("budget vote: ballots changed", "ballots", "-")
    faults = ("budget vote: ballots lost or doubled", "ballots", "= 0")
    greedy = ("budget vote: count 10,000 ballots, greedy", "ms", "-")
    mes = ("budget vote: count 10,000 ballots, MES with add1", "ms", "-")
    if not bench.env.get("DATABASE_URL", "").startswith(("postgres", "postgresql")):
        print("  budget-vote: skipped, it measures concurrent writers on PostgreSQL (set DATABASE_URL)")
        return
    with bench.measuring(cast, rate, changes, faults, greedy, mes):
        _setup(bench)
        budget, users, choices = _prepare()
        seconds, outcomes, changed = _vote(budget, users, choices)
        errors = [outcome for outcome in outcomes if outcome != "ok"]
        if errors:
            print(f"  {len(errors)} refused or failed, first: {errors[0]}")
        ballots = len(outcomes) - len(errors)
        bench.record(cast[0], ballots - changed, "ballots", cast[2], ballots == VOTERS + changed and not errors)
        bench.record(rate[0], ballots / seconds, "ballots/s", "-", None)
        bench.record(changes[0], changed, "ballots", "-", None)
        wrong = _check(budget, users, choices)
        bench.record(faults[0], wrong, "ballots", "= 0", wrong == 0)
        print(f"  {ballots:,} ballots ({changed:,} of them changes) in {seconds:.1f} s by {WORKERS} voters "
              f"over {_connections()} connections")
        for figure, rule in ((greedy, "greedy"), (mes, "mes")):
            with bench.measuring(figure):
                bench.record(figure[0], _count(budget, rule) * 1000, "ms", "-", None)


def _setup(bench: Bench) -> None:
    import django

    bench.clocher("migrate", "--noinput", "-v", "0")
    os.environ.update(bench.env)
    django.setup()


def _connections() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        allowed = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM pg_stat_activity")
        used = int(cursor.fetchone()[0])
    return max(4, min(DB_CONNECTIONS, WORKERS, allowed - used - 10))


def _prepare() -> tuple[Any, list[Any], dict[int, list[list[int]]]]:
    """The commune, the budget open for voting, its projects and the residents, made anew; and
    each resident's choices (two for those who change their ballot)."""
    from allauth.account.models import EmailAddress
    from django.db import transaction
    from django.utils import timezone

    from clocher.accounts.models import User
    from clocher.participation.budgets import (
        BallotKind,
        Budget,
        BudgetStatus,
        Project,
        ProjectStatus,
    )
    from clocher.participation.models import Eligibility, Level
    from clocher.territories.models import Territory, TerritoryKind

    now = timezone.now()
    with transaction.atomic():
        commune, _created = Territory.objects.get_or_create(
            kind=TerritoryKind.COMMUNE, code="32013", defaults={"name": "Auch"},
        )
        Budget.objects.filter(title="Bench: budget participatif").delete()
        User.objects.filter(email__endswith="@budget-vote.bench").delete()
        eligibility = Eligibility.objects.create(level=Level.EMAIL)
        budget = Budget.objects.create(
            territory=commune, title="Bench: budget participatif", eligibility=eligibility, amount=500_000,
            ballot_kind=BallotKind.APPROVAL_BUDGET, proposals_opens_at=now - datetime.timedelta(days=60),
            proposals_closes_at=now - datetime.timedelta(days=30), vote_opens_at=now - datetime.timedelta(days=1),
            vote_closes_at=now + datetime.timedelta(days=7), status=BudgetStatus.PUBLISHED, published_at=now,
        )
        generator = random.Random(2026)
        projects = Project.objects.bulk_create([
            Project(budget=budget, code=str(number), title=f"Projet {number}", description="…",
                    estimated_cost=cost, final_cost=cost, status=ProjectStatus.ELIGIBLE, reviewed_at=now)
            for number, cost in enumerate((generator.randrange(10, 160) * 1000 for _ in range(PROJECTS)), start=1)
        ])
        users = User.objects.bulk_create(
            [User(email=f"voter{number}@budget-vote.bench", password="!") for number in range(VOTERS)], batch_size=2000,
        )
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users], batch_size=2000,
        )
    choices: dict[int, list[list[int]]] = {}
    for user in users:
        rounds = 2 if generator.random() < CHANGE_SHARE else 1
        choices[user.pk] = [_within(projects, budget.amount, generator) for _ in range(rounds)]
    return budget, users, choices


def _within(projects: list[Any], amount: int, generator: random.Random) -> list[int]:
    """A ballot a resident could cast: projects in a random order, kept while they fit."""
    chosen: list[int] = []
    left = amount
    for project in generator.sample(projects, generator.randint(1, 8)):
        if project.cost <= left:
            chosen.append(project.pk)
            left -= project.cost
    return sorted(chosen)


def _vote(budget: Any, users: list[Any], choices: dict[int, list[list[int]]]) -> tuple[float, list[str], int]:
    from django.db import connections

    from clocher.participation.budget_vote import submit_ballot
    from clocher.participation.services import ParticipationRefused

    waiting: queue.Queue[Any] = queue.Queue()
    for user in users:
        waiting.put(user)
    slots = threading.BoundedSemaphore(_connections())
    outcomes: list[str] = []
    changed = sum(len(rounds) - 1 for rounds in choices.values())
    start = threading.Barrier(WORKERS + 1)

    def voter() -> None:
        start.wait()
        try:
            while True:
                try:
                    user = waiting.get_nowait()
                except queue.Empty:
                    return
                for choice in choices[user.pk]:
                    with slots:
                        try:
                            submit_ballot(user, budget, dict.fromkeys(choice, 1))
                            outcomes.append("ok")
                        except ParticipationRefused as exc:
                            outcomes.append(str(exc))
                        except Exception as exc:  # noqa: BLE001  # counted, and shown
                            outcomes.append(repr(exc))
                        finally:
                            # The slot goes to another voter: so does the connection.
                            connections.close_all()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=voter) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, outcomes, changed


def _check(budget: Any, users: list[Any], choices: dict[int, list[list[int]]]) -> int:
    """Ballots lost, doubled or holding anything but their voter's last choice."""
    from django.contrib.contenttypes.models import ContentType

    from clocher.participation.budget_selectors import voter_key
    from clocher.participation.budgets import BudgetBallot, BudgetBallotItem
    from clocher.participation.models import Participation

    held: dict[str, list[int]] = {}
    ballot_keys = dict(BudgetBallot.objects.filter(budget=budget).values_list("id", "voter_key"))
    for ballot_id, project_id in BudgetBallotItem.objects.filter(ballot__budget=budget).values_list(
        "ballot_id", "project_id"
    ).iterator(chunk_size=10_000):
        held.setdefault(ballot_keys[ballot_id] or "", []).append(project_id)
    participations = Participation.objects.filter(
        content_type=ContentType.objects.get_for_model(budget), object_id=budget.pk,
    ).count()
    wrong = abs(len(ballot_keys) - VOTERS) + abs(participations - VOTERS)
    for user in users:
        if sorted(held.get(voter_key(budget, user), [])) != choices[user.pk][-1]:
            wrong += 1
    return wrong


def _count(budget: Any, rule: str) -> float:
    from clocher.participation.budget_vote import election_of
    from clocher.participation.counting import tally

    started = time.perf_counter()
    tally(election_of(budget), rule)
    return time.perf_counter() - started
