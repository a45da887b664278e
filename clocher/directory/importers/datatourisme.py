"""DATAtourisme JSON-LD objects (one object per file, as in the `objects/` folder of a flux export)
into places.

What is kept: the French label (English, then any language, when there is no French one), the
description, the label and description in every other language given, the first location's coordinates and address, the commune (INSEE code of the address,
else the commune at the coordinates), the contacts of the place itself, the current and coming
opening periods in OpenStreetMap syntax, wheelchair access, pets and languages. Types map to our
taxonomy; events are the agenda's, not the directory's. A DATAtourisme object is identified by its
`@id` URI across runs, so a second run updates in place.

Every value is read defensively: the exports are large, hand-fed by hundreds of tourist offices, and
a field may be a string where a list is expected, a list where a dict is, or missing.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import opening_hours
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.core.text import fold
from clocher.territories.lookup import commune_at
from clocher.territories.models import Territory

from . import ImportFailed, ImportReport, RecordRejected, find_commune, find_territory, store

logger = logging.getLogger(__name__)

SOURCE = "datatourisme"
# The largest real objects are about 700 KB; a file a hundred times that is not one object.
MAX_FILE_BYTES = 64 * 1024 * 1024
# Place.opening_hours holds at most 500 characters.
MAX_HOURS_LENGTH = 500

# DATAtourisme ontology classes (https://www.datatourisme.fr/ontology/core#) to our taxonomy.
# Order matters only for display: the first category found is the place's main one.
TYPE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Restaurant": ("restaurant",),
    "FastFoodRestaurant": ("restaurant",),
    "GourmetRestaurant": ("restaurant",),
    "Brasserie": ("restaurant",),
    "HotelRestaurant": ("hotel", "restaurant"),
    "BistroOrWineBar": ("cafe-bar",),
    "BarOrPub": ("cafe-bar",),
    "CafeOrCoffeeShop": ("cafe-bar",),
    "Hotel": ("hotel",),
    "HotelTrade": ("hotel",),
    "RentalAccommodation": ("gite",),
    "SelfCateringAccommodation": ("gite",),
    "Guesthouse": ("chambre-hotes",),
    "BedAndBreakfast": ("chambre-hotes",),
    "CampingAndCaravanning": ("camping",),
    "Camping": ("camping",),
    "Campground": ("camping",),
    "Museum": ("museum",),
    "CulturalSite": ("heritage",),
    "ReligiousSite": ("heritage",),
    "Church": ("heritage",),
    "Castle": ("heritage",),
    "RemarkableBuilding": ("heritage",),
    "ArcheologicalSite": ("heritage",),
    "Cinema": ("cinema",),
    "Theater": ("culture",),
    "EntertainmentAndEventVenue": ("culture",),
    "NaturalHeritage": ("nature",),
    "ParkAndGarden": ("nature",),
    "SportsAndLeisurePlace": ("leisure-sport",),
    "ActivityProvider": ("leisure-sport",),
    "LeisureComplex": ("leisure-sport",),
    "LocalProducer": ("producer",),
    "Producer": ("producer",),
    "FarmProduct": ("producer",),
    "Market": ("market",),
    "Store": ("shop",),
    "WineCellar": ("wine",),
    "TouristInformationCenter": ("tourist-office",),
    "TownHall": ("mairie",),
    "HealthcareProfessional": ("health",),
    "MedicalPlace": ("health",),
    "Pharmacy": ("health",),
}

_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY_NAMES = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)(:[0-5]\d)?$")
_INSEE = re.compile(r"^(\d\d|2A|2B)\d{3}$")


@dataclass
class ParsedPlace:
    """One DATAtourisme object read into the fields of a place, before the commune is resolved."""

    external_id: str
    data: dict[str, Any]
    categories: list[str]
    commune_code: str | None
    warnings: list[str] = field(default_factory=list)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in _as_list(value) if isinstance(item, dict)]


def _first_dict(value: Any) -> dict[str, Any]:
    found = _dicts(value)
    return found[0] if found else {}


def literal(value: Any, languages: tuple[str, ...] = ("fr", "en")) -> str:
    """The text of a literal, which DATAtourisme writes as a string, a list of strings or
    {"fr": [...], "en": [...]}: French first, then English, then whichever language is there."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float):
        return ""
    if isinstance(value, list):
        for item in value:
            text = literal(item, languages)
            if text:
                return text
        return ""
    if isinstance(value, dict):
        if "@value" in value:
            return literal(value["@value"], languages)
        for language in (*languages, *sorted(k for k in value if isinstance(k, str))):
            if language in value and not language.startswith("@"):
                text = literal(value[language], languages)
                if text:
                    return text
    return ""


