"""OpenAgenda v2 events (the JSON of `GET /v2/agendas/{uid}/events`, or one `{"event": ...}`) into
events of the agenda.

What is kept: the French title and description (else the first language given), every timing as
one occurrence with its own end, the location (name, address, coordinates, commune by INSEE code
or by position), the conditions as the price, the first registration link as the booking link,
accessibility, the status (cancelled, postponed...) and the keywords that name one of our
categories. Images are not downloaded. An OpenAgenda event is identified by its `uid` across
runs, so a second run updates in place.

Timings may have different lengths (a Saturday afternoon and a Sunday morning), which a plain
RRULE/RDATE on `starts_at`/`ends_at` cannot say: the event is stored with its own small VCALENDAR
(`ical`), a master VEVENT and one `RDATE;VALUE=PERIOD` per further timing, expanded by the same
code as imported iCalendar files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from clocher.core.text import fold
from clocher.directory.importers import (
    ImportFailed,
    ImportReport,
    RecordRejected,
    find_commune,
    find_territory,
)
from clocher.organisations.models import Organisation
from clocher.territories.lookup import commune_at
from clocher.territories.models import Territory

from ..models import EventStatus
from ..services import EventRejected, upsert_imported_event
from ..taxonomy import CATEGORIES

SOURCE = "openagenda"
# A real agenda export is a few megabytes; this is a guard against a wrong URL, not a quota.
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
# OpenAgenda pages hold at most 300 events; this many pages is an agenda of 15,000 events.
MAX_PAGES = 50
# One event with more dates than this is a mistake at the source (or a daily opening, which is a
# place, not an event); the first ones are kept.
MAX_OCCURRENCES = 1000

Fetch = Callable[[str], bytes]
# Fields an event may lose, with a warning, rather than be rejected. A position is not one of
# them: an event placed outside the portal is not the territory's to publish.
DROPPABLE_FIELDS = ("booking_url", "description")

# OpenAgenda `status` → our event status, and the note shown beside it.
STATUSES: dict[int, tuple[str, str]] = {
    1: (EventStatus.SCHEDULED, ""),
    2: (EventStatus.SCHEDULED, "Reprogrammé"),
    3: (EventStatus.SCHEDULED, "Déplacé en ligne"),
    4: (EventStatus.POSTPONED, ""),
    5: (EventStatus.SCHEDULED, "Complet"),
    6: (EventStatus.CANCELLED, ""),
}

# Keywords (folded) that name one of our categories beyond its code and the words of its label.
KEYWORD_SYNONYMS: dict[str, str] = {
    "musique": "concert", "concerts": "concert", "theatre": "spectacle", "danse": "spectacle",
    "cirque": "spectacle", "spectacles": "spectacle", "expo": "exposition", "expositions": "exposition",
    "film": "cinema", "projection": "cinema", "rencontre": "conference", "conferences": "conference",
    "debat": "conference", "visite": "patrimoine", "visites": "patrimoine", "randonnee": "nature",
    "balade": "nature", "festival": "fete", "fetes": "fete", "brocante": "marche",
    "vide grenier": "marche", "marches": "marche", "degustation": "gastronomie", "ateliers": "atelier",
    "stage": "atelier", "enfants": "jeunesse", "enfance": "jeunesse", "jeune public": "jeunesse",
    "famille": "jeunesse", "sante": "solidarite", "conseil municipal": "citoyennete",
    "sports": "sport",
}
_LABEL_STOPWORDS = {"et", "de", "la", "le", "vie"}


@dataclass
class ParsedEvent:
    """One source record read into the fields of an event, before its commune is resolved."""

    external_id: str
    data: dict[str, Any]
    categories: list[str]
    ical: str
    commune_code: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class EventImportReport(ImportReport):
    """An import report that also remembers every identifier the source still lists, so that a
    synchronisation can unpublish the events that disappeared from it."""

    seen: set[str] = field(default_factory=set)


# --- Reading values -------------------------------------------------------------------------


def text_of(value: Any) -> str:
    """A multilingual OpenAgenda value ({"fr": ..., "en": ...}) in French, else the first language
    that has text; plain strings as they are."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        for language in ("fr", *value):
            text = value.get(language)
            if isinstance(text, str) and text.strip():
                return text.strip()
    return ""


def keywords_of(value: Any) -> list[str]:
    if isinstance(value, list):
        return [k for k in value if isinstance(k, str)]
    if isinstance(value, dict):
        for language in ("fr", *value):
            words = value.get(language)
            if isinstance(words, list) and words:
                return [k for k in words if isinstance(k, str)]
    return []


def _keyword_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for code, label in CATEGORIES.items():
        index[fold(code)] = code
        index.setdefault(fold(str(label)), code)
        for word in fold(str(label)).split():
            if word not in _LABEL_STOPWORDS:
                index.setdefault(word, code)
    for word, code in KEYWORD_SYNONYMS.items():
        index.setdefault(word, code)
    return index


