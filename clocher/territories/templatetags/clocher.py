"""Small template helpers for the resident's pages."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.conf import settings
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe

from clocher.territories.services import sanitize_description

register = template.Library()


@register.filter
def tel_href(phone: str) -> str:
    """A French phone number as a tel: link target ("05 62 61 21 00" → "tel:+33562612100")."""
    digits = re.sub(r"[^\d+]", "", phone or "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0") and len(digits) == 10:
        digits = "+33" + digits[1:]
    return f"tel:{digits}"


@register.filter
def website_label(url: str) -> str:
    """A web address as people read it, without the scheme or a trailing slash."""
    return re.sub(r"^https?://(www\.)?", "", url or "").rstrip("/")


@register.filter
def rich_text(text: str) -> SafeString:
    """A collectivity's presentation as HTML: sanitised again at display, whatever path stored it.

    The staff form stores sanitised HTML, but the Django admin or an import may store anything, so
    the page never trusts the stored text. Plain text keeps its paragraphs and line breaks.
    """
    if not text:
        return mark_safe("")  # noqa: S308  # empty
    if "<" not in text:
        return mark_safe(linebreaks(text, autoescape=True))  # noqa: S308  # escaped by linebreaks
    return mark_safe(sanitize_description(text))  # noqa: S308  # nh3 just cleaned it


@register.simple_tag
def tile_url() -> str:
    """The XYZ address of the map tiles (settings.MAP_TILE_URL), for a map's data-tile-url."""
    return str(getattr(settings, "MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"))


@register.simple_tag
def tile_attribution() -> str:
    """The tiles' credit line as settings give it (HTML, trusted: written by whoever deploys)."""
    return str(getattr(settings, "MAP_TILE_ATTRIBUTION", "© OpenStreetMap"))


@register.filter
def bounds(territory: Any) -> str:
    """ "min_lat,min_lon,max_lat,max_lon" with dots whatever the language, "" when not known."""
    box = [getattr(territory, name, None) for name in ("min_lat", "min_lon", "max_lat", "max_lon")]
    if any(value is None for value in box):
        return ""
    return ",".join(f"{value:.5f}" for value in box)
