"""Resident pages of proposals: propose a place (or a change to one's own), and follow one's proposals.

Both pages need a signed-in account; the rules (verified e-mail, an organisation of which the
user is a member, one of its communes, own places only, a daily limit) are the proposals services'.
Someone with no organisation is told how to register one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clocher.organisations.models import Organisation
from clocher.organisations.selectors import organisations_of
from clocher.territories.http import PortalRequest

from . import proposals
from .forms import ProposalForm, initial_from_place


class OrganisationProposalForm(ProposalForm):
    """A proposal made in the name of one of the user's organisations (it comes first)."""

    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Au nom de"), queryset=Organisation.objects.none(),
        help_text=gettext_lazy("L'association ou l'entreprise dont vous êtes membre qui propose ce lieu."),
    )
    field_order = ["organisation", "commune", "name"]

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organisations
        if len(organisations) == 1:
            field.empty_label = None


@login_required
def propose(request: PortalRequest) -> HttpResponse:
    """GET ?lieu=<id> starts from one of the user's own places: the proposal is then a change to it."""
    place_id = request.POST.get("lieu") or request.GET.get("lieu")
    place = None
    if place_id:
        place = proposals.access_own_place(
            request.user, request.portal, int(place_id) if place_id.isdecimal() and len(place_id) < 10 else 0
        )
    organisations = organisations_of(request.user, request.portal)
    communes = proposals.proposal_communes(request.portal, request.user)
    if request.method == "POST":
        form = OrganisationProposalForm(request.POST, communes=communes, organisations=organisations)
        if form.is_valid():
            try:
                proposals.propose_place(
                    request.user, request.portal, form.cleaned_data["commune"], form.place_data(),
                    form.category_slugs(), organisation=form.cleaned_data["organisation"], place=place,
                )
            except proposals.ProposalRefused as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, _("Merci ! Votre proposition est envoyée à la commune, "
                                            "qui l'acceptera ou la refusera."))
                return redirect("directory:my_proposals")
    else:
        initial: dict[str, Any]
        if place is not None:
            initial = {**initial_from_place(place), "commune": place.commune_id}
        else:
            home = getattr(request.user, "home_commune_id", None)
            initial = {"commune": home} if home and communes.filter(pk=home).exists() else {}
        form = OrganisationProposalForm(initial=initial, communes=communes, organisations=organisations)
    return render(request, "directory/proposals/propose.html", {
        "form": form, "place": place, "has_organisation": organisations.exists(),
        "can_propose": proposals.has_verified_email(request.user),
        "left_today": proposals.proposals_left_today(request.user),
    })


@login_required
def my_proposals(request: PortalRequest) -> HttpResponse:
    rows = [
        (proposal, (proposals.organisation_of(proposal) or {}).get("name", ""))
        for proposal in proposals.proposals_of(request.user, request.portal)
    ]
    return render(request, "directory/proposals/mine.html", {
        "rows": rows,
        "own_places": proposals.own_places(request.user, request.portal),
    })
