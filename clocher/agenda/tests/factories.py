"""Events for tests, written with the ORM: an event and its occurrence rows, as the services would
materialise them (lat, lon and commune copied from the event)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from clocher.agenda.models import Event, EventCategory, Occurrence
from clocher.territories.content import Status
from clocher.territories.models import Territory

PARIS = ZoneInfo("Europe/Paris")
AUCH = (43.6465, 0.5855)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def north_of_auch(metres: float) -> tuple[float, float]:
    return AUCH[0] + metres / 111_320, AUCH[1]


def make_event(
    territory: Territory,
    title: str,
    starts_at: datetime.datetime,
    *,
    duration: datetime.timedelta = datetime.timedelta(hours=2),
    categories: Sequence[str] = (),
    audience: Sequence[Territory] = (),
    repeats: Sequence[datetime.datetime] = (),
    cancelled: Sequence[datetime.datetime] = (),
    **fields: Any,
) -> Event:
    """A published event of `territory` happening at `starts_at`, and again at each of `repeats`.

    Its commune defaults to the publisher when that is a commune; `cancelled` starts are
    occurrences marked cancelled.
    """
    fields.setdefault("status", Status.PUBLISHED)
    fields.setdefault("published_at", starts_at - datetime.timedelta(days=30))
    if territory.is_commune:
        fields.setdefault("commune", territory)
    if repeats and "rrule" not in fields:
        fields["rdates"] = [moment.isoformat() for moment in repeats]
    event = Event.objects.create(
        territory=territory, title=title, starts_at=starts_at, ends_at=starts_at + duration, **fields
    )
    EventCategory.objects.bulk_create([EventCategory(event=event, category=code) for code in categories])
    if audience:
        event.audience.set(audience)
    starts = [starts_at, *repeats, *cancelled]
    Occurrence.objects.bulk_create(
        [
            Occurrence(
                event=event, starts_at=moment, ends_at=moment + duration, all_day=event.all_day,
                lat=event.lat, lon=event.lon, commune=event.commune, is_cancelled=moment in cancelled,
            )
            for moment in sorted(starts)
        ]
    )
    return event
