"""Resident pages of organisations: the public list and page, and "Mes associations", where a member
sees their organisations, a manager edits details and members, and a resident asks to register one.

Views parse the request, find the organisation through a selector (another portal's, or one the
person does not belong to, is a 404), call one service, and redirect after a POST.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clocher.territories.http import PortalRequest
from clocher.territories.models import TerritoryKind
from clocher.territories.selectors import communes_within, territories_of_portal

from . import selectors, services
from .forms import MemberForm, OrganisationForm, RequestForm, SearchForm
from .models import MemberRole, Membership, Organisation, OrganisationStatus
from .templatetags.organisations import phone_display

PAGE_SIZE = 30


def organisation_url(organisation: Organisation) -> str:
    slug = slugify(organisation.name)[:60] or "association"
    return reverse("organisations:detail", kwargs={"pk": organisation.pk, "slug": slug})


def _portal_communes(request: PortalRequest) -> Any:
    return territories_of_portal(request.portal).filter(
        kind=TerritoryKind.COMMUNE, is_active=True
    ).order_by("search_name", "name")


def _add_errors(form: Any, exc: services.OrganisationRefused) -> None:
    field = exc.field if exc.field in form.fields else None
    if field == "communes" and "seat" in form.fields and not form.cleaned_data.get("communes"):
        field = "seat"
    form.add_error(field, str(exc))


def organisation_list(request: PortalRequest) -> HttpResponse:
    form = SearchForm(request.GET or None, communes=selectors.public_communes(request.portal))
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "q": form.cleaned_data.get("q") or "",
            "commune": form.cleaned_data.get("commune"),
            "kind": form.cleaned_data.get("kind") or "",
        }
    organisations = selectors.search_public_organisations(request.portal, **filters).prefetch_related("communes")
    page = Paginator(organisations, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(organisation, organisation_url(organisation)) for organisation in page.object_list]
    return render(request, "organisations/list.html", {
        "form": form, "page": page, "rows": rows, "filtered": any(filters.values()),
    })


def organisation_detail(request: PortalRequest, pk: int, slug: str | None = None) -> HttpResponse:
    organisation = selectors.access_public_organisation(request.portal, pk)
    canonical = organisation_url(organisation)
    if request.path != canonical:
        return HttpResponsePermanentRedirect(canonical)
    return render(request, "organisations/detail.html", {
        "organisation": organisation,
        "communes": list(selectors.communes_of(organisation)),
        "is_member": selectors.is_member(request.user, organisation),
    })


@login_required
def my_organisations(request: PortalRequest) -> HttpResponse:
    return render(request, "organisations/mine.html", {
        "memberships": list(selectors.memberships_of(request.user, request.portal)),
        "can_request": services.has_verified_email(request.user),
        "requests_left": services.requests_left_today(request.user),
    })


@login_required
def request_registration(request: PortalRequest) -> HttpResponse:
    communes = _portal_communes(request)
    if request.method == "POST":
        form = RequestForm(request.POST, communes=communes)
        if form.is_valid():
            try:
                organisation = services.request_organisation(
                    request.user, request.portal, form.details(), form.chosen_communes()
                )
            except services.OrganisationRefused as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Merci ! La demande pour %(name)s est envoyée à la commune, qui "
                                            "l'acceptera ou la refusera.") % {"name": organisation.name})
                return redirect("organisations:mine")
    else:
        home = getattr(request.user, "home_commune_id", None)
        initial = {"seat": home} if home and communes.filter(pk=home).exists() else {}
        form = RequestForm(initial=initial, communes=communes)
    return render(request, "organisations/request.html", {
        "form": form,
        "can_request": services.has_verified_email(request.user),
        "requests_left": services.requests_left_today(request.user),
    })


def _managed(request: PortalRequest, pk: int) -> tuple[Organisation, Membership]:
    organisation, membership = selectors.access_my_organisation(request.user, request.portal, pk)
    return organisation, membership


def _can_manage(organisation: Organisation, membership: Membership) -> bool:
    return membership.role == MemberRole.MANAGER and organisation.status == OrganisationStatus.ACTIVE


def _scope_communes(organisation: Organisation) -> Any:
    return communes_within(services.scope_of(organisation.territory))


@login_required
def manage(request: PortalRequest, pk: int) -> HttpResponse:
    """A member's view of their organisation; its managers edit the details here (POST)."""
    organisation, membership = _managed(request, pk)
    can_manage = _can_manage(organisation, membership)
    form = None
    if can_manage:
        initial = {name: getattr(organisation, name) for name in (
            "kind", "name", "description", "email", "phone", "website", "address", "official_id")}
        initial["communes"] = list(organisation.communes.values_list("pk", flat=True))
        initial["phone"] = phone_display(organisation.phone)
        communes = _scope_communes(organisation)
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
                    _add_errors(form, exc)
                else:
                    messages.success(request, _("Les informations de %(name)s sont enregistrées.")
                                     % {"name": organisation.name})
                    return redirect("organisations:manage", pk=organisation.pk)
        else:
            form = OrganisationForm(initial=initial, communes=communes, has_logo=bool(organisation.logo))
    elif request.method == "POST":
        raise Http404
    return render(request, "organisations/manage.html", {
        "organisation": organisation, "membership": membership, "can_manage": can_manage, "form": form,
        "public_url": organisation_url(organisation) if organisation.is_active else "",
    })


