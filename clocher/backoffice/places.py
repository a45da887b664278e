"""Staff pages for places (/gestion/<territory>/lieux/) and place proposals (/gestion/<territory>/propositions/).

Places: editors and admins of a territory list, create, edit, publish and archive the places the
territory publishes, and add photos. Proposals: moderators and admins of a commune accept or refuse
what residents proposed there. As in views.py, the territory comes from the URL through
`access_staff_territory` first (404 across territories and portals), then the object is looked up
within that territory only.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from clocher.directory import proposals as proposal_services
from clocher.directory.forms import MAX_PHOTOS, DecisionForm, PhotoForm, StaffPlaceForm
from clocher.directory.models import Place, PlacePhoto, PlaceProposal, ProposalStatus
from clocher.directory.photos import add_place_photo, move_place_photo, remove_place_photo
from clocher.directory.services import (
    PlaceRejected,
    archive_place,
    create_place,
    publish_place,
    update_place,
)
from clocher.territories.content import Status
from clocher.territories.http import PortalRequest
from clocher.territories.models import Role, Territory
from clocher.territories.services import EDIT_ROLES

from .views import _access, _page, _report, staff_view

PLACES_PAGE_SIZE = 50
MODERATION_ROLES = (Role.ADMIN, Role.MODERATOR)


def _place_of(territory: Territory, place_id: int) -> Place:
    place = Place.objects.filter(pk=place_id, territory=territory).first()
    if place is None:
        raise Http404(_("Lieu introuvable."))
    return place


@staff_view
def place_list(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    places = Place.objects.filter(territory=territory).select_related("commune").order_by("name", "pk")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        places = places.filter(Q(name__icontains=query) | Q(city__icontains=query))
    status = request.GET.get("etat", "")
    if status in Status.values:
        places = places.filter(status=status)
    page = Paginator(places, PLACES_PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(request, "backoffice/places/list.html", territory, page=page, query=query,
                 status=status, statuses=Status.choices)


@staff_view
def place_create(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    form = StaffPlaceForm(request.POST if request.method == "POST" else None, territory=territory)
    if request.method == "POST" and form.is_valid():
        try:
            place = create_place(request.user, territory, form.place_data(), form.category_slugs())
            if "publish" in request.POST:
                place = publish_place(request.user, place)
        except PlaceRejected as exc:
            _add_rejection(form, exc)
        else:
            messages.success(request, _("Le lieu « %(name)s » est enregistré.") % {"name": place.name})
            return redirect("backoffice:place_edit", territory_id=territory.pk, place_id=place.pk)
    return _page(request, "backoffice/places/form.html", territory, form=form, place=None)


@staff_view
def place_edit(request: PortalRequest, territory_id: int, place_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    place = _place_of(territory, place_id)
    if request.method == "POST":
        form = StaffPlaceForm(request.POST, place=place, territory=territory)
        if form.is_valid():
            try:
                place = update_place(request.user, place, form.place_data(), form.category_slugs())
                if "publish" in request.POST and place.status != Status.PUBLISHED:
                    place = publish_place(request.user, place)
            except PlaceRejected as exc:
                _add_rejection(form, exc)
            else:
                messages.success(request, _("Le lieu « %(name)s » est enregistré.") % {"name": place.name})
                return redirect("backoffice:place_edit", territory_id=territory.pk, place_id=place.pk)
    else:
        form = StaffPlaceForm(place=place, territory=territory)
    return _page(request, "backoffice/places/form.html", territory, form=form, place=place,
                 photos=list(place.photos.all()), photo_form=PhotoForm(), max_photos=MAX_PHOTOS)


@staff_view
def place_publish(request: PortalRequest, territory_id: int, place_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    place = _place_of(territory, place_id)
    if request.method == "POST":
        _report(request, lambda: publish_place(request.user, place),
                _("« %(name)s » est publié.") % {"name": place.name})
        return redirect("backoffice:place_edit", territory_id=territory.pk, place_id=place.pk)
    return _confirm(request, territory, place,
                    _("Publier « %(name)s » ?") % {"name": place.name}, _("Publier"), danger=False)


@staff_view
def place_archive(request: PortalRequest, territory_id: int, place_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    place = _place_of(territory, place_id)
    if request.method == "POST":
        _report(request, lambda: archive_place(request.user, place),
                _("« %(name)s » est archivé : il n'apparaît plus sur le portail.") % {"name": place.name})
        return redirect("backoffice:places", territory_id=territory.pk)
    return _confirm(request, territory, place,
                    _("Archiver « %(name)s » ?") % {"name": place.name}, _("Archiver le lieu"),
                    explanation=_("Le lieu n'apparaîtra plus sur le portail. Il reste enregistré : "
                                  "vous pourrez le publier à nouveau."))


@staff_view
def place_photo_add(request: PortalRequest, territory_id: int, place_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    place = _place_of(territory, place_id)
    photo_form = PhotoForm(request.POST if request.method == "POST" else None, request.FILES or None)
    if request.method == "POST" and photo_form.is_valid():
        try:
            add_place_photo(
                request.user, place, photo_form.cleaned_data["image"],
                alt=photo_form.cleaned_data["alt"], credit=photo_form.cleaned_data["credit"],
            )
        except PlaceRejected as exc:
            photo_form.add_error(None, str(exc))
        else:
            messages.success(request, _("La photo est ajoutée."))
            return redirect("backoffice:place_edit", territory_id=territory.pk, place_id=place.pk)
    return _page(request, "backoffice/places/form.html", territory, form=StaffPlaceForm(place=place, territory=territory),
                 place=place, photos=list(place.photos.all()), photo_form=photo_form, max_photos=MAX_PHOTOS)


@staff_view
def place_photo_remove(request: PortalRequest, territory_id: int, place_id: int, photo_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    place = _place_of(territory, place_id)
    photo = PlacePhoto.objects.filter(pk=photo_id, place=place).first()
    if photo is None:
        raise Http404(_("Photo introuvable."))
    if request.method == "POST":
        _report(request, lambda: remove_place_photo(request.user, photo), _("La photo est retirée."))
        return redirect("backoffice:place_edit", territory_id=territory.pk, place_id=place.pk)
    return _confirm(request, territory, place, _("Retirer la photo « %(alt)s » ?") % {"alt": photo.alt},
                    _("Retirer la photo"))


@staff_view
def place_photo_move(
    request: PortalRequest, territory_id: int, place_id: int, photo_id: int, direction: str
) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    place = _place_of(territory, place_id)
    photo = PlacePhoto.objects.filter(pk=photo_id, place=place).first()
    if photo is None:
        raise Http404(_("Photo introuvable."))
    if direction not in ("avant", "apres"):
        raise Http404(_("Page introuvable."))
    offset = -1 if direction == "avant" else 1
    if request.method == "POST":
        _report(request, lambda: move_place_photo(request.user, photo, offset), _("L'ordre des photos est enregistré."))
        return redirect("backoffice:place_edit", territory_id=territory.pk, place_id=place.pk)
    question = (_("Avancer la photo « %(alt)s » d'un rang ?") if offset < 0
                else _("Reculer la photo « %(alt)s » d'un rang ?")) % {"alt": photo.alt}
    return _confirm(request, territory, place, question, _("Déplacer la photo"), danger=False)


def _confirm(
    request: PortalRequest, territory: Territory, place: Place, question: str, button: str,
    *, explanation: str = "", danger: bool = True,
) -> HttpResponse:
    return _page(request, "backoffice/places/confirm.html", territory, place=place, question=question,
                 button=button, explanation=explanation, danger=danger)


def _add_rejection(form: StaffPlaceForm, exc: PlaceRejected) -> None:
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, str(exc))


# Proposals

@staff_view
def proposal_list(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, MODERATION_ROLES)
    pending = PlaceProposal.objects.filter(commune=territory, status=ProposalStatus.PENDING).select_related(
        "proposer", "place"
    ).order_by("created_at", "pk")
    decided = PlaceProposal.objects.filter(commune=territory).exclude(status=ProposalStatus.PENDING).select_related(
        "proposer", "place"
    ).order_by("-decided_at", "-pk")[:20]
    return _page(request, "backoffice/places/proposals.html", territory, pending=pending, decided=decided)


@staff_view
def proposal_detail(request: PortalRequest, territory_id: int, proposal_id: int) -> HttpResponse:
    territory = _access(request, territory_id, MODERATION_ROLES)
    proposal = PlaceProposal.objects.filter(pk=proposal_id, commune=territory).select_related(
        "proposer", "place"
    ).first()
    if proposal is None:
        raise Http404(_("Proposition introuvable."))
    form = DecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        accept = request.POST.get("decision") == "accept"
        try:
            if accept:
                proposal_services.accept_proposal(request.user, proposal, form.cleaned_data["message"])
            else:
                proposal_services.refuse_proposal(request.user, proposal, form.cleaned_data["message"])
        except proposal_services.ProposalRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("La proposition est acceptée : le lieu est publié.") if accept
                             else _("La proposition est refusée ; le proposant verra votre message."))
            return redirect("backoffice:proposals", territory_id=territory.pk)
    return _page(request, "backoffice/places/proposal.html", territory, proposal=proposal, form=form,
                 rows=proposal_services.readable_data(proposal))