def _local_name(value: Any) -> str:
    """'schema:Monday', 'http://schema.org/Monday', {'@id': 'schema:Monday'} → 'Monday'."""
    if isinstance(value, dict):
        value = value.get("@id", "")
    if not isinstance(value, str):
        return ""
    return re.split(r"[:/#]", value.strip())[-1]


def _coordinate(value: Any) -> float | None:
    text = literal(value) if not isinstance(value, int | float) or isinstance(value, bool) else value
    try:
        number = float(text)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def object_types(obj: dict[str, Any]) -> list[str]:
    return [name for name in (_local_name(t) for t in _as_list(obj.get("@type"))) if name]


def categories_of(types: Iterable[str]) -> list[str]:
    found: list[str] = []
    for name in types:
        for slug in TYPE_CATEGORIES.get(name, ()):
            if slug not in found:
                found.append(slug)
    return found


def is_event(obj: dict[str, Any], types: list[str]) -> bool:
    return "takesPlaceAt" in obj or any(name.endswith("Event") for name in types)


def _date(value: Any) -> date | None:
    text = literal(value)
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _time(value: Any) -> str | None:
    match = _TIME.match(literal(value))
    if not match:
        return None
    return f"{match.group(1)}:{match.group(2)}"


def _days_expression(days: list[int]) -> str:
    """[0, 1, 2, 4] → 'Mo-We,Fr'."""
    parts: list[str] = []
    run: list[int] = []
    for day in sorted(set(days)) + [99]:
        if run and day == run[-1] + 1:
            run.append(day)
            continue
        if run:
            if len(run) >= 3:
                parts.append(f"{_DAYS[run[0]]}-{_DAYS[run[-1]]}")
            else:
                parts.extend(_DAYS[d] for d in run)
        run = [day] if day != 99 else []
    return ",".join(parts)


def _date_prefix(start: date | None, end: date | None) -> str:
    if start is None or end is None:
        return ""
    return (
        f"{start.year} {_MONTHS[start.month - 1]} {start.day:02d}"
        f"-{end.year} {_MONTHS[end.month - 1]} {end.day:02d} "
    )


def opening_hours_from(specifications: Any, today: date) -> tuple[str, str | None]:
    """OpenStreetMap `opening_hours` from schema.org OpeningHoursSpecification items, and a warning
    when some could not be expressed.

    Each (validFrom, validThrough) period becomes one rule per set of opening times, dated when the
    period is. Periods already over are left out: an import keeps what is valid now and later, and
    the whole history would not fit in the field. Items without both times (a gîte "open" on some
    days) say nothing about hours and are left out too.
    """
    periods: dict[tuple[date | None, date | None], dict[int, set[tuple[str, str]]]] = {}
    items = _dicts(specifications)
    untimed = 0
    for item in items:
        opens, closes = _time(item.get("schema:opens")), _time(item.get("schema:closes"))
        if opens is None or closes is None or opens == closes:
            untimed += 1
            continue
        if closes == "00:00":
            closes = "24:00"
        start, end = _date(item.get("schema:validFrom")), _date(item.get("schema:validThrough"))
        if end is not None and end < today:
            continue
        if "schema:dayOfWeek" in item:
            days = [
                _DAY_NAMES[name.lower()] for name in (_local_name(d) for d in _as_list(item["schema:dayOfWeek"]))
                if name.lower() in _DAY_NAMES
            ]
        else:
            days = list(range(7))
        for day in days:
            periods.setdefault((start, end), {}).setdefault(day, set()).add((opens, closes))
    if not periods:
        if untimed == len(items) and items and untimed:
            return "", _("horaires sans heures d'ouverture, non repris")
        if items:
            return "", _("seules des périodes d'ouverture passées sont connues, horaires non repris")
        return "", None

    def order(key: tuple[date | None, date | None]) -> tuple[int, date, int]:
        # Undated rules first, then by start; a shorter period after a longer one that starts the
        # same day, because a later rule wins for the days it names.
        start, end = key
        if start is None or end is None:
            return (0, date.min, 0)
        return (1, start, -(end - start).days)

    rules: list[str] = []
    for key in sorted(periods, key=order):
        by_times: dict[tuple[tuple[str, str], ...], list[int]] = {}
        for day, ranges in periods[key].items():
            by_times.setdefault(tuple(sorted(ranges)), []).append(day)
        prefix = _date_prefix(*key)
        for times, days in sorted(by_times.items(), key=lambda item: min(item[1])):
            spans = ",".join(f"{a}-{b}" for a, b in times)
            rules.append(f"{prefix}{_days_expression(days)} {spans}")
    text = "; ".join(rules)
    if len(text) > MAX_HOURS_LENGTH:
        return "", _("horaires trop détaillés pour être repris (%(n)d caractères)") % {"n": len(text)}
    try:
        opening_hours.OpeningHours(text)
    except Exception as error:  # noqa: BLE001 - the library raises its own parser errors
        logger.info("Opening hours built from DATAtourisme do not parse: %r (%s)", text, error)
        return "", _("horaires non exprimables dans la syntaxe OpenStreetMap")
    warning = _("certaines périodes sans heures ont été ignorées") if untimed else None
    return text, warning


