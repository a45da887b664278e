"""iCalendar (RFC 5545) in and out.

In: `parse_calendar` turns a calendar file into one ImportedEvent per UID: the fields of an Event
taken from the master VEVENT, and the group's own VCALENDAR text (master, RECURRENCE-ID
overrides, the VTIMEZONEs they use) that clocher.agenda.occurrences expands. X-WR-TIMEZONE
(Google Calendar's way of saying "floating times are in this zone") is applied first, with the
x_wr_timezone library recurring-ical-events itself uses, so the stored groups need no calendar
property to mean the same.

Out: `build_calendar` writes a feed: imported events re-emit their stored components, events
written in Clocher their VEVENT (DTSTART;TZID=Europe/Paris, DTEND, RRULE, RDATE, EXDATE) with
their texts, and the VTIMEZONEs used.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import re
import string
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import x_wr_timezone  # type: ignore[import-untyped]  # ships no py.typed
from django.utils.translation import gettext as _
from icalendar import Calendar, Component, vRecur
from icalendar import Event as VEvent

from .occurrences import PARIS, as_moment, event_uid, staff_vevent
from .services import in_france
from .taxonomy import CATEGORIES, category_label

if TYPE_CHECKING:
    from .models import Event

PRODID = "-//Clocher//Agenda//FR"
MAX_CALENDAR_BYTES = 5 * 1024 * 1024
TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 20_000


class CalendarUnreadable(ValueError):
    """The data is not an iCalendar file at all; the message (French) says why."""


@dataclass
class ImportedEvent:
    """One event of an imported calendar: its UID, Event fields, categories and its own VCALENDAR.

    `problem` (French) is set when the group cannot become an event; `warnings` list what was
    dropped (a position outside France, an unreadable link).
    """

    uid: str
    data: dict[str, Any] = field(default_factory=dict)
    categories: list[str] = field(default_factory=list)
    ical: str = ""
    problem: str = ""
    warnings: list[str] = field(default_factory=list)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def _category_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for code, label in CATEGORIES.items():
        words[_fold(code)] = code
        words[_fold(str(label))] = code
        for part in re.split(r"\s+et\s+|,", _fold(str(label))):
            words.setdefault(part.strip(), code)
    return words


def map_categories(names: Iterable[str]) -> list[str]:
    """Source category names that match our taxonomy (code, label or a part of it), accent and
    case insensitive; the others are ignored."""
    words = _category_words()
    codes: list[str] = []
    for name in names:
        code = words.get(_fold(name))
        if code is not None and code not in codes:
            codes.append(code)
    return codes


_MARKDOWN_SPECIALS = set(string.punctuation)


def plain_to_markdown(text: str) -> str:
    """Plain text as Markdown that renders as that very text: every punctuation escaped, blank
    lines kept as paragraph breaks and single line breaks as hard breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    rendered = []
    for paragraph in paragraphs:
        lines = [
            "".join("\\" + c if c in _MARKDOWN_SPECIALS else c for c in " ".join(line.split()))
            for line in paragraph.split("\n")
            if line.strip()
        ]
        rendered.append("\\\n".join(lines))
    return "\n\n".join(rendered)


def _text(component: Component, name: str) -> str:
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0]
    return str(value).replace("\x00", "")


def _one_line(text: str, max_length: int) -> str:
    return " ".join(text.split())[:max_length]


def _category_names(component: Component) -> list[str]:
    names: list[str] = []
    values = component.get("CATEGORIES")
    if values is None:
        return names
    for value in values if isinstance(values, list) else [values]:
        cats = getattr(value, "cats", None)
        if cats is None:
            names += [part for part in str(value).split(",") if part]
        else:
            names += [str(cat) for cat in cats]
    return names


def _tzids(components: Iterable[Component]) -> set[str]:
    found: set[str] = set()
    for component in components:
        for match in re.finditer(rb';TZID="?([^:;"]+)"?', component.to_ical()):
            found.add(match.group(1).decode("utf-8", "replace"))
    return found


