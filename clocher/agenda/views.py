"""The resident's agenda pages: what happens today, this weekend, this week, in a month, by
category and near me, in and for a commune; an event's page and its "add to my calendar" file.

Every page works without JavaScript: "near me" falls back on the commune's centre, "load more" is
a link to the next page (htmx, when present, appends the next items in place). Pages under a
commune code answer 404 where the commune has the agenda off (PortalMiddleware checks it); an
event's page follows the visibility of clocher.agenda.selectors.
"""

from __future__ import annotations

import calendar
import datetime
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from clocher.directory.models import Access
from clocher.territories.content import Status
from clocher.territories.http import PortalRequest
from clocher.territories.models import Territory
from clocher.territories.selectors import access_commune, ancestors

from .models import Event, EventStatus
from .selectors import Found, access_event, next_occurrences, occurrences_between
from .taxonomy import CATEGORIES, category_choices, category_label
from .templatetags.agenda import event_url

PARIS = ZoneInfo("Europe/Paris")
PER_PAGE = 20
MAX_PAGE = 50
# A month's grid shows at most this many occurrences; beyond, the list by week says the rest.
MONTH_LIMIT = 600
CATEGORY_DAYS = 60
RADIUS_CHOICES_KM = (5, 10, 20, 50)
DEFAULT_RADIUS_KM = 20
NEXT_DATES = 10

PERIODS: dict[str, Any] = {
    "aujourdhui": gettext_lazy("Aujourd’hui"),
    "weekend": gettext_lazy("Ce week-end"),
    "semaine": gettext_lazy("Cette semaine"),
    "mois": gettext_lazy("Ce mois-ci"),
}
LIST_PERIODS = ("aujourdhui", "weekend", "semaine")
DEFAULT_PERIOD = "semaine"


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=PARIS)


