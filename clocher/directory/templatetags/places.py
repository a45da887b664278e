"""Template filters of the directory's pages: distances, phone numbers, hours, directions."""

from __future__ import annotations

import datetime
from typing import Any

import phonenumbers
from django import template
from django.urls import reverse
from django.utils import formats
from django.utils.text import slugify
from django.utils.translation import gettext as _

from clocher.directory.taxonomy import BY_SLUG

register = template.Library()


@register.filter
def distance(metres: float | None) -> str:
    """A distance as people say it: "850 m", "1,2 km", "14 km" (the decimal mark of the language)."""
    if metres is None:
        return ""
    if metres < 995:
        # Ten metres is as precise as a phone's location anyway.
        return _("%(value)s m") % {"value": max(10, int(round(metres, -1)))}
    kilometres = metres / 1000
    if kilometres < 9.95:
        return _("%(value)s km") % {"value": formats.number_format(round(kilometres, 1), 1)}
    return _("%(value)s km") % {"value": formats.number_format(round(kilometres), 0)}


def _parsed(phone: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(phone, "FR")
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


@register.filter
def phone_display(phone: str) -> str:
    """A stored number as people dial it: "05 62 61 21 00" in France, "+44 20 7946 0000" abroad.

    Short numbers (15, 112, 3919) stay as they are.
    """
    if not phone:
        return ""
    number = _parsed(phone)
    if number is None or len(phone.lstrip("+")) <= 6:
        return phone
    if number.country_code == 33:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@register.filter
def phone_href(phone: str) -> str:
    """The tel: link of a stored number; short numbers (15, 3919) are dialled as written."""
    if not phone:
        return ""
    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    number = _parsed(phone)
    if number is not None and len(digits.lstrip("+")) > 6:
        digits = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"tel:{digits}"


@register.filter
def category_label(slug: str) -> str:
    category = BY_SLUG.get(slug)
    return str(category.label) if category else slug


@register.filter
def hhmm(moment: datetime.time) -> str:
    return moment.strftime("%H:%M")


@register.filter
def interval_end(moment: datetime.time) -> str:
    """An interval's end: midnight reads "24:00", the end of the day rather than its start."""
    if moment == datetime.time(0, 0):
        return "24:00"
    return moment.strftime("%H:%M")


@register.filter
def coordinate(value: float) -> str:
    """A latitude or longitude for a link: dot decimal mark whatever the language, 5 decimals (1 m)."""
    return f"{value:.5f}"


@register.filter
def osm_url(place: Any) -> str:
    lat, lon = coordinate(place.lat), coordinate(place.lon)
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


@register.filter
def geo_url(place: Any) -> str:
    return f"geo:{coordinate(place.lat)},{coordinate(place.lon)}"


@register.filter
def place_url(place: Any) -> str:
    """A place's address, with its name in it for people reading it (only the number counts)."""
    slug = slugify(place.name)
    if slug:
        return reverse("directory:place", kwargs={"pk": place.pk, "slug": slug})
    return reverse("directory:place", kwargs={"pk": place.pk})