@login_required
def members(request: PortalRequest, pk: int) -> HttpResponse:
    """A manager adds a member by e-mail (POST); GET shows the members on the organisation's page."""
    organisation, membership = _managed(request, pk)
    if not _can_manage(organisation, membership):
        raise Http404
    form = MemberForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_member(request.user, organisation, form.cleaned_data["email"], form.cleaned_data["role"])
        except services.OrganisationRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("%(email)s est ajouté ; un e-mail le lui annonce.")
                             % {"email": form.cleaned_data["email"]})
            return redirect("organisations:members", pk=organisation.pk)
    return render(request, "organisations/members.html", {
        "organisation": organisation, "members": list(selectors.members_of(organisation)), "member_form": form,
    })


def _membership_of(organisation: Organisation, membership_id: int) -> Membership:
    found = Membership.objects.filter(pk=membership_id, organisation=organisation).select_related("user").first()
    if found is None:
        raise Http404
    return found


@login_required
def member_action(request: PortalRequest, pk: int, membership_id: int) -> HttpResponse:
    """Removes a member, or changes their role (POST only, from the members page)."""
    organisation, membership = _managed(request, pk)
    if not _can_manage(organisation, membership):
        raise Http404
    target = _membership_of(organisation, membership_id)
    if request.method != "POST":
        return redirect("organisations:members", pk=organisation.pk)
    action = request.POST.get("action")
    try:
        if action == "remove":
            services.remove_member(request.user, target)
            messages.success(request, _("%(email)s ne fait plus partie de %(name)s.")
                             % {"email": target.user.email, "name": organisation.name})
        elif action in MemberRole.values:
            services.set_member_role(request.user, target, action)
            messages.success(request, _("Le rôle de %(email)s est enregistré.") % {"email": target.user.email})
        else:
            messages.error(request, _("Action inconnue."))
    except services.OrganisationRefused as exc:
        messages.error(request, str(exc))
    if action == "remove" and target.user_id == request.user.pk:
        return redirect("organisations:mine")
    return redirect("organisations:members", pk=organisation.pk)


@login_required
@require_POST
def leave(request: PortalRequest, pk: int) -> HttpResponse:
    organisation, _membership = _managed(request, pk)
    try:
        services.leave_organisation(request.user, organisation)
    except services.OrganisationRefused as exc:
        messages.error(request, str(exc))
        return redirect("organisations:manage", pk=organisation.pk)
    messages.success(request, _("Vous avez quitté %(name)s.") % {"name": organisation.name})
    return redirect("organisations:mine")
