"""Events in the API: occurrences between two dates, by territory, category, text and distance,
and one event with its next dates.

Every endpoint answers within the portal of the request's host: an event of another portal is a
404, exactly like one that does not exist. Malformed filters (dates, a span over a year, near, an
unknown category or territory) answer 400 with a French message.
"""

from __future__ import annotations

import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from clocher.agenda.models import Event, Occurrence
from clocher.agenda.selectors import (
    Found,
    access_event,
    next_occurrences,
    occurrences_between,
    under,
)
from clocher.agenda.taxonomy import CATEGORIES
from clocher.agenda.templatetags.agenda import event_url
from clocher.territories.models import Territory
from clocher.territories.selectors import ancestors

from .places import CommuneRef, Message, _portal, _territory, parse_near

PARIS = ZoneInfo("Europe/Paris")
LIST_MAX_LIMIT = 100
OFFSET_MAX = 5_000
QUERY_MAX_LENGTH = 100
RADIUS_DEFAULT_M = 10_000
RADIUS_MAX_M = 100_000
DEFAULT_DAYS = 30
MAX_SPAN = datetime.timedelta(days=366)
NEXT_DATES = 20

router = Router(tags=["Agenda"])


class PlaceRef(Schema):
    id: int
    name: str


class OccurrenceOut(Schema):
    event_id: int = Field(description="L'identifiant de l'événement (GET /api/v1/events/{id}).")
    title: str
    starts_at: datetime.datetime = Field(description="Début, avec son décalage horaire (Europe/Paris).")
    ends_at: datetime.datetime
    all_day: bool = Field(description="Toute la journée : ends_at est alors le minuit qui suit le dernier jour.")
    cancelled: bool = Field(description="Vrai si cette date, ou tout l'événement, est annulée.")
    postponed: bool = Field(description="Vrai si l'événement est reporté.")
    location_name: str
    place: PlaceRef | None = Field(description="Le lieu de l'annuaire, s'il y en a un.")
    commune: CommuneRef | None
    lat: float | None
    lon: float | None
    categories: list[str] = Field(description="Catégories de la taxonomie de l'agenda (concert, sport, fete...).")
    url: str = Field(description="La page de l'événement sur le portail.")
    distance_m: float | None = Field(None, description="Distance au point `near`, en mètres.")


class OccurrencePage(Schema):
    limit: int
    offset: int
    next_offset: int | None = Field(description="L'offset de la page suivante, ou null.")
    results: list[OccurrenceOut]


class DateOut(Schema):
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    all_day: bool
    cancelled: bool


class EventOut(Schema):
    id: int
    title: str
    description_html: str = Field(description="Description en HTML assaini.")
    status: str = Field(description="scheduled, cancelled ou postponed.")
    status_note: str
    starts_at: datetime.datetime = Field(description="Début de la première date.")
    ends_at: datetime.datetime | None
    all_day: bool
    recurring: bool
    location_name: str
    address: str
    place: PlaceRef | None
    commune: CommuneRef | None
    lat: float | None
    lon: float | None
    categories: list[str]
    price: str
    is_free: bool | None
    booking_url: str
    wheelchair: str = Field(description="yes, limited, no, ou vide si non renseigné.")
    accessibility_note: str
    organiser: str = Field(description="L'association ou la collectivité qui organise.")
    publisher: CommuneRef = Field(description="Le territoire qui publie.")
    url: str
    ics_url: str = Field(description="L'événement au format iCalendar, pour l'ajouter à un agenda.")
    image_url: str
    next_dates: list[DateOut] = Field(description="Les prochaines dates, de la plus proche à la plus lointaine.")


YEARS = range(1900, 2201)


def _moment(text: str | None, name: str, *, end_of_day: bool = False) -> datetime.datetime | None:
    """A date (2026-11-28) or a date and time (2026-11-28T20:30, with or without an offset), in
    Europe/Paris when no offset is given; a date as `to` means the end of that day."""
    if text is None or text == "":
        return None
    message = _("%(name)s doit être une date (2026-11-28) ou une date et une heure (2026-11-28T20:30).") % {
        "name": name
    }
    value = text.strip()
    try:
        if len(value) == 10:
            day = datetime.date.fromisoformat(value)
            if end_of_day:
                day += datetime.timedelta(days=1)
            moment = datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=PARIS)
        else:
            moment = datetime.datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        raise HttpError(400, message) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    # Arithmetic on the first or last representable dates overflows further down.
    if not YEARS.start <= moment.year < YEARS.stop:
        raise HttpError(
            400, _("%(name)s doit tomber entre %(first)d et %(last)d.") % {
                "name": name, "first": YEARS.start, "last": YEARS.stop - 1,
            },
        )
    return moment


def _categories(text: str | None) -> list[str] | None:
    if not text:
        return None
    codes = [code.strip() for code in text.split(",") if code.strip()]
    unknown = [code for code in codes if code not in CATEGORIES]
    if unknown:
        raise HttpError(
            400,
            _("Catégorie inconnue : %(code)s. Catégories possibles : %(known)s.")
            % {"code": unknown[0][:40], "known": ", ".join(CATEGORIES)},
        )
    return codes or None


def _scope(territory: Territory) -> list[Territory]:
    """The territories whose events a reuser asking for `territory` expects: a commune's own and
    its ancestors'; for an EPCI or a département, every territory under it too."""
    if territory.is_commune:
        return ancestors(territory)
    return [*ancestors(territory), *under(territory).exclude(pk=territory.pk).defer("boundary")]


def _place(event: Event) -> PlaceRef | None:
    return PlaceRef(id=event.place.pk, name=event.place.name) if event.place is not None else None


def _commune(territory: Territory | None) -> CommuneRef | None:
    return CommuneRef(code=territory.code, name=territory.name) if territory is not None else None


