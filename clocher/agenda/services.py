"""Writes of events: staff create, edit, publish, cancel and duplicate them; organisations propose
them and moderators decide; importers upsert them by provenance.

Every service validates through `clean_event_data` (one set of rules for the back office, the
proposals, the API and the importers), runs in a transaction, writes a territories.AuditEntry and
rebuilds the event's occurrences (clocher.agenda.occurrences) in the same transaction, so that
date-range queries never see an event and stale dates. Staff services check the actor's role again,
so no caller can skip it. What the rules refuse raises EventRejected with a French message and,
when a field is concerned, `errors` mapping field names to messages.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from dateutil import rrule as dateutil_rrule  # type: ignore[import-untyped]  # no stubs in the lock file
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, vRecur

from clocher.core.fields import read_float, read_text
from clocher.directory.models import Access, Place
from clocher.directory.services import render_description
from clocher.organisations.models import Organisation, ReviewStatus
from clocher.territories.content import Status
from clocher.territories.images import ProcessedImage
from clocher.territories.lookup import commune_at
from clocher.territories.models import Portal, Role, Territory, TerritoryKind
from clocher.territories.selectors import is_in_portal, roles_of
from clocher.territories.services import ActionRefused, record_audit

from .models import Event, EventCategory, EventStatus
from .occurrences import rebuild_occurrences
from .taxonomy import CATEGORIES

PARIS = ZoneInfo("Europe/Paris")
EDIT_ROLES = (Role.ADMIN, Role.EDITOR)
REVIEW_ROLES = (Role.ADMIN, Role.MODERATOR)

TEXT_FIELDS = {
    "title": 200, "location_name": 200, "address": 255, "price": 200, "accessibility_note": 300,
    "status_note": 300, "image_alt": 200,
}
ACCESS_FIELDS = ("wheelchair", "hearing", "sight", "mental")
KNOWN_FIELDS = frozenset(
    {
        *TEXT_FIELDS, *ACCESS_FIELDS, "description", "starts_at", "ends_at", "all_day", "rrule",
        "rdates", "exdates", "place", "lat", "lon", "is_free", "booking_url", "event_status",
    }
)
DESCRIPTION_MAX_LENGTH = 20_000
# A staff event lasting longer than this is a typing error (an exhibition lasts months, not years).
MAX_DURATION = datetime.timedelta(days=366)
MAX_EXTRA_DATES = 500
MAX_ICAL_LENGTH = 1_000_000
RRULE_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
RRULE_PARTS = (
    "FREQ", "INTERVAL", "COUNT", "UNTIL", "BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY",
    "BYSETPOS", "WKST",
)
RRULE_MAX_COUNT = 3000
RRULE_MAX_INTERVAL = 1000
# Rough boxes around metropolitan France, Corsica and the overseas départements: a point outside
# all of them is a swapped latitude and longitude, or a typing error.
FRANCE_BOXES = (
    (41.2, 51.2, -5.3, 9.7),  # metropolitan France and Corsica
    (15.8, 16.6, -61.9, -60.9),  # Guadeloupe
    (14.3, 14.95, -61.3, -60.75),  # Martinique
    (2.0, 5.9, -54.7, -51.5),  # Guyane
    (-21.45, -20.85, 55.2, 55.9),  # La Réunion
    (-13.1, -12.6, 44.9, 45.35),  # Mayotte
    (46.7, 47.2, -56.5, -56.1),  # Saint-Pierre-et-Miquelon
)


class EventRejected(ActionRefused):
    """An event the rules refuse. str(exc) is a French sentence; `field` names the field concerned
    and `errors` maps field names to messages, so a form can show each on its field."""

    def __init__(self, message: str, field: str | None = None, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors: dict[str, str] = dict(errors or ({field: message} if field else {}))


class _Keep(enum.Enum):
    KEEP = "keep"


# `update_event(..., image=KEEP_IMAGE)` leaves the image as it is; None removes it.
KEEP_IMAGE = _Keep.KEEP
ImageChange = ProcessedImage | None | _Keep


# --- validation -------------------------------------------------------------------------------


def _text(data: Mapping[str, Any], name: str) -> str:
    return read_text(data, name, EventRejected)


def _parse_moment(value: Any, name: str) -> datetime.datetime | None:
    """A datetime, date or ISO text as an aware datetime; naive ones are Europe/Paris local time."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise EventRejected(_("Date illisible (attendu : AAAA-MM-JJ HH:MM)."), name) from None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=PARIS)
        return value
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, datetime.time(), tzinfo=PARIS)
    raise EventRejected(_("Date illisible (attendu : AAAA-MM-JJ HH:MM)."), name)


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=PARIS)


def _float(data: Mapping[str, Any], name: str, low: float, high: float) -> float | None:
    return read_float(data, name, low, high, EventRejected)


def in_france(lat: float, lon: float) -> bool:
    return any(s <= lat <= n and w <= lon <= e for s, n, w, e in FRANCE_BOXES)


