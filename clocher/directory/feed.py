"""The directory's part of the home feed, "near you": places open now in the resident's commune and
the next markets of the commune and its EPCI.

It runs on every home page: one bounded query (at most CANDIDATES rows), the opening hours
evaluated in memory with their parsed form cached per process.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db.models import BooleanField, Exists, OuterRef, Value
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from clocher.core.modules import FeedItem
from clocher.territories.content import visible_now
from clocher.territories.models import Territory, TerritoryKind

from .hours import PARIS, is_open_at, next_openings, opening_state
from .models import Place, PlaceCategory

OPEN_NOW_ITEMS = 3
MARKET_ITEMS = 3
# A commune and its EPCI's markets rarely pass this; beyond it, the feed shows some of them.
CANDIDATES = 300
MARKET_DAYS_AHEAD = 8


def _url(pk: int, name: str) -> str:
    try:
        return reverse("directory:place", kwargs={"pk": pk, "slug": slugify(name) or "lieu"})
    except NoReverseMatch:
        # Until the place pages are wired in, the API's page of the place still answers.
        return reverse("api-v1:detail", kwargs={"place_id": pk})


def _candidates(commune: Territory) -> list[tuple[int, str, str, str, int, bool]]:
    """The commune's places with hours, and the markets of the commune and its EPCI, markets first.

    Two branches joined by UNION, each on its own index (the commune's places by commune, the
    EPCI's markets by the EPCI's communes, listed first): one query with an OR made both databases
    read every place, 40 to 70 ms with 100,000 places.
    """
    columns = ("pk", "name", "opening_hours", "commune__name", "commune_id", "is_market")
    hours_given = visible_now(Place.objects.order_by()).exclude(opening_hours="")
    is_market = Exists(PlaceCategory.objects.filter(place=OuterRef("pk"), category="market"))
    rows = hours_given.filter(commune=commune).annotate(is_market=is_market).values_list(*columns)
    if commune.epci_id is not None:
        epci_communes = list(
            Territory.objects.filter(epci_id=commune.epci_id).order_by().values_list("pk", flat=True)
        )
        markets = (
            hours_given.filter(
                commune_id__in=epci_communes,
                pk__in=PlaceCategory.objects.filter(category="market").values("place_id"),
            )
            .annotate(is_market=Value(True, output_field=BooleanField()))
            .values_list(*columns)
        )
        rows = rows.union(markets)
    # Markets first: few, and the EPCI's would otherwise push the commune's places out.
    return list(rows.order_by("-is_market", "name", "pk")[:CANDIDATES])


def _open_now(
    commune: Territory, rows: list[tuple[int, str, str, str, int, bool]], now: datetime.datetime, count: int
) -> list[FeedItem]:
    items: list[FeedItem] = []
    for pk, name, hours, _commune_name, commune_id, market in rows:
        if market or commune_id != commune.pk or not is_open_at(hours, now):
            continue
        items.append(
            FeedItem(
                title=name,
                url=_url(pk, name),
                published_at=now,
                module="directory",
                territory_name=commune.name,
                summary=opening_state(hours, now).label,
            )
        )
        if len(items) >= count:
            break
    return items


def _next_markets(
    commune: Territory, rows: list[tuple[int, str, str, str, int, bool]], now: datetime.datetime, count: int
) -> list[FeedItem]:
    horizon = now + datetime.timedelta(days=MARKET_DAYS_AHEAD)
    upcoming: list[tuple[bool, datetime.datetime, datetime.datetime, tuple[int, str, str]]] = []
    for pk, name, hours, commune_name, commune_id, market in rows:
        if not market:
            continue
        for start, end in next_openings(hours, now, 1):
            if start <= horizon:
                # The resident's own commune first on the same day, then the earliest start.
                upcoming.append((commune_id != commune.pk, start, end, (pk, name, commune_name)))
    upcoming.sort(key=lambda entry: (entry[1].date(), entry[0], entry[1]))
    items = []
    for _elsewhere, start, end, (pk, name, commune_name) in upcoming[:count]:
        local = start.astimezone(PARIS)
        items.append(
            FeedItem(
                title=name,
                url=_url(pk, name),
                published_at=now,
                module="directory",
                territory_name=commune_name or "",
                summary=_("Marché %(day)s, %(start)s–%(end)s")
                % {
                    "day": formats.date_format(local, "l j F").lower(),
                    "start": local.strftime("%H:%M"),
                    "end": end.astimezone(PARIS).strftime("%H:%M"),
                },
            )
        )
    return items


def near_you(
    territories: Sequence[Any], count: int, before: datetime.datetime | None = None
) -> list[FeedItem]:
    """Feed function of the directory module (clocher.core.modules.FeedFunction).

    `territories[0]` is the resident's commune; nothing is contributed for a territory that is not
    a commune (a visitor who chose none). "Near you" is about now: it shows on the first page of the
    feed only, never on the pages "load more" brings.
    """
    if not territories or count <= 0 or before is not None:
        return []
    commune = territories[0]
    if getattr(commune, "kind", None) != TerritoryKind.COMMUNE:
        return []
    now = timezone.now()
    rows = _candidates(commune)
    items = _open_now(commune, rows, now, min(OPEN_NOW_ITEMS, count))
    items += _next_markets(commune, rows, now, min(MARKET_ITEMS, count))
    return items[:count]
