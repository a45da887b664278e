"""Territories in the API: search by name or postcode, the commune at a point, one territory.

Every endpoint answers within the portal of the request's host: a commune of another portal is a
404, exactly like one that does not exist (docs/decisions/0006).
"""

from __future__ import annotations

from typing import Annotated

from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from clocher.territories.lookup import commune_at
from clocher.territories.models import Portal, Territory, TerritoryKind
from clocher.territories.search import search_territories
from clocher.territories.selectors import access_territory, is_in_portal, territories_of_portal

QUERY_MAX_LENGTH = 100
SEARCH_MAX_LIMIT = 50

router = Router(tags=["Territoires"])


class TerritoryRef(Schema):
    code: str
    name: str


class Point(Schema):
    lat: float
    lon: float


class TerritoryOut(Schema):
    code: str = Field(description="Code INSEE (commune, département, région) ou SIREN (EPCI).")
    name: str
    kind: TerritoryKind
    siren: str
    postcodes: list[str]
    population: int | None
    is_active: bool = Field(description="Faux pour une commune qui a fusionné dans une autre.")
    epci: TerritoryRef | None
    departement: TerritoryRef | None
    region: TerritoryRef | None
    center: Point | None = Field(description="Un point à l'intérieur du territoire (WGS 84).")


class Message(Schema):
    """How every error is answered (HttpError's shape), documented in the OpenAPI document."""

    detail: str


def _portal(request: HttpRequest) -> Portal:
    portal: Portal | None = getattr(request, "portal", None)
    if portal is None:
        raise HttpError(404, _("Aucun portail ne répond à cette adresse."))
    return portal


def _ref(territory: Territory | None) -> TerritoryRef | None:
    return TerritoryRef(code=territory.code, name=territory.name) if territory is not None else None


def _out(territory: Territory, postcodes: list[str]) -> TerritoryOut:
    center = None
    if territory.center_lat is not None and territory.center_lon is not None:
        center = Point(lat=territory.center_lat, lon=territory.center_lon)
    return TerritoryOut(
        code=territory.code,
        name=territory.name,
        kind=TerritoryKind(territory.kind),
        siren=territory.siren,
        postcodes=postcodes,
        population=territory.population,
        is_active=territory.is_active,
        epci=_ref(territory.epci),
        departement=_ref(territory.departement),
        region=_ref(territory.region),
        center=center,
    )


def _postcodes_of(territory: Territory) -> list[str]:
    return sorted(p.code for p in territory.postcodes.all())


@router.get(
    "",
    response={200: list[TerritoryOut], 400: Message},
    summary="Chercher un territoire par son nom ou son code postal",
)
def search(
    request: HttpRequest,
    q: Annotated[str, Query(description="Nom (accents, majuscules et tirets indifférents) ou code postal.")],
    kind: TerritoryKind | None = None,
    limit: Annotated[int, Query(ge=1, le=SEARCH_MAX_LIMIT)] = 10,
) -> list[TerritoryOut]:
    """The territories of this portal whose name or postcode matches, best first."""
    portal = _portal(request)
    query = q.strip()
    if not query:
        raise HttpError(400, _("Saisissez un nom de commune ou un code postal."))
    if len(query) > QUERY_MAX_LENGTH:
        raise HttpError(
            400, _("La recherche est trop longue (%(max)d caractères au plus).") % {"max": QUERY_MAX_LENGTH}
        )
    kinds = (kind.value,) if kind is not None else tuple(TerritoryKind.values)
    found = search_territories(query, within=territories_of_portal(portal), kinds=kinds, limit=limit)
    prefetch_related_objects(found, "region", "postcodes")
    return [_out(t, _postcodes_of(t)) for t in found]


@router.get(
    "/at",
    response={200: TerritoryOut, 404: Message},
    summary="La commune qui contient un point",
)
def at(
    request: HttpRequest,
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude WGS 84, en degrés.")],
    lon: Annotated[float, Query(ge=-180, le=180, description="Longitude WGS 84, en degrés.")],
) -> TerritoryOut:
    """The commune of this portal whose boundary contains the point, with its EPCI and département."""
    portal = _portal(request)
    commune = commune_at(lat, lon)
    if commune is None or not is_in_portal(portal, commune):
        raise HttpError(404, _("Aucune commune de ce portail ne se trouve à cet endroit."))
    return _out(commune, _postcodes_of(commune))


@router.get(
    "/{kind}/{code}",
    response={200: TerritoryOut, 404: Message},
    summary="Un territoire par son type et son code officiel",
)
def detail(request: HttpRequest, kind: TerritoryKind, code: str) -> TerritoryOut:
    """One territory of this portal; another portal's is a 404, like one that does not exist."""
    portal = _portal(request)
    try:
        territory = access_territory(portal, kind=kind.value, code=code)
    except Http404:
        raise HttpError(404, _("Territoire introuvable.")) from None
    return _out(territory, _postcodes_of(territory))
