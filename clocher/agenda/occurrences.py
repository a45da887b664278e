"""When an event happens: its recurrence expanded into occurrences, and their materialised rows.

One engine for every event (docs/decisions/0008-occurrences.md): an imported event keeps the
VEVENTs its source sent (`Event.ical`); an event written by staff is turned into the VEVENT it
would be in a calendar (DTSTART with TZID Europe/Paris, RRULE, RDATE, EXDATE). Both are expanded
by `recurring_ical_events`, the library the issue takes as the reference, so the dates Clocher
shows are those calendar apps show, summer time, moved and cancelled occurrences included.

Rows are materialised from the first start up to now + HORIZON (a periodic task in tasks.py
pushes the horizon forward), at most MAX_PER_EVENT per event.
"""

from __future__ import annotations

import datetime
import logging
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import recurring_ical_events  # type: ignore[import-untyped]  # ships no py.typed
from django.utils import timezone
from icalendar import Calendar, vRecur
from icalendar import Event as VEvent

if TYPE_CHECKING:
    from .models import Event

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
HORIZON = datetime.timedelta(days=730)
MAX_PER_EVENT = 3000
# How many occurrences a rebuild reads at most from the first start: a daily event since 1970 up
# to the horizon is about 22,000. Sources may not repeat more often than daily (services refuse it).
SCAN_LIMIT = 30_000
# Where expansion starts: no event of a French commune's agenda recurs from before this.
EARLIEST = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
UID_DOMAIN = "clocher"


@dataclass(frozen=True)
class OccurrenceSpec:
    """One occurrence, before it is stored: aware start and end, and what its override changes."""

    starts_at: datetime.datetime
    ends_at: datetime.datetime
    all_day: bool = False
    title: str = ""
    location_name: str = ""
    lat: float | None = None
    lon: float | None = None
    is_cancelled: bool = False


def event_uid(event: Event) -> str:
    """The stable UID of an event written in Clocher."""
    return f"event-{event.pk}@{UID_DOMAIN}"


def _local(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(PARIS)


def _parse_local(value: str) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=PARIS)
    return moment.astimezone(PARIS)


def staff_vevent(event: Event) -> VEvent:
    """The VEVENT of an event written in Clocher: only what drives its dates (DTSTART in Paris
    time, DTEND, RRULE, RDATE, EXDATE) and its UID; ics.build_calendar adds the texts."""
    component = VEvent()
    component.add("UID", event_uid(event))
    start = _local(event.starts_at)
    component.add("DTSTART", start)
    if event.ends_at is not None:
        component.add("DTEND", _local(event.ends_at))
    elif event.all_day:
        component.add("DTEND", start + datetime.timedelta(days=1))
    if event.rrule:
        component.add("RRULE", vRecur.from_ical(event.rrule))
    if event.rdates:
        component.add("RDATE", [_parse_local(value) for value in event.rdates])
    if event.exdates:
        component.add("EXDATE", [_parse_local(value) for value in event.exdates])
    return component


def event_calendar(event: Event) -> Calendar:
    """The calendar whose expansion gives the event's occurrences."""
    if event.ical:
        return Calendar.from_ical(event.ical)
    calendar = Calendar()
    calendar.add("PRODID", "-//Clocher//agenda//FR")
    calendar.add("VERSION", "2.0")
    calendar.add_component(staff_vevent(event))
    return calendar


def as_moment(value: Any) -> tuple[datetime.datetime, bool]:
    """An iCalendar DTSTART/DTEND value as an aware datetime, and whether it was a date.

    Dates are local midnights; floating times are Paris time, as a French calendar means them.
    """
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=PARIS), False
        return value, False
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, datetime.time(), tzinfo=PARIS), True
    raise TypeError(f"not a date: {value!r}")


def _end_of(component: Any, start: datetime.datetime, is_date: bool) -> datetime.datetime:
    end_property = component.get("DTEND")
    if end_property is not None:
        end, _is_date = as_moment(end_property.dt)
    elif component.get("DURATION") is not None:
        end = start + component.get("DURATION").dt
    else:
        # RFC 5545 3.6.1: without DTEND nor DURATION a dated event lasts its day, a timed one no time.
        end = start + datetime.timedelta(days=1) if is_date else start
    return max(end, start)


def _geo(component: Any) -> tuple[float | None, float | None]:
    geo = component.get("GEO")
    if geo is None:
        return None, None
    try:
        return float(geo.latitude), float(geo.longitude)
    except (AttributeError, TypeError, ValueError):
        return None, None


