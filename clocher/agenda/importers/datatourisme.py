"""DATAtourisme JSON-LD events (objects of type schema:Event or EntertainmentAndEvent) into events
of the agenda.

What is kept: the French label and description (else another language), every `takesPlaceAt`
period as occurrences, the first location's coordinates, address and commune, the booking
contact's website as the booking link, the contacts and prices as text, wheelchair access, and
the types that map to our categories. Objects that are not events are left to the directory's
place importer (and that one leaves events here). An object is identified by its `@id` URI across
runs, so a second run updates in place.

A period with opening times (startTime, endTime) happens on each of its days (those of
`appliesOnDay` when given) at those times; a period without times is one all-day occurrence from
its start date to its end date, or one per day named in `appliesOnDay`. As for OpenAgenda, the
occurrences are written into the event's own VCALENDAR (`ical`), so each keeps its own length.

The reading helpers are the place importer's: the same exports, the same defensive reading.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from clocher.directory.importers import ImportFailed, RecordRejected, find_territory
from clocher.directory.importers.datatourisme import (
    _as_list,
    _contact,
    _coordinate,
    _date,
    _description,
    _dicts,
    _first_dict,
    _local_name,
    _time,
    _within,
    literal,
    object_files,
    object_types,
    read_object,
)
from clocher.directory.importers.datatourisme import (
    is_event as _is_event,
)
from clocher.organisations.models import Organisation
from clocher.territories.models import Territory

from .openagenda import (
    MAX_DOCUMENT_BYTES,
    MAX_OCCURRENCES,
    EventImportReport,
    ParsedEvent,
    all_day_calendar,
    commune_of,
    store_event,
    timed_calendar,
)

SOURCE = "datatourisme"
PARIS = ZoneInfo("Europe/Paris")

Fetch = Callable[[str], bytes]

# DATAtourisme event classes (https://www.datatourisme.fr/ontology/core#) to our categories.
TYPE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "CulturalEvent": ("culture",),
    "ExhibitionEvent": ("exposition",),
    "Exhibition": ("exposition",),
    "Concert": ("concert",),
    "MusicEvent": ("concert",),
    "TheaterEvent": ("spectacle",),
    "ShowEvent": ("spectacle",),
    "DanceEvent": ("spectacle",),
    "ComedyEvent": ("spectacle",),
    "ScreeningEvent": ("cinema",),
    "Conference": ("conference",),
    "SeminarOrConference": ("conference",),
    "SportsEvent": ("sport",),
    "SportsCompetition": ("sport",),
    "SportsDemonstration": ("sport",),
    "Festival": ("fete",),
    "TraditionalCelebration": ("fete",),
    "LocalAnimation": ("fete",),
    "Carnival": ("fete",),
    "Parade": ("fete",),
    "SaleEvent": ("marche",),
    "GarageSale": ("marche",),
    "Market": ("marche",),
    "FoodEvent": ("gastronomie",),
    "VisitEvent": ("patrimoine",),
    "OpenDay": ("patrimoine",),
    "GuidedTour": ("patrimoine",),
    "WalkingTour": ("nature",),
    "Rambling": ("nature",),
    "Workshop": ("atelier",),
    "Training": ("atelier",),
    "ChildrensEvent": ("jeunesse",),
    "ChildrenEvent": ("jeunesse",),
}

_DAY_NAMES = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}


def is_event(obj: dict[str, Any]) -> bool:
    return _is_event(obj, object_types(obj))


def categories_of(types: Iterable[str]) -> list[str]:
    found: list[str] = []
    for name in types:
        for code in TYPE_CATEGORIES.get(name, ()):
            if code not in found:
                found.append(code)
    return found


def _local(day: date, clock: str) -> datetime:
    hours, minutes = (int(part) for part in clock.split(":"))
    if hours == 24:
        return datetime.combine(day + timedelta(days=1), time(0, minutes), tzinfo=PARIS)
    return datetime.combine(day, time(hours, minutes), tzinfo=PARIS)


def _days(start: date, end: date, weekdays: set[int]) -> Iterable[date]:
    day = start
    while day <= end:
        if not weekdays or day.weekday() in weekdays:
            yield day
        day += timedelta(days=1)


def occurrences_of(periods: Any) -> tuple[list[tuple[datetime, datetime]], list[tuple[date, date]]]:
    """The timed occurrences (aware datetimes) and all-day spans (first day, day after the last)
    of `takesPlaceAt` periods, sorted and without duplicates."""
    timed: set[tuple[datetime, datetime]] = set()
    spans: set[tuple[date, date]] = set()
    for period in _dicts(periods):
        start = _date(period.get("startDate"))
        end = _date(period.get("endDate")) or start
        if start is None or end is None:
            continue
        if end < start:
            start, end = end, start
        weekdays = {
            _DAY_NAMES[name.lower()]
            for name in (_local_name(d) for d in _as_list(period.get("appliesOnDay")))
            if name.lower() in _DAY_NAMES
        }
        opens, closes = _time(period.get("startTime")), _time(period.get("endTime"))
        if opens is not None:
            for day in _days(start, end, weekdays):
                begin = _local(day, opens)
                finish = _local(day, closes) if closes is not None else begin
                if finish < begin:
                    # Closing after midnight: the next morning.
                    finish += timedelta(days=1)
                timed.add((begin, finish))
                if len(timed) > MAX_OCCURRENCES:
                    break
        elif weekdays:
            for day in _days(start, end, weekdays):
                spans.add((day, day + timedelta(days=1)))
                if len(spans) > MAX_OCCURRENCES:
                    break
        else:
            spans.add((start, end + timedelta(days=1)))
    return sorted(timed), sorted(spans)


def _price(obj: dict[str, Any]) -> tuple[str, bool | None]:
    free = obj.get("schema:isAccessibleForFree")
    is_free = free if isinstance(free, bool) else None
    amounts: list[float] = []
    for offer in _dicts(obj.get("offers")):
        for spec in _dicts(offer.get("schema:priceSpecification")):
            for key in ("schema:minPrice", "schema:maxPrice", "schema:price"):
                amount = _coordinate(spec.get(key))
                if amount is not None and amount >= 0:
                    amounts.append(amount)
    if not amounts:
        return (_("Gratuit") if is_free else ""), is_free
    low, high = min(amounts), max(amounts)

    def euros(value: float) -> str:
        return f"{value:.2f}".replace(".", ",").removesuffix(",00") + " €"

    if low == high:
        return (_("Gratuit") if low == 0 else euros(low)), (True if low == 0 else is_free)
    return _("de %(low)s à %(high)s") % {"low": euros(low), "high": euros(high)}, is_free


def _booking(obj: dict[str, Any]) -> tuple[str, list[str]]:
    link = ""
    others: list[str] = []
    for agent in _dicts(obj.get("hasBookingContact")):
        site = literal(agent.get("foaf:homepage"))
        if not link and site.startswith(("http://", "https://")) and len(site) <= 500:
            link = site
        for key in ("schema:telephone", "schema:email"):
            value = literal(agent.get(key))
            if value and value not in others:
                others.append(value)
    return link, others


def parse_event(obj: Any) -> ParsedEvent:
    """The fields of an event from one DATAtourisme object; RecordRejected says why it cannot be
    one (among others: it is a place, not an event)."""
    if not isinstance(obj, dict):
        raise RecordRejected(_("un objet JSON est attendu, pas %(kind)s") % {"kind": type(obj).__name__})
    external_id = literal(obj.get("@id")) or literal(obj.get("dc:identifier"))
    if not external_id:
        raise RecordRejected(_("pas d'identifiant DATAtourisme (@id ou dc:identifier)"))
    if len(external_id) > 255:
        raise RecordRejected(_("identifiant DATAtourisme trop long"))
    types = object_types(obj)
    if not is_event(obj):
        raise RecordRejected(_("pas un événement (un lieu : voir l'annuaire)"))
    title = literal(obj.get("rdfs:label"))
    if not title:
        raise RecordRejected(_("pas de nom (rdfs:label)"))
    periods = obj.get("takesPlaceAt")
    if not _dicts(periods):
        # Some producers give only the overall dates on the event itself.
        periods = [{"startDate": obj.get("schema:startDate"), "endDate": obj.get("schema:endDate")}]
    timed, spans = occurrences_of(periods)
    warnings: list[str] = []
    if timed and spans:
        # One VCALENDAR cannot mix dates and date-times cleanly: days without times become days
        # from local midnight to midnight.
        warnings.append(_("dates avec et sans horaires : les jours sans horaire couvrent toute la journée"))
        timed = sorted({*timed, *(
            (datetime.combine(s, time(0), tzinfo=PARIS), datetime.combine(e, time(0), tzinfo=PARIS))
            for s, e in spans
        )})
        spans = []
    count = len(timed) or len(spans)
    if not count:
        raise RecordRejected(_("aucune date lisible (takesPlaceAt)"))
    if count > MAX_OCCURRENCES:
        warnings.append(
            _("plus de %(max)d dates, seules les %(max)d premières sont reprises") % {"max": MAX_OCCURRENCES}
        )
        timed, spans = timed[:MAX_OCCURRENCES], spans[:MAX_OCCURRENCES]

    located = _dicts(obj.get("isLocatedAt"))
    place = next((p for p in located if isinstance(p.get("schema:geo"), dict)), located[0] if located else {})
    geo = _first_dict(place.get("schema:geo"))
    lat, lon = _coordinate(geo.get("schema:latitude")), _coordinate(geo.get("schema:longitude"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        if geo:
            warnings.append(_("coordonnées illisibles, ignorées"))
        lat = lon = None
    address = _first_dict(place.get("schema:address"))
    street = ", ".join(filter(None, (literal(s) for s in _as_list(address.get("schema:streetAddress")))))
    city = _first_dict(address.get("hasAddressCity"))
    locality = literal(address.get("schema:addressLocality")) or literal(city.get("rdfs:label"))
    postcode = literal(address.get("schema:postalCode"))
    full_address = ", ".join(filter(None, (street, " ".join(filter(None, (postcode, locality))))))
    insee = literal(city.get("insee"))

    description = _description(obj)
    booking_url, booking_others = _booking(obj)
    contact = _contact(obj, title)
    extra: list[str] = []
    if booking_others:
        extra.append(_("Réservation : %(ways)s") % {"ways": ", ".join(booking_others)})
    contact_ways = [v for v in (contact["phone"], contact["email"], contact["website"]) if v]
    if contact_ways:
        extra.append(_("Contact : %(ways)s") % {"ways": ", ".join(contact_ways)})
    if extra:
        description = "\n\n".join(filter(None, [description, *extra]))
    price, is_free = _price(obj)

    if timed:
        starts_at, ends_at = timed[0]
        ical = timed_calendar(external_id, title, timed)
        all_day = False
    else:
        first, after_last = spans[0]
        starts_at = datetime.combine(first, time(0), tzinfo=PARIS)
        ends_at = datetime.combine(after_last, time(0), tzinfo=PARIS)
        ical = all_day_calendar(external_id, title, spans)
        all_day = True
    data: dict[str, Any] = {
        "title": title[:200],
        "description": description,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "all_day": all_day,
        "rrule": "",
        "rdates": [],
        "exdates": [],
        "location_name": (literal(place.get("rdfs:label")) or locality)[:200],
        "address": full_address[:255],
        "lat": lat,
        "lon": lon,
        "place": None,
        "price": price[:200],
        "is_free": is_free,
        "booking_url": booking_url,
        # reducedMobilityAccess false only says the office did not declare it: unknown, not "no".
        "wheelchair": "yes" if obj.get("reducedMobilityAccess") is True else "",
        "event_status": "scheduled",
        "status_note": "",
    }
    return ParsedEvent(
        external_id=external_id,
        data=data,
        categories=categories_of(types),
        ical=ical,
        commune_code=insee if len(insee) == 5 else None,
        warnings=warnings,
    )


def objects_of(document: Any) -> list[Any]:
    """The objects of a downloaded document: one object, a list, or a JSON-LD `@graph`."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and isinstance(document.get("@graph"), list):
        return list(document["@graph"])
    return [document]