def _normalise_until(value: str) -> str:
    """UNTIL as RFC 5545 wants it with a zoned DTSTART: a UTC instant. A date means the end of that
    day in Paris; a time without Z is Paris time."""
    text = value.strip().upper()
    try:
        if re.fullmatch(r"\d{8}", text):
            day = datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
            moment = datetime.datetime.combine(day, datetime.time(23, 59, 59), tzinfo=PARIS)
        elif re.fullmatch(r"\d{8}T\d{6}Z", text):
            moment = datetime.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
        elif re.fullmatch(r"\d{8}T\d{6}", text):
            moment = datetime.datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=PARIS)
        else:
            raise ValueError(text)
    except ValueError:
        raise EventRejected(_("Date de fin de répétition illisible."), "rrule") from None
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def clean_rrule(value: Any, starts_at: datetime.datetime) -> str:
    """The RRULE value normalised (parts in a fixed order, UNTIL in UTC), or "" for none.

    Refuses what is not an RRULE, repetitions more frequent than daily, a COUNT above
    RRULE_MAX_COUNT, an INTERVAL above RRULE_MAX_INTERVAL, COUNT with UNTIL, an UNTIL before the
    start, and a rule that never happens.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise EventRejected(_("Règle de répétition illisible."), "rrule")
    text = value.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    text = text.strip().strip(";")
    if not text:
        return ""
    if len(text) > 500:
        raise EventRejected(_("Règle de répétition trop longue."), "rrule")
    parts: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, raw = part.partition("=")
        name = name.strip().upper()
        if not sep or not raw.strip() or name in parts:
            raise EventRejected(_("Règle de répétition illisible."), "rrule")
        if name not in RRULE_PARTS:
            raise EventRejected(
                _("Élément de répétition non pris en charge : %(name)s.") % {"name": name[:20]}, "rrule"
            )
        parts[name] = raw.strip().upper()
    freq = parts.get("FREQ")
    if freq in ("SECONDLY", "MINUTELY", "HOURLY"):
        raise EventRejected(
            _("Un événement ne peut pas se répéter plus d'une fois par jour : créez plutôt plusieurs dates."),
            "rrule",
        )
    if freq not in RRULE_FREQUENCIES:
        raise EventRejected(_("Indiquez la fréquence : chaque jour, semaine, mois ou année."), "rrule")
    if "COUNT" in parts and "UNTIL" in parts:
        raise EventRejected(_("Donnez un nombre de fois ou une date de fin, pas les deux."), "rrule")
    for name, high in (("COUNT", RRULE_MAX_COUNT), ("INTERVAL", RRULE_MAX_INTERVAL)):
        if name in parts and (not parts[name].isdigit() or not 1 <= int(parts[name]) <= high):
            raise EventRejected(
                _("%(name)s doit être un nombre entre 1 et %(high)d.") % {"name": name, "high": high}, "rrule"
            )
    if "UNTIL" in parts:
        parts["UNTIL"] = _normalise_until(parts["UNTIL"])
    normalised = ";".join(f"{name}={parts[name]}" for name in RRULE_PARTS if name in parts)
    try:
        vRecur.from_ical(normalised)
        rule = dateutil_rrule.rrulestr(normalised, dtstart=starts_at)
    except (ValueError, TypeError, KeyError, IndexError):
        raise EventRejected(_("Règle de répétition illisible."), "rrule") from None
    if "UNTIL" in parts and datetime.datetime.strptime(parts["UNTIL"], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.UTC
    ) < starts_at:
        raise EventRejected(_("La fin de la répétition est avant le début de l'événement."), "rrule")
    try:
        first = rule.after(starts_at - datetime.timedelta(seconds=1))
    except (ValueError, OverflowError):
        first = None
    if first is None:
        raise EventRejected(_("Cette règle de répétition ne donne aucune date."), "rrule")
    return normalised


def _clean_dates(data: Mapping[str, Any], name: str, starts_at: datetime.datetime) -> list[str]:
    """Extra or excluded dates as local ISO datetimes ("2026-07-14T21:00:00"), sorted, unique.

    A bare date takes the start's time of day, so "exclude 14 July" needs no time.
    """
    raw = data.get(name)
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        raw = [item for item in re.split(r"[,\n]", raw) if item.strip()]
    if not isinstance(raw, (list, tuple)):
        raise EventRejected(_("Liste de dates attendue."), name)
    if len(raw) > MAX_EXTRA_DATES:
        raise EventRejected(_("Trop de dates (%(max)d au plus).") % {"max": MAX_EXTRA_DATES}, name)
    local_start = starts_at.astimezone(PARIS)
    values: set[str] = set()
    for item in raw:
        if isinstance(item, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", item):
            item = datetime.date.fromisoformat(item.strip())
        if isinstance(item, datetime.date) and not isinstance(item, datetime.datetime):
            moment = datetime.datetime.combine(item, local_start.time(), tzinfo=PARIS)
        else:
            parsed = _parse_moment(item, name)
            if parsed is None:
                continue
            moment = parsed
        values.add(moment.astimezone(PARIS).replace(tzinfo=None).isoformat(timespec="seconds"))
    return sorted(values)


def _portals_of(territory: Territory) -> list[Portal]:
    """The portals the territory is part of: rooted at it or at a territory it is part of. An EPCI
    is part of the départements and régions of its member communes."""
    ids = {territory.pk, *territory.parent_ids()}
    if territory.kind == TerritoryKind.EPCI:
        for departement_id, region_id in Territory.objects.filter(epci=territory).values_list(
            "departement_id", "region_id"
        ).distinct():
            ids |= {pk for pk in (departement_id, region_id) if pk is not None}
    return list(Portal.objects.filter(root_id__in=ids).select_related("root"))


def _is_under(commune: Territory, territory: Territory) -> bool:
    return commune.pk == territory.pk or territory.pk in commune.parent_ids()


def _in_scope(territory: Territory, other: Territory) -> bool:
    """Whether `other` (a commune) is in a portal the publishing territory belongs to; without any
    portal, whether it is under the territory itself."""
    portals = _portals_of(territory)
    if not portals:
        return _is_under(other, territory)
    return any(is_in_portal(portal, other) for portal in portals)


def _clean_place(value: Any, territory: Territory) -> Place | None:
    if value is None or value == "":
        return None
    if isinstance(value, Place):
        place: Place | None = value
    else:
        try:
            pk = int(value)
        except (TypeError, ValueError):
            raise EventRejected(_("Lieu inconnu."), "place") from None
        place = Place.objects.select_related("commune").filter(pk=pk).first()
    if place is None or place.status != Status.PUBLISHED:
        raise EventRejected(_("Lieu inconnu."), "place")
    anchor = place.commune if place.commune is not None else place.territory
    if not _in_scope(territory, anchor):
        raise EventRejected(_("Ce lieu n'est pas sur le territoire du portail."), "place")
    return place


def clean_event_data(data: Mapping[str, Any], *, territory: Territory) -> dict[str, Any]:
    """Validates and normalises every field of an event published by `territory`.

    Returns the Event field values (missing optional keys are empty), plus description_html and
    the commune. Refuses unknown fields; a missing or too long title; an unreadable start or one
    missing; an end before the start or more than a year after it; a repetition the rules of
    `clean_rrule` refuse; unreadable extra or excluded dates; a place that is not published in a
    portal of the territory; a latitude without longitude, or a point outside France or in no
    known commune; a booking link that is not http(s); unknown accessibility or status values.
    All-day events start at local midnight and end at the local midnight after their last day.
    The commune comes from the place, else from the point (commune_at), else is the territory
    itself when it is a commune; it must be in a portal of the territory.
    """
    unknown = set(data) - KNOWN_FIELDS
    if unknown:
        raise EventRejected(_("Champs inconnus : %(names)s.") % {"names": ", ".join(sorted(unknown))})
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}

    def attempt(name: str, func: Any) -> None:
        try:
            func()
        except EventRejected as error:
            errors.setdefault(error.field or name, error.message)

    def texts() -> None:
        for name, max_length in TEXT_FIELDS.items():
            try:
                value = _text(data, name)
            except EventRejected as error:
                errors[name] = error.message
                continue
            if len(value) > max_length:
                errors[name] = _("Trop long (%(max)d caractères au plus).") % {"max": max_length}
            cleaned[name] = value
        if not cleaned.get("title") and "title" not in errors:
            errors["title"] = _("Le titre est obligatoire.")

    texts()

    def description() -> None:
        text = str(data.get("description") or "").replace("\x00", "").strip()
        if len(text) > DESCRIPTION_MAX_LENGTH:
            raise EventRejected(
                _("Trop long (%(max)d caractères au plus).") % {"max": DESCRIPTION_MAX_LENGTH}, "description"
            )
        cleaned["description"] = text
        cleaned["description_html"] = render_description(text) if text else ""

    attempt("description", description)

    def times() -> None:
        all_day = bool(data.get("all_day"))
        cleaned["all_day"] = all_day
        raw_start = data.get("starts_at")
        starts_at = _parse_moment(raw_start, "starts_at")
        if starts_at is None:
            raise EventRejected(_("La date de début est obligatoire."), "starts_at")
        raw_end = data.get("ends_at")
        ends_at = _parse_moment(raw_end, "ends_at")
        if all_day:
            first_day = starts_at.astimezone(PARIS).date()
            starts_at = _local_midnight(first_day)
            if ends_at is None:
                ends_at = _local_midnight(first_day + datetime.timedelta(days=1))
            else:
                local_end = ends_at.astimezone(PARIS)
                is_exclusive = (
                    isinstance(raw_end, datetime.datetime) or (isinstance(raw_end, str) and "T" in raw_end)
                ) and local_end.time() == datetime.time() and local_end.date() > first_day
                last_day = local_end.date() - datetime.timedelta(days=1) if is_exclusive else local_end.date()
                if last_day < first_day:
                    raise EventRejected(_("La fin doit être après le début."), "ends_at")
                ends_at = _local_midnight(last_day + datetime.timedelta(days=1))
        if ends_at is not None and ends_at < starts_at:
            raise EventRejected(_("La fin doit être après le début."), "ends_at")
        if ends_at is not None and ends_at - starts_at > MAX_DURATION:
            raise EventRejected(_("Un événement dure au plus un an : vérifiez la date de fin."), "ends_at")
        if not datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC) < starts_at < datetime.datetime(
            2200, 1, 1, tzinfo=datetime.UTC
        ):
            raise EventRejected(_("Date hors limites."), "starts_at")
        cleaned["starts_at"], cleaned["ends_at"] = starts_at, ends_at

    attempt("starts_at", times)
    starts_at = cleaned.get("starts_at")
    if starts_at is not None:
        attempt("rrule", lambda: cleaned.__setitem__("rrule", clean_rrule(data.get("rrule"), starts_at)))
        attempt("rdates", lambda: cleaned.__setitem__("rdates", _clean_dates(data, "rdates", starts_at)))
        attempt("exdates", lambda: cleaned.__setitem__("exdates", _clean_dates(data, "exdates", starts_at)))

    def place_and_point() -> None:
        place = _clean_place(data.get("place"), territory)
        lat = _float(data, "lat", -90, 90)
        lon = _float(data, "lon", -180, 180)
        if (lat is None) != (lon is None):
            raise EventRejected(_("Donnez la latitude et la longitude, ou aucune des deux."), "lat")
        if lat is not None and lon is not None and not in_france(lat, lon):
            raise EventRejected(_("Ce point n'est pas en France : latitude et longitude inversées ?"), "lat")
        commune: Territory | None = None
        if place is not None:
            commune = place.commune
            if lat is None and place.lat is not None:
                lat, lon = place.lat, place.lon
        elif lat is not None and lon is not None:
            commune = commune_at(lat, lon)
            if commune is None:
                raise EventRejected(_("Ce point n'est dans aucune commune connue."), "lat")
        elif territory.kind == TerritoryKind.COMMUNE:
            commune = territory
        if commune is not None and not _in_scope(territory, commune):
            raise EventRejected(
                _("%(commune)s n'est pas sur le territoire du portail de %(territory)s.")
                % {"commune": commune.name, "territory": territory.name},
                "place" if place is not None else "lat",
            )
        cleaned["place"], cleaned["lat"], cleaned["lon"], cleaned["commune"] = place, lat, lon, commune

    attempt("place", place_and_point)

    def flags() -> None:
        is_free = data.get("is_free")
        if is_free in ("", None):
            is_free = None
        elif is_free in ("true", "1", "on", "yes"):
            is_free = True
        elif is_free in ("false", "0", "no"):
            is_free = False
        if is_free not in (None, True, False):
            raise EventRejected(_("Oui, non ou inconnu attendu."), "is_free")
        cleaned["is_free"] = is_free

    attempt("is_free", flags)

    def booking() -> None:
        url = _text(data, "booking_url")
        if url:
            if urlsplit(url).scheme.lower() not in ("http", "https"):
                raise EventRejected(_("Le lien doit commencer par http:// ou https://."), "booking_url")
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                raise EventRejected(_("Adresse de réservation invalide."), "booking_url") from None
            if len(url) > 500:
                raise EventRejected(_("Trop long (%(max)d caractères au plus).") % {"max": 500}, "booking_url")
        cleaned["booking_url"] = url

    attempt("booking_url", booking)

    for name in ACCESS_FIELDS:
        value = str(data.get(name) or "")
        if value not in Access.values:
            errors[name] = _("Valeur d'accessibilité inconnue.")
        cleaned[name] = value
    event_status = str(data.get("event_status") or EventStatus.SCHEDULED)
    if event_status not in EventStatus.values:
        errors["event_status"] = _("Déroulement inconnu.")
    cleaned["event_status"] = event_status
    if errors:
        first_field, first_message = next(iter(errors.items()))
        message = first_message if len(errors) == 1 else _("Vérifiez les champs signalés.")
        raise EventRejected(message, first_field, errors)
    return cleaned


def clean_categories(categories: Iterable[str]) -> list[str]:
    """Category codes of clocher.agenda.taxonomy, deduplicated in order; an unknown one is refused."""
    codes: list[str] = []
    for code in categories:
        if not isinstance(code, str) or code not in CATEGORIES:
            raise EventRejected(_("Catégorie inconnue : %(code)s.") % {"code": str(code)[:40]}, "categories")
        if code not in codes:
            codes.append(code)
    return codes


def _clean_audience(territory: Territory, audience: Iterable[Territory] | None) -> list[Territory] | None:
    if audience is None:
        return None
    chosen = list(audience)
    for target in chosen:
        if not isinstance(target, Territory) or not _in_scope(territory, target):
            raise EventRejected(_("Territoire destinataire hors du portail."), "audience")
    return chosen


def _clean_ical(ical: str) -> str:
    if not ical:
        return ""
    if len(ical) > MAX_ICAL_LENGTH:
        raise EventRejected(_("Calendrier trop volumineux."), "ical")
    try:
        calendar = Calendar.from_ical(ical)
    except (ValueError, KeyError, IndexError, TypeError):
        raise EventRejected(_("Calendrier iCalendar illisible."), "ical") from None
    components = calendar.walk("VEVENT")
    if not components:
        raise EventRejected(_("Le calendrier ne contient aucun événement."), "ical")
    for component in components:
        rules = component.get("RRULE")
        for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
            if _more_than_daily(rule):
                raise EventRejected(
                    _("Répétition plus fréquente qu'une fois par jour : non prise en charge."), "ical"
                )
    return ical


def _more_than_daily(rule: Any) -> bool:
    """Whether an iCalendar RRULE repeats within a day: the expansion of such a series from its
    start (recurring_ical_events walks it) would cost minutes, and an agenda has no use for it."""
    frequencies = [str(value).upper() for value in rule.get("FREQ", [])]
    if any(frequency in ("SECONDLY", "MINUTELY", "HOURLY") for frequency in frequencies):
        return True
    return any(len(rule.get(part, [])) > 1 for part in ("BYHOUR", "BYMINUTE", "BYSECOND"))


# --- helpers ----------------------------------------------------------------------------------


def _check_role(actor: Any, territory: Territory, roles: Iterable[str] = EDIT_ROLES) -> None:
    if not roles_of(actor, territory) & set(roles):
        raise EventRejected(_("Vous n'avez pas les droits nécessaires sur ce territoire."))


def _set_categories(event: Event, codes: list[str]) -> bool:
    current = set(event.categories.values_list("category", flat=True))
    wanted = set(codes)
    if current == wanted:
        return False
    event.categories.exclude(category__in=wanted).delete()
    EventCategory.objects.bulk_create(
        [EventCategory(event=event, category=code) for code in codes if code not in current]
    )
    return True


def _store_image(event: Event, image: ProcessedImage | None) -> None:
    """Replaces (or removes) the event's image; the old file is deleted after the commit."""
    if event.image and event.image.name:
        storage, name = event.image.storage, event.image.name
        transaction.on_commit(lambda: storage.delete(name))
    if image is None:
        event.image = ""
    else:
        event.image.save(f"image.{image.extension}", image.as_file(), save=False)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (Territory, Place)):
        return value.pk
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def _publication(status: str, published_at: datetime.datetime | None) -> tuple[str, datetime.datetime | None]:
    if status not in Status.values:
        raise EventRejected(_("État de publication inconnu."))
    now = timezone.now()
    if status in (Status.PUBLISHED, Status.SCHEDULED):
        if published_at is not None and published_at > now:
            return Status.SCHEDULED, published_at
        if status == Status.SCHEDULED and published_at is None:
            raise EventRejected(_("Indiquez quand publier."), "published_at")
        return Status.PUBLISHED, published_at or now
    return status, published_at


