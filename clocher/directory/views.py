"""The resident's pages of the directory: places around a commune or a person, a place, the map, the
useful contacts.

Every page works without JavaScript: "near me" falls back on the commune's centre, the map pages
keep a link to the list. Pages under a commune code answer 404 where the commune has the module off
(PortalMiddleware checks it); a place's page checks its own commune.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, get_language_info, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from clocher.territories.home import chosen_commune
from clocher.territories.http import PortalRequest
from clocher.territories.models import Portal, Territory
from clocher.territories.search import search_territories
from clocher.territories.selectors import (
    access_commune,
    ancestors,
    is_module_enabled,
    territories_of_portal,
)

from .contacts import contacts_for
from .hours import opening_state, week_schedule
from .models import Access, Place
from .selectors import access_place, filter_open_now, filter_places, places_near, visible_places
from .taxonomy import CATEGORIES
from .templatetags.places import place_url

MODULE = "directory"
PARIS = ZoneInfo("Europe/Paris")
PER_PAGE = 20
# "Near me" keeps this many places at most: twenty pages of results is more than anyone reads.
NEAR_LIMIT = 400
DEFAULT_RADIUS_KM = 10
RADIUS_CHOICES_KM = (1, 2, 5, 10, 20, 50)
QUERY_MAX_LENGTH = 80
INSEE_CODE = re.compile(r"(?:\d{2}|2[AB])\d{3}")
MARKERS_URL = "/api/v1/places/markers"
# How a place's provenance reads on its page.
SOURCE_NAMES = {"datatourisme": "DATAtourisme"}


def _category_choices() -> list[tuple[str, Any]]:
    """Categories grouped as the taxonomy groups them, for a <select> with <optgroup>s."""
    groups: dict[str, list[tuple[str, Any]]] = {}
    labels: dict[str, Any] = {}
    for category in CATEGORIES:
        key = str(category.group)
        labels[key] = category.group
        groups.setdefault(key, []).append((category.slug, category.label))
    return [("", gettext_lazy("Toutes les catégories"))] + [
        (labels[key], choices) for key, choices in groups.items()
    ]


def _printable(text: str) -> str:
    # Control characters (a NUL byte) are no search, and PostgreSQL refuses them outright.
    return "".join(ch for ch in text if ch.isprintable()).strip()


class PlaceFilterForm(forms.Form):
    """What a resident narrows the list with. Every field is optional; bad values are form errors."""

    q = forms.CharField(label=gettext_lazy("Rechercher"), required=False, max_length=QUERY_MAX_LENGTH)
    category = forms.ChoiceField(label=gettext_lazy("Catégorie"), required=False, choices=_category_choices)
    commune = forms.CharField(
        label=gettext_lazy("Commune"), required=False, max_length=QUERY_MAX_LENGTH,
        help_text=gettext_lazy("Nom, code postal ou code INSEE"),
    )
    open = forms.BooleanField(label=gettext_lazy("Ouvert maintenant"), required=False)
    accessible = forms.BooleanField(label=gettext_lazy("Accessible en fauteuil roulant"), required=False)
    near = forms.BooleanField(
        label=gettext_lazy("Près de moi"), required=False,
        help_text=gettext_lazy("Votre position si votre téléphone la donne, sinon le centre de la commune."),
    )
    radius = forms.TypedChoiceField(
        label=gettext_lazy("Distance"), required=False, coerce=int, empty_value=None,
        choices=[(km, gettext_lazy("%(km)d km") % {"km": km}) for km in RADIUS_CHOICES_KM],
    )
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)

    def __init__(self, *args: Any, portal: Portal, with_commune: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.portal = portal
        self.fields["radius"].initial = DEFAULT_RADIUS_KM
        if not with_commune:
            del self.fields["commune"]

    def clean_q(self) -> str:
        return _printable(self.cleaned_data.get("q") or "")

    def clean_lat(self) -> float | None:
        return self._finite("lat")

    def clean_lon(self) -> float | None:
        return self._finite("lon")

    def _finite(self, name: str) -> float | None:
        value: float | None = self.cleaned_data.get(name)
        if value is not None and not math.isfinite(value):
            raise forms.ValidationError(_("Position illisible."))
        return value

    def clean_commune(self) -> Territory | None:
        text = _printable(self.cleaned_data.get("commune") or "")
        if not text:
            return None
        within = territories_of_portal(self.portal)
        if INSEE_CODE.fullmatch(text.upper()):
            try:
                return access_commune(self.portal, text.upper())
            except Http404:
                pass
        found = search_territories(text, within=within, limit=1)
        if not found:
            raise forms.ValidationError(
                _("Aucune commune de ce territoire ne correspond à « %(query)s ».") % {"query": text}
            )
        return found[0]


@dataclass
class Row:
    """One place as the list shows it."""

    place: Place
    distance_m: float | None
    state_label: str
    is_open: bool | None

    @property
    def categories(self) -> list[str]:
        return [link.category for link in self.place.category_links.all()]


def _rows(places: Sequence[tuple[Place, float | None]], now: datetime.datetime) -> list[Row]:
    rows = []
    for place, metres in places:
        state = opening_state(place.opening_hours, now)
        rows.append(Row(place, metres, state.label, state.is_open))
    return rows


def _from_centre_of(name: str) -> str:
    # French elides "de" before a vowel or a mute h: "du centre d’Auch", "du centre de Marciac".
    if name[:1].lower() in "aeiouyhâéèêîôû":
        return _("du centre d’%(name)s") % {"name": name}
    return _("du centre de %(name)s") % {"name": name}


def _centre(territory: Territory | None) -> tuple[float, float] | None:
    if territory is None or territory.center_lat is None or territory.center_lon is None:
        return None
    return (territory.center_lat, territory.center_lon)


def _page_number(request: PortalRequest) -> str:
    return request.GET.get("page", "1")[:8]


def _search(request: PortalRequest, commune: Territory | None) -> dict[str, Any]:
    """Reads the filters, finds the places and returns what the list template needs.

    `commune` is the page's commune (its places and those around it), None on the portal-wide list.
    """
    portal = request.portal
    params = None
    if request.GET:
        params = request.GET.copy()
        # A bound form shows what was sent: a search without a distance shows the default one.
        params.setdefault("radius", str(DEFAULT_RADIUS_KM))
    form = PlaceFilterForm(params, portal=portal, with_commune=commune is None)
    now = timezone.now()
    data: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    chosen_territory: Territory | None = data.get("commune")
    radius_km: int = data.get("radius") or DEFAULT_RADIUS_KM
    qs = filter_places(
        visible_places(portal),
        category=data.get("category") or None,
        territory=None,
        q=data.get("q") or None,
        accessible=bool(data.get("accessible")),
    )
    # Where distances are measured from, if anywhere: the phone's position, else the commune's centre.
    origin: tuple[float, float] | None = None
    origin_label = ""
    notice = ""
    base = commune or chosen_territory
    if data.get("near"):
        if data.get("lat") is not None and data.get("lon") is not None:
            origin = (data["lat"], data["lon"])
            origin_label = _("de votre position")
        else:
            base = base or chosen_commune(request)
            origin = _centre(base)
            if origin is None:
                notice = _(
                    "Votre position n’est pas connue : choisissez une commune, "
                    "nous mesurerons les distances depuis son centre."
                )
    elif commune is not None:
        origin = _centre(commune)
    if origin is not None and base is not None and not origin_label:
        origin_label = _from_centre_of(base.name)
    if data.get("open"):
        qs = filter_open_now(qs, now)
    truncated = False
    page: Page[Any]
    if origin is not None:
        found = places_near(qs, origin[0], origin[1], radius_km * 1000, NEAR_LIMIT)
        truncated = len(found) >= NEAR_LIMIT
        page = Paginator(found, PER_PAGE).get_page(_page_number(request))
        rows = _rows(list(page.object_list), now)
    else:
        if base is not None:
            qs = filter_places(qs, territory=base)
        page = Paginator(qs.order_by("name", "pk"), PER_PAGE).get_page(_page_number(request))
        rows = _rows([(place, None) for place in page.object_list], now)
    return {
        "form": form,
        "page": page,
        "rows": rows,
        "origin": origin,
        "origin_label": origin_label,
        "radius_km": radius_km,
        "notice": notice,
        "truncated": truncated,
        "base": base,
        "filtered": bool(data) and any(
            data.get(name) for name in ("q", "category", "commune", "open", "accessible", "near")
        ),
    }


@require_GET
def places(request: PortalRequest, code: str) -> HttpResponse:
    """The module's entry page for a commune: its places and those around it, nearest first."""
    commune = access_commune(request.portal, code)
    context = _search(request, commune)
    context["commune"] = commune
    context["action"] = reverse("directory:places", kwargs={"code": commune.code})
    return render(request, "directory/places.html", context)


