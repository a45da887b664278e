"""Reads of participatory budgets that encode who sees what: a budget's phase, the budgets a commune's
residents see, a budget by its number within a portal, a staff territory's budgets, and the keyed
digest that finds a voter's own ballot.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clocher.territories.models import Portal, Territory
from clocher.territories.selectors import (
    ancestors,
    is_in_portal,
    is_module_enabled,
    territories_of_portal,
)

from .budgets import Budget, BudgetStatus, Project, ProjectStatus
from .eligibility import concerning


class Phase:
    """The phases of a budget, in order. A draft has the phase DRAFT whatever its dates."""

    DRAFT = "draft"
    ANNOUNCED = "announced"  # published, proposals not open yet
    PROPOSALS = "proposals"  # residents submit, comment and support projects
    REVIEW = "review"  # staff study the projects; the vote is not open yet
    VOTE = "vote"
    COUNTING = "counting"  # the vote is closed, results not published yet
    RESULTS = "results"  # results published; the winners' follow-up goes on from here

    ORDER = (DRAFT, ANNOUNCED, PROPOSALS, REVIEW, VOTE, COUNTING, RESULTS)
    LABELS = {
        DRAFT: gettext_lazy("Brouillon"),
        ANNOUNCED: gettext_lazy("Annoncé"),
        PROPOSALS: gettext_lazy("Dépôt des projets"),
        REVIEW: gettext_lazy("Étude des projets"),
        VOTE: gettext_lazy("Vote"),
        COUNTING: gettext_lazy("Dépouillement"),
        RESULTS: gettext_lazy("Résultats et suivi"),
    }


def phase_of(budget: Budget, now: datetime.datetime | None = None) -> str:
    """The budget's phase now (a `Phase` value), read from its status and dates."""
    moment = now or timezone.now()
    if budget.status != BudgetStatus.PUBLISHED:
        return Phase.DRAFT
    if budget.results_published_at is not None and budget.results_published_at <= moment:
        return Phase.RESULTS
    if moment >= budget.vote_closes_at:
        return Phase.COUNTING
    if moment >= budget.vote_opens_at:
        return Phase.VOTE
    if moment >= budget.proposals_closes_at:
        return Phase.REVIEW
    if moment >= budget.proposals_opens_at:
        return Phase.PROPOSALS
    return Phase.ANNOUNCED


def published_budgets() -> QuerySet[Budget]:
    return Budget.objects.filter(status=BudgetStatus.PUBLISHED).select_related("territory")


def budgets_for_commune(portal: Portal, commune: Territory) -> QuerySet[Budget]:
    """The published budgets a resident of `commune` is concerned by: those reserved to the commune
    or a territory it is part of, and those open to everyone that its own territories run (the
    commune, its EPCI, its département...), within the portal."""
    chain = [t.pk for t in ancestors(commune)]
    ids = published_budgets().filter(concerning(chain)).values("pk")
    return (
        published_budgets().filter(pk__in=ids, territory__in=territories_of_portal(portal))
        .order_by("-vote_closes_at", "-pk")
    )


def access_budget(portal: Portal, pk: int) -> Budget:
    """A published budget run by a territory of the portal, or 404 (a draft, another portal's)."""
    budget = published_budgets().select_related("eligibility").filter(pk=pk).first()
    if (budget is None or not is_in_portal(portal, budget.territory)
            or not is_module_enabled(portal, budget.territory, "participation")):
        raise Http404(_("Budget participatif introuvable."))
    return budget


def public_projects(budget: Budget) -> QuerySet[Project]:
    """The projects of a budget anyone may see: not hidden by moderators, not withdrawn."""
    return (
        Project.objects.filter(budget=budget, hidden_at__isnull=True)
        .exclude(status=ProjectStatus.WITHDRAWN).select_related("commune").defer("commune__boundary")
    )


def access_project(budget: Budget, pk: int) -> Project:
    """A public project of the budget, or 404 (hidden, withdrawn, or of another budget)."""
    project = public_projects(budget).filter(pk=pk).first()
    if project is None:
        raise Http404(_("Projet introuvable."))
    return project


def ballot_projects(budget: Budget) -> QuerySet[Project]:
    """The projects on the vote's ballot: the eligible ones that are not hidden."""
    return public_projects(budget).filter(status=ProjectStatus.ELIGIBLE).order_by("title", "pk")


def budgets_of(territory: Territory) -> QuerySet[Budget]:
    """The budgets a staff territory runs, newest first, with their project and ballot counts."""
    return (
        Budget.objects.filter(territory=territory)
        .annotate(project_count=Count("projects", distinct=True), ballot_count=Count("ballots", distinct=True))
        .order_by("-created_at", "-pk")
    )


def access_staff_budget(territory: Territory, budget_id: int) -> Budget:
    """A budget `territory` runs, or 404 (another territory's budget too)."""
    budget = Budget.objects.filter(pk=budget_id, territory=territory).select_related("territory", "eligibility").first()
    if budget is None:
        raise Http404(_("Budget participatif introuvable."))
    return budget


def voter_key(budget: Budget, user: Any) -> str:
    """The keyed digest that marks `user`'s online ballot in `budget`: HMAC-SHA256 under the
    installation's secret key, so that the ballots table alone does not say who voted what."""
    message = f"clocher.budget-ballot:{budget.pk}:{user.pk}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
