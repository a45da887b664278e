"""Reading the loose values that forms, imports and the API hand to services.

Places, events and organisations read texts, coordinates and phone numbers the same way; each
refuses bad input with its own exception (PlaceRejected, EventRejected...), which every one of
them builds as `Refusal(message, field)`. The caller passes that class.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import phonenumbers
from django.utils.translation import gettext as _

# Builds the caller's own exception from a French message and the field it concerns.
Refusal = Callable[[str, str], Exception]


def read_text(data: Mapping[str, Any], name: str, refusal: Refusal) -> str:
    """The value as one line of text (runs of spaces and line breaks folded, NUL removed); ""
    when absent. Refuses what is not text or a number."""
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)):
        raise refusal(_("Valeur illisible."), name)
    return " ".join(str(value).replace("\x00", "").split())


def read_float(
    data: Mapping[str, Any], name: str, low: float, high: float, refusal: Refusal
) -> float | None:
    """A coordinate between `low` and `high` (a French decimal comma is read too); None when
    absent. Refuses what is not a finite number in that range."""
    value = data.get(name)
    if value is None or value == "":
        return None
    try:
        number = float(str(value).replace(",", ".")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise refusal(_("Coordonnée illisible."), name) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise refusal(
            _("Coordonnée hors limites (entre %(low)s et %(high)s).") % {"low": low, "high": high}, name
        )
    return number


def read_phone(value: str, refusal: Refusal, field: str = "phone") -> str:
    """A French (or international) number as E.164 (+33562612100). Refuses one that cannot be read
    or does not exist."""
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        raise refusal(_("Numéro de téléphone illisible."), field) from None
    if not phonenumbers.is_valid_number(number):
        raise refusal(_("Ce numéro de téléphone n'existe pas."), field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