def _create(
    actor: Any,
    territory: Territory,
    cleaned: dict[str, Any],
    codes: list[str],
    **fields: Any,
) -> Event:
    image: ProcessedImage | None = fields.pop("image", None)
    audience: list[Territory] | None = fields.pop("audience", None)
    event = Event.objects.create(
        territory=territory, author=actor if getattr(actor, "pk", None) else None, **cleaned, **fields
    )
    if image is not None:
        event.image.save(f"image.{image.extension}", image.as_file(), save=True)
    if audience:
        event.audience.set(audience)
    _set_categories(event, codes)
    rebuild_occurrences(event)
    return event


# --- staff ------------------------------------------------------------------------------------


@transaction.atomic
def create_event(
    actor: Any,
    territory: Territory,
    data: Mapping[str, Any],
    categories: Iterable[str],
    *,
    organisation: Organisation | None = None,
    status: str = Status.DRAFT,
    published_at: datetime.datetime | None = None,
    image: ProcessedImage | None = None,
    audience: Iterable[Territory] | None = None,
    review_status: str = ReviewStatus.NONE,
    skip_role_check: bool = False,
) -> Event:
    """Creates an event published by `territory` and materialises its occurrences.

    `status` PUBLISHED publishes now (or at a future `published_at`, then SCHEDULED); SCHEDULED
    needs `published_at`. Refuses an actor who is neither admin nor editor of the territory (unless
    `skip_role_check`, for clocher.agenda.proposals which checked membership itself), invalid data
    (clean_event_data), unknown categories and an audience outside the territory's portals.
    Writes an AuditEntry; stores the already re-encoded image; a published or scheduled event is
    announced after the commit, at its publication (tasks.announce_event).
    """
    if not skip_role_check:
        _check_role(actor, territory)
    cleaned = clean_event_data(data, territory=territory)
    codes = clean_categories(categories)
    chosen = _clean_audience(territory, audience)
    status, published_at = _publication(status, published_at)
    event = _create(
        actor, territory, cleaned, codes, organisation=organisation, status=status,
        published_at=published_at, image=image, audience=chosen, review_status=review_status,
    )
    record_audit(
        territory, actor, "agenda.event.create",
        _("Événement créé : %(title)s") % {"title": event.title},
        {"event": event.pk, "status": status, "categories": codes},
    )
    if status in (Status.PUBLISHED, Status.SCHEDULED):
        _announce_after_commit(event)
    return event


