"""Staff pages for a participatory budget's vote
(/gestion/<territory>/participation/budgets/<budget>/vote/).

Editors and admins of the territory that runs the budget enter the paper ballots cast at the mairie
(the same form and rules as online), list and delete them, count the vote once it is closed
("Dépouiller"), publish the results, read every figure of the count and export it as CSV or as a
Pabulib file. As everywhere in /gestion/, the territory comes from the URL through
`access_staff_territory` first (404 across territories and portals), then the budget is looked up
among that territory's own (`access_staff_budget`).
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from clocher.participation import budget_vote
from clocher.participation.budget_results import Results, results_csv, results_of
from clocher.participation.budget_selectors import access_staff_budget, ballot_projects, phase_of
from clocher.participation.budget_vote_forms import PaperBallotForm, invalid_marks, marks_from
from clocher.participation.budget_vote_views import ballot_context, pb_response
from clocher.participation.budgets import BallotSource, Budget, BudgetBallot
from clocher.territories.http import PortalRequest
from clocher.territories.models import Territory
from clocher.territories.services import EDIT_ROLES

from .views import _access, _page, _report, staff_view

ROLES = EDIT_ROLES
PAPER_SHOWN = 500


def _overview(
    request: PortalRequest, territory: Territory, budget: Budget, form: PaperBallotForm,
    marks: dict[int, int], errors: list[str], status: int = 200, invalid: set[int] | None = None,
) -> HttpResponse:
    projects = list(ballot_projects(budget))
    counts = dict.fromkeys(BallotSource.values, 0)
    for source in BudgetBallot.objects.filter(budget=budget).values_list("source", flat=True).iterator():
        counts[source] += 1
    paper = list(
        BudgetBallot.objects.filter(budget=budget, source=BallotSource.PAPER).order_by("label")[:PAPER_SHOWN]
    )
    response = _page(
        request, "backoffice/budget_votes/overview.html", territory, budget=budget, phase=phase_of(budget),
        counts=counts, ballots_total=sum(counts.values()), paper=paper, form=form, errors=errors,
        paper_open=budget_vote.paper_ballots_open(budget), rule_fits=budget_vote.rule_fits(budget.ballot_kind, budget.rule),
        results=results_of(budget), staff_entry=True, **ballot_context(budget, projects, marks, invalid),
    )
    response.status_code = status
    return response


@staff_view
@never_cache
def vote_overview(request: PortalRequest, territory_id: int, budget_id: int) -> HttpResponse:
    """The vote's ballots by source, the paper ballots and their form, count and publish."""
    territory = _access(request, territory_id, ROLES)
    budget = access_staff_budget(territory, budget_id)
    return _overview(request, territory, budget, PaperBallotForm(), {}, [])


@staff_view
@never_cache
def paper_add(request: PortalRequest, territory_id: int, budget_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    budget = access_staff_budget(territory, budget_id)
    if request.method != "POST":
        return redirect("backoffice:budget_vote", territory_id=territory.pk, budget_id=budget.pk)
    form = PaperBallotForm(request.POST)
    projects = list(ballot_projects(budget))
    marks, errors = marks_from(request.POST, budget, projects)
    if form.is_valid() and not errors:
        try:
            ballot = budget_vote.add_paper_ballot(request.user, budget, form.cleaned_data["label"], marks)
        except budget_vote.VoteRefused as exc:
            errors = [str(exc)]
        else:
            messages.success(request, _("Bulletin papier « %(label)s » enregistré.") % {"label": ballot.label})
            return redirect("backoffice:budget_vote", territory_id=territory.pk, budget_id=budget.pk)
    return _overview(request, territory, budget, form, marks, errors, status=400,
                     invalid=invalid_marks(request.POST, budget, projects))


def _paper_ballot(budget: Budget, ballot_id: str) -> BudgetBallot:
    try:
        key = uuid.UUID(ballot_id)
    except ValueError:
        raise Http404(_("Bulletin introuvable.")) from None
    ballot = BudgetBallot.objects.filter(pk=key, budget=budget, source=BallotSource.PAPER).first()
    if ballot is None:
        raise Http404(_("Bulletin introuvable."))
    return ballot


@staff_view
@never_cache
def paper_delete(request: PortalRequest, territory_id: int, budget_id: int, ballot_id: str) -> HttpResponse:
    """A confirmation page, then the deletion of one paper ballot."""
    territory = _access(request, territory_id, ROLES)
    budget = access_staff_budget(territory, budget_id)
    ballot = _paper_ballot(budget, ballot_id)
    if request.method != "POST":
        return _page(request, "backoffice/budget_votes/confirm_delete.html", territory, budget=budget, ballot=ballot)
    _report(request, lambda: budget_vote.delete_paper_ballot(request.user, budget, ballot),
            _("Bulletin papier « %(label)s » supprimé.") % {"label": ballot.label})
    return redirect("backoffice:budget_vote", territory_id=territory.pk, budget_id=budget.pk)


@staff_view
def count(request: PortalRequest, territory_id: int, budget_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    budget = access_staff_budget(territory, budget_id)
    if request.method == "POST" and _report(
        request, lambda: budget_vote.count_votes(request.user, budget),
        _("Le vote est dépouillé : relisez les résultats avant de les publier."),
    ):
        return redirect("backoffice:budget_vote_results", territory_id=territory.pk, budget_id=budget.pk)
    return redirect("backoffice:budget_vote", territory_id=territory.pk, budget_id=budget.pk)


@staff_view
def publish(request: PortalRequest, territory_id: int, budget_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    budget = access_staff_budget(territory, budget_id)
    if request.method == "POST":
        _report(request, lambda: budget_vote.publish_results(request.user, budget),
                _("Les résultats sont publiés : les habitants les voient."))
    return redirect("backoffice:budget_vote", territory_id=territory.pk, budget_id=budget.pk)


def _counted(territory: Territory, budget_id: int) -> tuple[Budget, Results]:
    budget = access_staff_budget(territory, budget_id)
    found = results_of(budget)
    if found is None:
        raise Http404(_("Ce vote n'est pas encore dépouillé."))
    return budget, found


@staff_view
@never_cache
def results(request: PortalRequest, territory_id: int, budget_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    budget, found = _counted(territory, budget_id)
    return _page(request, "backoffice/budget_votes/results.html", territory, budget=budget, results=found,
                 phase=phase_of(budget))


@staff_view
@never_cache
def results_csv_view(request: PortalRequest, territory_id: int, budget_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    budget, found = _counted(territory, budget_id)
    response = HttpResponse(results_csv(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="budget-{budget.pk}-resultats.csv"'
    return response


@staff_view
@never_cache
def results_pb(request: PortalRequest, territory_id: int, budget_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    budget, _found = _counted(territory, budget_id)
    return pb_response(budget)


_P = "<int:territory_id>/participation/budgets/<int:budget_id>/vote/"
urlpatterns: list[URLPattern | URLResolver] = [
    path(_P, vote_overview, name="budget_vote"),
    path(_P + "papier/", paper_add, name="budget_paper_add"),
    path(_P + "papier/<str:ballot_id>/supprimer/", paper_delete, name="budget_paper_delete"),
    path(_P + "depouiller/", count, name="budget_count"),
    path(_P + "publier/", publish, name="budget_publish_results"),
    path(_P + "resultats/", results, name="budget_vote_results"),
    path(_P + "resultats.csv", results_csv_view, name="budget_vote_csv"),
    path(_P + "resultats.pb", results_pb, name="budget_vote_pb"),
]
