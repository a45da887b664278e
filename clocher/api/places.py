"""Places in the API: a filtered, paginated list, near a point, one place, GeoJSON and map markers.

Every endpoint answers within the portal of the request's host: a place of another portal is a
404, exactly like one that does not exist. Malformed filters (bbox, near, an unknown category or
territory) answer 400 with a French message.
"""

from __future__ import annotations

import datetime
import json
import math
from typing import Annotated, Any

from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from clocher.directory.hours import PARIS, opening_state, week_schedule
from clocher.directory.models import Place, PlaceCategory
from clocher.directory.selectors import (
    access_place,
    filter_open_now,
    filter_places,
    places_in_bbox,
    places_near,
    visible_places,
)
from clocher.directory.taxonomy import is_category
from clocher.territories.models import Portal, Territory, TerritoryKind
from clocher.territories.selectors import access_territory

LIST_MAX_LIMIT = 100
OFFSET_MAX = 10_000
QUERY_MAX_LENGTH = 100
RADIUS_DEFAULT_M = 2000
RADIUS_MAX_M = 50_000
# What a phone can download and cluster in one go; beyond it the map asks for its visible box.
MARKERS_MAX = 20_000
# Five decimals of a degree is about a metre: enough for a marker, and a fifth smaller than repr.
MARKER_DECIMALS = 5

router = Router(tags=["Lieux"])


class Message(Schema):
    detail: str


class CommuneRef(Schema):
    code: str
    name: str


class OpeningOut(Schema):
    is_open: bool | None = Field(description="Vrai si ouvert maintenant ; null si les horaires sont inconnus.")
    label: str = Field(description="Par exemple « Ouvert · ferme à 19:00 ».")
    next_change: datetime.datetime | None


class PlaceOut(Schema):
    id: int
    name: str
    categories: list[str] = Field(description="Catégories de la taxonomie (restaurant, market, museum...).")
    commune: CommuneRef | None
    street: str
    postcode: str
    city: str
    lat: float | None
    lon: float | None
    phone: str = Field(description="Numéro au format E.164 (+33562612100), ou vide.")
    email: str
    website: str
    opening_hours: str = Field(description="Horaires en syntaxe OpenStreetMap opening_hours.")
    wheelchair: str = Field(description="yes, limited, no, ou vide si non renseigné.")
    distance_m: float | None = Field(None, description="Distance au point `near`, en mètres.")


class DayOut(Schema):
    date: datetime.date
    intervals: list[tuple[str, str]] = Field(description="Heures d'ouverture, HH:MM (Europe/Paris).")


class PlaceDetailOut(PlaceOut):
    description_html: str = Field(description="Description en HTML assaini.")
    hearing: str
    sight: str
    mental: str
    languages: list[str]
    price_range: int | None
    tags: list[str]
    products: list[str]
    buying_ways: list[str]
    labels: list[str]
    capacity: int | None
    stars: int | None
    cuisine: list[str]
    pets_allowed: bool | None
    opening: OpeningOut
    week: list[DayOut] = Field(description="Les sept prochains jours et leurs horaires.")


class PlacePage(Schema):
    count: int | None = Field(description="Nombre total de lieux trouvés ; null avec `near`.")
    limit: int
    offset: int
    next_offset: int | None = Field(description="L'offset de la page suivante, ou null.")
    results: list[PlaceOut]


def _portal(request: HttpRequest) -> Portal:
    portal: Portal | None = getattr(request, "portal", None)
    if portal is None:
        raise HttpError(404, _("Aucun portail ne répond à cette adresse."))
    return portal


def _floats(text: str, count: int, message: str) -> list[float]:
    parts = text.split(",")
    if len(parts) != count:
        raise HttpError(400, message)
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise HttpError(400, message) from None
    if not all(math.isfinite(number) for number in numbers):
        raise HttpError(400, message)
    return numbers


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """West, south, east, north from "minlon,minlat,maxlon,maxlat", or a 400."""
    message = _(
        "bbox doit être « minlon,minlat,maxlon,maxlat » en degrés WGS 84, par exemple 0.5,43.6,0.7,43.7."
    )
    west, south, east, north = _floats(text, 4, message)
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise HttpError(400, message)
    return west, south, east, north


def parse_near(text: str) -> tuple[float, float]:
    """Latitude and longitude from "lat,lon", or a 400."""
    message = _("near doit être « lat,lon » en degrés WGS 84, par exemple 43.6465,0.5855.")
    lat, lon = _floats(text, 2, message)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise HttpError(400, message)
    return lat, lon


def _category(slug: str | None) -> str | None:
    if slug is None or slug == "":
        return None
    if not is_category(slug):
        raise HttpError(400, _("Catégorie inconnue : %(slug)s.") % {"slug": slug[:40]})
    return slug