def _announce_after_commit(event: Event) -> None:
    """After the commit, announces the event to residents at its publication (now or its date)."""
    from . import tasks

    transaction.on_commit(lambda: tasks.schedule_event_announcement(event))


def _apply(event: Event, cleaned: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, value in cleaned.items():
        old = getattr(event, name)
        if old != value:
            if name != "description_html":
                changes[name] = [_jsonable(old), _jsonable(value)]
            setattr(event, name, value)
    return changes


def _current_data(event: Event) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(event, name) for name in KNOWN_FIELDS if name != "place"}
    data["place"] = event.place_id
    return data


@transaction.atomic
def update_event(
    actor: Any,
    event: Event,
    data: Mapping[str, Any],
    categories: Iterable[str] | None = None,
    *,
    image: ProcessedImage | None | _Keep = KEEP_IMAGE,
    audience: Iterable[Territory] | None = None,
    skip_role_check: bool = False,
) -> Event:
    """Changes the fields given in `data` (the others keep their value), the categories unless None,
    the audience unless None, the image unless KEEP_IMAGE (None removes it); rebuilds occurrences.

    Refuses an actor who is neither admin nor editor of the publishing territory (unless
    `skip_role_check`, for the proposals module) and what clean_event_data refuses. Writes an
    AuditEntry listing the changes; writes nothing when nothing changed.
    """
    territory = event.territory
    if not skip_role_check:
        _check_role(actor, territory)
    event = Event.objects.select_for_update(of=("self",)).select_related("territory").get(pk=event.pk)
    merged = {**_current_data(event), **data}
    cleaned = clean_event_data(merged, territory=territory)
    codes = clean_categories(categories) if categories is not None else None
    chosen = _clean_audience(territory, audience)
    changes = _apply(event, cleaned)
    if not isinstance(image, _Keep) and (image is not None or event.image):
        _store_image(event, image)
        changes["image"] = "removed" if image is None else "replaced"
    if changes:
        event.save()
    if codes is not None and _set_categories(event, codes):
        changes["categories"] = codes
    if chosen is not None and {t.pk for t in chosen} != set(event.audience.values_list("pk", flat=True)):
        event.audience.set(chosen)
        changes["audience"] = [t.pk for t in chosen]
    if changes:
        rebuild_occurrences(event)
        record_audit(
            territory, actor, "agenda.event.update",
            _("Événement modifié : %(title)s") % {"title": event.title},
            {"event": event.pk, **changes},
        )
    return event


