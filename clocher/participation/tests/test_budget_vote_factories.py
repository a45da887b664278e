"""Budgets for the vote's tests: one open for voting in Auch, its projects; no test here."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from clocher.participation.budgets import (
    BallotKind,
    Budget,
    BudgetStatus,
    Project,
    ProjectStatus,
)
from clocher.participation.models import Eligibility, Level, Verification
from clocher.territories.models import Territory

NOW = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)


def make_budget(
    territory: Territory, *, costs: tuple[int, ...] = (30000, 25000, 20000, 10000), now: datetime.datetime | None = None,
    **changes: Any,
) -> Budget:
    """A published budget of `territory`, its vote open at `now` (NOW by default) for a week, one
    eligible project per cost (codes "1", "2"...), reserved to residents of `territory` with a
    residence code."""
    moment = now or NOW
    eligibility = Eligibility.objects.create(level=changes.pop("level", Level.RESIDENCE_CODE))
    eligibility.territories.add(territory)
    values: dict[str, Any] = {
        "territory": territory, "title": "Budget participatif 2026", "eligibility": eligibility,
        "amount": 55000, "ballot_kind": BallotKind.APPROVAL_BUDGET,
        "proposals_opens_at": moment - datetime.timedelta(days=60),
        "proposals_closes_at": moment - datetime.timedelta(days=30),
        "vote_opens_at": moment - datetime.timedelta(days=1),
        "vote_closes_at": moment + datetime.timedelta(days=7),
        "status": BudgetStatus.PUBLISHED, "published_at": moment - datetime.timedelta(days=60),
    }
    values.update(changes)
    budget = Budget.objects.create(**values)
    titles = ["Aire de jeux", "Bancs du parc", "Boîte à livres", "Composteurs", "Fresque", "Jardin partagé"]
    for number, cost in enumerate(costs, start=1):
        Project.objects.create(
            budget=budget, code=str(number), title=titles[(number - 1) % len(titles)] + ("" if number <= 6 else f" {number}"),
            description="…", estimated_cost=cost, final_cost=cost, status=ProjectStatus.ELIGIBLE,
            reviewed_at=timezone.now(),
        )
    return budget


def verified(user: Any, commune: Territory) -> Any:
    Verification.objects.create(user=user, commune=commune, level=Level.RESIDENCE_CODE)
    return user


def pks(budget: Budget) -> dict[str, int]:
    """The budget's projects' pks by code."""
    return dict(Project.objects.filter(budget=budget).values_list("code", "pk"))