@require_GET
def all_places(request: PortalRequest) -> HttpResponse:
    """Every place of the portal, narrowed by the filters."""
    context = _search(request, None)
    context["commune"] = None
    context["action"] = reverse("directory:all_places")
    return render(request, "directory/places.html", context)


ACCESS_QUESTIONS = {
    "wheelchair": gettext_lazy("Accès en fauteuil roulant"),
    "hearing": gettext_lazy("Accueil des personnes sourdes ou malentendantes"),
    "sight": gettext_lazy("Accueil des personnes aveugles ou malvoyantes"),
    "mental": gettext_lazy("Accueil des personnes avec un handicap mental"),
}


def _access_items(place: Place) -> list[tuple[str, str, str]]:
    """The accessibility facts that are known: (what, answer, answer's code)."""
    items = []
    for field_name, question in ACCESS_QUESTIONS.items():
        value = getattr(place, field_name)
        if value and value in Access.values:
            items.append((str(question), str(Access(value).label), value))
    return items


def _language_names(codes: list[str]) -> list[str]:
    """Languages spoken, named in the page's language when Django knows them ("en" → "anglais")."""
    french = (get_language() or "fr").startswith("fr")
    names = []
    for code in codes:
        text = code.strip()
        try:
            name = str(get_language_info(text.lower())["name_translated"])
        except KeyError:
            name = text
        # French writes language names in lower case within a sentence.
        names.append(name.lower() if french else name)
    return names