def _locked(event: Event) -> Event:
    return Event.objects.select_for_update(of=("self",)).select_related("territory").get(pk=event.pk)


@transaction.atomic
def publish_event(actor: Any, event: Event, at: datetime.datetime | None = None) -> Event:
    """Publishes an event now, or schedules it when `at` is in the future.

    Refuses an actor who is neither admin nor editor of the publishing territory, and a proposal
    that waits for moderation or was refused (accept_event publishes those). Writes an AuditEntry;
    announces the event after the commit, at its publication (tasks.announce_event).
    """
    _check_role(actor, event.territory)
    event = _locked(event)
    if event.review_status in (ReviewStatus.PENDING, ReviewStatus.REFUSED):
        raise EventRejected(_("Cette proposition doit d'abord être acceptée par un modérateur."))
    status, published_at = _publication(Status.PUBLISHED, at)
    old = event.status
    event.status, event.published_at = status, published_at
    event.save(update_fields=["status", "published_at", "updated_at"])
    summary = _("Événement publié : %(title)s") if status == Status.PUBLISHED else _("Publication programmée : %(title)s")
    record_audit(
        event.territory, actor, "agenda.event.publish", summary % {"title": event.title},
        {"event": event.pk, "status": [old, status], "published_at": _jsonable(published_at)},
    )
    _announce_after_commit(event)
    return event