# What an imported VEVENT keeps: when it happens, what it is, where. The rest of a calendar owner's
# file (ATTENDEE and ORGANIZER addresses, alarms, meeting links in X- properties, private notes)
# is theirs, and our public feeds re-emit what is stored.
KEPT_PROPERTIES = frozenset({
    "UID", "DTSTAMP", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "EXRULE",
    "RECURRENCE-ID", "SEQUENCE", "SUMMARY", "DESCRIPTION", "LOCATION", "GEO", "STATUS", "CATEGORIES",
})
PUBLIC_CLASSES = ("", "PUBLIC")


def _is_public(component: Component) -> bool:
    return _text(component, "CLASS").strip().upper() in PUBLIC_CLASSES


def _public_copy(component: Component) -> Component:
    """The VEVENT with only KEPT_PROPERTIES, and none of its sub-components (VALARM)."""
    copy = VEvent()
    for name, value in component.property_items(recursive=False, sorted=False):
        if name in KEPT_PROPERTIES and name != "BEGIN" and name != "END":
            copy.add(name, value, encode=False)
    return copy


def _group_calendar(components: list[Component], timezones: dict[str, Component]) -> str:
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    for tzid in sorted(_tzids(components)):
        if tzid in timezones:
            calendar.add_component(timezones[tzid])
    for component in components:
        calendar.add_component(component)
    # Zones x_wr_timezone introduced, or named without a VTIMEZONE, get one from the tz database.
    calendar.add_missing_timezones()
    text: bytes = calendar.to_ical()
    return text.decode("utf-8")


def _synthetic_uid(component: Component) -> str:
    digest = hashlib.sha1(component.to_ical(), usedforsecurity=False).hexdigest()[:20]
    return f"nouid-{digest}"


def _event_fields(master: Component, imported: ImportedEvent) -> None:
    start_property = master.get("DTSTART")
    if start_property is None:
        imported.problem = _("VEVENT sans date de début (DTSTART).")
        return
    try:
        starts_at, is_date = as_moment(start_property.dt)
    except TypeError:
        imported.problem = _("Date de début illisible.")
        return
    end_property = master.get("DTEND")
    if end_property is not None:
        try:
            ends_at: datetime.datetime | None = as_moment(end_property.dt)[0]
        except TypeError:
            ends_at = None
    elif master.get("DURATION") is not None and isinstance(master.get("DURATION").dt, datetime.timedelta):
        ends_at = starts_at + master.get("DURATION").dt
    else:
        ends_at = starts_at + datetime.timedelta(days=1) if is_date else None
    # Some sources write an end before the start; the occurrences keep the source's, the event
    # itself lasts no time rather than being refused.
    if ends_at is not None and ends_at < starts_at:
        ends_at = starts_at
    title = _one_line(_text(master, "SUMMARY"), TITLE_MAX_LENGTH) or _("Événement sans titre")
    data: dict[str, Any] = {
        "title": title,
        "description": plain_to_markdown(_text(master, "DESCRIPTION"))[:DESCRIPTION_MAX_LENGTH],
        "starts_at": starts_at,
        "ends_at": ends_at,
        "all_day": is_date,
        "location_name": _one_line(_text(master, "LOCATION"), 200),
    }
    if is_date and ends_at is not None:
        # All-day events are stored with their exclusive end, which clean_event_data reads from a
        # datetime at midnight.
        data["ends_at"] = max(ends_at, starts_at + datetime.timedelta(days=1))
    geo = master.get("GEO")
    if geo is not None:
        try:
            lat, lon = float(geo.latitude), float(geo.longitude)
        except (AttributeError, TypeError, ValueError):
            imported.warnings.append(_("Position (GEO) illisible, ignorée."))
        else:
            if in_france(lat, lon):
                data["lat"], data["lon"] = lat, lon
            else:
                imported.warnings.append(_("Position hors de France, ignorée."))
    url = _one_line(_text(master, "URL"), 500)
    if url.lower().startswith(("http://", "https://")):
        data["booking_url"] = url
    if _text(master, "STATUS").upper() == "CANCELLED":
        data["event_status"] = "cancelled"
    imported.data = data
    imported.categories = map_categories(_category_names(master))