def _territory(portal: Portal, code: str | None) -> Territory | None:
    """A commune by INSEE code, an EPCI by SIREN, a département or a région by code; 400 when
    unknown or outside the portal (the same answer for both)."""
    if not code:
        return None
    code = code.strip().upper()
    if len(code) == 9:
        kinds = [TerritoryKind.EPCI]
    elif len(code) == 5:
        kinds = [TerritoryKind.COMMUNE]
    else:
        kinds = [TerritoryKind.DEPARTEMENT, TerritoryKind.REGION]
    for kind in kinds:
        try:
            return access_territory(portal, kind=kind, code=code)
        except Http404:
            continue
    raise HttpError(400, _("Territoire inconnu dans ce portail : %(code)s.") % {"code": code[:20]})


def _out(place: Place, distance: float | None = None) -> PlaceOut:
    return PlaceOut(**_fields(place), distance_m=round(distance, 1) if distance is not None else None)


def _fields(place: Place) -> dict[str, Any]:
    commune = place.commune
    return {
        "id": place.pk,
        "name": place.name,
        "categories": [link.category for link in place.category_links.all()],
        "commune": CommuneRef(code=commune.code, name=commune.name) if commune is not None else None,
        "street": place.street,
        "postcode": place.postcode,
        "city": place.city,
        "lat": place.lat,
        "lon": place.lon,
        "phone": place.phone,
        "email": place.email,
        "website": place.website,
        "opening_hours": place.opening_hours,
        "wheelchair": place.wheelchair,
    }