@transaction.atomic
def archive_event(actor: Any, event: Event) -> Event:
    """Archives an event (it no longer shows; nothing is deleted). Refuses an actor who is neither
    admin nor editor of the publishing territory. Writes an AuditEntry when the status changes."""
    _check_role(actor, event.territory)
    event = _locked(event)
    if event.status == Status.ARCHIVED:
        return event
    old = event.status
    event.status = Status.ARCHIVED
    event.save(update_fields=["status", "updated_at"])
    record_audit(event.territory, actor, "agenda.event.archive",
                 _("Événement archivé : %(title)s") % {"title": event.title},
                 {"event": event.pk, "status": [old, Status.ARCHIVED]})
    return event


def _set_event_status(actor: Any, event: Event, event_status: str, note: str, action: str, summary: str) -> Event:
    _check_role(actor, event.territory)
    note = " ".join(str(note or "").split())
    if len(note) > 300:
        raise EventRejected(_("Trop long (%(max)d caractères au plus).") % {"max": 300}, "status_note")
    event = _locked(event)
    if event.event_status == event_status and event.status_note == note:
        return event
    old = event.event_status
    event.event_status, event.status_note = event_status, note
    event.save(update_fields=["event_status", "status_note", "updated_at"])
    rebuild_occurrences(event)
    record_audit(event.territory, actor, action, summary % {"title": event.title},
                 {"event": event.pk, "event_status": [old, event_status], "note": note})
    return event


@transaction.atomic
def cancel_event(actor: Any, event: Event, note: str = "") -> Event:
    """Marks an event cancelled, with an optional note; it stays published and shows as cancelled
    (its occurrences too). Refuses an actor who is neither admin nor editor of the publishing
    territory and a note over 300 characters. Writes an AuditEntry."""
    return _set_event_status(actor, event, EventStatus.CANCELLED, note, "agenda.event.cancel",
                             _("Événement annulé : %(title)s"))


@transaction.atomic
def postpone_event(actor: Any, event: Event, note: str = "") -> Event:
    """Marks an event postponed, with an optional note (the new date when known). Same refusals
    as cancel_event. Writes an AuditEntry."""
    return _set_event_status(actor, event, EventStatus.POSTPONED, note, "agenda.event.postpone",
                             _("Événement reporté : %(title)s"))


