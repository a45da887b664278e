"""The resident's "next markets" page: the markets of a commune and around it, day by day, for the
coming week."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from clocher.territories.http import PortalRequest
from clocher.territories.models import Portal, Territory
from clocher.territories.selectors import access_commune

from .hours import next_openings
from .models import Place
from .selectors import filter_places, places_near, visible_places

PARIS = ZoneInfo("Europe/Paris")
MARKET = "market"
RADIUS_M = 15_000
DAYS = 7
# A market holds at most a few sessions a day: two a day over a week is plenty to ask for.
OPENINGS_PER_MARKET = 2 * DAYS
# More markets than this within 15 km is more than a page lists.
MARKETS_LIMIT = 100


@dataclass
class Session:
    """One market on one day."""

    place: Place
    start: datetime.datetime
    end: datetime.datetime
    distance_km: float | None


@dataclass
class Day:
    """A day and its markets, earliest first."""

    day: datetime.date
    sessions: list[Session] = field(default_factory=list)


def markets_around(portal: Portal, commune: Territory) -> list[tuple[Place, float | None]]:
    """The visible markets of the commune (even without coordinates) and those within 15 km of its
    centre, nearest first, with their distance in metres (None when it cannot be measured)."""
    qs = filter_places(visible_places(portal), category=MARKET)
    found: list[tuple[Place, float | None]] = []
    if commune.center_lat is not None and commune.center_lon is not None:
        found.extend(places_near(qs, commune.center_lat, commune.center_lon, RADIUS_M, MARKETS_LIMIT))
    seen = {place.pk for place, _distance in found}
    found.extend((place, None) for place in qs.filter(commune=commune).exclude(pk__in=seen)[:MARKETS_LIMIT])
    return found


def week_of_markets(
    markets: list[tuple[Place, float | None]], now: datetime.datetime
) -> list[Day]:
    """The sessions of these markets over the coming seven days from `now`, grouped by day (Paris
    time); a session already running counts. Days without a market are left out."""
    now = now.astimezone(PARIS)
    horizon = now + datetime.timedelta(days=DAYS)
    days: dict[datetime.date, Day] = {}
    for place, distance in markets:
        for start, end in next_openings(place.opening_hours, now, OPENINGS_PER_MARKET):
            if start >= horizon:
                break
            km = None if distance is None else distance / 1000
            days.setdefault(start.date(), Day(start.date())).sessions.append(Session(place, start, end, km))
    for day in days.values():
        day.sessions.sort(key=lambda s: (s.start, s.distance_km if s.distance_km is not None else 0, s.place.name))
    return [days[key] for key in sorted(days)]


@require_GET
def markets(request: PortalRequest, code: str) -> HttpResponse:
    """The next markets in and around a commune, by day, for the coming week."""
    commune = access_commune(request.portal, code)
    found = markets_around(request.portal, commune)
    days = week_of_markets(found, timezone.now())
    without_hours = [place for place, _distance in found if not place.opening_hours]
    return render(request, "directory/markets.html", {
        "commune": commune, "days": days, "without_hours": without_hours, "radius_km": RADIUS_M // 1000,
    })
