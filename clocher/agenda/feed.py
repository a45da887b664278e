"""The agenda's part of the home feed: coming events for the resident's territories, newest
published first, each with its next date.

Three queries whatever the page size (the events named in an audience, the page's events, then
their next dates): the next occurrence is a correlated subquery, the events are
those "for" the territories (clocher.agenda.selectors.for_territories), and "load more" pages by
publication time, strictly before the last one shown.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clocher.core.modules import FeedItem
from clocher.territories.content import visible_now
from clocher.territories.models import ModuleSetting

from .models import Event, EventStatus, Occurrence
from .selectors import LONGEST_OCCURRENCE, MODULE, for_territories_indexed
from .templatetags.agenda import event_url, when

STATES = {EventStatus.CANCELLED.value: gettext_lazy("Annulé"), EventStatus.POSTPONED.value: gettext_lazy("Reporté")}


def coming_events(
    territories: Sequence[Any], limit: int, before: datetime.datetime | None = None
) -> list[FeedItem]:
    """Feed function of the agenda module (clocher.core.modules.FeedFunction).

    Events published by or for `territories` that still have an occurrence to come (cancelled
    ones included, said so), newest publication first, at most `limit`, published strictly before
    `before` when given. The caller has already checked that the module is on for the resident;
    publishers that turned it off are left out here.
    """
    if not territories or limit <= 0:
        return []
    now = timezone.now()
    ids = [t.pk for t in territories]
    # Two indexed terms (the audience's territory, the publisher), not subqueries that would
    # make the database read every event.
    for_them = for_territories_indexed(ids)
    coming = Occurrence.objects.filter(
        event_id=OuterRef("pk"), starts_at__gte=now - LONGEST_OCCURRENCE, ends_at__gt=now
    )
    page = (
        visible_now(Event.objects.filter(for_them), now)
        .exclude(territory_id__in=ModuleSetting.objects.filter(module=MODULE, enabled=False).values("territory"))
        .filter(Exists(coming))
        .annotate(feed_at=Coalesce("published_at", "created_at"))
    )
    if before is not None:
        page = page.filter(feed_at__lt=before)
    next_one = coming.order_by("starts_at", "pk")
    events = (
        Event.objects.filter(pk__in=list(page.order_by("-feed_at", "-pk").values_list("pk", flat=True)[:limit]))
        .annotate(
            feed_at=Coalesce("published_at", "created_at"),
            next_start=Subquery(next_one.values("starts_at")[:1]),
            next_end=Subquery(next_one.values("ends_at")[:1]),
            next_all_day=Subquery(next_one.values("all_day")[:1]),
        )
        .select_related("territory", "organisation")
        .defer("territory__boundary", "ical", "description", "description_html")
    )
    items = []
    for event in events.order_by("-feed_at", "-pk"):
        summary = event.location_name or ""
        state = STATES.get(event.event_status)
        if state:
            summary = f"{state} · {summary}" if summary else str(state)
        items.append(
            FeedItem(
                title=event.title,
                url=event_url(event),
                published_at=event.feed_at,
                module=MODULE,
                territory_name=event.organisation.name if event.organisation else event.territory.name,
                summary=summary,
                kind=_("Événement"),
                when=when(event.next_start, bool(event.next_all_day), event.next_end),
                image_url=event.image.url if event.image else "",
                image_alt=event.image_alt,
            )
        )
    return items
