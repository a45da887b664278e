"""The resident's pages of a participatory budget's vote (the ballot, "Votre bulletin") and results.

A budget is found through the portal (`access_budget`): a draft or another portal's budget is a 404.
The ballot works without JavaScript: "Vérifier mon bulletin" sends it to the server, which answers
with the total chosen and what remains (or the excess), and stores nothing; budget-ballot.js only
updates the same figures as boxes are ticked. A person sees their own ballot only, found by its
keyed digest (`own_ballot`), never anyone else's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import get_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from clocher.territories.http import PortalRequest

from .budget_results import export_pb, results_csv, results_of
from .budget_selectors import Phase, access_budget, ballot_projects, phase_of
from .budget_vote import (
    CHANGES_PER_HOUR,
    CheckedBallot,
    ballot_marks,
    check_ballot,
    euros,
    own_ballot,
    submit_ballot,
)
from .budget_vote_forms import invalid_marks, marks_from
from .budgets import BallotKind, Budget, Project
from .eligibility import can_take_part
from .fixes import fixes_for
from .services import ParticipationRefused


def _changes_key(budget: Budget, user: Any) -> str:
    return f"budgets:ballot-changes:{budget.pk}:{user.pk}"


def _may_change(budget: Budget, user: Any) -> bool:
    return int(cache.get(_changes_key(budget, user), 0)) < CHANGES_PER_HOUR


def _count_change(budget: Budget, user: Any) -> None:
    key = _changes_key(budget, user)
    cache.add(key, 0, timeout=3600)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)


@dataclass(frozen=True)
class BallotRow:
    """A project on the ballot form: its cost written out and what the form holds for it."""

    project: Project
    cost: str
    mark: int | None


def chosen_lines(budget: Budget, checked: CheckedBallot) -> list[tuple[str, str]]:
    """A ballot's choices as (project title, detail) lines for "Votre bulletin"."""
    lines = []
    for project, value in checked.items:
        if budget.ballot_kind == BallotKind.CUMULATIVE:
            detail = ngettext("%(count)s point", "%(count)s points", value) % {"count": value}
        elif budget.ballot_kind == BallotKind.RANKING:
            detail = _("rang %(rank)s") % {"rank": value}
        else:
            detail = euros(project.cost)
        lines.append((project.title, detail))
    return lines


def ballot_context(budget: Budget, projects: list[Project], marks: dict[int, int],
                   invalid: set[int] | None = None) -> dict[str, Any]:
    """What the ballot's fields and its running total need (shared with the staff paper form);
    `invalid`: the projects whose field held no whole number (`invalid_marks`)."""
    checked = check_ballot(budget, projects, marks)
    kind = budget.ballot_kind
    rank_choices = list(range(1, min(len(projects), budget.max_projects or len(projects)) + 1))
    return {
        "rows": [BallotRow(project, euros(project.cost), marks.get(project.pk)) for project in projects],
        "marks": marks, "invalid": invalid or set(), "kind": kind, "checked": checked, "lines": chosen_lines(budget, checked),
        "thousands": get_format("THOUSAND_SEPARATOR"),
        "is_approval": kind in (BallotKind.APPROVAL, BallotKind.APPROVAL_BUDGET),
        "shows_envelope": kind == BallotKind.APPROVAL_BUDGET,
        "rank_choices": rank_choices,
        "total": euros(checked.cost), "remaining": euros(max(budget.amount - checked.cost, 0)),
        "excess": euros(max(checked.cost - budget.amount, 0)), "over": checked.cost > budget.amount,
        "amount": euros(budget.amount),
        "points_left": max((budget.points or 0) - checked.points, 0),
        "points_over": checked.points > (budget.points or 0),
        "points_excess": max(checked.points - (budget.points or 0), 0),
    }


