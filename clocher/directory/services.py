"""Writes of places: staff create, edit, publish and archive them; imports upsert them by provenance.

Every service validates through `clean_place_data` (one set of rules for the back office, the API
and the importers), runs in a transaction, and writes a territories.AuditEntry. Staff services check
the actor's role (admin or editor on the publishing territory) again, so no caller can skip it.
What the rules refuse raises PlaceRejected with a French message (and the field concerned).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import nh3
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

from clocher.core.fields import read_float, read_phone, read_text
from clocher.territories.content import Status
from clocher.territories.lookup import commune_at
from clocher.territories.models import Role, Territory, TerritoryKind
from clocher.territories.selectors import roles_of
from clocher.territories.services import ActionRefused, record_audit

from .hours import InvalidHours, parse_hours
from .models import Access, Place, PlaceCategory
from .taxonomy import is_category

EDIT_ROLES = (Role.ADMIN, Role.EDITOR)

TEXT_FIELDS = {
    "name": 200, "street": 255, "postcode": 5, "city": 120, "opening_hours": 500,
}
ACCESS_FIELDS = ("wheelchair", "hearing", "sight", "mental")
LIST_FIELDS = ("languages", "tags", "products", "buying_ways", "labels", "cuisine")
LIST_MAX_ITEMS = 30
LIST_ITEM_MAX_LENGTH = 80
DESCRIPTION_MAX_LENGTH = 20_000
KNOWN_FIELDS = frozenset(
    {
        *TEXT_FIELDS, *ACCESS_FIELDS, *LIST_FIELDS, "description", "lat", "lon", "phone", "email",
        "website", "price_range", "capacity", "stars", "pets_allowed", "commune", "translations",
    }
)
# Languages a source may give besides French (ISO 639-1), and what each may carry.
TRANSLATION_LANGUAGE = re.compile(r"[a-z]{2}")

# Markdown in, a safe subset of HTML out: raw HTML in the Markdown is escaped, then nh3 keeps
# only these tags (a description has paragraphs, emphasis, lists, links, small headings).
DESCRIPTION_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote"}
DESCRIPTION_ATTRIBUTES = {"a": {"href"}}
DESCRIPTION_URL_SCHEMES = {"http", "https", "mailto", "tel"}
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})


class PlaceRejected(ActionRefused):
    """A place the rules refuse. str(exc) is a French sentence; `field` names the field concerned."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def render_description(markdown: str) -> str:
    """The description's Markdown as sanitised HTML (no raw HTML, safe links only)."""
    html = _markdown.render(markdown)
    # Markdown headings start at h1; a place page has its own h1 and h2, so they come down two levels.
    for level in (2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(f"</h{level}>", f"</h{level + 2}>")
    return nh3.clean(
        html,
        tags=DESCRIPTION_TAGS,
        attributes=DESCRIPTION_ATTRIBUTES,
        url_schemes=DESCRIPTION_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def _text(data: Mapping[str, Any], name: str) -> str:
    return read_text(data, name, PlaceRejected)


def _float(data: Mapping[str, Any], name: str, low: float, high: float) -> float | None:
    return read_float(data, name, low, high, PlaceRejected)


def _small_int(data: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PlaceRejected(_("Nombre entier attendu."), name) from None
    if not low <= number <= high:
        raise PlaceRejected(_("Nombre hors limites (entre %(low)d et %(high)d).") % {"low": low, "high": high}, name)
    return number


def _string_list(data: Mapping[str, Any], name: str) -> list[str]:
    value = data.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)):
        raise PlaceRejected(_("Liste attendue."), name)
    items: list[str] = []
    for item in value:
        text = " ".join(str(item).replace("\x00", "").split())[:LIST_ITEM_MAX_LENGTH]
        if text and text not in items:
            items.append(text)
    if len(items) > LIST_MAX_ITEMS:
        raise PlaceRejected(_("Trop d'éléments (%(max)d au plus).") % {"max": LIST_MAX_ITEMS}, name)
    return items


def clean_phone(value: str) -> str:
    """A French (or international) number as E.164, or PlaceRejected."""
    return read_phone(value, PlaceRejected)


def clean_categories(categories: Iterable[str]) -> list[str]:
    """The category slugs, deduplicated in order; an unknown one is refused."""
    slugs: list[str] = []
    for slug in categories:
        if not isinstance(slug, str) or not is_category(slug):
            raise PlaceRejected(_("Catégorie inconnue : %(slug)s.") % {"slug": str(slug)[:40]}, "categories")
        if slug not in slugs:
            slugs.append(slug)
    return slugs


def clean_place_data(data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validates and normalises a place's fields; returns only what `data` holds (plus
    description_html when the description is given).

    Refuses unknown fields, a missing name (unless `partial`), an invalid phone number, e-mail or
    website (http and https only), unreadable opening hours, coordinates out of range or given
    alone, and unknown categories. Phone numbers become E.164; Markdown becomes sanitised HTML.
    """
    unknown = set(data) - KNOWN_FIELDS - {"categories"}
    if unknown:
        raise PlaceRejected(_("Champs inconnus : %(names)s.") % {"names": ", ".join(sorted(unknown))})
    cleaned: dict[str, Any] = {}
    for name, max_length in TEXT_FIELDS.items():
        if name in data:
            value = _text(data, name)
            if len(value) > max_length:
                raise PlaceRejected(
                    _("Trop long (%(max)d caractères au plus).") % {"max": max_length}, name
                )
            cleaned[name] = value
    if (not partial or "name" in data) and not cleaned.get("name"):
        raise PlaceRejected(_("Le nom du lieu est obligatoire."), "name")
    if cleaned.get("postcode") and not (len(cleaned["postcode"]) == 5 and cleaned["postcode"].isdigit()):
        raise PlaceRejected(_("Un code postal a cinq chiffres."), "postcode")
    if cleaned.get("opening_hours"):
        try:
            parse_hours(cleaned["opening_hours"])
        except InvalidHours as error:
            raise PlaceRejected(str(error), "opening_hours") from None
    if "description" in data:
        description = str(data.get("description") or "").replace("\x00", "").strip()
        if len(description) > DESCRIPTION_MAX_LENGTH:
            raise PlaceRejected(
                _("Trop long (%(max)d caractères au plus).") % {"max": DESCRIPTION_MAX_LENGTH}, "description"
            )
        cleaned["description"] = description
        cleaned["description_html"] = render_description(description) if description else ""
    if "lat" in data or "lon" in data:
        lat = _float(data, "lat", -90, 90)
        lon = _float(data, "lon", -180, 180)
        if (lat is None) != (lon is None):
            raise PlaceRejected(_("Donnez la latitude et la longitude, ou aucune des deux."), "lat")
        cleaned["lat"], cleaned["lon"] = lat, lon
    if "phone" in data:
        phone = _text(data, "phone")
        cleaned["phone"] = clean_phone(phone) if phone else ""
    if "email" in data:
        email = _text(data, "email").lower()
        if email:
            try:
                EmailValidator()(email)
            except ValidationError:
                raise PlaceRejected(_("Adresse e-mail invalide."), "email") from None
        cleaned["email"] = email
    if "website" in data:
        website = _text(data, "website")
        if website:
            if urlsplit(website).scheme.lower() not in ("http", "https"):
                raise PlaceRejected(_("Le site doit commencer par http:// ou https://."), "website")
            try:
                URLValidator(schemes=["http", "https"])(website)
            except ValidationError:
                raise PlaceRejected(_("Adresse de site invalide."), "website") from None
            if len(website) > 500:
                raise PlaceRejected(_("Trop long (%(max)d caractères au plus).") % {"max": 500}, "website")
        cleaned["website"] = website
    for name in ACCESS_FIELDS:
        if name in data:
            value = _text(data, name)
            if value not in Access.values:
                raise PlaceRejected(_("Valeur d'accessibilité inconnue."), name)
            cleaned[name] = value
    for name in LIST_FIELDS:
        if name in data:
            cleaned[name] = _string_list(data, name)
    if "price_range" in data:
        cleaned["price_range"] = _small_int(data, "price_range", 1, 4)
    if "stars" in data:
        cleaned["stars"] = _small_int(data, "stars", 0, 5)
    if "capacity" in data:
        cleaned["capacity"] = _small_int(data, "capacity", 0, 100_000)
    if "pets_allowed" in data:
        pets = data.get("pets_allowed")
        if pets not in (None, True, False):
            raise PlaceRejected(_("Oui, non ou inconnu attendu."), "pets_allowed")
        cleaned["pets_allowed"] = pets
    if "commune" in data:
        commune = data["commune"]
        if commune is not None and not (
            isinstance(commune, Territory) and commune.kind == TerritoryKind.COMMUNE
        ):
            raise PlaceRejected(_("Commune inconnue."), "commune")
        cleaned["commune"] = commune
    if "categories" in data:
        raw = data.get("categories") or []
        cleaned["categories"] = clean_categories([raw] if isinstance(raw, str) else raw)
    if "translations" in data:
        cleaned["translations"] = _clean_translations(data.get("translations"))
    return cleaned


def _clean_translations(raw: Any) -> dict[str, dict[str, str]]:
    """{"en": {"name": ..., "description": ...}} checked like the French fields, descriptions
    rendered and sanitised the same way; empty languages are dropped."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, Mapping) or len(raw) > 20:
        raise PlaceRejected(_("Traductions illisibles."), "translations")
    cleaned: dict[str, dict[str, str]] = {}
    for language, texts in sorted(raw.items()):
        if not isinstance(language, str) or not TRANSLATION_LANGUAGE.fullmatch(language) or language == "fr":
            raise PlaceRejected(_("Langue de traduction inconnue : %(code)s.") % {"code": str(language)[:10]}, "translations")
        if not isinstance(texts, Mapping):
            raise PlaceRejected(_("Traductions illisibles."), "translations")
        name = " ".join(str(texts.get("name") or "").replace("\x00", "").split())
        description = str(texts.get("description") or "").replace("\x00", "").strip()
        if len(name) > TEXT_FIELDS["name"]:
            raise PlaceRejected(_("Trop long (%(max)d caractères au plus).") % {"max": TEXT_FIELDS["name"]}, "translations")
        if len(description) > DESCRIPTION_MAX_LENGTH:
            raise PlaceRejected(_("Trop long (%(max)d caractères au plus).") % {"max": DESCRIPTION_MAX_LENGTH}, "translations")
        entry = {}
        if name:
            entry["name"] = name
        if description:
            entry["description"] = description
            entry["description_html"] = render_description(description)
        if entry:
            cleaned[language] = entry
    return cleaned


def _check_role(actor: Any, territory: Territory) -> None:
    if not roles_of(actor, territory) & set(EDIT_ROLES):
        raise PlaceRejected(_("Vous n'avez pas les droits nécessaires sur ce territoire."))


def _is_under(commune: Territory, territory: Territory) -> bool:
    return commune.pk == territory.pk or territory.pk in commune.parent_ids()


def _locate(territory: Territory, cleaned: dict[str, Any], current: Territory | None) -> Territory:
    """The commune the place stands in: given, found from the location, or kept; under `territory`."""
    commune: Territory | None = cleaned.pop("commune", None)
    if commune is None and cleaned.get("lat") is not None and cleaned.get("lon") is not None:
        commune = commune_at(cleaned["lat"], cleaned["lon"])
        if commune is None:
            raise PlaceRejected(_("Ce point n'est dans aucune commune connue."), "lat")
    if commune is None:
        commune = current
    if commune is None and territory.kind == TerritoryKind.COMMUNE:
        commune = territory
    if commune is None:
        raise PlaceRejected(_("Indiquez la commune du lieu ou sa position."), "commune")
    if not _is_under(commune, territory):
        raise PlaceRejected(
            _("%(commune)s n'est pas sur le territoire de %(territory)s.")
            % {"commune": commune.name, "territory": territory.name},
            "commune",
        )
    return commune


def _set_categories(place: Place, categories: list[str]) -> bool:
    current = set(place.category_links.values_list("category", flat=True))
    wanted = set(categories)
    if current == wanted:
        return False
    place.category_links.exclude(category__in=wanted).delete()
    PlaceCategory.objects.bulk_create(
        [PlaceCategory(place=place, category=slug) for slug in categories if slug not in current]
    )
    return True


def _jsonable(value: Any) -> Any:
    if isinstance(value, Territory):
        return value.code
    return value


@transaction.atomic
def create_place(actor: Any, territory: Territory, data: Mapping[str, Any], categories: list[str]) -> Place:
    """Creates a draft place published by `territory`, standing in a commune under it.

    The commune comes from `data["commune"]`, else from the location (commune_at), else is the
    territory itself when it is a commune. Refuses an actor who is not admin or editor of the
    territory, invalid data (clean_place_data) and a commune outside the territory. Writes an
    AuditEntry.
    """
    _check_role(actor, territory)
    cleaned = clean_place_data(data)
    cleaned.pop("categories", None)
    slugs = clean_categories(categories)
    commune = _locate(territory, cleaned, None)
    place = Place.objects.create(
        territory=territory, commune=commune, author=actor if getattr(actor, "pk", None) else None,
        status=Status.DRAFT, **cleaned,
    )
    _set_categories(place, slugs)
    record_audit(
        territory, actor, "directory.place.create",
        _("Lieu créé : %(name)s") % {"name": place.name},
        {"place": place.pk, "categories": slugs},
    )
    return place


@transaction.atomic
def update_place(
    actor: Any, place: Place, data: Mapping[str, Any], categories: list[str] | None = None
) -> Place:
    """Changes the fields in `data` (and the categories unless None) of a place.

    Refuses an actor who is not admin or editor of the publishing territory, invalid data and a
    move to a commune outside that territory. A new location finds the commune again. Writes an
    AuditEntry with the changed fields; writes nothing when nothing changed.
    """
    territory = place.territory
    _check_role(actor, territory)
    cleaned = clean_place_data(data, partial=True)
    cleaned.pop("categories", None)
    slugs = clean_categories(categories) if categories is not None else None
    place = Place.objects.select_for_update().get(pk=place.pk)
    moved = "commune" in cleaned or (
        "lat" in cleaned and (cleaned["lat"], cleaned["lon"]) != (place.lat, place.lon)
    )
    if moved:
        commune = _locate(territory, cleaned, place.commune if "commune" not in cleaned else None)
        cleaned["commune"] = commune
    changes: dict[str, Any] = {}
    for name, value in cleaned.items():
        old = getattr(place, name)
        if old != value:
            if name != "description_html":
                changes[name] = [_jsonable(old), _jsonable(value)]
            setattr(place, name, value)
    if changes:
        place.save(update_fields=[*(name for name in cleaned if name in changes or name == "description_html"),
                                  "updated_at"])
    if slugs is not None and _set_categories(place, slugs):
        changes["categories"] = slugs
    if changes:
        record_audit(
            territory, actor, "directory.place.update",
            _("Lieu modifié : %(name)s") % {"name": place.name},
            {"place": place.pk, **changes},
        )
    return place


def _set_status(actor: Any, place: Place, status: str, action: str, summary: str) -> Place:
    _check_role(actor, place.territory)
    place = Place.objects.select_for_update().get(pk=place.pk)
    if place.status == status:
        return place
    old = place.status
    place.status = status
    fields = ["status", "updated_at"]
    if status == Status.PUBLISHED and place.published_at is None:
        place.published_at = timezone.now()
        fields.append("published_at")
    place.save(update_fields=fields)
    record_audit(place.territory, actor, action, summary % {"name": place.name},
                 {"place": place.pk, "status": [old, status]})
    return place


@transaction.atomic
def publish_place(actor: Any, place: Place) -> Place:
    """Publishes a place (it shows in the portal). Refuses an actor without the editor or admin
    role on the publishing territory. Writes an AuditEntry when the status changes."""
    return _set_status(actor, place, Status.PUBLISHED, "directory.place.publish", _("Lieu publié : %(name)s"))


@transaction.atomic
def archive_place(actor: Any, place: Place) -> Place:
    """Archives a place (it no longer shows; nothing is deleted). Refuses an actor without the
    editor or admin role on the publishing territory. Writes an AuditEntry when the status changes."""
    return _set_status(actor, place, Status.ARCHIVED, "directory.place.archive", _("Lieu archivé : %(name)s"))


def _checksum(cleaned: Mapping[str, Any], categories: list[str], commune: Territory) -> str:
    payload = {name: _jsonable(value) for name, value in sorted(cleaned.items())}
    payload["categories"] = sorted(categories)
    payload["commune"] = commune.pk
    encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


@transaction.atomic
def upsert_imported_place(
    *,
    territory: Territory,
    source: str,
    external_id: str,
    data: Mapping[str, Any],
    categories: list[str],
) -> tuple[Place, str]:
    """Creates or updates the place imported as (source, external_id); returns it and "created",
    "updated" or "unchanged".

    Published at once, published by `territory`. Never duplicates: the provenance is unique. The
    checksum of the normalised data says whether anything changed. Refuses (PlaceRejected) invalid
    data and a place standing outside the territory or in no known commune. No actor check: imports
    run as the operator. Writes an AuditEntry for a created or updated place.
    """
    source = source.strip()
    external_id = str(external_id).strip()
    if not source or not external_id:
        raise PlaceRejected(_("Une source et un identifiant sont nécessaires."))
    if len(source) > 40 or len(external_id) > 255:
        raise PlaceRejected(_("Identifiant de source trop long."))
    cleaned = clean_place_data(data)
    cleaned.pop("categories", None)
    slugs = clean_categories(categories)
    existing = Place.objects.select_for_update().filter(source=source, external_id=external_id).first()
    commune = _locate(territory, dict(cleaned), None)
    cleaned.pop("commune", None)
    checksum = _checksum(cleaned, slugs, commune)
    if existing is not None and existing.checksum == checksum and existing.territory_id == territory.pk:
        return existing, "unchanged"
    if existing is None:
        place = Place.objects.create(
            territory=territory, commune=commune, source=source, external_id=external_id,
            checksum=checksum, status=Status.PUBLISHED, published_at=timezone.now(), **cleaned,
        )
        _set_categories(place, slugs)
        record_audit(territory, None, "directory.place.import",
                     _("Lieu importé : %(name)s") % {"name": place.name},
                     {"place": place.pk, "source": source, "external_id": external_id})
        return place, "created"
    for name, value in cleaned.items():
        setattr(existing, name, value)
    existing.territory = territory
    existing.commune = commune
    existing.checksum = checksum
    existing.status = Status.PUBLISHED
    if existing.published_at is None:
        existing.published_at = timezone.now()
    existing.save()
    _set_categories(existing, slugs)
    record_audit(territory, None, "directory.place.import",
                 _("Lieu mis à jour par import : %(name)s") % {"name": existing.name},
                 {"place": existing.pk, "source": source, "external_id": external_id})
    return existing, "updated"
