"""Reads of places that encode visibility: what a portal shows, one place, filters, near a point.

A place belongs to a portal through the commune it stands in. `access_place` answers 404 alike for a
place that does not exist, is not published, or stands in another portal's territory.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from clocher.territories.content import visible_now
from clocher.territories.models import ModuleSetting, Portal, Territory, TerritoryKind

from .hours import is_open_at
from .models import Access, Place, PlaceCategory

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LAT = 111_320.0
# Candidates checked against the visibility filters at once, nearest first.
NEAR_BATCH = 500


def _communes_of_portal(portal: Portal) -> Q:
    """Places whose commune is under the portal's root, written on the commune's own parent columns
    so that the database answers from the commune table alone."""
    root = portal.root
    communes = Territory.objects.filter(kind=TerritoryKind.COMMUNE)
    if root.kind == TerritoryKind.REGION:
        communes = communes.filter(region=root)
    elif root.kind == TerritoryKind.DEPARTEMENT:
        communes = communes.filter(departement=root)
    elif root.kind == TerritoryKind.EPCI:
        communes = communes.filter(epci=root)
    else:
        communes = communes.filter(pk=root.pk)
    return Q(commune_id__in=communes.values("pk"))


MODULE = "directory"


def _directory_on(qs: QuerySet[Place], portal: Portal) -> QuerySet[Place]:
    """Leaves out places in communes that turned the directory off (one subquery, no extra query).

    A commune's own ModuleSetting wins; otherwise the portal's defaults, as enabled_modules reads
    them. Every list, the map's markers and the API share it, so no link leads to a 404.
    """
    settings_rows = ModuleSetting.objects.filter(module=MODULE)
    if portal.default_modules and MODULE not in portal.default_modules:
        return qs.filter(commune__in=settings_rows.filter(enabled=True).values("territory"))
    return qs.exclude(commune__in=settings_rows.filter(enabled=False).values("territory"))


def visible_places(portal: Portal) -> QuerySet[Place]:
    """Published, unexpired places standing in a commune of the portal that has the directory on,
    categories prefetched."""
    shown = _directory_on(visible_now(Place.objects.filter(_communes_of_portal(portal))), portal)
    return shown.select_related("commune").defer(
        "commune__boundary"
    ).prefetch_related(Prefetch("category_links", queryset=PlaceCategory.objects.order_by("pk")))


def access_place(portal: Portal, pk: int) -> Place:
    """The place if this portal shows it, else 404 (another portal's place is a 404 too)."""
    place = visible_places(portal).filter(pk=pk).first()
    if place is None:
        raise Http404(_("Lieu introuvable."))
    return place


def communes_under(territory: Territory) -> Q:
    """Places standing in the territory: the commune itself, or every commune under an EPCI,
    a département or a région."""
    if territory.kind == TerritoryKind.EPCI:
        return Q(commune__epci=territory)
    if territory.kind == TerritoryKind.DEPARTEMENT:
        return Q(commune__departement=territory)
    if territory.kind == TerritoryKind.REGION:
        return Q(commune__region=territory)
    return Q(commune=territory)


def filter_places(
    qs: QuerySet[Place],
    *,
    category: str | None = None,
    territory: Territory | None = None,
    q: str | None = None,
    accessible: bool = False,
) -> QuerySet[Place]:
    """Narrows a visible set: a category slug, a territory (a commune, or the communes under it), a
    text found in the name, address or locality, and, when `accessible`, wheelchair access."""
    if category:
        # One category per (place, category) row: the join cannot duplicate a place.
        qs = qs.filter(category_links__category=category)
    if territory is not None:
        qs = qs.filter(communes_under(territory))
    text = (q or "").strip()
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(city__icontains=text) | Q(street__icontains=text))
    if accessible:
        qs = qs.filter(wheelchair=Access.YES)
    return qs


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS 84 points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bbox_around(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """South, west, north, east of a box holding the circle (a little larger, never smaller)."""
    dlat = radius_m / METRES_PER_DEGREE_LAT
    cos_lat = max(math.cos(math.radians(min(89.0, abs(lat) + dlat))), 0.01)
    dlon = radius_m / (METRES_PER_DEGREE_LAT * cos_lat)
    return lat - dlat, lon - dlon, lat + dlat, lon + dlon


def places_near(
    qs: QuerySet[Place], lat: float, lon: float, radius_m: float, limit: int
) -> list[tuple[Place, float]]:
    """The `limit` nearest places of `qs` within `radius_m` metres, nearest first, with their distance.

    First the coordinates in the box around the circle, read from the (lat, lon) index alone (no
    table row, no visibility join: this is what keeps it fast with 100,000 places); then, nearest
    first and a batch at a time, the places of `qs` among them, loaded whole.
    """
    if limit <= 0 or radius_m <= 0:
        return []
    south, west, north, east = bbox_around(lat, lon, radius_m)
    in_box = (
        Place.objects.filter(lat__gte=south, lat__lte=north, lon__gte=west, lon__lte=east)
        .order_by()
        .values_list("pk", "lat", "lon")
    )
    within: list[tuple[float, int]] = []
    for pk, plat, plon in in_box:
        if plat is None or plon is None:
            continue
        distance = haversine_m(lat, lon, plat, plon)
        if distance <= radius_m:
            within.append((distance, pk))
    within.sort()
    # Nearest first, a batch at a time: the query keeps what `qs` allows and loads it whole. The
    # first batch is the limit, enough when every place is visible; a selective `qs` (one
    # category, open now) goes on with larger batches until it has `limit` places.
    found: list[tuple[Place, float]] = []
    first, size = 0, limit
    while first < len(within) and len(found) < limit:
        chunk = within[first:first + size]
        by_pk = {place.pk: place for place in qs.filter(pk__in=[pk for _d, pk in chunk])}
        found.extend((by_pk[pk], distance) for distance, pk in chunk if pk in by_pk)
        first += size
        size = max(size, NEAR_BATCH)
    return found[:limit]


def places_in_bbox(
    qs: QuerySet[Place], west: float, south: float, east: float, north: float
) -> QuerySet[Place]:
    return qs.filter(lat__gte=south, lat__lte=north, lon__gte=west, lon__lte=east)


def open_now(places: Iterable[Place], at: datetime.datetime) -> list[Place]:
    """The places whose opening hours say open at `at` (unknown hours are left out)."""
    return [place for place in places if is_open_at(place.opening_hours, at)]


def filter_open_now(qs: QuerySet[Place], at: datetime.datetime) -> QuerySet[Place]:
    """Narrows to the places open at `at`, in the database: places share few distinct expressions,
    so each distinct one is evaluated once and the set is filtered on the open ones."""
    expressions = qs.exclude(opening_hours="").order_by().values_list("opening_hours", flat=True).distinct()
    opened = [text for text in expressions if is_open_at(text, at)]
    return qs.filter(opening_hours__in=opened)