def _contact(obj: dict[str, Any], name: str) -> dict[str, str]:
    """Phone, e-mail and website of the place itself: the agent named like the place when there is
    one (a gîte lists its booking office too), else the first agent that has any."""
    agents = _dicts(obj.get("hasContact"))
    folded = fold(name)
    agents.sort(key=lambda agent: fold(literal(agent.get("schema:legalName"))) != folded)
    found = {"phone": "", "email": "", "website": ""}
    for agent in agents:
        values = {
            "phone": literal(agent.get("schema:telephone")),
            "email": literal(agent.get("schema:email")),
            "website": literal(agent.get("foaf:homepage")),
        }
        if any(values.values()):
            for key, value in values.items():
                found[key] = found[key] or value
            break
    return found


def _description(obj: dict[str, Any]) -> str:
    for item in _dicts(obj.get("hasDescription")):
        text = literal(item.get("dc:description")) or literal(item.get("shortDescription"))
        if text:
            return text
    return literal(obj.get("rdfs:comment"))


def _in_language(value: Any, language: str) -> str:
    """The text of a literal in exactly this language, or ""."""
    if isinstance(value, list):
        for item in value:
            text = _in_language(item, language)
            if text:
                return text
        return ""
    if isinstance(value, dict):
        if value.get("@language") == language:
            return literal(value.get("@value"))
        if language in value:
            return literal(value[language])
    return ""


def _language_codes(value: Any) -> set[str]:
    found: set[str] = set()
    for item in _as_list(value):
        if isinstance(item, dict):
            if isinstance(item.get("@language"), str):
                found.add(item["@language"])
            found.update(k for k in item if isinstance(k, str) and re.fullmatch(r"[a-z]{2}", k))
    return found


