"""The resident's pages of a participatory budget's vote (the ballot, its summary) and results.

A budget is found through the portal (`access_budget`): a draft or another portal's budget is a 404.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from clocher.territories.http import PortalRequest

from .budget_selectors import Phase, access_budget, phase_of


@require_http_methods(["GET", "POST"])
@never_cache
def vote(request: PortalRequest, pk: int) -> HttpResponse:
    """The ballot of the budget's vote (being built: the budget and its phase for now)."""
    budget = access_budget(request.portal, pk)
    return render(request, "participation/budgets/vote.html", {"budget": budget, "phase": phase_of(budget)})


@require_GET
@never_cache
def results(request: PortalRequest, pk: int) -> HttpResponse:
    """The published results (being built)."""
    budget = access_budget(request.portal, pk)
    if phase_of(budget) != Phase.RESULTS:
        raise Http404(_("Résultats pas encore publiés."))
    return render(request, "participation/budgets/results.html", {"budget": budget})
