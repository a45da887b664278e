"""Resident pages of proposals: propose a place (or a change to one's own), and follow one's proposals.

Both pages need a signed-in account; the rules (verified e-mail, communes of the portal, own
places only, a daily limit) are the proposals services'.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clocher.territories.http import PortalRequest

from . import proposals
from .forms import ProposalForm, initial_from_place


@login_required
def propose(request: PortalRequest) -> HttpResponse:
    """GET ?lieu=<id> starts from one of the user's own places: the proposal is then a change to it."""
    place_id = request.POST.get("lieu") or request.GET.get("lieu")
    place = None
    if place_id:
        place = proposals.access_own_place(
            request.user, request.portal, int(place_id) if place_id.isdecimal() and len(place_id) < 10 else 0
        )
    communes = proposals.proposal_communes(request.portal)
    if request.method == "POST":
        form = ProposalForm(request.POST, communes=communes)
        if form.is_valid():
            try:
                proposals.propose_place(
                    request.user, request.portal, form.cleaned_data["commune"], form.place_data(),
                    form.category_slugs(), place=place,
                )
            except proposals.ProposalRefused as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, _("Merci ! Votre proposition est envoyée à la commune, "
                                            "qui l'acceptera ou la refusera."))
                return redirect("directory:my_proposals")
    else:
        if place is not None:
            initial = {**initial_from_place(place), "commune": place.commune_id}
        else:
            home = getattr(request.user, "home_commune_id", None)
            initial = {"commune": home} if home and communes.filter(pk=home).exists() else {}
        form = ProposalForm(initial=initial, communes=communes)
    return render(request, "directory/proposals/propose.html", {
        "form": form, "place": place,
        "can_propose": proposals.has_verified_email(request.user),
        "left_today": proposals.proposals_left_today(request.user),
    })


@login_required
def my_proposals(request: PortalRequest) -> HttpResponse:
    return render(request, "directory/proposals/mine.html", {
        "proposals": proposals.proposals_of(request.user, request.portal),
        "own_places": proposals.own_places(request.user, request.portal),
    })