def import_object(
    report: EventImportReport,
    where: str,
    obj: Any,
    *,
    territory: Territory | None,
    source: str,
    organisation: Organisation | None = None,
) -> None:
    """One object: parsed, located, upserted; its outcome or rejection counted in the report."""
    try:
        parsed = parse_event(obj)
    except RecordRejected as error:
        report.reject(where, str(error))
        if isinstance(obj, dict) and is_event(obj) and literal(obj.get("@id")):
            # A broken event the source still lists is not a disappearance.
            report.seen.add(literal(obj.get("@id")))
        return
    except RecursionError:
        report.reject(where, _("objet trop imbriqué"))
        return
    commune = commune_of(parsed)
    publisher: Territory | None
    if commune is None:
        if territory is None:
            report.reject(
                where,
                _("commune inconnue (INSEE %(code)s) et aucune commune connue à ces coordonnées : "
                  "précisez le territoire") % {"code": parsed.commune_code or "?"},
            )
            return
        publisher = territory
    else:
        publisher = territory or commune.departement
        if publisher is None:
            report.reject(
                where, _("%(commune)s n'a pas de département : précisez le territoire") % {"commune": commune.name}
            )
            return
        if not _within(commune, publisher):
            report.reject(
                where,
                _("%(commune)s n'est pas sur le territoire de %(territory)s")
                % {"commune": commune.name, "territory": publisher.name},
            )
            return
    store_event(report, where, parsed, territory=publisher, source=source, organisation=organisation)