@require_http_methods(["GET", "POST"])
@never_cache
def vote(request: PortalRequest, pk: int) -> HttpResponse:
    """The ballot during the vote, the person's own ballot ("Votre bulletin"), or where the vote
    stands. A POST with action=check answers with the ballot's figures and refusals, storing
    nothing; any other POST casts or changes the ballot."""
    budget = access_budget(request.portal, pk)
    phase = phase_of(budget)
    user: Any = request.user
    projects = list(ballot_projects(budget)) if phase in (Phase.VOTE, Phase.COUNTING, Phase.RESULTS) else []
    ballot = own_ballot(budget, user)
    marks = ballot_marks(ballot) if ballot else {}
    editing = request.GET.get("modifier") == "1"
    errors: list[str] = []
    invalid: set[int] = set()
    checked_now = False
    status = 200
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect(reverse("account_login") + "?" + urlencode({"next": request.path}))
        editing = True
        marks, errors = marks_from(request.POST, budget, projects)
        invalid = invalid_marks(request.POST, budget, projects)
        if errors:
            status = 400
        elif request.POST.get("action") == "check":
            checked_now = True
            errors = check_ballot(budget, projects, marks).reasons
        elif ballot is not None and not _may_change(budget, user):
            errors = [_("Vous avez modifié votre bulletin de nombreuses fois : réessayez dans une heure.")]
            status = 429
        else:
            try:
                submit_ballot(user, budget, marks)
            except ParticipationRefused as exc:
                errors = exc.reasons
                status = 400
            else:
                if ballot is not None:
                    _count_change(budget, user)
                messages.success(request, _("Votre bulletin est modifié.") if ballot is not None
                                 else _("Merci : votre bulletin est enregistré."))
                return redirect("budgets:vote", pk=budget.pk)
    reasons: list[str] = []
    if phase == Phase.VOTE and ballot is None:
        reasons = can_take_part(user, budget.eligibility).reasons
    context = ballot_context(budget, projects, marks, invalid)
    return render(request, "participation/budgets/vote.html", {
        "budget": budget, "phase": phase, "ballot": ballot,
        "own_summary": ballot_context(budget, projects, ballot_marks(ballot)) if ballot else None,
        "show_form": phase == Phase.VOTE and not reasons and (ballot is None or editing),
        "reasons": reasons, "fixes": fixes_for(request, budget.eligibility) if reasons else [],
        "errors": errors, "checked_now": checked_now, **context,
    }, status=status)


def _published_results(request: PortalRequest, pk: int) -> tuple[Budget, Any]:
    budget = access_budget(request.portal, pk)
    if phase_of(budget) != Phase.RESULTS:
        raise Http404(_("Résultats pas encore publiés."))
    results = results_of(budget)
    if results is None:
        raise Http404(_("Résultats pas encore publiés."))
    return budget, results


@require_GET
@never_cache
def results(request: PortalRequest, pk: int) -> HttpResponse:
    """The published results: the winners, the envelope spent, every project's figures and why it
    won or lost, a chart with the same numbers in a table."""
    budget, found = _published_results(request, pk)
    return render(request, "participation/budgets/results.html", {"budget": budget, "results": found})


@require_GET
@never_cache
def results_csv_view(request: PortalRequest, pk: int) -> HttpResponse:
    budget, found = _published_results(request, pk)
    response = HttpResponse(results_csv(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="budget-{budget.pk}-resultats.csv"'
    return response


@require_GET
@never_cache
def results_pb(request: PortalRequest, pk: int) -> HttpResponse:
    """The vote as a Pabulib file (anonymous ballots, winners selected), once results are public."""
    budget, _found = _published_results(request, pk)
    return pb_response(budget, public=True)


def pb_response(budget: Budget, *, public: bool = False) -> HttpResponse:
    """The Pabulib file as a download; `public` numbers paper ballots (see `voter_ids`)."""
    response = HttpResponse(export_pb(budget, public=public), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="budget-{budget.pk}.pb"'
    return response