def _text(component: Any, name: str) -> str:
    value = component.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def _spec(event: Event, component: Any) -> OccurrenceSpec:
    occurrence_start, is_date = as_moment(component.get("DTSTART").dt)
    title = _text(component, "SUMMARY")
    location = _text(component, "LOCATION")
    lat, lon = _geo(component)
    own_point = lat is not None and (lat, lon) != (event.lat, event.lon)
    return OccurrenceSpec(
        starts_at=occurrence_start,
        ends_at=_end_of(component, occurrence_start, is_date),
        all_day=is_date or event.all_day,
        title=title if title and title != event.title else "",
        location_name=location if location and location != event.location_name else "",
        lat=lat if own_point else None,
        lon=lon if own_point else None,
        is_cancelled=event.event_status == "cancelled" or _text(component, "STATUS").upper() == "CANCELLED",
    )


def expand(event: Event, start: datetime.datetime, end: datetime.datetime) -> list[OccurrenceSpec]:
    """The event's occurrences that overlap [start, end), sorted by start, exactly as
    recurring_ical_events gives them; pure (reads no database). Keep the window bounded: a dense
    series yields every occurrence in it.

    An override (RECURRENCE-ID) with another title, location or point carries them; one with
    STATUS:CANCELLED, or any occurrence of a cancelled event, is cancelled.
    """
    found = recurring_ical_events.of(event_calendar(event)).between(start, end)
    return sorted((_spec(event, component) for component in found), key=lambda spec: spec.starts_at)


def _scan(event: Event, start: datetime.datetime, end: datetime.datetime) -> tuple[list[OccurrenceSpec], bool]:
    """The occurrences from `start` to `end` in start order, at most the last MAX_PER_EVENT, and
    whether the scan stopped at SCAN_LIMIT before reaching `end`. The work is bounded whatever
    the source wrote."""
    kept: deque[OccurrenceSpec] = deque(maxlen=MAX_PER_EVENT)
    occurrences = recurring_ical_events.of(event_calendar(event)).after(start)
    for scanned, component in enumerate(occurrences, start=1):
        spec = _spec(event, component)
        if spec.starts_at >= end:
            return list(kept), False
        if scanned > SCAN_LIMIT:
            return list(kept), True
        kept.append(spec)
    return list(kept), False


def materialisation_window(event: Event, now: datetime.datetime | None = None) -> tuple[datetime.datetime, datetime.datetime]:
    """From the earliest possible start to now + HORIZON (and always past the event's own start,
    so a single event planned far ahead has its row)."""
    moment = now or timezone.now()
    end = max(moment + HORIZON, event.starts_at + datetime.timedelta(days=1))
    return min(EARLIEST, event.starts_at), end


def rebuild_occurrences(event: Event, now: datetime.datetime | None = None) -> int:
    """Rewrites the event's Occurrence rows from its recurrence; returns how many there are.

    Location and commune are copied from the event (an override's own point wins), so that date
    and distance queries need no join. Past MAX_PER_EVENT the earliest are dropped, with a warning;
    reading stops after SCAN_LIMIT dates, with a warning.
    Callers run it inside their transaction.
    """
    from .models import Occurrence

    start, end = materialisation_window(event, now)
    try:
        specs, stopped = _scan(event, start, end)
        if stopped:
            # recurring_ical_events cannot skip ahead cheaply (it walks a rule from its start), so
            # a series this long keeps the dates read so far rather than costing minutes.
            logger.warning("Event %s has more than %d dates; materialised up to %s", event.pk, SCAN_LIMIT,
                           specs[-1].starts_at if specs else start)
    except Exception:
        # A calendar the library cannot expand must not lose the event: it keeps its first date.
        logger.warning("Cannot expand the recurrence of event %s", event.pk, exc_info=True)
        specs = [OccurrenceSpec(starts_at=event.starts_at, ends_at=max(event.ends_at or event.starts_at, event.starts_at),
                                all_day=event.all_day, is_cancelled=event.event_status == "cancelled")]
    if len(specs) == MAX_PER_EVENT:
        logger.warning("Event %s reached %d occurrences; keeping the last ones", event.pk, MAX_PER_EVENT)
    lat, lon = event.lat, event.lon
    if lat is None and event.place_id is not None and event.place is not None:
        lat, lon = event.place.lat, event.place.lon
    Occurrence.objects.filter(event=event).delete()
    Occurrence.objects.bulk_create(
        [
            Occurrence(
                event=event,
                starts_at=spec.starts_at,
                ends_at=spec.ends_at,
                all_day=spec.all_day,
                title=spec.title[:200],
                location_name=spec.location_name[:200],
                lat=spec.lat if spec.lat is not None else lat,
                lon=spec.lon if spec.lat is not None else lon,
                commune_id=event.commune_id,
                is_cancelled=spec.is_cancelled,
            )
            for spec in specs
        ],
        batch_size=500,
    )
    return len(specs)
