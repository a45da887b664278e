"""Pages where members of an organisation propose events to its communes and follow them.

Every page needs a signed-in account; what a person may propose comes from their memberships
(clocher.agenda.proposals), never from the form: another organisation's proposal is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clocher.directory.models import Place
from clocher.directory.selectors import visible_places
from clocher.territories.http import PortalRequest
from clocher.territories.services import ActionRefused

from . import proposals
from .forms import EventForm, EventProposalForm


def _places(request: PortalRequest) -> QuerySet[Place]:
    """The directory's places in the communes where the person's organisations act."""
    return visible_places(request.portal).filter(
        commune__in=proposals.proposal_communes(request.user, request.portal)
    )


def _refused(form: EventForm, exc: ActionRefused) -> None:
    if isinstance(exc, proposals.ProposalRefused):
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
    else:
        form.add_rejection(exc)


@login_required
def propose(request: PortalRequest) -> HttpResponse:
    organisations = proposals.proposing_organisations(request.user, request.portal)
    communes = proposals.proposal_communes(request.user, request.portal)
    context: dict[str, Any] = {
        "has_organisation": organisations.exists(),
        "left_today": proposals.proposals_left_today(request.user),
    }
    kwargs: dict[str, Any] = {"organisations": organisations, "communes": communes, "places": _places(request)}
    if request.method == "POST":
        form = EventProposalForm(request.POST, request.FILES, **kwargs)
        if form.is_valid():
            try:
                event = proposals.propose_event(
                    request.user, request.portal, form.cleaned_data["organisation"],
                    form.cleaned_data["commune"], form.event_data(), form.category_codes(),
                    image=form.new_image(),
                )
            except ActionRefused as exc:
                _refused(form, exc)
            else:
                messages.success(request, _(
                    "Merci ! « %(title)s » est envoyé à la commune, qui l'acceptera ou vous dira quoi corriger."
                ) % {"title": event.title})
                return redirect("agenda_proposals:mine")
    else:
        initial: dict[str, Any] = {}
        home = getattr(request.user, "home_commune_id", None)
        if home and communes.filter(pk=home).exists():
            initial["commune"] = home
        elif communes.count() == 1:
            initial["commune"] = communes.get().pk
        form = EventProposalForm(initial=initial, **kwargs)
    return render(request, "agenda_proposals/propose.html", {**context, "form": form, "event": None})


@login_required
def my_proposals(request: PortalRequest) -> HttpResponse:
    return render(request, "agenda_proposals/mine.html", {
        "proposals": proposals.proposals_of(request.user, request.portal),
        "has_organisation": proposals.proposing_organisations(request.user, request.portal).exists(),
    })


@login_required
def proposal_detail(request: PortalRequest, pk: int) -> HttpResponse:
    """One proposal: its outcome and the moderator's message; while it waits or after a refusal,
    the form to correct it and send it again."""
    event = proposals.access_proposal(request.user, request.portal, pk)
    form: EventForm | None = None
    if proposals.can_correct(event):
        if request.method == "POST":
            form = EventForm(request.POST, request.FILES, places=_places(request), event=event)
            if form.is_valid():
                image = form.new_image()
                try:
                    event = proposals.correct_proposal(
                        request.user, request.portal, event, form.event_data(), form.category_codes(),
                        image=image if image is not None or form.removes_image() else proposals.KEEP_IMAGE,
                    )
                except ActionRefused as exc:
                    _refused(form, exc)
                else:
                    messages.success(request, _("« %(title)s » est envoyé à nouveau à la commune.")
                                     % {"title": event.title})
                    return redirect("agenda_proposals:mine")
        else:
            form = EventForm(places=_places(request), event=event)
    return render(request, "agenda_proposals/proposal.html", {
        "event": event, "form": form, "rows": proposals.summary_rows(event),
        "left_today": proposals.proposals_left_today(request.user),
    })