def parse_calendar(data: bytes) -> list[ImportedEvent]:
    """The events of an iCalendar file, one per UID (overrides stay with their master).

    Raises CalendarUnreadable when the data is no calendar at all. A group that cannot become
    an event (no start...) comes back with its `problem`, so the importer reports it and goes on.
    """
    if len(data) > MAX_CALENDAR_BYTES:
        raise CalendarUnreadable(_("Fichier trop volumineux (5 Mo au plus)."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older Windows exports (Outlook) write French in Windows-1252.
        text = data.decode("cp1252", errors="replace")
    try:
        calendars = [x_wr_timezone.to_standard(c) for c in Calendar.from_ical(text, multiple=True)]
    except Exception as error:
        # icalendar raises ValueError, KeyError, IndexError, TypeError... on broken input; nothing
        # in a file may crash the run.
        raise CalendarUnreadable(
            _("Ce fichier n'est pas un calendrier iCalendar lisible (%(error)s).") % {"error": str(error)[:120]}
        ) from None
    calendars = [c for c in calendars if isinstance(c, Calendar) and c.name == "VCALENDAR"]
    if not calendars:
        raise CalendarUnreadable(_("Ce fichier n'est pas un calendrier iCalendar (VCALENDAR)."))
    timezones: dict[str, Component] = {}
    groups: dict[str, list[Component]] = {}
    # Some servers concatenate several VCALENDARs in one file: their events are read alike.
    for calendar in calendars:
        for timezone_component in calendar.walk("VTIMEZONE"):
            tzid = _text(timezone_component, "TZID")
            if tzid:
                timezones.setdefault(tzid, timezone_component)
        for component in calendar.walk("VEVENT"):
            uid = _text(component, "UID").strip() or _synthetic_uid(component)
            groups.setdefault(uid, []).append(component)
    events: list[ImportedEvent] = []
    for uid, components in groups.items():
        short_uid = uid if len(uid) <= 255 else hashlib.sha1(uid.encode(), usedforsecurity=False).hexdigest()
        imported = ImportedEvent(uid=short_uid)
        try:
            masters = [c for c in components if c.get("RECURRENCE-ID") is None]
            master = masters[0] if masters else components[0]
            if not _is_public(master):
                imported.problem = _("Événement privé ou confidentiel (CLASS) : il n'est pas publié.")
                events.append(imported)
                continue
            _event_fields(master, imported)
            if not imported.problem:
                kept = [_public_copy(c) for c in components if _is_public(c)]
                imported.ical = _group_calendar(kept, timezones)
        except Exception as error:
            imported.problem = _("VEVENT illisible (%(error)s).") % {"error": str(error)[:120]}
        events.append(imported)
    return events


# --- out ---------------------------------------------------------------------------------------


def html_to_text(markup: str) -> str:
    """Sanitised description HTML as plain text: paragraphs and list items on their own lines."""
    text = re.sub(r"</(p|li|h\d|blockquote)>", "\n\n", markup)
    text = re.sub(r"<br\s*/?>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = html.unescape(text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _location(event: Event) -> str:
    parts = [event.location_name, event.address]
    if not event.location_name and event.place_id is not None and event.place is not None:
        parts[0] = event.place.name
    return ", ".join(part for part in parts if part)


def _as_date_export(component: VEvent, event: Event) -> None:
    """An all-day event as calendar apps want it: DATE values, UNTIL a date too."""
    for name in ("DTSTART", "DTEND"):
        if component.get(name) is not None:
            value = component.get(name).dt
            component.pop(name)
            component.add(name, value.astimezone(PARIS).date())
    for name in ("RDATE", "EXDATE"):
        values = [datetime.datetime.fromisoformat(v).date() for v in getattr(event, f"{name.lower()}s")]
        if component.get(name) is not None:
            component.pop(name)
            component.add(name, values)
    if event.rrule:
        rule = vRecur.from_ical(event.rrule)
        if "UNTIL" in rule:
            rule["UNTIL"] = [rule["UNTIL"][0].astimezone(PARIS).date()]
        component.pop("RRULE")
        component.add("RRULE", rule)


def _staff_components(event: Event, url: str, categories: list[str]) -> list[Component]:
    component = staff_vevent(event)
    if event.all_day:
        _as_date_export(component, event)
    component.add("DTSTAMP", event.updated_at or datetime.datetime.now(tz=datetime.UTC))
    if event.created_at:
        component.add("CREATED", event.created_at)
    if event.updated_at:
        component.add("LAST-MODIFIED", event.updated_at)
    component.add("SUMMARY", event.title)
    text = html_to_text(event.description_html)
    if event.status_note:
        text = f"{event.status_note}\n\n{text}".strip()
    if text:
        component.add("DESCRIPTION", text)
    location = _location(event)
    if location:
        component.add("LOCATION", location)
    lat, lon = event.lat, event.lon
    if lat is None and event.place_id is not None and event.place is not None:
        lat, lon = event.place.lat, event.place.lon
    if lat is not None and lon is not None:
        component.add("GEO", (lat, lon))
    if url:
        component.add("URL", url)
    component.add("STATUS", "CANCELLED" if event.event_status == "cancelled" else "CONFIRMED")
    if categories:
        component.add("CATEGORIES", [category_label(code) for code in categories])
    return [component]


def _imported_components(event: Event, url: str, timezones: dict[str, Component]) -> list[Component]:
    stored = Calendar.from_ical(event.ical)
    for timezone_component in stored.walk("VTIMEZONE"):
        timezones.setdefault(_text(timezone_component, "TZID"), timezone_component)
    components: list[Component] = []
    for component in stored.walk("VEVENT"):
        is_master = component.get("RECURRENCE-ID") is None
        if is_master and url:
            component.pop("URL", None)
            component.add("URL", url)
        if event.event_status == "cancelled":
            component.pop("STATUS", None)
            component.add("STATUS", "CANCELLED")
        if component.get("DTSTAMP") is None:
            component.add("DTSTAMP", event.updated_at or datetime.datetime.now(tz=datetime.UTC))
        components.append(component)
    return components


def build_calendar(
    events: Iterable[Event],
    *,
    name: str,
    url: str = "",
    url_for: Callable[[Event], str] | None = None,
) -> bytes:
    """A VCALENDAR of these events, readable by icalendar and calendar apps.

    `url` is the feed's own page; `url_for(event)` gives each event's absolute address. Pass
    events with `place` selected and categories prefetched to keep the queries flat. UIDs are
    stable: the source's for imported events (unless two sources share one, then Clocher's own),
    `event-<pk>@clocher` for the others.
    """
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.add("X-WR-CALNAME", name)
    if url:
        calendar.add("URL", url)
    timezones: dict[str, Component] = {}
    seen_uids: set[str] = set()
    for event in events:
        event_url = url_for(event) if url_for is not None else ""
        categories = [link.category for link in event.categories.all()]
        if event.ical:
            try:
                components = _imported_components(event, event_url, timezones)
            except Exception:
                # A stored calendar that no longer parses (library change) falls back to the
                # event's own fields rather than breaking the whole feed.
                components = _staff_components(event, event_url, categories)
        else:
            components = _staff_components(event, event_url, categories)
        uids = {_text(c, "UID") for c in components}
        if uids & seen_uids:
            for component in components:
                component.pop("UID", None)
                component.add("UID", event_uid(event))
            uids = {event_uid(event)}
        seen_uids |= uids
        for component in components:
            calendar.add_component(component)
    used = _tzids(calendar.walk("VEVENT"))
    for tzid in sorted(used):
        if tzid in timezones:
            calendar.subcomponents.insert(0, timezones[tzid])
    calendar.add_missing_timezones()
    feed: bytes = calendar.to_ical()
    return feed