def _occurrence(request: HttpRequest, item: Found) -> OccurrenceOut:
    occurrence: Occurrence = item.occurrence
    event = occurrence.event
    return OccurrenceOut(
        event_id=event.pk,
        title=occurrence.title or event.title,
        starts_at=occurrence.starts_at.astimezone(PARIS),
        ends_at=occurrence.ends_at.astimezone(PARIS),
        all_day=occurrence.all_day,
        cancelled=occurrence.is_cancelled or event.event_status == "cancelled",
        postponed=event.event_status == "postponed",
        location_name=occurrence.location_name or event.location_name,
        place=_place(event),
        commune=_commune(occurrence.commune),
        lat=occurrence.lat,
        lon=occurrence.lon,
        categories=[link.category for link in event.categories.all()],
        url=request.build_absolute_uri(event_url(event)),
        distance_m=round(item.distance_m, 1) if item.distance_m is not None else None,
    )


@router.get(
    "/events",
    response={200: OccurrencePage, 400: Message, 404: Message},
    summary="Les dates des événements : période, territoire, catégorie, texte, autour d'un point",
)
def list_events(
    request: HttpRequest,
    from_: Annotated[
        str | None,
        Query(alias="from", description="Début de la période : date (2026-11-28) ou date et heure ; "
                                        "par défaut maintenant."),
    ] = None,
    to: Annotated[
        str | None,
        Query(description="Fin de la période (une date compte en entier) ; par défaut 30 jours après le "
                          "début. Un an au plus."),
    ] = None,
    territory: Annotated[
        str | None,
        Query(description="Code INSEE d'une commune ou d'un département, ou SIREN d'un EPCI : ce qu'il "
                          "publie, ce qui est pour lui, et pour un EPCI ou un département ce que publient "
                          "les communes qui en font partie."),
    ] = None,
    category: Annotated[
        str | None, Query(description="Une ou plusieurs catégories, séparées par des virgules (concert,sport).")
    ] = None,
    q: Annotated[str | None, Query(description="Un mot du titre ou du nom du lieu.")] = None,
    near: Annotated[str | None, Query(description="lat,lon : avec distance_m, les plus proches d'abord à "
                                                  "heure égale.")] = None,
    radius: Annotated[int, Query(ge=1, le=RADIUS_MAX_M, description="Rayon autour de `near`, en mètres.")] = (
        RADIUS_DEFAULT_M
    ),
    limit: Annotated[int, Query(ge=1, le=LIST_MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0,
) -> OccurrencePage:
    """Occurrences (one row per date) of the portal's events overlapping the period, earliest first."""
    portal = _portal(request)
    start = _moment(from_, "from") or timezone.now()
    end = _moment(to, "to", end_of_day=True) or start + datetime.timedelta(days=DEFAULT_DAYS)
    if end <= start:
        raise HttpError(400, _("La fin de la période (to) doit suivre son début (from)."))
    if end - start > MAX_SPAN:
        raise HttpError(400, _("La période demandée dépasse un an : découpez-la."))
    text = (q or "").strip()
    if len(text) > QUERY_MAX_LENGTH:
        raise HttpError(
            400, _("La recherche est trop longue (%(max)d caractères au plus).") % {"max": QUERY_MAX_LENGTH}
        )
    codes = _categories(category)
    point = parse_near(near) if near else None
    found_territory = _territory(portal, territory)
    found = occurrences_between(
        portal, start, end,
        territories=_scope(found_territory) if found_territory is not None else None,
        categories=codes, q=text or None,
        near=point, radius_m=radius if point is not None else None,
        limit=limit + 1, offset=offset,
    )
    return OccurrencePage(
        limit=limit, offset=offset,
        next_offset=offset + limit if len(found) > limit else None,
        results=[_occurrence(request, item) for item in found[:limit]],
    )


@router.get(
    "/events/{event_id}",
    response={200: EventOut, 404: Message},
    summary="Un événement et ses prochaines dates",
)
def event_detail(request: HttpRequest, event_id: int) -> EventOut:
    """One event of this portal; another portal's is a 404, like one that does not exist."""
    portal = _portal(request)
    try:
        event = access_event(portal, event_id)
    except Http404:
        raise HttpError(404, _("Événement introuvable.")) from None
    return EventOut(
        id=event.pk,
        title=event.title,
        description_html=event.description_html,
        status=event.event_status,
        status_note=event.status_note,
        starts_at=event.starts_at.astimezone(PARIS),
        ends_at=event.ends_at.astimezone(PARIS) if event.ends_at else None,
        all_day=event.all_day,
        recurring=event.is_recurring,
        location_name=event.location_name,
        address=event.address,
        place=_place(event),
        commune=_commune(event.commune),
        lat=event.lat if event.lat is not None else (event.place.lat if event.place else None),
        lon=event.lon if event.lon is not None else (event.place.lon if event.place else None),
        categories=[link.category for link in event.categories.all()],
        price=event.price,
        is_free=event.is_free,
        booking_url=event.booking_url,
        wheelchair=event.wheelchair,
        accessibility_note=event.accessibility_note,
        organiser=event.organisation.name if event.organisation else event.territory.name,
        publisher=CommuneRef(code=event.territory.code, name=event.territory.name),
        url=request.build_absolute_uri(event_url(event)),
        ics_url=request.build_absolute_uri(reverse("agenda:event_ics", kwargs={"pk": event.pk})),
        image_url=request.build_absolute_uri(event.image.url) if event.image else "",
        next_dates=[
            DateOut(starts_at=o.starts_at.astimezone(PARIS), ends_at=o.ends_at.astimezone(PARIS), all_day=o.all_day, cancelled=o.is_cancelled)
            for o in next_occurrences(event, NEXT_DATES)
        ],
    )