@transaction.atomic
def restore_event(actor: Any, event: Event) -> Event:
    """Puts a cancelled or postponed event back to scheduled and clears its note. Same refusals as
    cancel_event. Writes an AuditEntry."""
    return _set_event_status(actor, event, EventStatus.SCHEDULED, "", "agenda.event.restore",
                             _("Événement rétabli : %(title)s"))


@transaction.atomic
def duplicate_event(actor: Any, event: Event) -> Event:
    """A draft copy of an event: texts, place, location, categories, audience, times, recurrence,
    organiser and image; no provenance, no moderation, scheduled. Refuses an actor who is neither
    admin nor editor of the publishing territory. Writes an AuditEntry."""
    _check_role(actor, event.territory)
    copied = {name: getattr(event, name) for name in KNOWN_FIELDS if name not in ("place", "event_status", "status_note")}
    copy = Event.objects.create(
        territory=event.territory, author=actor if getattr(actor, "pk", None) else None,
        status=Status.DRAFT, organisation=event.organisation, place=event.place, commune=event.commune,
        description_html=event.description_html, **copied,
    )
    if event.image and event.image.name:
        with event.image.open("rb") as source:
            copy.image.save(event.image.name.rsplit("/", 1)[-1], ContentFile(source.read()), save=True)
    copy.audience.set(event.audience.all())
    _set_categories(copy, list(event.categories.values_list("category", flat=True)))
    rebuild_occurrences(copy)
    record_audit(event.territory, actor, "agenda.event.duplicate",
                 _("Événement dupliqué : %(title)s") % {"title": event.title},
                 {"event": copy.pk, "from": event.pk})
    return copy


# --- proposals by organisations ---------------------------------------------------------------


@transaction.atomic
def create_proposed_event(
    actor: Any,
    commune: Territory,
    organisation: Organisation,
    data: Mapping[str, Any],
    categories: Iterable[str],
    image: ProcessedImage | None = None,
) -> Event:
    """An event an organisation proposes to a commune: a draft waiting for its moderators.

    Checks no role: clocher.agenda.proposals checked that the actor speaks for the organisation
    and that it acts in the commune. Refuses what clean_event_data refuses. Writes an AuditEntry.
    """
    cleaned = clean_event_data(data, territory=commune)
    codes = clean_categories(categories)
    event = _create(
        actor, commune, cleaned, codes, organisation=organisation, status=Status.DRAFT,
        review_status=ReviewStatus.PENDING, image=image,
    )
    record_audit(commune, actor, "agenda.event.propose",
                 _("Événement proposé par %(org)s : %(title)s") % {"org": organisation.name, "title": event.title},
                 {"event": event.pk, "organisation": organisation.pk})
    return event


@transaction.atomic
def update_proposed_event(
    actor: Any,
    event: Event,
    data: Mapping[str, Any],
    categories: Iterable[str] | None = None,
    *,
    image: ProcessedImage | None | _Keep = KEEP_IMAGE,
) -> Event:
    """A proposal corrected by its organisation: saved, and waiting for moderation again.

    Checks no role (the proposals module checked membership). Refuses a proposal already
    accepted (staff edit it from then on) and what clean_event_data refuses. Writes AuditEntries.
    """
    if event.review_status not in (ReviewStatus.PENDING, ReviewStatus.REFUSED):
        raise EventRejected(_("Cette proposition a déjà été acceptée : elle ne peut plus être modifiée ici."))
    event = update_event(actor, event, data, categories, image=image, skip_role_check=True)
    if event.review_status != ReviewStatus.PENDING:
        event.review_status = ReviewStatus.PENDING
        event.save(update_fields=["review_status", "updated_at"])
        record_audit(event.territory, actor, "agenda.event.propose",
                     _("Proposition corrigée : %(title)s") % {"title": event.title}, {"event": event.pk})
    return event


def _decide(actor: Any, event: Event, accepted: bool, message: str) -> Event:
    _check_role(actor, event.territory, REVIEW_ROLES)
    message = str(message or "").replace("\x00", "").strip()
    if len(message) > 2000:
        raise EventRejected(_("Message trop long (2000 caractères au plus)."), "message")
    if not accepted and not message:
        raise EventRejected(_("Dites à l'association pourquoi la proposition est refusée."), "message")
    event = _locked(event)
    if event.review_status != ReviewStatus.PENDING:
        raise EventRejected(_("Cette proposition a déjà reçu une réponse."))
    now = timezone.now()
    event.review_status = ReviewStatus.ACCEPTED if accepted else ReviewStatus.REFUSED
    event.review_message, event.reviewed_by, event.reviewed_at = message, actor, now
    fields = ["review_status", "review_message", "reviewed_by", "reviewed_at", "updated_at"]
    if accepted:
        event.status, event.published_at = Status.PUBLISHED, now
        fields += ["status", "published_at"]
    event.save(update_fields=fields)
    summary = _("Proposition acceptée : %(title)s") if accepted else _("Proposition refusée : %(title)s")
    record_audit(event.territory, actor, "agenda.event.accept" if accepted else "agenda.event.refuse",
                 summary % {"title": event.title}, {"event": event.pk, "message": message})
    if accepted:
        _announce_after_commit(event)
    return event


@transaction.atomic
def accept_event(actor: Any, event: Event, message: str = "") -> Event:
    """Accepts an organisation's proposal: it is published at once, the organisation as organiser.

    Refuses an actor who is neither moderator nor admin of the event's territory and a proposal
    already decided. Writes an AuditEntry.
    """
    return _decide(actor, event, True, message)