def _as_texts(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(item) for item in value if str(item).strip()]
    return [str(value)] if value else []


@require_GET
def place(request: PortalRequest, pk: int, slug: str | None = None) -> HttpResponse:
    found = access_place(request.portal, pk)
    if found.commune is None or not is_module_enabled(request.portal, found.commune, MODULE):
        raise Http404(_("Ce service n'est pas proposé dans cette commune."))
    canonical = place_url(found)
    if slug is not None and request.path != canonical:
        return HttpResponsePermanentRedirect(canonical)
    now = timezone.now()
    today = now.astimezone(PARIS).date()
    context = {
        "place": found,
        "categories": [link.category for link in found.category_links.all()],
        "state": opening_state(found.opening_hours, now),
        "week": week_schedule(found.opening_hours, today) if found.opening_hours else [],
        "today": today,
        "photos": list(found.photos.all()),
        "access_items": _access_items(found),
        "languages": _language_names(_as_texts(found.languages)),
        "products": _as_texts(found.products),
        "buying_ways": _as_texts(found.buying_ways),
        "labels": _as_texts(found.labels),
        "cuisine": _as_texts(found.cuisine),
        "share_url": request.build_absolute_uri(canonical),
        "source": SOURCE_NAMES.get(found.source, found.source),
        "has_location": found.lat is not None and found.lon is not None,
    }
    return render(request, "directory/place.html", context)


@require_GET
def map_view(request: PortalRequest) -> HttpResponse:
    """Every place of the portal on one map, clustered; the list stays one link away."""
    portal = request.portal
    center = chosen_commune(request)
    root = portal.root
    context = {
        "markers_url": MARKERS_URL,
        "category_groups": _category_choices()[1:],
        "category_labels_json": json.dumps({c.slug: str(c.label) for c in CATEGORIES}, ensure_ascii=False),
        "place_url_pattern": reverse("directory:place", kwargs={"pk": 0}),
        "center": center if center is not None and center.center_lat is not None else None,
        "bounds": (
            (root.min_lat, root.min_lon, root.max_lat, root.max_lon)
            if None not in (root.min_lat, root.min_lon, root.max_lat, root.max_lon)
            else None
        ),
        "root_center": (
            (root.center_lat, root.center_lon)
            if root.center_lat is not None and root.center_lon is not None
            else None
        ),
    }
    return render(request, "directory/map.html", context)


@require_GET
def contacts(request: PortalRequest, code: str) -> HttpResponse:
    """Who to call, by theme: national numbers and those of the commune, its EPCI, its département."""
    commune = access_commune(request.portal, code)
    groups = contacts_for(ancestors(commune))
    return render(request, "directory/contacts.html", {"commune": commune, "groups": groups})
