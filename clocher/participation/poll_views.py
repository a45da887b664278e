"""The resident's pages of polls: a commune's polls, a poll with its ballot, its results and their CSV.

A poll is found through the portal (`access_poll`): a draft or another portal's poll is a 404. Every
page works without JavaScript: the ballot is a plain form of radio buttons or checkboxes, and the
chart is an SVG drawn on the server beside the same numbers written out in a table.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from clocher.territories.http import PortalRequest
from clocher.territories.selectors import access_commune

from . import poll_selectors, poll_services
from .eligibility import can_take_part
from .fixes import fixes_for
from .models import Participation
from .polls import Poll, PollKind
from .services import ParticipationRefused


@require_GET
@never_cache
def poll_list(request: PortalRequest, code: str) -> HttpResponse:
    """The polls that concern a commune: open, coming, closed; which ones the person answered."""
    commune = access_commune(request.portal, code)
    polls = list(poll_selectors.polls_for_commune(request.portal, commune))
    voted: set[int] = set()
    if request.user.is_authenticated and polls:
        voted = set(
            Participation.objects.filter(
                content_type=ContentType.objects.get_for_model(Poll), user=request.user,
                object_id__in=[poll.pk for poll in polls],
            ).values_list("object_id", flat=True)
        )
    return render(request, "participation/polls/list.html", {
        "commune": commune, "groups": poll_selectors.split_by_state(polls), "voted": voted,
    })


@require_http_methods(["GET", "POST"])
@never_cache
def poll_detail(request: PortalRequest, pk: int) -> HttpResponse:
    """The poll, and its ballot when the person may vote; a POST casts the ballot."""
    poll = poll_selectors.access_poll(request.portal, pk)
    state = poll_selectors.state_of(poll)
    errors: list[str] = []
    chosen: set[str] = set()
    status = 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(reverse("account_login") + "?" + urlencode({"next": request.path}))
        chosen = set(request.POST.getlist("option"))
        try:
            poll_services.vote(request.user, poll, chosen)
        except ParticipationRefused as exc:
            errors = exc.reasons
            status = 409 if poll_selectors.has_voted(request.user, poll) else 400
        else:
            messages.success(request, _("Merci : votre vote est enregistré."))
            return redirect("polls:detail", pk=poll.pk)
    voted = poll_selectors.has_voted(request.user, poll)
    reasons: list[str] = []
    if state == "open" and not voted:
        reasons = can_take_part(request.user, poll.eligibility).reasons
    options = list(poll.options.all())
    return render(request, "participation/polls/detail.html", {
        "poll": poll, "state": state, "voted": voted, "reasons": reasons,
        "fixes": fixes_for(request, poll.eligibility) if reasons else [], "options": options,
        "errors": errors, "chosen": chosen, "is_multiple": poll.kind == PollKind.MULTIPLE,
        "results_visible": poll_selectors.results_visible(poll, request.user),
    }, status=status)


@require_GET
@never_cache
def poll_results(request: PortalRequest, pk: int) -> HttpResponse:
    """The results, as a chart and a table, to those the poll lets see them now; others are told when."""
    poll = poll_selectors.access_poll(request.portal, pk)
    visible = poll_selectors.results_visible(poll, request.user)
    return render(request, "participation/polls/results.html", {
        "poll": poll, "state": poll_selectors.state_of(poll), "visible": visible,
        "results": poll_selectors.results(poll) if visible else None,
        "voted": poll_selectors.has_voted(request.user, poll),
    })


@require_GET
@never_cache
def poll_results_csv(request: PortalRequest, pk: int) -> HttpResponse:
    """The results as CSV, to whoever may see them on the page; 404 to the others."""
    poll = poll_selectors.access_poll(request.portal, pk)
    if not poll_selectors.results_visible(poll, request.user):
        raise Http404(_("Résultats pas encore publiés."))
    return csv_response(poll)


def csv_response(poll: Poll) -> HttpResponse:
    response = HttpResponse(
        poll_selectors.results_csv(poll, poll_selectors.results(poll)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="sondage-{poll.pk}-resultats.csv"'
    return response