def import_datatourisme_events(
    paths: Iterable[Path], *, territory_code: str | None = None, source: str | None = None,
) -> EventImportReport:
    """Imports the DATAtourisme events of these files and folders; ImportFailed when the territory
    is unknown or a path does not exist. Objects that are not events are counted as rejected."""
    paths = list(paths)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise ImportFailed(_("Chemin introuvable : %(paths)s") % {"paths": ", ".join(missing)})
    territory = find_territory(territory_code) if territory_code else None
    report = EventImportReport()
    for path in object_files(paths):
        try:
            obj = read_object(path)
        except RecordRejected as error:
            report.reject(path.name, str(error))
            continue
        import_object(report, path.name, obj, territory=territory, source=source or SOURCE)
    return report


def import_datatourisme_url(
    url: str, *, territory: Territory | None, source: str, fetch: Fetch,
    organisation: Organisation | None = None,
) -> EventImportReport:
    """Imports the events of one downloaded DATAtourisme document (an object, a list of objects or
    a JSON-LD graph); ImportFailed when it cannot be read."""
    raw = fetch(url)
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise ImportFailed(_("Document trop grand (%(n)d octets).") % {"n": len(raw)})
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise ImportFailed(_("JSON illisible : %(error)s") % {"error": str(error)[:200]}) from error
    report = EventImportReport()
    for position, obj in enumerate(objects_of(document), start=1):
        where = literal(obj.get("@id")) if isinstance(obj, dict) else ""
        import_object(
            report, where or f"#{position}", obj, territory=territory, source=source,
            organisation=organisation,
        )
    return report
