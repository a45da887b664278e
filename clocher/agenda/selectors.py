"""Reads of the agenda that encode visibility: which events a portal shows, one event, and the
occurrences between two moments, for some territories, some categories, near a point.

An event belongs to a portal through the territory that publishes it. It is shown when it is
published and unexpired (clocher.territories.content.visible_now), when its publisher is within
the portal, and when the agenda module is on for the publisher. A cancelled or postponed event
stays visible: its state is part of what residents need to know. `access_event` answers 404 alike
for an event that does not exist, is not published, or belongs to another portal.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import CharField, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.directory.models import Place
from clocher.directory.selectors import bbox_around, haversine_m
from clocher.territories.content import Status, visible_now
from clocher.territories.models import ModuleSetting, Portal, Territory, TerritoryKind
from clocher.territories.selectors import ancestors, territories_of_portal

from .models import Event, EventCategory, Occurrence

MODULE = "agenda"
# Occurrences are found by their start (indexed); one that started before the window still shows
# while it lasts, provided it started at most this long before. A date-range query cannot use an
# index on both ends of an interval, so the longest occurrence is bounded: a season-long
# exhibition fits, a permanent one belongs in the directory.
LONGEST_OCCURRENCE = datetime.timedelta(days=92)
# "Near" gathers the candidates of the window in the box around the circle, then sorts them in
# memory: beyond this many, only the earliest are kept (a month of a whole département).
NEAR_CANDIDATES = 20_000
# Candidates whose events are checked at once after the first batch.
NEAR_BATCH = 500
# A resident's territories publish or are meant a few hundred events; a département's scope more.
EVENT_IDS_MAX = 3000
Audience = Event.audience.through


@dataclass(frozen=True)
class Found:
    """An occurrence as lists show it, with its distance from the point asked about, if any."""

    occurrence: Occurrence
    distance_m: float | None = None

    @property
    def event(self) -> Event:
        return self.occurrence.event


def _agenda_off_for(portal: Portal) -> tuple[bool, QuerySet[ModuleSetting]]:
    """Territories that turned the agenda off, as clocher.directory.selectors does for places.

    Returns (only_listed, rows): when the portal's defaults leave the agenda out, only publishers
    that turned it on are shown (only_listed True and rows are those); otherwise those that turned
    it off are left out.
    """
    settings_rows = ModuleSetting.objects.filter(module=MODULE)
    if portal.default_modules and MODULE not in portal.default_modules:
        return True, settings_rows.filter(enabled=True)
    return False, settings_rows.filter(enabled=False)


def _visible_q(portal: Portal, prefix: str = "", now: datetime.datetime | None = None) -> Q:
    """The visibility rule as one Q, written on `prefix` (an occurrence reaches its event through a
    join, not a subquery: the join is what keeps "this weekend near me" an indexed range scan).

    The status and expiry part is clocher.territories.content.visible_now's, on the join.
    """
    moment = now or timezone.now()
    published = Q(**{f"{prefix}status": Status.PUBLISHED}) | Q(
        **{f"{prefix}status": Status.SCHEDULED, f"{prefix}published_at__lte": moment}
    )
    unexpired = Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": moment})
    in_portal = Q(**{f"{prefix}territory_id__in": territories_of_portal(portal).values("pk")})
    only_listed, rows = _agenda_off_for(portal)
    module = Q(**{f"{prefix}territory_id__in": rows.values("territory")})
    return published & unexpired & in_portal & (module if only_listed else ~module)


def visible_events(portal: Portal) -> QuerySet[Event]:
    """Published, unexpired events whose publisher is in the portal and has the agenda on."""
    only_listed, rows = _agenda_off_for(portal)
    events = visible_now(Event.objects.filter(territory_id__in=territories_of_portal(portal).values("pk")))
    if only_listed:
        events = events.filter(territory_id__in=rows.values("territory"))
    else:
        events = events.exclude(territory_id__in=rows.values("territory"))
    return events.select_related("territory", "place", "commune", "organisation").defer(
        "territory__boundary", "commune__boundary"
    ).prefetch_related(Prefetch("categories", queryset=EventCategory.objects.order_by("pk")))


def access_event(portal: Portal, pk: int) -> Event:
    """The event if this portal shows it, else 404 (another portal's event is a 404 too)."""
    event = visible_events(portal).filter(pk=pk).first()
    if event is None:
        raise Http404(_("Événement introuvable."))
    return event


def next_occurrences(event: Event, limit: int = 10, after: datetime.datetime | None = None) -> list[Occurrence]:
    """The event's occurrences not yet over, earliest first (cancelled ones included, marked)."""
    moment = after or timezone.now()
    return list(event.occurrences.filter(ends_at__gt=moment).order_by("starts_at", "pk")[:limit])


def under(territory: Territory) -> QuerySet[Territory]:
    """The territory and every territory that is part of it."""
    if territory.kind == TerritoryKind.REGION:
        scope = Q(pk=territory.pk) | Q(region=territory)
    elif territory.kind == TerritoryKind.DEPARTEMENT:
        scope = Q(pk=territory.pk) | Q(departement=territory) | Q(
            kind=TerritoryKind.EPCI, pk__in=Territory.objects.filter(departement=territory).values("epci")
        )
    elif territory.kind == TerritoryKind.EPCI:
        scope = Q(pk=territory.pk) | Q(epci=territory)
    else:
        scope = Q(pk=territory.pk)
    return Territory.objects.filter(scope)


def for_territories(territory_ids: Sequence[int], event_ref: str = "pk") -> Q:
    """Events for these territories (a resident's commune and its ancestors): those whose audience
    names one of them, and those without an audience published by one of them (an empty audience
    means the publisher and everything under it)."""
    ids = list(territory_ids)
    has_audience = Exists(Audience.objects.filter(event_id=OuterRef(event_ref)))
    for_them = Exists(Audience.objects.filter(event_id=OuterRef(event_ref), territory_id__in=ids))
    prefix = "event__" if event_ref != "pk" else ""
    return for_them | (Q(**{f"{prefix}territory_id__in": ids}) & ~has_audience)


def events_of_territory(portal: Portal, territory: Territory) -> QuerySet[Event]:
    """What a territory's calendar feed holds: what it and the territories under it publish, and
    what is for it (its audience, or what its ancestors publish for everything under them)."""
    chain = [t.pk for t in ancestors(territory)]
    return visible_events(portal).filter(
        Q(territory_id__in=under(territory).values("pk")) | for_territories(chain)
    )


def with_category(categories: Sequence[str], event_ref: str = "pk") -> Exists:
    return Exists(EventCategory.objects.filter(event_id=OuterRef(event_ref), category__in=list(categories)))


def for_territories_indexed(territory_ids: Sequence[int]) -> Q:
    """for_territories(territory_ids) on events, as two indexed terms: the events an audience
    names are read first (one query, by the audience's territory index), so the OR needs no
    subquery, which would make the database read every event."""
    ids = list(territory_ids)
    named = list(Audience.objects.filter(territory_id__in=ids).values_list("event_id", flat=True))
    without_audience = Q(~Exists(Audience.objects.filter(event_id=OuterRef("pk"))))
    return Q(pk__in=named) | (Q(territory_id__in=ids) & without_audience)


def _event_ids(portal: Portal, territories: Sequence[Territory]) -> list[int] | None:
    """The ids of the visible events for these territories, or None when there are more than
    EVENT_IDS_MAX (a département's whole scope), where starting from the time index is better."""
    events = Event.objects.filter(for_territories_indexed([t.pk for t in territories])).filter(
        _visible_q(portal)
    )
    found = list(events.order_by().values_list("pk", flat=True)[:EVENT_IDS_MAX + 1])
    return None if len(found) > EVENT_IDS_MAX else found


def _occurrences(
    portal: Portal,
    start: datetime.datetime,
    end: datetime.datetime,
    *,
    territories: Sequence[Territory] | None,
    categories: Sequence[str] | None,
    q: str | None,
) -> QuerySet[Occurrence]:
    """Occurrences of visible events overlapping [start, end).

    For a few territories, their events are listed first and their occurrences read by the
    (event, start) index. Otherwise occurrences stay the only table of the query, the event
    checked row by row (a correlated EXISTS on its primary key), so that the database starts
    from the time index.
    """
    qs = Occurrence.objects.filter(
        # Bounded on the start (the index) and overlapping the window.
        starts_at__gte=start - LONGEST_OCCURRENCE, starts_at__lt=end, ends_at__gt=start,
    )
    text = (q or "").strip()
    ids = _event_ids(portal, territories) if territories is not None else None
    if ids is not None:
        qs = qs.filter(event_id__in=ids)
    elif connection.vendor == "postgresql":
        # PostgreSQL turns the EXISTS below into a join starting from every event (it misjudges
        # how many the portal's territories hold); joined outright, it starts from the time index.
        qs = qs.filter(_visible_q(portal, "event__"))
        if territories is not None:
            qs = qs.filter(for_territories([t.pk for t in territories], "event_id"))
    else:
        # SQLite, joined, starts from the events; with a correlated EXISTS, from the time index.
        events = Event.objects.filter(Q(pk=OuterRef("event_id")) & _visible_q(portal))
        if territories is not None:
            events = events.filter(for_territories([t.pk for t in territories]))
        qs = qs.filter(Exists(events))
    if text:
        titled = Exists(Event.objects.filter(pk=OuterRef("event_id"), title__icontains=text))
        qs = qs.filter(titled | Q(title__icontains=text) | Q(location_name__icontains=text))
    if categories:
        qs = qs.filter(with_category(categories, "event_id"))
    return qs


def _loaded(qs: QuerySet[Occurrence]) -> QuerySet[Occurrence]:
    """What lists show of each occurrence: the event's short fields, its commune, its categories,
    its place's name. The long texts stay in the database (lists never show them)."""
    return qs.select_related("event", "commune").defer(
        "event__description", "event__description_html", "event__ical", "event__rdates", "event__exdates",
        "event__review_message", "event__checksum", "event__external_id", "event__source",
        "event__accessibility_note", "event__status_note", "commune__boundary", "commune__search_name",
    ).prefetch_related(
        Prefetch("event__categories", queryset=EventCategory.objects.order_by("pk")),
        Prefetch("event__place", queryset=Place.objects.only("pk", "name", "status", "commune_id")),
    )


def occurrences_between(
    portal: Portal,
    start: datetime.datetime,
    end: datetime.datetime,
    *,
    territories: Sequence[Territory] | None = None,
    categories: Sequence[str] | None = None,
    near: tuple[float, float] | None = None,
    radius_m: float | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Found]:
    """The occurrences of visible events overlapping [start, end), earliest first then nearest.

    `territories`: a resident's commune and its ancestors (events published by or for them);
    `categories`: any of these; `near` and `radius_m`: within that many metres of (lat, lon), with
    the distance; `q`: a text in the title or the place's name. One page, `limit` long from
    `offset`; ask for one more than shown to know whether another page follows. At most six
    queries whatever the number of results.
    """
    if limit <= 0 or end <= start:
        return []
    text = (q or "").strip()
    if near is None or text:
        qs = _occurrences(portal, start, end, territories=territories, categories=categories, q=text)
        if near is None:
            page = list(_loaded(qs.order_by("starts_at", "pk"))[offset:offset + limit])
            return [Found(occurrence) for occurrence in page]
    else:
        # The window in the box from the occurrences alone (the time index and the rows' own
        # coordinates); what the event allows is checked afterwards, for the first ones only.
        qs = Occurrence.objects.filter(
            starts_at__gte=start - LONGEST_OCCURRENCE, starts_at__lt=end, ends_at__gt=start
        )
    lat, lon = near
    radius = float(radius_m or 0)
    if radius <= 0:
        return []
    south, west, north, east = bbox_around(lat, lon, radius)
    # Rows come in start order: the start's rank is all the sort needs, so the start travels as
    # text (a datetime per row is most of the time spent reading a few thousand of them).
    candidates = (
        qs.filter(lat__gte=south, lat__lte=north, lon__gte=west, lon__lte=east)
        .order_by("starts_at", "pk")
        .annotate(start_key=Cast("starts_at", CharField()))
        .values_list("pk", "event_id", "start_key", "lat", "lon")[:NEAR_CANDIDATES]
    )
    within: list[tuple[int, float, int, int]] = []
    rank, previous = 0, None
    for pk, event_id, start_key, olat, olon in candidates:
        if start_key != previous:
            rank, previous = rank + 1, start_key
        if olat is None or olon is None:
            continue
        distance = haversine_m(lat, lon, olat, olon)
        if distance <= radius:
            within.append((rank, distance, pk, event_id))
    within.sort()
    if text:
        # Already narrowed by the query, visibility included.
        chosen = within[offset:offset + limit]
        by_pk = {o.pk: o for o in _loaded(Occurrence.objects.filter(pk__in=[row[2] for row in chosen]))}
        return [Found(by_pk[pk], distance) for _s, distance, pk, _e in chosen if pk in by_pk]
    return _visible_page(portal, within, offset, limit, territories=territories, categories=categories)


def _visible_page(
    portal: Portal,
    rows: list[tuple[int, float, int, int]],
    offset: int,
    limit: int,
    *,
    territories: Sequence[Territory] | None,
    categories: Sequence[str] | None,
) -> list[Found]:
    """The rows offset..offset+limit among those whose event is visible (and for these
    territories, of these categories), loaded, in order: the visibility is checked by the query
    that loads them, a batch of candidates at a time. One batch nearly always suffices; a
    selective filter goes on with larger ones."""
    kept: list[Found] = []
    wanted = offset + limit
    first, size = 0, max(wanted, 1)
    while first < len(rows) and len(kept) < wanted:
        chunk = rows[first:first + size]
        qs = Occurrence.objects.filter(pk__in=[row[2] for row in chunk]).filter(_visible_q(portal, "event__"))
        if territories is not None:
            qs = qs.filter(for_territories([t.pk for t in territories], "event_id"))
        if categories:
            qs = qs.filter(with_category(categories, "event_id"))
        by_pk = {o.pk: o for o in _loaded(qs)}
        kept.extend(Found(by_pk[pk], distance) for _s, distance, pk, _e in chunk if pk in by_pk)
        first += size
        size = max(size * 4, NEAR_BATCH)
    return kept[offset:offset + limit]
