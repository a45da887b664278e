"""iCalendar out: a territory's feed, a category of it, and one event for "add to my calendar".

Calendar apps subscribe to `/agenda/<code>.ics` (a commune by INSEE code, an EPCI by SIREN, a
département or a région by code): what the territory and those under it publish, and what is
for it. Another portal's territory, or an event it does not show, is a 404 like a missing one.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from clocher.territories.http import PortalRequest
from clocher.territories.models import Territory
from clocher.territories.selectors import access_territory_by_code

from .models import Event, Occurrence
from .selectors import access_event, events_of_territory, with_category
from .taxonomy import CATEGORIES, category_label
from .templatetags.agenda import event_url

CONTENT_TYPE = "text/calendar; charset=utf-8"
# A feed keeps what ended less than this long ago, so a calendar app still shows last week.
FEED_PAST = datetime.timedelta(days=31)
FEED_MAX_EVENTS = 2000
FEED_CACHE_SECONDS = 300


def _calendar(request: PortalRequest, events: Iterable[Event], name: str) -> bytes:
    # Written by the agenda's domain code; imported here so the pages load even before it does.
    from .ics import build_calendar

    return build_calendar(
        list(events), name=name, url=request.build_absolute_uri(),
        url_for=lambda event: request.build_absolute_uri(event_url(event)),
    )


def _response(body: bytes, filename: str, *, attachment: bool) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    if not attachment:
        response["Cache-Control"] = f"public, max-age={FEED_CACHE_SECONDS}"
    return response


def _current(events: QuerySet[Event]) -> QuerySet[Event]:
    """Events with an occurrence that ended less than FEED_PAST ago or is to come, earliest first."""
    recent = Occurrence.objects.filter(event_id=OuterRef("pk"), ends_at__gt=timezone.now() - FEED_PAST)
    return events.filter(Exists(recent)).order_by("starts_at", "pk")[
        :FEED_MAX_EVENTS
    ]


def _kept_calendar(
    request: PortalRequest, territory: Territory, category: str, build: Callable[[], bytes]
) -> bytes:
    """A feed as built at most FEED_CACHE_SECONDS ago: building one reads up to FEED_MAX_EVENTS
    events and re-expands the imported ones, too much to redo for every calendar app that polls."""
    key = ":".join((
        "clocher:agenda-ics", str(request.portal.pk), str(territory.pk), category,
        request.scheme or "", request.get_host(), get_language() or "",
    ))
    body = cache.get(key)
    if body is None:
        body = build()
        cache.set(key, body, FEED_CACHE_SECONDS)
    return bytes(body)


@require_GET
def territory_ics(request: PortalRequest, territory_code: str) -> HttpResponse:
    territory = access_territory_by_code(request.portal, territory_code)
    name = _("Agenda : %(name)s") % {"name": territory.name}

    def build() -> bytes:
        return _calendar(request, _current(events_of_territory(request.portal, territory)), name)

    body = _kept_calendar(request, territory, "", build)
    return _response(body, f"agenda-{territory.code}.ics", attachment=False)


@require_GET
def category_ics(request: PortalRequest, territory_code: str, category: str) -> HttpResponse:
    if category not in CATEGORIES:
        raise Http404(_("Catégorie inconnue."))
    territory = access_territory_by_code(request.portal, territory_code)
    name = _("Agenda : %(name)s, %(category)s") % {"name": territory.name, "category": category_label(category)}

    def build() -> bytes:
        events = _current(events_of_territory(request.portal, territory).filter(with_category([category])))
        return _calendar(request, events, name)

    body = _kept_calendar(request, territory, category, build)
    return _response(body, f"agenda-{territory.code}-{category}.ics", attachment=False)


@require_GET
def event_ics(request: PortalRequest, pk: int) -> HttpResponse:
    """One event, every date of it, for "add to my calendar"."""
    event = access_event(request.portal, pk)
    return _response(_calendar(request, [event], event.title), f"evenement-{event.pk}.ics", attachment=True)