def _translations(obj: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The name and description in every language besides French that the object gives."""
    label = obj.get("rdfs:label")
    descriptions = [
        item.get("dc:description") or item.get("shortDescription") for item in _dicts(obj.get("hasDescription"))
    ]
    languages = _language_codes(label) | {code for d in descriptions for code in _language_codes(d)}
    translations: dict[str, dict[str, str]] = {}
    for language in sorted(languages - {"fr"}):
        entry = {"name": _in_language(label, language)[:200]}
        for description in descriptions:
            text = _in_language(description, language)
            if text:
                entry["description"] = text
                break
        entry = {key: value for key, value in entry.items() if value}
        if entry:
            translations[language] = entry
    return translations


def _languages(obj: dict[str, Any]) -> list[str]:
    codes: list[str] = []
    for value in _as_list(obj.get("availableLanguage")):
        code = _local_name(value).lower() if isinstance(value, dict) else literal(value).lower()
        # Some producers write Spanish as "sp".
        code = {"sp": "es"}.get(code, code)
        if re.fullmatch(r"[a-z]{2}", code) and code not in codes:
            codes.append(code)
    return codes


def parse_object(obj: Any, today: date | None = None) -> ParsedPlace:
    """The fields of a place from one DATAtourisme object; RecordRejected says why it cannot be one."""
    if not isinstance(obj, dict):
        raise RecordRejected(_("un objet JSON est attendu, pas %(kind)s") % {"kind": type(obj).__name__})
    external_id = literal(obj.get("@id")) or literal(obj.get("dc:identifier"))
    if not external_id:
        raise RecordRejected(_("pas d'identifiant DATAtourisme (@id ou dc:identifier)"))
    if len(external_id) > 255:
        raise RecordRejected(_("identifiant DATAtourisme trop long"))
    types = object_types(obj)
    if is_event(obj, types):
        raise RecordRejected(_("événement : voir l'agenda"))
    categories = categories_of(types)
    if not categories:
        raise RecordRejected(
            _("aucune catégorie de l'annuaire pour les types %(types)s")
            % {"types": ", ".join(types) or "∅"}
        )
    name = literal(obj.get("rdfs:label"))
    if not name:
        raise RecordRejected(_("pas de nom (rdfs:label)"))
    warnings: list[str] = []
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
    insee = literal(city.get("insee"))
    hours, hours_warning = opening_hours_from(
        place.get("schema:openingHoursSpecification"), today or timezone.localdate()
    )
    if hours_warning:
        warnings.append(hours_warning)
    data: dict[str, Any] = {
        "name": name[:200],
        "description": _description(obj),
        "street": street[:255],
        "postcode": literal(address.get("schema:postalCode"))[:5],
        "city": (literal(address.get("schema:addressLocality")) or literal(city.get("rdfs:label")))[:120],
        "lat": lat,
        "lon": lon,
        "opening_hours": hours,
        **_contact(obj, name),
    }
    # Always given, so that a value removed at the source is removed here on the next run.
    # reducedMobilityAccess false only says the office did not declare it: unknown, not "no".
    data["wheelchair"] = "yes" if obj.get("reducedMobilityAccess") is True else ""
    pets = place.get("petsAllowed")
    data["pets_allowed"] = pets if isinstance(pets, bool) else None
    data["languages"] = _languages(obj)
    data["translations"] = _translations(obj)
    return ParsedPlace(
        external_id=external_id,
        data=data,
        categories=categories,
        commune_code=insee if _INSEE.match(insee) else None,
        warnings=warnings,
    )


def object_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The JSON files named, and those found under the folders named, in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.json") if p.is_file())
        else:
            yield path


def read_object(path: Path) -> Any:
    """The JSON value of one file; RecordRejected when it is too large or not JSON."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise RecordRejected(_("fichier trop grand (%(n)d octets)") % {"n": size})
        return json.loads(path.read_bytes())
    except OSError as error:
        raise RecordRejected(_("fichier illisible : %(error)s") % {"error": error.strerror or error}) from error
    except (ValueError, RecursionError) as error:
        # UnicodeDecodeError and JSONDecodeError are ValueErrors; absurd nesting is a RecursionError.
        raise RecordRejected(_("JSON illisible : %(error)s") % {"error": str(error)[:200]}) from error


def _within(commune: Territory, territory: Territory) -> bool:
    return commune.pk == territory.pk or territory.pk in commune.parent_ids()


def import_place(
    report: ImportReport, where: str, obj: Any, *, territory: Territory | None, today: date | None = None
) -> None:
    """One object: parsed, located, upserted; its outcome or rejection counted in the report."""
    try:
        parsed = parse_object(obj, today)
    except RecordRejected as error:
        report.reject(where, str(error))
        return
    except RecursionError:
        # JSON nested nearly as deep as the parser allows leaves no stack for reading literals.
        report.reject(where, _("objet trop imbriqué"))
        return
    for warning in parsed.warnings:
        report.warn(where, warning)
    commune = find_commune(parsed.commune_code)
    if commune is None and parsed.data["lat"] is not None:
        commune = commune_at(parsed.data["lat"], parsed.data["lon"])
    if commune is None:
        report.reject(
            where,
            _("commune inconnue (INSEE %(code)s) et aucune commune connue à ces coordonnées")
            % {"code": parsed.commune_code or "?"},
        )
        return
    publisher = territory or commune.departement
    if publisher is None:
        report.reject(
            where, _("%(commune)s n'a pas de département : précisez --territory") % {"commune": commune.name}
        )
        return
    if not _within(commune, publisher):
        report.reject(
            where,
            _("%(commune)s n'est pas sur le territoire de %(territory)s")
            % {"commune": commune.name, "territory": publisher.name},
        )
        return
    store(
        report, where, territory=publisher, source=SOURCE, external_id=parsed.external_id,
        data={**parsed.data, "commune": commune}, categories=parsed.categories,
    )


def import_datatourisme(
    paths: Iterable[Path], *, territory_code: str | None = None, today: date | None = None,
    progress: bool = False,
) -> ImportReport:
    """Imports the DATAtourisme objects of these files and folders; ImportFailed when the territory
    is unknown or a path does not exist. Every object is counted: created, updated, unchanged or
    rejected with its reason."""
    paths = list(paths)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise ImportFailed(_("Chemin introuvable : %(paths)s") % {"paths": ", ".join(missing)})
    territory = find_territory(territory_code) if territory_code else None
    files = list(object_files(paths))
    if progress:
        from tqdm import tqdm

        files = tqdm(files, unit="objet")
    report = ImportReport()
    for path in files:
        where = path.name
        try:
            obj = read_object(path)
        except RecordRejected as error:
            report.reject(where, str(error))
            continue
        import_place(report, where, obj, territory=territory, today=today)
    return report
