"""Staff pages for associations and businesses (/gestion/<territory>/associations/).

Staff of a territory (admins, editors, moderators) list the organisations it registered or
moderates, register one directly, change its details and members; moderators and admins accept
or refuse residents' requests with a message, and suspend or reactivate an account. As in
views.py, the territory comes from the URL through `access_staff_territory` first (404 across
territories and portals), then the organisation is looked up within that territory only: a role on
Auch opens nothing of Marciac's organisations.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext as _

from clocher.organisations import selectors, services
from clocher.organisations.forms import DETAIL_FIELDS, DecisionForm, MemberForm, OrganisationForm
from clocher.organisations.models import Membership, Organisation, OrganisationStatus
from clocher.organisations.templatetags.organisations import phone_display
from clocher.territories.http import PortalRequest
from clocher.territories.models import Territory
from clocher.territories.selectors import communes_within, roles_of

from .views import _access, _page, _report, staff_view

PAGE_SIZE = 50
MODERATION_ROLES = services.MODERATION_ROLES


def _organisation_of(territory: Territory, organisation_id: int) -> Organisation:
    return selectors.access_territory_organisation(territory, organisation_id)


def _membership_of(organisation: Organisation, membership_id: int) -> Membership:
    membership = Membership.objects.filter(pk=membership_id, organisation=organisation).select_related("user").first()
    if membership is None:
        raise Http404(_("Membre introuvable."))
    return membership


def _communes(territory: Territory) -> Any:
    return communes_within(services.scope_of(territory))


def _can_moderate(request: PortalRequest, territory: Territory) -> bool:
    return bool(roles_of(request.user, territory) & set(MODERATION_ROLES))


@staff_view
def organisation_list(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, services.STAFF_ROLES)
    status = request.GET.get("etat", "")
    if status not in OrganisationStatus.values:
        status = ""
    organisations = selectors.organisations_of_territory(territory, status or None)
    page = Paginator(organisations, PAGE_SIZE).get_page(request.GET.get("page"))
    pending = selectors.organisations_of_territory(territory, OrganisationStatus.PENDING).count()
    return _page(request, "backoffice/organisations/list.html", territory, page=page, status=status,
                 statuses=OrganisationStatus.choices, pending_count=pending)


@staff_view
def organisation_create(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, services.STAFF_ROLES)
    communes = _communes(territory)
    if request.method == "POST":
        form = OrganisationForm(request.POST, request.FILES, communes=communes)
        if form.is_valid():
            try:
                organisation = services.register_organisation(
                    request.user, territory, form.details(), form.chosen_communes(),
                    logo=form.cleaned_data.get("logo_upload"),
                )
            except services.OrganisationRefused as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, _("%(name)s est enregistrée : ajoutez maintenant son responsable.")
                                 % {"name": organisation.name})
                return redirect("backoffice:organisation_members", territory_id=territory.pk,
                                organisation_id=organisation.pk)
    else:
        initial = {"communes": [territory.pk]} if communes.filter(pk=territory.pk).exists() else {}
        form = OrganisationForm(initial=initial, communes=communes)
    return _page(request, "backoffice/organisations/form.html", territory, form=form, organisation=None)


@staff_view
def organisation_edit(request: PortalRequest, territory_id: int, organisation_id: int) -> HttpResponse:
    territory = _access(request, territory_id, services.STAFF_ROLES)
    organisation = _organisation_of(territory, organisation_id)
    communes = _communes(territory)
    if request.method == "POST":
        form = OrganisationForm(request.POST, request.FILES, communes=communes, has_logo=bool(organisation.logo))
        if form.is_valid():
            try:
                services.update_organisation(
                    request.user, organisation, form.details(), form.chosen_communes(),
                    logo=form.cleaned_data.get("logo_upload"),
                    remove_logo=bool(form.cleaned_data.get("remove_logo")),
                )
            except services.OrganisationRefused as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, _("Les informations de %(name)s sont enregistrées.")
                                 % {"name": organisation.name})
                return redirect("backoffice:organisation_edit", territory_id=territory.pk,
                                organisation_id=organisation.pk)
    else:
        initial: dict[str, Any] = {name: getattr(organisation, name) for name in DETAIL_FIELDS}
        initial["communes"] = list(organisation.communes.values_list("pk", flat=True))
        initial["phone"] = phone_display(organisation.phone)
        form = OrganisationForm(initial=initial, communes=communes, has_logo=bool(organisation.logo))
    return _page(
        request, "backoffice/organisations/form.html", territory, form=form, organisation=organisation,
        decision_form=DecisionForm(), may_moderate=_can_moderate(request, territory),
        members=list(selectors.members_of(organisation)),
    )


@staff_view
def organisation_decide(request: PortalRequest, territory_id: int, organisation_id: int) -> HttpResponse:
    """Approve or refuse a request, suspend or reactivate an account (POST, with a message)."""
    territory = _access(request, territory_id, MODERATION_ROLES)
    organisation = _organisation_of(territory, organisation_id)
    if request.method != "POST":
        return redirect("backoffice:organisation_edit", territory_id=territory.pk, organisation_id=organisation.pk)
    form = DecisionForm(request.POST)
    message = form.cleaned_data["message"] if form.is_valid() else ""
    decision = request.POST.get("decision", "")
    actions = {
        "approve": (services.approve_organisation, _("L'inscription est acceptée ; le demandeur est prévenu.")),
        "refuse": (services.refuse_organisation, _("L'inscription est refusée ; le demandeur lira votre message.")),
        "suspend": (services.suspend, _("Le compte est suspendu.")),
        "reactivate": (services.reactivate, _("Le compte est de nouveau actif.")),
    }
    if decision not in actions:
        messages.error(request, _("Action inconnue."))
    elif form.is_valid():
        action, success = actions[decision]
        _report(request, lambda: action(request.user, organisation, message), success)
    else:
        messages.error(request, _("Le message est trop long."))
    return redirect("backoffice:organisation_edit", territory_id=territory.pk, organisation_id=organisation.pk)


@staff_view
def organisation_members(request: PortalRequest, territory_id: int, organisation_id: int) -> HttpResponse:
    territory = _access(request, territory_id, services.STAFF_ROLES)
    organisation = _organisation_of(territory, organisation_id)
    form = MemberForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_member(request.user, organisation, form.cleaned_data["email"], form.cleaned_data["role"])
        except services.OrganisationRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("%(email)s est ajouté ; un e-mail le lui annonce.")
                             % {"email": form.cleaned_data["email"]})
            return redirect("backoffice:organisation_members", territory_id=territory.pk,
                            organisation_id=organisation.pk)
    return _page(request, "backoffice/organisations/members.html", territory, organisation=organisation,
                 members=list(selectors.members_of(organisation)), form=form)


@staff_view
def organisation_member_remove(
    request: PortalRequest, territory_id: int, organisation_id: int, membership_id: int
) -> HttpResponse:
    territory = _access(request, territory_id, services.STAFF_ROLES)
    organisation = _organisation_of(territory, organisation_id)
    membership = _membership_of(organisation, membership_id)
    if request.method == "POST":
        _report(request, lambda: services.remove_member(request.user, membership),
                _("%(email)s ne fait plus partie de %(name)s.")
                % {"email": membership.user.email, "name": organisation.name})
        return redirect("backoffice:organisation_members", territory_id=territory.pk, organisation_id=organisation.pk)
    return _page(request, "backoffice/organisations/remove_member.html", territory, organisation=organisation,
                 membership=membership)


_ORG = "<int:territory_id>/associations/<int:organisation_id>/"
urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:territory_id>/associations/", organisation_list, name="organisations"),
    path("<int:territory_id>/associations/nouvelle/", organisation_create, name="organisation_create"),
    path(_ORG, organisation_edit, name="organisation_edit"),
    path(_ORG + "decision/", organisation_decide, name="organisation_decide"),
    path(_ORG + "membres/", organisation_members, name="organisation_members"),
    path(_ORG + "membres/<int:membership_id>/retirer/", organisation_member_remove,
         name="organisation_member_remove"),
]