def categories_of_keywords(keywords: Iterable[str]) -> list[str]:
    """Our categories named by these keywords, accents and case aside; none when none matches."""
    index = _keyword_index()
    found: list[str] = []
    for keyword in keywords:
        code = index.get(fold(keyword))
        if code is not None and code not in found:
            found.append(code)
    return found


def _instant(value: Any) -> datetime | None:
    """An ISO 8601 date-time with its offset ('2025-01-06T11:00:00.000+01:00'); None when it has none."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _coordinate(value: Any, bound: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if abs(number) <= bound else None


# --- The event's own calendar ---------------------------------------------------------------


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        .replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _folded(line: str) -> list[str]:
    """RFC 5545 lines of at most 75 octets, continuation lines starting with a space."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode()) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return [out[0], *(" " + part for part in out[1:])]


def _list_lines(name: str, values: list[str]) -> list[str]:
    # One RDATE property per 20 values keeps lines readable; several RDATEs are equivalent.
    lines: list[str] = []
    for start in range(0, len(values), 20):
        lines.extend(_folded(f"{name}:{','.join(values[start:start + 20])}"))
    return lines


def timed_calendar(uid: str, summary: str, periods: list[tuple[datetime, datetime]]) -> str:
    """A VCALENDAR whose one event happens exactly over these periods (aware, sorted, distinct):
    the first as DTSTART/DTEND, the others as RDATE periods with their own ends. Written in UTC so
    that no VTIMEZONE is needed; the text depends only on its arguments, so an unchanged source
    gives an unchanged event."""
    first_start, first_end = periods[0]
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Clocher//Imports//FR", "BEGIN:VEVENT",
        *_folded(f"UID:{_escape(uid)}"),
        f"DTSTAMP:{_utc(first_start)}",
        f"DTSTART:{_utc(first_start)}",
        f"DTEND:{_utc(first_end)}",
        *_folded(f"SUMMARY:{_escape(summary)}"),
        *_list_lines("RDATE;VALUE=PERIOD", [f"{_utc(s)}/{_utc(e)}" for s, e in periods[1:]]),
        "END:VEVENT", "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def all_day_calendar(uid: str, summary: str, spans: list[tuple[date, date]]) -> str:
    """A VCALENDAR of all-day occurrences, each from its first day to the day after its last
    (exclusive end, as iCalendar has it). The master's length applies to every RDATE; a span of
    another length is written as an override of its date (RECURRENCE-ID) with its own end."""
    first_start, first_end = spans[0]
    length = first_end - first_start

    def day(value: date) -> str:
        return value.strftime("%Y%m%d")

    stamp = f"DTSTAMP:{day(first_start)}T000000Z"
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Clocher//Imports//FR", "BEGIN:VEVENT",
        *_folded(f"UID:{_escape(uid)}"), stamp,
        f"DTSTART;VALUE=DATE:{day(first_start)}", f"DTEND;VALUE=DATE:{day(first_end)}",
        *_folded(f"SUMMARY:{_escape(summary)}"),
        *_list_lines("RDATE;VALUE=DATE", [day(s) for s, _e in spans[1:]]),
        "END:VEVENT",
    ]
    for start, end in spans[1:]:
        if end - start != length:
            lines += [
                "BEGIN:VEVENT", *_folded(f"UID:{_escape(uid)}"), stamp,
                f"RECURRENCE-ID;VALUE=DATE:{day(start)}",
                f"DTSTART;VALUE=DATE:{day(start)}", f"DTEND;VALUE=DATE:{day(end)}",
                *_folded(f"SUMMARY:{_escape(summary)}"), "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


# --- One OpenAgenda event -------------------------------------------------------------------


def _timings(obj: Mapping[str, Any]) -> list[tuple[datetime, datetime]]:
    raw = obj.get("timings")
    if not isinstance(raw, list) or not raw:
        # List responses without `detailed=1` only give the first and last timings.
        raw = [obj.get("firstTiming"), obj.get("lastTiming")]
    found: set[tuple[datetime, datetime]] = set()
    for timing in raw:
        if not isinstance(timing, dict):
            continue
        begin, end = _instant(timing.get("begin")), _instant(timing.get("end"))
        if begin is None:
            continue
        if end is None or end < begin:
            end = begin
        found.add((begin, end))
    return sorted(found)


def _registration(obj: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The first registration link, and the other ways to register (phone, e-mail) as text."""
    link = ""
    others: list[str] = []
    raw = obj.get("registration")
    for item in raw if isinstance(raw, list) else [raw]:
        if isinstance(item, dict):
            kind, value = item.get("type"), item.get("value")
        else:
            kind, value = None, item
        if not isinstance(value, str) or not value.strip():
            continue
        value = value.strip()
        if kind == "link" or (kind is None and re.match(r"^https?://", value)):
            if not link and re.match(r"^https?://", value) and len(value) <= 500:
                link = value
        else:
            others.append(value)
    return link, others


def _accessibility(value: Any) -> dict[str, str]:
    """OpenAgenda flags (mi motor, hi hearing, vi visual, pi psychic, ii intellectual): a true
    flag says the event is suited; a false one only says it was not declared."""
    flags = value if isinstance(value, dict) else {}

    def level(*keys: str) -> str:
        return "yes" if any(flags.get(k) is True for k in keys) else ""

    return {
        "wheelchair": level("mi"),
        "hearing": level("hi"),
        "sight": level("vi"),
        "mental": level("ii", "pi"),
    }


def parse_event(obj: Any) -> ParsedEvent:
    """The fields of an event from one OpenAgenda event; RecordRejected says why it cannot be one."""
    if not isinstance(obj, dict):
        raise RecordRejected(_("un objet JSON est attendu, pas %(kind)s") % {"kind": type(obj).__name__})
    uid = obj.get("uid")
    if isinstance(uid, bool) or not isinstance(uid, int | str) or not str(uid).strip():
        raise RecordRejected(_("pas d'identifiant OpenAgenda (uid)"))
    external_id = str(uid).strip()[:255]
    title = text_of(obj.get("title"))
    if not title:
        raise RecordRejected(_("pas de titre"))
    if obj.get("draft") is True or obj.get("private") is True:
        raise RecordRejected(_("brouillon ou événement privé, non repris"))
    periods = _timings(obj)
    if not periods:
        raise RecordRejected(_("aucune date (timings) lisible"))
    warnings: list[str] = []
    if len(periods) > MAX_OCCURRENCES:
        warnings.append(
            _("%(n)d dates, seules les %(max)d premières sont reprises")
            % {"n": len(periods), "max": MAX_OCCURRENCES}
        )
        periods = periods[:MAX_OCCURRENCES]

    raw_location = obj.get("location")
    location: dict[str, Any] = raw_location if isinstance(raw_location, dict) else {}
    lat = _coordinate(location.get("latitude"), 90)
    lon = _coordinate(location.get("longitude"), 180)
    if lat is None or lon is None:
        lat = lon = None
    insee = location.get("insee")
    commune_code = insee.strip() if isinstance(insee, str) and re.fullmatch(r"(\d\d|2A|2B)\d{3}", insee.strip()) else None
    address = text_of(location.get("address"))
    location_name = text_of(location.get("name"))
    attendance = obj.get("attendanceMode")
    if not location_name and attendance == 2:
        location_name = _("En ligne")

    description = text_of(obj.get("longDescription")) or text_of(obj.get("description"))
    booking_url, other_registrations = _registration(obj)
    online = obj.get("onlineAccessLink")
    extra: list[str] = []
    if other_registrations:
        extra.append(_("Inscription : %(ways)s") % {"ways": ", ".join(other_registrations)})
    if isinstance(online, str) and online.strip():
        extra.append(_("En ligne : %(link)s") % {"link": online.strip()})
    if extra:
        description = "\n\n".join(filter(None, [description, *extra]))

    conditions = text_of(obj.get("conditions"))
    folded_conditions = fold(conditions)
    is_free = True if "gratuit" in folded_conditions and not re.search(r"\d", conditions) else None
    raw_status = obj.get("status")
    event_status, status_note = STATUSES.get(raw_status if isinstance(raw_status, int) else 1, STATUSES[1])

    first_start, first_end = periods[0]
    data: dict[str, Any] = {
        "title": title[:200],
        "description": description,
        "starts_at": first_start,
        "ends_at": first_end,
        "all_day": False,
        "rrule": "",
        "rdates": [],
        "exdates": [],
        "location_name": location_name[:200],
        "address": address[:255],
        "lat": lat,
        "lon": lon,
        "place": None,
        "price": conditions[:200],
        "is_free": is_free,
        "booking_url": booking_url,
        **_accessibility(obj.get("accessibility")),
        "event_status": event_status,
        "status_note": status_note,
    }
    return ParsedEvent(
        external_id=external_id,
        data=data,
        categories=categories_of_keywords(keywords_of(obj.get("keywords"))),
        ical=timed_calendar(f"{external_id}@openagenda.com", title, periods),
        commune_code=commune_code,
        warnings=warnings,
    )


def events_of(document: Any) -> list[Any]:
    """The events of an OpenAgenda response: a list page, one event, or a bare list."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        if isinstance(document.get("events"), list):
            return list(document["events"])
        if isinstance(document.get("event"), dict):
            return [document["event"]]
    raise ImportFailed(_("Ce document n'est pas une réponse OpenAgenda (ni « events » ni « event »)."))


# --- Storing --------------------------------------------------------------------------------


def store_event(
    report: EventImportReport,
    where: str,
    parsed: ParsedEvent,
    *,
    territory: Territory,
    source: str,
    organisation: Organisation | None = None,
) -> str | None:
    """Upserts one parsed event and counts the outcome; returns it, or None when rejected. The
    service finds the commune from the coordinates, as for an event written by staff."""
    for warning in parsed.warnings:
        report.warn(where, warning)
    report.seen.add(parsed.external_id)
    data = dict(parsed.data)
    while True:
        try:
            with transaction.atomic():
                _event, outcome = upsert_imported_event(
                    territory, data, parsed.categories, source=source, external_id=parsed.external_id,
                    ical=parsed.ical, organisation=organisation,
                )
        except EventRejected as error:
            if error.field in DROPPABLE_FIELDS and data.get(error.field):
                # A broken booking link should not hide the concert: drop it, say so, try again.
                report.warn(where, _("%(field)s ignoré : %(reason)s") % {"field": error.field, "reason": error.message})
                data[error.field] = ""
                continue
            report.reject(where, str(error))
            return None
        except DatabaseError as error:
            # A value the database refuses; the savepoint keeps the rest of the run going.
            report.reject(where, _("refusé par la base de données : %(error)s") % {"error": str(error)[:200]})
            return None
        report.count(outcome)
        return outcome


def commune_of(parsed: ParsedEvent) -> Territory | None:
    commune = find_commune(parsed.commune_code)
    if commune is None and parsed.data.get("lat") is not None:
        commune = commune_at(parsed.data["lat"], parsed.data["lon"])
    return commune


def is_url(location: str | Path) -> bool:
    return isinstance(location, str) and urlsplit(location).scheme in ("http", "https")


def _read_json(raw: bytes) -> Any:
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise ImportFailed(_("Document trop grand (%(n)d octets).") % {"n": len(raw)})
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise ImportFailed(_("JSON illisible : %(error)s") % {"error": str(error)[:200]}) from error


def _next_page(url: str, after: Any) -> str:
    """The URL of the next page: the same query with OpenAgenda's `after[]` cursor values."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("after", "after[]")]
    query += [("after[]", str(value)) for value in (after if isinstance(after, list) else [after])]
    return urlunsplit(parts._replace(query=urlencode(query)))


def read_documents(location: str | Path, fetch: Fetch | None) -> list[Any]:
    """The JSON documents of a file, or of a URL and its next pages; ImportFailed when unreadable."""
    if is_url(location):
        if fetch is None:
            raise ImportFailed(_("Pas de moyen de télécharger %(url)s.") % {"url": location})
        url = str(location)
        documents: list[Any] = []
        for _page in range(MAX_PAGES):
            document = _read_json(fetch(url))
            documents.append(document)
            after = document.get("after") if isinstance(document, dict) else None
            if not after or not events_of(document):
                break
            url = _next_page(url, after)
        return documents
    path = Path(location)
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise ImportFailed(_("Fichier trop grand : %(path)s") % {"path": path})
        raw = path.read_bytes()
    except OSError as error:
        raise ImportFailed(_("Fichier illisible : %(path)s") % {"path": path}) from error
    return [_read_json(raw)]


def import_openagenda(
    location: str | Path,
    *,
    territory_code: str | None = None,
    territory: Territory | None = None,
    source: str | None = None,
    organisation: Organisation | None = None,
    fetch: Fetch | None = None,
) -> EventImportReport:
    """Imports the events of an OpenAgenda response (file or URL, following its pages) for a
    territory. ImportFailed when the territory is unknown or the document unreadable; every event
    is otherwise counted: created, updated, unchanged or rejected with its reason."""
    if territory is None:
        if not territory_code:
            raise ImportFailed(_("Précisez le territoire qui publie."))
        territory = find_territory(territory_code)
    source = (source or SOURCE).strip()
    if not source or len(source) > 40:
        raise ImportFailed(_("Nom de source vide ou trop long (40 caractères au plus)."))
    report = EventImportReport()
    for document in read_documents(location, fetch):
        for position, obj in enumerate(events_of(document), start=1):
            uid = obj.get("uid") if isinstance(obj, dict) else None
            where = f"uid {uid}" if uid is not None else f"#{position}"
            try:
                parsed = parse_event(obj)
            except RecordRejected as error:
                report.reject(where, str(error))
                if isinstance(uid, int | str) and str(uid).strip():
                    # Still listed by the source: not a disappearance.
                    report.seen.add(str(uid).strip()[:255])
                continue
            store_event(report, where, parsed, territory=territory, source=source, organisation=organisation)
    return report