@transaction.atomic
def refuse_event(actor: Any, event: Event, message: str) -> Event:
    """Refuses an organisation's proposal with a message it will read; the event stays a draft.

    Refuses an actor who is neither moderator nor admin of the event's territory, an empty
    message and a proposal already decided. Writes an AuditEntry.
    """
    return _decide(actor, event, False, message)


# --- imports ----------------------------------------------------------------------------------


def _checksum(cleaned: Mapping[str, Any], codes: list[str], ical: str, organisation: Organisation | None,
              territory: Territory) -> str:
    payload = {name: _jsonable(value) for name, value in sorted(cleaned.items())}
    payload["categories"] = sorted(codes)
    payload["ical"] = ical
    payload["organisation"] = organisation.pk if organisation is not None else None
    payload["territory"] = territory.pk
    encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


@transaction.atomic
def upsert_imported_event(
    territory: Territory,
    data: Mapping[str, Any],
    categories: Iterable[str],
    *,
    source: str,
    external_id: str,
    ical: str = "",
    organisation: Organisation | None = None,
) -> tuple[Event, str]:
    """Creates or updates the event imported as (source, external_id); returns it and "created",
    "updated" or "unchanged".

    Published at once by `territory`; an event `unpublish_missing` had unpublished is published
    again; one staff archived stays archived (its fields still follow the source). `ical` is the event's own VCALENDAR text (master VEVENT, overrides, VTIMEZONEs); when
    given, occurrences come from it. Never touches events of another source. Refuses
    (EventRejected) a missing or too long source or id, invalid data, unknown categories and an
    unreadable `ical`. No actor check: imports run as the operator. Writes an AuditEntry and
    rebuilds occurrences for a created or updated event.
    """
    source = str(source).strip()
    external_id = str(external_id).strip()
    if not source or not external_id:
        raise EventRejected(_("Une source et un identifiant sont nécessaires."))
    if len(source) > 40 or len(external_id) > 255:
        raise EventRejected(_("Identifiant de source trop long."))
    cleaned = clean_event_data(data, territory=territory)
    codes = clean_categories(categories)
    ical = _clean_ical(ical)
    checksum = _checksum(cleaned, codes, ical, organisation, territory)
    existing = (
        Event.objects.select_for_update(of=("self",))
        .filter(source=source, external_id=external_id).first()
    )
    # Staff may archive an imported event: the source's updates still land, but it stays archived.
    kept_status = existing.status if existing is not None and existing.status == Status.ARCHIVED else Status.PUBLISHED
    if existing is not None and existing.checksum == checksum and existing.status in (Status.PUBLISHED, Status.ARCHIVED):
        return existing, "unchanged"
    if existing is None:
        event = _create(
            None, territory, cleaned, codes, source=source, external_id=external_id, checksum=checksum,
            ical=ical, organisation=organisation, status=Status.PUBLISHED, published_at=timezone.now(),
        )
        record_audit(territory, None, "agenda.event.import",
                     _("Événement importé : %(title)s") % {"title": event.title},
                     {"event": event.pk, "source": source, "external_id": external_id})
        return event, "created"
    _apply(existing, cleaned)
    existing.territory, existing.organisation = territory, organisation
    existing.ical, existing.checksum = ical, checksum
    existing.status = kept_status
    if existing.published_at is None or existing.published_at > timezone.now():
        existing.published_at = timezone.now()
    existing.save()
    _set_categories(existing, codes)
    rebuild_occurrences(existing)
    record_audit(territory, None, "agenda.event.import",
                 _("Événement mis à jour par import : %(title)s") % {"title": existing.title},
                 {"event": existing.pk, "source": source, "external_id": external_id})
    return existing, "updated"


@transaction.atomic
def unpublish_missing(source: str, seen_external_ids: set[str]) -> int:
    """Events of `source` that the latest run did not see go back to draft (nothing is deleted);
    returns how many. Events of other sources are never touched. A later run that sees one again
    publishes it again (upsert_imported_event). Writes one AuditEntry per territory concerned."""
    source = str(source).strip()
    if not source:
        return 0
    rows = list(
        Event.objects.filter(source=source, status__in=(Status.PUBLISHED, Status.SCHEDULED))
        .values_list("pk", "external_id", "territory_id")
    )
    missing = [(pk, territory_id) for pk, external_id, territory_id in rows if external_id not in seen_external_ids]
    if not missing:
        return 0
    pks = [pk for pk, _territory in missing]
    for start in range(0, len(pks), 500):
        Event.objects.filter(pk__in=pks[start:start + 500]).update(status=Status.DRAFT, updated_at=timezone.now())
    by_territory: dict[int, list[int]] = {}
    for pk, territory_id in missing:
        by_territory.setdefault(territory_id, []).append(pk)
    for territory in Territory.objects.filter(pk__in=by_territory).defer("boundary"):
        ids = by_territory[territory.pk]
        record_audit(territory, None, "agenda.event.unpublish",
                     _("%(n)d événements absents de la source %(source)s retirés") % {"n": len(ids), "source": source},
                     {"source": source, "events": ids[:1000]})
    return len(pks)
