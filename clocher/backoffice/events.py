"""Staff pages for events (/gestion/<territory>/agenda/) and for the events organisations propose.

Editors and admins of a territory list its events (coming ones first), create, edit, duplicate,
publish now or at a set time, cancel or postpone with a note for residents, restore, and archive.
Moderators and admins of a commune accept or refuse what organisations propose there. As in
views.py, the territory comes from the URL through `access_staff_territory` first (404 across
territories and portals), then the event is looked up within that territory only.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, Min, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clocher.agenda import services
from clocher.agenda.forms import DecisionForm, NoteForm, PublishForm, StaffEventForm
from clocher.agenda.models import Event, EventStatus
from clocher.agenda.proposals import decide_proposal, summary_rows
from clocher.directory.models import Place
from clocher.directory.selectors import communes_under, visible_places
from clocher.organisations.models import ReviewStatus
from clocher.territories.content import Status
from clocher.territories.http import PortalRequest
from clocher.territories.models import Role, Territory, TerritoryKind
from clocher.territories.services import EDIT_ROLES, ActionRefused

from .views import _access, _page, _report, audience_choices, staff_view

EVENTS_PAGE_SIZE = 30
MODERATION_ROLES = (Role.ADMIN, Role.MODERATOR)
PLACE_CHOICES_MAX = 300
# Proposals not yet accepted are the moderation queue's, not the agenda's.
IN_REVIEW = (ReviewStatus.PENDING, ReviewStatus.REFUSED)
WHEN_CHOICES = (
    ("", gettext_lazy("À venir et passés")), ("coming", gettext_lazy("À venir")), ("past", gettext_lazy("Passés")),
)


def _event_of(territory: Territory, event_id: int) -> Event:
    event = Event.objects.filter(pk=event_id, territory=territory).exclude(
        review_status__in=IN_REVIEW
    ).select_related("place", "commune", "organisation").first()
    if event is None:
        raise Http404(_("Événement introuvable."))
    return event


def _places_for(request: PortalRequest, territory: Territory) -> QuerySet[Place]:
    """The directory's places an event of this territory may take place at, as a select.

    A commune's places, or those in an EPCI's or a département's communes while they fit in a
    select a phone can scroll; beyond PLACE_CHOICES_MAX, only the places the territory publishes
    itself (others are written as a free address).
    """
    places = visible_places(request.portal).filter(communes_under(territory))
    if territory.kind != TerritoryKind.COMMUNE and places.count() > PLACE_CHOICES_MAX:
        places = places.filter(territory=territory)
    return places


def _state_filters() -> list[tuple[str, str]]:
    return [
        *((value, str(label)) for value, label in Status.choices),
        (EventStatus.CANCELLED.value, str(EventStatus.CANCELLED.label)),
        (EventStatus.POSTPONED.value, str(EventStatus.POSTPONED.label)),
    ]


@staff_view
def event_list(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    now = timezone.now()
    events = Event.objects.filter(territory=territory).exclude(review_status__in=IN_REVIEW).annotate(
        next_at=Min("occurrences__starts_at", filter=Q(occurrences__ends_at__gte=now)),
    ).select_related("commune", "place", "organisation")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        events = events.filter(title__icontains=query)
    state = request.GET.get("etat", "")
    if state in Status.values:
        events = events.filter(status=state)
    elif state in (EventStatus.CANCELLED, EventStatus.POSTPONED):
        events = events.filter(event_status=state)
    else:
        state = ""
    when = request.GET.get("quand", "")
    if when == "coming":
        events = events.filter(next_at__isnull=False)
    elif when == "past":
        events = events.filter(next_at__isnull=True)
    else:
        when = ""
    # Coming events by their next date, then the others, most recent first.
    events = events.order_by(F("next_at").asc(nulls_last=True), "-starts_at", "-pk")
    page = Paginator(events, EVENTS_PAGE_SIZE).get_page(request.GET.get("page"))
    pending = Event.objects.filter(territory=territory, review_status=ReviewStatus.PENDING).count()
    return _page(
        request, "backoffice/events/list.html", territory, page=page, query=query, state=state,
        states=_state_filters(), when=when, whens=WHEN_CHOICES, pending_proposals=pending,
    )


@staff_view
def event_create(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    places = _places_for(request, territory)
    if request.method == "POST":
        form = StaffEventForm(request.POST, request.FILES, places=places, audience=audience_choices(territory))
        if form.is_valid():
            at = form.cleaned_data.get("publish_at")
            publish = "publish" in request.POST
            status = (Status.SCHEDULED if at else Status.PUBLISHED) if publish else Status.DRAFT
            try:
                event = services.create_event(
                    request.user, territory, form.event_data(), form.category_codes(),
                    status=status, published_at=at if publish else None,
                    image=form.new_image(), audience=form.chosen_audience(),
                )
            except services.EventRejected as exc:
                form.add_rejection(exc)
            else:
                messages.success(request, _saved_message(event))
                return redirect("backoffice:event_edit", territory_id=territory.pk, event_id=event.pk)
    else:
        form = StaffEventForm(places=places, audience=audience_choices(territory))
    return _page(request, "backoffice/events/form.html", territory, form=form, event=None)


@staff_view
def event_edit(request: PortalRequest, territory_id: int, event_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    event = _event_of(territory, event_id)
    places = _places_for(request, territory)
    if event.place_id is not None:
        # A place the directory no longer shows stays choosable for the event that uses it.
        places = places | Place.objects.filter(pk=event.place_id)
    if request.method == "POST":
        form = StaffEventForm(
            request.POST, request.FILES, places=places, event=event, audience=audience_choices(territory)
        )
        if form.is_valid():
            image = form.new_image()
            try:
                event = services.update_event(
                    request.user, event, form.event_data(), form.category_codes(),
                    image=image if image is not None or form.removes_image() else services.KEEP_IMAGE,
                    audience=form.chosen_audience(),
                )
                if "publish" in request.POST and event.status != Status.PUBLISHED:
                    event = services.publish_event(request.user, event, form.cleaned_data.get("publish_at"))
            except services.EventRejected as exc:
                form.add_rejection(exc)
            else:
                messages.success(request, _saved_message(event))
                return redirect("backoffice:event_edit", territory_id=territory.pk, event_id=event.pk)
    else:
        form = StaffEventForm(places=places, event=event, audience=audience_choices(territory))
    return _page(request, "backoffice/events/form.html", territory, form=form, event=event)


def _saved_message(event: Event) -> str:
    if event.status == Status.PUBLISHED:
        return _("« %(title)s » est publié.") % {"title": event.title}
    if event.status == Status.SCHEDULED and event.published_at is not None:
        return _("« %(title)s » sera publié le %(date)s.") % {
            "title": event.title,
            "date": timezone.localtime(event.published_at).strftime("%d/%m/%Y à %H:%M"),
        }
    return _("« %(title)s » est enregistré en brouillon : il n'est pas encore publié.") % {"title": event.title}


@staff_view
def event_duplicate(request: PortalRequest, territory_id: int, event_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    event = _event_of(territory, event_id)
    if request.method == "POST":
        try:
            copy = services.duplicate_event(request.user, event)
        except services.EventRejected as exc:
            messages.error(request, str(exc))
            return redirect("backoffice:event_edit", territory_id=territory.pk, event_id=event.pk)
        messages.success(request, _("Voici la copie, en brouillon : changez la date, puis publiez-la."))
        return redirect("backoffice:event_edit", territory_id=territory.pk, event_id=copy.pk)
    return _confirm(request, territory, event, _("Dupliquer « %(title)s » ?") % {"title": event.title},
                    _("Dupliquer l'événement"), danger=False,
                    explanation=_("La copie est un brouillon : vous pourrez changer sa date avant de la publier."))


def _with_note(
    request: PortalRequest, territory_id: int, event_id: int, *, verb: Callable[..., object],
    question: str, button: str, success: str, explanation: str,
) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    event = _event_of(territory, event_id)
    form = NoteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        _report(request, lambda: verb(request.user, event, form.cleaned_data["note"]),
                success % {"title": event.title})
        return redirect("backoffice:event_edit", territory_id=territory.pk, event_id=event.pk)
    return _page(request, "backoffice/events/confirm.html", territory, event=event,
                 question=question % {"title": event.title}, button=button, explanation=explanation,
                 form=form, danger=True)


@staff_view
def event_cancel(request: PortalRequest, territory_id: int, event_id: int) -> HttpResponse:
    return _with_note(
        request, territory_id, event_id, verb=services.cancel_event,
        question=_("Annuler « %(title)s » ?"), button=_("Annuler l'événement"),
        success=_("« %(title)s » est annulé : il reste affiché comme annulé."),
        explanation=_("L'événement reste visible, marqué « Annulé », avec votre message."),
    )


@staff_view
def event_postpone(request: PortalRequest, territory_id: int, event_id: int) -> HttpResponse:
    return _with_note(
        request, territory_id, event_id, verb=services.postpone_event,
        question=_("Reporter « %(title)s » ?"), button=_("Reporter l'événement"),
        success=_("« %(title)s » est marqué reporté."),
        explanation=_("L'événement reste visible, marqué « Reporté », avec votre message. Quand la "
                      "nouvelle date est connue, dupliquez-le ou changez sa date puis rétablissez-le."),
    )


@staff_view
def event_restore(request: PortalRequest, territory_id: int, event_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    event = _event_of(territory, event_id)
    if request.method == "POST":
        _report(request, lambda: services.restore_event(request.user, event),
                _("« %(title)s » a de nouveau lieu comme prévu.") % {"title": event.title})
        return redirect("backoffice:event_edit", territory_id=territory.pk, event_id=event.pk)
    return _confirm(request, territory, event, _("Rétablir « %(title)s » ?") % {"title": event.title},
                    _("Rétablir l'événement"), danger=False,
                    explanation=_("L'annulation ou le report est retiré : l'événement a lieu comme prévu."))


@staff_view
def event_publish(request: PortalRequest, territory_id: int, event_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    event = _event_of(territory, event_id)
    form = PublishForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        at = form.cleaned_data["publish_at"]
        try:
            event = services.publish_event(request.user, event, at)
        except services.EventRejected as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _saved_message(event))
        return redirect("backoffice:event_edit", territory_id=territory.pk, event_id=event.pk)
    return _page(request, "backoffice/events/confirm.html", territory, event=event,
                 question=_("Publier « %(title)s » ?") % {"title": event.title}, button=_("Publier"),
                 explanation="", form=form, danger=False)


@staff_view
def event_archive(request: PortalRequest, territory_id: int, event_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    event = _event_of(territory, event_id)
    if request.method == "POST":
        _report(request, lambda: services.archive_event(request.user, event),
                _("« %(title)s » est archivé : il n'apparaît plus sur le portail.") % {"title": event.title})
        return redirect("backoffice:events", territory_id=territory.pk)
    return _confirm(request, territory, event, _("Archiver « %(title)s » ?") % {"title": event.title},
                    _("Archiver l'événement"),
                    explanation=_("L'événement n'apparaîtra plus sur le portail. Il reste enregistré : "
                                  "vous pourrez le publier à nouveau."))


def _confirm(
    request: PortalRequest, territory: Territory, event: Event, question: str, button: str,
    *, explanation: str = "", danger: bool = True,
) -> HttpResponse:
    return _page(request, "backoffice/events/confirm.html", territory, event=event, question=question,
                 button=button, explanation=explanation, danger=danger, form=None)


# Proposals of organisations

@staff_view
def proposal_list(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, MODERATION_ROLES)
    proposed = Event.objects.filter(territory=territory).select_related("organisation", "author")
    pending = proposed.filter(review_status=ReviewStatus.PENDING).order_by("created_at", "pk")
    decided = proposed.filter(
        review_status__in=(ReviewStatus.ACCEPTED, ReviewStatus.REFUSED)
    ).order_by("-reviewed_at", "-pk")[:20]
    return _page(request, "backoffice/events/proposals.html", territory, pending=pending, decided=decided)


@staff_view
def proposal_detail(request: PortalRequest, territory_id: int, event_id: int) -> HttpResponse:
    territory = _access(request, territory_id, MODERATION_ROLES)
    event = Event.objects.filter(pk=event_id, territory=territory).exclude(
        review_status=ReviewStatus.NONE
    ).select_related("organisation", "author", "place", "commune", "reviewed_by").first()
    if event is None:
        raise Http404(_("Proposition introuvable."))
    form = DecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        accept = request.POST.get("decision") == "accept"
        try:
            decide_proposal(request.user, event, accept=accept, message=form.cleaned_data["message"])
        except ActionRefused as exc:
            # Refusing without a message is the one refusal about the field on this page.
            empty = not accept and not form.cleaned_data["message"].strip()
            form.add_error("message" if empty else None, str(exc))
        else:
            messages.success(request, _("La proposition est acceptée : l'événement est publié.") if accept
                             else _("La proposition est refusée ; l'association verra votre message."))
            return redirect("backoffice:event_proposals", territory_id=territory.pk)
    return _page(request, "backoffice/events/proposal.html", territory, event=event, form=form,
                 rows=summary_rows(event))


urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:territory_id>/agenda/", event_list, name="events"),
    path("<int:territory_id>/agenda/nouveau/", event_create, name="event_create"),
    path("<int:territory_id>/agenda/propositions/", proposal_list, name="event_proposals"),
    path("<int:territory_id>/agenda/propositions/<int:event_id>/", proposal_detail, name="event_proposal"),
    path("<int:territory_id>/agenda/<int:event_id>/", event_edit, name="event_edit"),
    path("<int:territory_id>/agenda/<int:event_id>/dupliquer/", event_duplicate, name="event_duplicate"),
    path("<int:territory_id>/agenda/<int:event_id>/annuler/", event_cancel, name="event_cancel"),
    path("<int:territory_id>/agenda/<int:event_id>/reporter/", event_postpone, name="event_postpone"),
    path("<int:territory_id>/agenda/<int:event_id>/retablir/", event_restore, name="event_restore"),
    path("<int:territory_id>/agenda/<int:event_id>/publier/", event_publish, name="event_publish"),
    path("<int:territory_id>/agenda/<int:event_id>/archiver/", event_archive, name="event_archive"),
]