def period_bounds(name: str, now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The window of a period, in Europe/Paris, from now (what is over today is not shown again).

    "weekend": Saturday and Sunday of this week (the rest of it when it has begun); "semaine":
    today and the six days after; "mois": thirty days.
    """
    local = now.astimezone(PARIS)
    today = local.date()
    if name == "aujourdhui":
        return now, _midnight(today + datetime.timedelta(days=1))
    if name == "weekend":
        saturday = today + datetime.timedelta(days=(5 - today.weekday()) % 7)
        if today.weekday() == 6:
            saturday = today - datetime.timedelta(days=1)
        start = max(now, _midnight(saturday))
        return start, _midnight(saturday + datetime.timedelta(days=2))
    if name == "mois":
        return now, _midnight(today + datetime.timedelta(days=30))
    return now, _midnight(today + datetime.timedelta(days=7))


def _page(request: PortalRequest) -> int:
    try:
        number = int(request.GET.get("page", "1")[:4])
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


@dataclass
class Listing:
    """One page of occurrences, grouped by day for the list."""

    found: list[Found]
    page: int
    has_next: bool

    @property
    def days(self) -> list[tuple[datetime.date, list[Found]]]:
        groups: dict[datetime.date, list[Found]] = {}
        for item in self.found:
            groups.setdefault(item.occurrence.starts_at.astimezone(PARIS).date(), []).append(item)
        return list(groups.items())


def _listing(request: PortalRequest, **query: Any) -> Listing:
    page = _page(request)
    found = occurrences_between(request.portal, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE, **query)
    return Listing(found[:PER_PAGE], page, len(found) > PER_PAGE)


def _render_list(request: PortalRequest, context: dict[str, Any]) -> HttpResponse:
    if request.headers.get("HX-Request") and context["listing"].page > 1:
        return render(request, "agenda/list.html#items", context)
    return render(request, "agenda/list.html", context)


def _common(commune: Territory, tab: str) -> dict[str, Any]:
    return {
        "commune": commune,
        "tab": tab,
        "periods": [(key, PERIODS[key]) for key in LIST_PERIODS],
        "feed_url": reverse("agenda:territory_ics", kwargs={"territory_code": commune.code}),
    }


@require_GET
def home(request: PortalRequest, code: str) -> HttpResponse:
    """The agenda of a commune: what it, its EPCI and its département publish for it, by period."""
    commune = access_commune(request.portal, code)
    period = request.GET.get("quand", DEFAULT_PERIOD)
    if period not in LIST_PERIODS:
        period = DEFAULT_PERIOD
    start, end = period_bounds(period, timezone.now())
    listing = _listing(request, start=start, end=end, territories=ancestors(commune))
    context = {
        **_common(commune, period),
        "listing": listing,
        "heading": PERIODS[period],
        "window": (start, end - datetime.timedelta(seconds=1)),
        "empty": _("Rien n’est annoncé pour cette période."),
    }
    return _render_list(request, context)


class CategoryForm(forms.Form):
    categorie = forms.ChoiceField(
        label=gettext_lazy("Catégorie"), choices=lambda: [("", _("Choisir une catégorie")), *category_choices()]
    )


@require_GET
def by_category(request: PortalRequest, code: str) -> HttpResponse:
    """The next two months of one category, for the commune; without a choice, the categories."""
    commune = access_commune(request.portal, code)
    form = CategoryForm(request.GET or None)
    context: dict[str, Any] = {**_common(commune, "categorie"), "category_form": form, "heading": _("Par catégorie")}
    if form.is_bound and form.is_valid():
        chosen = form.cleaned_data["categorie"]
        now = timezone.now()
        end = _midnight(now.astimezone(PARIS).date() + datetime.timedelta(days=CATEGORY_DAYS))
        context["listing"] = _listing(
            request, start=now, end=end, territories=ancestors(commune), categories=[chosen]
        )
        context["heading"] = category_label(chosen)
        context["empty"] = _("Rien n’est annoncé dans cette catégorie pour les deux mois à venir.")
        return _render_list(request, context)
    context["categories"] = [
        (code_, label, reverse("agenda:categories", kwargs={"code": commune.code}) + f"?categorie={code_}")
        for code_, label in CATEGORIES.items()
    ]
    return render(request, "agenda/list.html", context, status=400 if form.is_bound else 200)


class NearForm(forms.Form):
    """Where "near me" measures from: the phone's position when sent, else the commune's centre."""

    rayon = forms.TypedChoiceField(
        label=gettext_lazy("Distance"), coerce=int, required=False, empty_value=None,
        choices=[(km, gettext_lazy("%(km)d km") % {"km": km}) for km in RADIUS_CHOICES_KM],
    )
    quand = forms.ChoiceField(
        label=gettext_lazy("Quand"), required=False,
        choices=[(key, PERIODS[key]) for key in ("aujourdhui", "weekend", "semaine", "mois")],
    )
    near = forms.BooleanField(
        label=gettext_lazy("Depuis ma position"), required=False,
        help_text=gettext_lazy("Votre position si votre téléphone la donne, sinon le centre de la commune."),
    )
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("lat", "lon"):
            value = data.get(name)
            if value is not None and not math.isfinite(value):
                raise forms.ValidationError(_("Position illisible."))
        return data


def _from_centre_of(name: str) -> str:
    # French elides "de" before a vowel or a mute h: "du centre d’Auch", "du centre de Marciac".
    if name[:1].lower() in "aeiouyhâéèêîôû":
        return _("du centre d’%(name)s") % {"name": name}
    return _("du centre de %(name)s") % {"name": name}


@require_GET
def near(request: PortalRequest, code: str) -> HttpResponse:
    """Everything the portal shows within a distance, earliest first then nearest, whoever
    publishes it: the phone's position when the browser gave it, else the commune's centre."""
    commune = access_commune(request.portal, code)
    form = NearForm(request.GET or None, initial={"rayon": DEFAULT_RADIUS_KM, "quand": "weekend"})
    data: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    radius_km: int = data.get("rayon") or DEFAULT_RADIUS_KM
    period: str = data.get("quand") or "weekend"
    origin: tuple[float, float] | None = None
    if data.get("near") and data.get("lat") is not None and data.get("lon") is not None:
        origin = (data["lat"], data["lon"])
        origin_label = _("de votre position")
    else:
        if commune.center_lat is not None and commune.center_lon is not None:
            origin = (commune.center_lat, commune.center_lon)
        origin_label = _from_centre_of(commune.name)
    start, end = period_bounds(period, timezone.now())
    context: dict[str, Any] = {
        **_common(commune, "pres"),
        "near_form": form,
        "heading": _("Près de moi"),
        "origin_label": origin_label,
        "radius_km": radius_km,
        "period_label": PERIODS[period],
        "empty": _("Rien n’est annoncé à cette distance pour cette période. Essayez une distance plus grande."),
    }
    if origin is None:
        context["notice"] = _("Le centre de cette commune n’est pas connu : les distances ne peuvent pas être mesurées.")
        context["listing"] = Listing([], 1, False)
    else:
        context["listing"] = _listing(request, start=start, end=end, near=origin, radius_m=radius_km * 1000)
    status = 400 if form.is_bound and not form.is_valid() else 200
    if status == 200:
        return _render_list(request, context)
    return render(request, "agenda/list.html", context, status=status)


@dataclass
class Cell:
    day: datetime.date
    in_month: bool
    items: list[Found]


def _month(text: str, today: datetime.date) -> datetime.date | None:
    if not text:
        return today.replace(day=1)
    try:
        year, month = (int(part) for part in text.split("-", 1))
        return datetime.date(year, month, 1) if 2000 <= year <= 2100 else None
    except ValueError:
        return None


def _shift(first: datetime.date, months: int) -> datetime.date:
    index = first.year * 12 + first.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


@require_GET
def month(request: PortalRequest, code: str) -> HttpResponse:
    """A month as a calendar table (weeks as rows, Monday first), with the previous and next months."""
    commune = access_commune(request.portal, code)
    today = timezone.now().astimezone(PARIS).date()
    first = _month(request.GET.get("mois", "")[:7], today)
    if first is None:
        raise Http404(_("Mois introuvable."))
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    start, end = _midnight(weeks[0][0]), _midnight(weeks[-1][-1] + datetime.timedelta(days=1))
    found = occurrences_between(
        request.portal, start, end, territories=ancestors(commune), limit=MONTH_LIMIT + 1
    )
    by_day: dict[datetime.date, list[Found]] = {}
    for item in found[:MONTH_LIMIT]:
        occurrence = item.occurrence
        day = max(occurrence.starts_at.astimezone(PARIS).date(), weeks[0][0])
        # A stretch of several days shows on each of its days within the grid.
        last = (occurrence.ends_at.astimezone(PARIS) - datetime.timedelta(seconds=1)).date()
        while day <= min(last, weeks[-1][-1]):
            by_day.setdefault(day, []).append(item)
            day += datetime.timedelta(days=1)
    url = reverse("agenda:month", kwargs={"code": commune.code})
    context = {
        **_common(commune, "mois"),
        "first": first,
        "weeks": [[Cell(day, day.month == first.month, by_day.get(day, [])) for day in week] for week in weeks],
        "days": sorted(((day, items) for day, items in by_day.items() if day.month == first.month), key=lambda pair: pair[0]),
        "today": today,
        "previous_url": f"{url}?mois={_shift(first, -1):%Y-%m}",
        "next_url": f"{url}?mois={_shift(first, 1):%Y-%m}",
        "previous_month": _shift(first, -1),
        "next_month": _shift(first, 1),
        "truncated": len(found) > MONTH_LIMIT,
        "weekdays": [_("Lundi"), _("Mardi"), _("Mercredi"), _("Jeudi"), _("Vendredi"), _("Samedi"), _("Dimanche")],
    }
    return render(request, "agenda/month.html", context)


ACCESS_QUESTIONS = {
    "wheelchair": gettext_lazy("Accès en fauteuil roulant"),
    "hearing": gettext_lazy("Accueil des personnes sourdes ou malentendantes"),
    "sight": gettext_lazy("Accueil des personnes aveugles ou malvoyantes"),
    "mental": gettext_lazy("Accueil des personnes avec un handicap mental"),
}


def _access_items(event: Event) -> list[tuple[str, str]]:
    items = []
    for field_name, question in ACCESS_QUESTIONS.items():
        value = getattr(event, field_name)
        if value and value in Access.values:
            items.append((str(question), str(Access(value).label)))
    return items


def _location(event: Event) -> tuple[float, float] | None:
    if event.lat is not None and event.lon is not None:
        return (event.lat, event.lon)
    place = event.place
    if place is not None and place.lat is not None and place.lon is not None:
        return (place.lat, place.lon)
    return None


@require_GET
def event(request: PortalRequest, pk: int, slug: str | None = None) -> HttpResponse:
    """An event: its state, dates, place and map, price, booking, accessibility, organiser, share,
    and its .ics for the resident's own calendar."""
    found = access_event(request.portal, pk)
    canonical = event_url(found)
    if request.path != canonical:
        return HttpResponsePermanentRedirect(canonical)
    upcoming = next_occurrences(found, NEXT_DATES + 1)
    place = found.place if found.place is not None and found.place.status == Status.PUBLISHED else None
    location = _location(found)
    context = {
        "event": found,
        "categories": [link.category for link in found.categories.all()],
        "upcoming": upcoming[:NEXT_DATES],
        "more_dates": len(upcoming) > NEXT_DATES,
        "is_over": not upcoming,
        "is_cancelled": found.event_status == EventStatus.CANCELLED,
        "is_postponed": found.event_status == EventStatus.POSTPONED,
        "place": place,
        "commune": found.commune,
        "location": location,
        "access_items": _access_items(found),
        "organiser": found.organisation.name if found.organisation else found.territory.name,
        "share_url": request.build_absolute_uri(canonical),
        "ics_url": reverse("agenda:event_ics", kwargs={"pk": found.pk}),
    }
    return render(request, "agenda/event.html", context)