@router.get(
    "/places",
    response={200: PlacePage, 400: Message, 404: Message},
    summary="Chercher des lieux : catégorie, territoire, ouverts maintenant, texte, zone, autour d'un point",
)
def list_places(
    request: HttpRequest,
    category: Annotated[str | None, Query(description="Une catégorie de la taxonomie, par exemple restaurant.")] = None,
    territory: Annotated[
        str | None,
        Query(description="Code INSEE d'une commune ou d'un département, ou SIREN d'un EPCI : "
                          "les lieux des communes qui en font partie."),
    ] = None,
    open_now: Annotated[bool, Query(description="Seulement les lieux ouverts maintenant.")] = False,
    accessible: Annotated[bool, Query(description="Seulement les lieux accessibles en fauteuil roulant.")] = False,
    q: Annotated[str | None, Query(description="Un mot du nom, de l'adresse ou de la localité.")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat (WGS 84).")] = None,
    near: Annotated[str | None, Query(description="lat,lon : les plus proches d'abord, avec distance_m.")] = None,
    radius: Annotated[int, Query(ge=1, le=RADIUS_MAX_M, description="Rayon autour de `near`, en mètres.")] = (
        RADIUS_DEFAULT_M
    ),
    limit: Annotated[int, Query(ge=1, le=LIST_MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0,
) -> PlacePage:
    """The portal's places matching every filter given, by name, or by distance with `near`."""
    portal = _portal(request)
    text = (q or "").strip()
    if len(text) > QUERY_MAX_LENGTH:
        raise HttpError(
            400, _("La recherche est trop longue (%(max)d caractères au plus).") % {"max": QUERY_MAX_LENGTH}
        )
    slug = _category(category)
    box = parse_bbox(bbox) if bbox else None
    point = parse_near(near) if near else None
    found = _territory(portal, territory)
    qs = filter_places(visible_places(portal), category=slug, territory=found, q=text, accessible=accessible)
    if box is not None:
        qs = places_in_bbox(qs, *box)
    if open_now:
        qs = filter_open_now(qs, timezone.now())
    if point is not None:
        # One more than the page says whether another page follows.
        nearest = places_near(qs, point[0], point[1], radius, offset + limit + 1)
        page = nearest[offset:offset + limit]
        return PlacePage(
            count=None, limit=limit, offset=offset,
            next_offset=offset + limit if len(nearest) > offset + limit else None,
            results=[_out(place, distance) for place, distance in page],
        )
    total = qs.count()
    places = list(qs.order_by("name", "pk")[offset:offset + limit])
    return PlacePage(
        count=total, limit=limit, offset=offset,
        next_offset=offset + limit if offset + limit < total else None,
        results=[_out(place) for place in places],
    )


def _marker_rows(request: HttpRequest, category: str | None, bbox: str | None) -> tuple[list[list[Any]], bool]:
    """The rows, at most MARKERS_MAX of them, and whether some were left out."""
    portal = _portal(request)
    slug = _category(category)
    box = parse_bbox(bbox) if bbox else None
    qs = filter_places(visible_places(portal), category=slug).filter(lat__isnull=False, lon__isnull=False)
    if box is not None:
        qs = places_in_bbox(qs, *box)
    first_category = PlaceCategory.objects.filter(place=OuterRef("pk")).order_by("pk").values("category")[:1]
    rows = (
        qs.prefetch_related(None).select_related(None)
        .annotate(first_category=Subquery(first_category))
        .order_by("pk")
        .values_list("pk", "lat", "lon", "first_category")
    )[: MARKERS_MAX + 1]
    markers = [
        [pk, round(lat, MARKER_DECIMALS), round(lon, MARKER_DECIMALS), first or ""]
        for pk, lat, lon, first in rows
        if lat is not None and lon is not None
    ]
    return markers[:MARKERS_MAX], len(markers) > MARKERS_MAX


def markers_json(request: HttpRequest, category: str | None = None, bbox: str | None = None) -> bytes:
    """The marker data as compact JSON bytes (also what the bench measures)."""
    return json.dumps(_marker_rows(request, category, bbox)[0], separators=(",", ":")).encode()


@router.get(
    "/places/markers",
    response={200: list[tuple[int, float, float, str]], 400: Message, 404: Message},
    summary="Les marqueurs de la carte : [[id, lat, lon, catégorie], ...]",
)
def markers(
    request: HttpRequest,
    category: Annotated[str | None, Query(description="Une catégorie de la taxonomie.")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat (WGS 84).")] = None,
) -> HttpResponse:
    """Every located place of the portal as [id, lat, lon, first category], for a clustered map.

    Kept small on purpose (coordinates to about a metre, no names): the map fetches a place's
    details when a marker is opened. At most 20,000 markers (about 200 KB compressed): when more
    places match, the answer carries `X-Markers-Truncated: 1` and the map asks again for the box
    it shows (`bbox`).
    """
    rows, truncated = _marker_rows(request, category, bbox)
    response = HttpResponse(json.dumps(rows, separators=(",", ":")), content_type="application/json")
    if truncated:
        response["X-Markers-Truncated"] = "1"
    response["Cache-Control"] = "public, max-age=60"
    return response


@router.get(
    "/places.geojson",
    response={200: dict[str, Any], 404: Message},
    summary="Les lieux du portail en GeoJSON (FeatureCollection)",
)
def geojson(request: HttpRequest) -> HttpResponse:
    """The portal's located places as a GeoJSON FeatureCollection (RFC 7946), for open-data reuse."""
    portal = _portal(request)
    qs = visible_places(portal).filter(lat__isnull=False, lon__isnull=False).order_by("pk")
    categories: dict[int, list[str]] = {}
    for place_id, slug in (
        PlaceCategory.objects.filter(place__in=qs.values("pk")).order_by("pk").values_list("place_id", "category")
    ):
        categories.setdefault(place_id, []).append(slug)
    features = [
        {
            "type": "Feature",
            "id": row["pk"],
            # Six decimals: about 10 cm, what RFC 7946 advises, instead of float noise (never null:
            # the query keeps located places only).
            "geometry": {"type": "Point", "coordinates": [round(float(row["lon"] or 0), 6), round(float(row["lat"] or 0), 6)]},
            "properties": {
                "name": row["name"],
                "categories": categories.get(row["pk"], []),
                "commune": row["commune__code"],
                "street": row["street"],
                "postcode": row["postcode"],
                "city": row["city"],
                "phone": row["phone"],
                "email": row["email"],
                "website": row["website"],
                "opening_hours": row["opening_hours"],
                "wheelchair": row["wheelchair"],
            },
        }
        for row in qs.prefetch_related(None).select_related(None).values(
            "pk", "lat", "lon", "name", "commune__code", "street", "postcode", "city", "phone", "email",
            "website", "opening_hours", "wheelchair",
        )
    ]
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/geo+json")
    response["Content-Disposition"] = 'inline; filename="lieux.geojson"'
    return response


@router.get(
    "/places/{place_id}",
    response={200: PlaceDetailOut, 404: Message},
    summary="Un lieu, ses horaires de la semaine et son état (ouvert, fermé)",
)
def detail(request: HttpRequest, place_id: int) -> PlaceDetailOut:
    """One place of this portal; another portal's is a 404, like one that does not exist."""
    portal = _portal(request)
    try:
        place = access_place(portal, place_id)
    except Http404:
        raise HttpError(404, _("Lieu introuvable.")) from None
    now = timezone.now()
    state = opening_state(place.opening_hours, now)
    week = week_schedule(place.opening_hours, now.astimezone(PARIS).date())
    return PlaceDetailOut(
        **_fields(place),
        description_html=place.description_html,
        hearing=place.hearing,
        sight=place.sight,
        mental=place.mental,
        languages=list(place.languages),
        price_range=place.price_range,
        tags=list(place.tags),
        products=list(place.products),
        buying_ways=list(place.buying_ways),
        labels=list(place.labels),
        capacity=place.capacity,
        stars=place.stars,
        cuisine=list(place.cuisine),
        pets_allowed=place.pets_allowed,
        opening=OpeningOut(is_open=state.is_open, label=state.label, next_change=state.next_change),
        week=[
            DayOut(date=day, intervals=[(start.strftime("%H:%M"), end.strftime("%H:%M")) for start, end in spans])
            for day, spans in week
        ],
    )
